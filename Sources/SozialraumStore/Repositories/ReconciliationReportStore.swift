import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reading what runs stored (rule 13) and the reports on it: runs, their lines, months, transfers and
/// differences, statements and their items, settlements, the year end (rule 12), the cost development
/// and the cross-area grants (rule 9). Every read runs in the caller's tenant context.
public enum ReconciliationReportStore {
    public static func runExists(_ tx: TenantTransaction, id: Int64) async throws -> Bool {
        try await tx.query("SELECT 1 FROM reconciliation_run WHERE id = \(id)").count > 0
    }

    public static func runsExist(_ tx: TenantTransaction, _ ids: Set<Int64>) async throws -> Bool {
        let sorted = ids.sorted()
        return try await tx.query(
            "SELECT count(*)::int FROM reconciliation_run WHERE id IN (\(sorted.first ?? 0), \(sorted.last ?? 0))"
        ).single().value(as: Int.self) == ids.count
    }

    /// Per Sozialraum, the end of its last reconciliation run (seconds since 1970; 0: never), as the
    /// caller sees the runs.
    public static func lastReconciliation(
        _ tx: TenantTransaction
    ) async throws -> [(socialSpace: String, seconds: Int64)] {
        try await tx.query(
            """
            SELECT s.code, coalesce(extract(epoch FROM max(r.finished_at))::bigint, 0) AS finished
            FROM social_space s LEFT JOIN reconciliation_run r ON r.social_space IS NULL OR r.social_space = s.code
            GROUP BY s.code ORDER BY 1
            """
        ).map { (try $0.decode("code", as: String.self), try $0.decode("finished", as: Int64.self)) }
    }

    // MARK: Runs

    /// The newest thousand runs (of a year), newest first; `finished` in Europe/Berlin.
    public static func runs(_ tx: TenantTransaction, year: Int?) async throws -> [ReconciliationRunListing] {
        try await tx.query(
            """
            SELECT r.id, r.scope, to_char(r.first_month, 'YYYY-MM') || '..' || to_char(r.last_month, 'YYYY-MM') AS months,
                   coalesce(r.social_space, '*') AS social_space, r.ledger_position,
                   left(encode(r.digest, 'hex'), 16) AS digest_prefix, r.requested_by,
                   local_time(r.finished_at) AS finished, coalesce(r.slot, '') AS slot
            FROM reconciliation_run r WHERE \(year)::int IS NULL OR r.year = \(year) ORDER BY r.id DESC LIMIT 1000
            """
        ).map { row in
            ReconciliationRunListing(
                id: try row.decode("id", as: Int64.self), scope: try row.decode("scope", as: String.self),
                months: try row.decode("months", as: String.self),
                socialSpace: try row.decode("social_space", as: String.self),
                ledgerPosition: try row.decode("ledger_position", as: Int64.self),
                digestPrefix: try row.decode("digest_prefix", as: String.self),
                requestedBy: try row.decode("requested_by", as: String.self),
                finished: try row.decode("finished", as: String.self), slot: try row.decode("slot", as: String.self))
        }
    }

    /// A line's figures in the order of `RunLineResult.figures`.
    static let lineFigures = [
        "appropriation", "carry_in", "commitments", "actuals", "available", "cover_transfer", "available_after_cover",
        "forecast", "forecast_available", "overrun",
    ]

    /// A month's figures in the order of `RunMonthResult.figures`.
    static let monthFigures = ["plan", "commitments", "actuals", "cumulative_plan", "cumulative_burn"]

    public static func lines(
        _ tx: TenantTransaction, runID: Int64, socialSpace: SocialSpaceCode?
    ) async throws -> [RunLineResult] {
        try await tx.query(
            """
            SELECT social_space, line, appropriation, carry_in, commitments, actuals, available, cover_transfer,
                   available_after_cover, forecast, forecast_available, overrun
            FROM reconciliation_line WHERE run_id = \(runID) AND (\(socialSpace?.rawValue)::text IS NULL OR social_space = \(socialSpace?.rawValue))
            ORDER BY social_space, line LIKE 'pool:%', array_position(ARRAY['case', 'milieu', 'structure'], line), line
            """
        ).map { row in
            RunLineResult(
                socialSpace: try row.decode("social_space", as: String.self),
                line: try row.decode("line", as: String.self),
                figures: try lineFigures.map { try row.decode($0, as: Int64?.self) })
        }
    }

    public static func months(
        _ tx: TenantTransaction, runID: Int64, socialSpace: SocialSpaceCode?
    ) async throws -> [RunMonthResult] {
        try await tx.query(
            """
            SELECT social_space, component, to_char(month, 'YYYY-MM') AS month, plan, commitments, actuals, cumulative_plan, cumulative_burn
            FROM reconciliation_month WHERE run_id = \(runID) AND (\(socialSpace?.rawValue)::text IS NULL OR social_space = \(socialSpace?.rawValue))
            ORDER BY social_space, array_position(ARRAY['case', 'milieu', 'structure'], component::text), month
            """
        ).map { row in
            RunMonthResult(
                socialSpace: try row.decode("social_space", as: String.self),
                component: try row.decode("component", as: String.self),
                month: try row.decode("month", as: String.self),
                figures: try monthFigures.map { try row.decode($0, as: Int64.self) })
        }
    }

    public static func transfers(
        _ tx: TenantTransaction, runID: Int64, socialSpace: SocialSpaceCode?
    ) async throws -> [RunCoverTransfer] {
        try await tx.query(
            """
            SELECT social_space, from_component, to_component, amount FROM reconciliation_transfer
            WHERE run_id = \(runID) AND (\(socialSpace?.rawValue)::text IS NULL OR social_space = \(socialSpace?.rawValue)) ORDER BY social_space, position
            """
        ).map { row in
            RunCoverTransfer(
                socialSpace: try row.decode("social_space", as: String.self),
                from: try row.decode("from_component", as: String.self),
                to: try row.decode("to_component", as: String.self),
                amount: Money(cents: try row.decode("amount", as: Int64.self)))
        }
    }

    public static func changes(
        _ tx: TenantTransaction, from earlier: Int64, to later: Int64
    ) async throws -> [RunChange] {
        try await tx.query(
            """
            SELECT coalesce(b.social_space, a.social_space) AS social_space, coalesce(b.line, a.line) AS line, f.field,
                   f.before, f.after
            FROM (SELECT * FROM reconciliation_line WHERE run_id = \(earlier)) a
            FULL JOIN (SELECT * FROM reconciliation_line WHERE run_id = \(later)) b USING (social_space, line)
            CROSS JOIN LATERAL (VALUES
                ('appropriation', a.appropriation, b.appropriation), ('carry_in', a.carry_in, b.carry_in),
                ('commitments', a.commitments, b.commitments), ('actuals', a.actuals, b.actuals),
                ('available', a.available, b.available), ('after_cover', a.available_after_cover, b.available_after_cover),
                ('forecast', a.forecast, b.forecast), ('overrun', a.overrun, b.overrun)) AS f(field, before, after)
            WHERE f.before IS DISTINCT FROM f.after
            UNION ALL
            SELECT 'statement', t.name, 'balance', sa.balance, sb.balance
            FROM (SELECT * FROM statement WHERE run_id = \(earlier)) sa
            FULL JOIN (SELECT * FROM statement WHERE run_id = \(later)) sb USING (tenant_id)
            JOIN tenant t ON t.id = tenant_id
            WHERE sa.balance IS DISTINCT FROM sb.balance
            ORDER BY 1, 2, 3
            """
        ).map { row in
            RunChange(
                socialSpace: try row.decode("social_space", as: String.self),
                line: try row.decode("line", as: String.self),
                field: try row.decode("field", as: String.self),
                before: try row.decode("before", as: Int64?.self), after: try row.decode("after", as: Int64?.self))
        }
    }

    // MARK: Statements

    public static func statements(_ tx: TenantTransaction, runID: Int64) async throws -> [StatementSummary] {
        try await tx.query(
            """
            SELECT t.name, s.tenant_id, s.accrued, s.instalments, s.settlements, s.balance
            FROM statement s JOIN tenant t ON t.id = s.tenant_id WHERE s.run_id = \(runID) ORDER BY t.name
            """
        ).map { row in
            StatementSummary(
                providerName: try row.decode("name", as: String.self),
                provider: TenantID(try row.decode("tenant_id", as: UUID.self)),
                accrued: Money(cents: try row.decode("accrued", as: Int64.self)),
                instalments: Money(cents: try row.decode("instalments", as: Int64.self)),
                settlements: Money(cents: try row.decode("settlements", as: Int64.self)),
                balance: Money(cents: try row.decode("balance", as: Int64.self)))
        }
    }

    /// What a settlement needs of a statement: its months, the run's ledger position and the balance.
    public static func statementForSettlement(
        _ tx: TenantTransaction, runID: Int64, provider: TenantID
    ) async throws -> (first: YearMonth, last: YearMonth, position: Int64, balance: Money)? {
        guard
            let row = try await tx.query(
                """
                SELECT r.first_month, r.last_month, r.ledger_position, s.balance
                FROM statement s JOIN reconciliation_run r ON r.id = s.run_id
                WHERE s.run_id = \(runID) AND s.tenant_id = \(provider.uuid)
                """
            ).first
        else { return nil }
        return (
            try row.day("first_month").yearMonth, try row.day("last_month").yearMonth,
            try row.decode("ledger_position", as: Int64.self),
            Money(cents: try row.decode("balance", as: Int64.self))
        )
    }

    /// One settlement of a provider at a time: the second finds the first's bookings and stops.
    public static func lockSettlements(_ tx: TenantTransaction, of provider: TenantID) async throws {
        try await tx.query(
            "SELECT pg_advisory_xact_lock(hashtext('sozialraum.settle'), hashtext(\(provider.description)::text))")
    }

    /// Whether the provider has a booking in `first...last` after `position` (the statement is stale).
    public static func hasBookingAfter(
        _ tx: TenantTransaction, provider: TenantID, from first: YearMonth, through last: YearMonth, position: Int64
    ) async throws -> Bool {
        try await tx.query(
            "SELECT 1 FROM booking WHERE tenant_id = \(provider.uuid) AND service_month BETWEEN \(first) AND \(last) AND id > \(position) LIMIT 1"
        ).count > 0
    }

    /// The balance per Sozialraum and component as the statement computes it: cost of grants and
    /// projects minus instalments and settlements (reversals count as what they reverse).
    public static func balanceParts(
        _ tx: TenantTransaction, provider: TenantID, from first: YearMonth, through last: YearMonth, position: Int64
    ) async throws -> [(socialSpace: SocialSpaceCode, component: BudgetComponent, amount: Money)] {
        try await tx.query(
            """
            SELECT b.social_space, b.component,
                   sum(CASE WHEN coalesce(o.kind, b.kind) IN ('instalment', 'settlement') THEN -b.amount ELSE b.amount END)::bigint
                     AS balance
            FROM booking b LEFT JOIN booking o ON o.id = b.reverses
            WHERE b.tenant_id = \(provider.uuid) AND b.service_month BETWEEN \(first) AND \(last) AND b.id <= \(position)
              AND (coalesce(o.kind, b.kind) IN ('instalment', 'settlement')
                   OR (b.kind IN ('delivery', 'project_expense', 'reversal') AND (b.grant_id IS NOT NULL OR b.project_id IS NOT NULL)))
            GROUP BY b.social_space, b.component
            ORDER BY b.social_space, b.component
            """
        ).map {
            (
                try $0.decode("social_space", as: SocialSpaceCode.self),
                try $0.decode("component", as: BudgetComponent.self),
                Money(cents: try $0.decode("balance", as: Int64.self))
            )
        }
    }

    // MARK: Year end (rule 12)

    /// The year end's policy: the providers' share of the closing year's savings (basis points, the closing
    /// year's setting) and whether carry-forward is allowed (rule 18: the *receiving* year's setting, as for a
    /// manual `carry-forward`; while that year is not open, nil: the year end then waits for it).
    public static func yearEndPolicy(
        _ tx: TenantTransaction, year: Int
    ) async throws -> (shareBasisPoints: Int, carryForwardAllowed: Bool?) {
        let row = try await tx.query(
            """
            SELECT y.provider_surplus_share, n.carry_forward_allowed
            FROM fiscal_year y LEFT JOIN fiscal_year n ON n.year = y.year + 1 WHERE y.year = \(year)
            """
        ).single()
        return (
            try row.decode("provider_surplus_share", as: Int.self),
            try row.decode("carry_forward_allowed", as: Bool?.self)
        )
    }

    /// The lead providers of each Sozialraum at the end of `year`.
    public static func leadProviders(_ tx: TenantTransaction, year: Int) async throws -> [SocialSpaceCode: [TenantID]] {
        var leads: [SocialSpaceCode: [TenantID]] = [:]
        for row in try await tx.query(
            """
            SELECT social_space, tenant_id FROM provider_assignment
            WHERE lead AND valid_from <= make_date(\(year), 12, 31) AND (valid_to IS NULL OR valid_to >= make_date(\(year), 12, 31))
            """)
        {
            leads[try row.decode("social_space", as: SocialSpaceCode.self), default: []].append(
                TenantID(try row.decode("tenant_id", as: UUID.self)))
        }
        return leads
    }

    public static func yearEndConfirmed(_ tx: TenantTransaction, year: Int) async throws -> Bool {
        try await tx.query("SELECT 1 FROM year_end WHERE year = \(year)").count > 0
    }

    /// What a year end needs of a run: its year, kind, last month, position and whether it covers all Sozialräume.
    public static func runForYearEnd(
        _ tx: TenantTransaction, id: Int64
    ) async throws -> (year: Int, scope: String, lastMonth: YearMonth, position: Int64, allSocialSpaces: Bool)? {
        guard
            let row = try await tx.query(
                "SELECT year, scope, last_month, ledger_position, social_space IS NULL AS all_social_spaces FROM reconciliation_run WHERE id = \(id)"
            ).first
        else { return nil }
        return (
            try row.decode("year", as: Int.self), try row.decode("scope", as: String.self),
            try row.day("last_month").yearMonth,
            try row.decode("ledger_position", as: Int64.self),
            try row.decode("all_social_spaces", as: Bool.self)
        )
    }

    /// The months of `year` still open.
    public static func openMonths(_ tx: TenantTransaction, year: Int) async throws -> [YearMonth] {
        try await tx.query("SELECT month FROM period WHERE year = \(year) AND closed_at IS NULL ORDER BY month")
            .map { try $0.day("month").yearMonth }
    }

    /// Each line's result after cover in a run.
    public static func resultsAfterCover(
        _ tx: TenantTransaction, runID: Int64
    ) async throws -> [SocialSpaceCode: [BudgetComponent: Money]] {
        var results: [SocialSpaceCode: [BudgetComponent: Money]] = [:]
        for row in try await tx.query(
            "SELECT social_space, line, available_after_cover FROM reconciliation_line WHERE run_id = \(runID) AND line NOT LIKE 'pool:%'"
        ) {
            results[try row.decode("social_space", as: SocialSpaceCode.self), default: [:]][
                try row.decode("line", as: BudgetComponent.self)] =
                Money(cents: try row.decode("available_after_cover", as: Int64.self))
        }
        return results
    }

    public static func recordYearEnd(_ tx: TenantTransaction, year: Int, runID: Int64, by actor: String) async throws {
        try await tx.execute(
            "INSERT INTO year_end (year, run_id, confirmed_by) VALUES (\(year), \(runID), \(actor))")
    }

    /// A carry-forward the year end books; false when one exists for that line already.
    public static func insertCarryForward(
        _ tx: TenantTransaction, line: BudgetLine, amount: Money, reason: String
    ) async throws -> Bool {
        try await tx.execute(
            """
            INSERT INTO carry_forward (year, social_space, component, amount, reason) VALUES (\(line.year), \(line.socialSpace.rawValue), \(line.component.rawValue), \(amount.cents), \(reason))
            ON CONFLICT DO NOTHING
            """) == 1
    }

    public static func insertSurplusShare(
        _ tx: TenantTransaction, year: Int, socialSpace: SocialSpaceCode, provider: TenantID, amount: Money
    ) async throws {
        try await tx.execute(
            "INSERT INTO surplus_share (year, social_space, tenant_id, amount) VALUES (\(year), \(socialSpace.rawValue), \(provider.uuid), \(amount.cents))"
        )
    }

    /// One line's part of a provider's share (sql/0028): what its payment books, per component.
    public static func insertSurplusShareLine(
        _ tx: TenantTransaction, year: Int, socialSpace: SocialSpaceCode, component: BudgetComponent,
        provider: TenantID, amount: Money
    ) async throws {
        try await tx.execute(
            """
            INSERT INTO surplus_share_line (year, social_space, component, tenant_id, amount)
            VALUES (\(year), \(socialSpace.rawValue), \(component.rawValue), \(provider.uuid), \(amount.cents))
            """)
    }

    /// The lines of a provider's share of a Sozialraum's savings in `year`.
    public static func surplusShareLines(
        _ tx: TenantTransaction, year: Int, socialSpace: SocialSpaceCode, provider: TenantID
    ) async throws -> [(component: BudgetComponent, amount: Money)] {
        try await tx.query(
            """
            SELECT component, amount FROM surplus_share_line
            WHERE year = \(year) AND social_space = \(socialSpace.rawValue) AND tenant_id = \(provider.uuid) ORDER BY component
            """
        ).map {
            (
                try $0.decode("component", as: BudgetComponent.self),
                Money(cents: try $0.decode("amount", as: Int64.self))
            )
        }
    }

    /// The shares of `year` that no live order pays yet (none pending or ordered): what the county still
    /// has to certify. Pending orders past their day are expired first, so that they can be certified again.
    public static func unorderedShares(
        _ tx: TenantTransaction, year: Int, today: Day
    ) async throws -> [(socialSpace: SocialSpaceCode, provider: TenantID, amount: Money)] {
        try await tx.execute(
            """
            UPDATE payment_order SET state = 'expired'
            WHERE kind = 'surplus_share' AND state = 'pending' AND expires_on < \(today) AND month = make_date(\(year), 12, 1)
            """)
        return try await tx.query(
            """
            SELECT s.social_space, s.tenant_id, s.amount FROM surplus_share s
            WHERE s.year = \(year)
              -- shares recorded before sql/0028 have no lines to book: docs/payments.md says how to pay them
              AND EXISTS (SELECT 1 FROM surplus_share_line l
                          WHERE l.year = s.year AND l.social_space = s.social_space AND l.tenant_id = s.tenant_id)
              AND NOT EXISTS (SELECT 1 FROM payment_order o
                              WHERE o.kind = 'surplus_share' AND o.state IN ('pending', 'approved')
                                AND o.tenant_id = s.tenant_id AND o.social_space = s.social_space
                                AND o.month = make_date(\(year), 12, 1))
            ORDER BY s.social_space, s.tenant_id
            """
        ).map {
            (
                try $0.decode("social_space", as: SocialSpaceCode.self),
                TenantID(try $0.decode("tenant_id", as: UUID.self)),
                Money(cents: try $0.decode("amount", as: Int64.self))
            )
        }
    }

    /// The providers' shares of a Sozialraum's savings in `year` as the caller sees them (a provider its own).
    public static func surplusShares(
        _ tx: TenantTransaction, year: Int, socialSpace: SocialSpaceCode
    ) async throws -> Money {
        Money(
            cents: try await tx.query(
                "SELECT coalesce(sum(amount), 0)::bigint FROM surplus_share WHERE year = \(year) AND social_space = \(socialSpace.rawValue)"
            ).single().value(as: Int64.self))
    }
}
