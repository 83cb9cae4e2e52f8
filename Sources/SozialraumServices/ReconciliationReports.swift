import Logging
import PostgresClient
import SozialraumDomain
import SozialraumProtocol
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reading stored runs, statements, diffs, the year end and the cost-development reports. Every read
/// runs in the caller's tenant context: a provider sees the lines of Sozialräume it serves and only its
/// own statements (RLS).
extension ReconciliationService {
    // MARK: Stored runs

    public func runs(_ caller: Caller, year: Int?) async throws -> ResultTable {
        try caller.require(.county, .auditor, .provider, for: "reading reconciliations")
        let rows = try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await tx.query(
                """
                SELECT r.id, r.scope, to_char(r.first_month, 'YYYY-MM') || '..' || to_char(r.last_month, 'YYYY-MM'),
                       coalesce(r.social_space, '*'), r.ledger_position, left(encode(r.digest, 'hex'), 16), r.requested_by,
                       to_char(r.finished_at AT TIME ZONE 'Europe/Berlin', 'YYYY-MM-DD HH24:MI:SS'), coalesce(r.slot, '')
                FROM reconciliation_run r WHERE $1::int IS NULL OR r.year = $1 ORDER BY r.id DESC LIMIT 1000
                """, [year]
            ).map { row -> [ResultTable.Cell] in
                [
                    .integer(try row.decode(0, as: Int64.self)), .text(try row.decode(1, as: String.self)),
                    .text(try row.decode(2, as: String.self)),
                    .text(try row.decode(3, as: String.self)), .integer(try row.decode(4, as: Int64.self)),
                    .text(try row.decode(5, as: String.self)),
                    .text(try row.decode(6, as: String.self)), .text(try row.decode(7, as: String.self)),
                    .text(try row.decode(8, as: String.self)),
                ]
            }
        }
        return ResultTable(
            columns: ["run", "scope", "months", "sozialraum", "ledger_position", "digest", "by", "finished", "slot"],
            rows: rows)
    }

    /// A stored result of a run: `lines` (lines and pools as of the position), `months`, `transfers`.
    public enum RunPart: String, Sendable, CaseIterable {
        case lines, months, transfers
    }

    public func runResult(
        _ caller: Caller, runID: Int64, part: RunPart, socialSpace: SocialSpaceCode? = nil
    ) async throws -> ResultTable {
        try caller.require(.county, .auditor, .provider, for: "reading reconciliations")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            guard try await tx.query("SELECT 1 FROM reconciliation_run WHERE id = $1", [runID]).count > 0 else {
                throw ServiceError.notFound("run")
            }
            switch part {
            case .lines:
                let rows = try await tx.query(
                    """
                    SELECT social_space, line, appropriation, carry_in, commitments, actuals, available, cover_transfer,
                           available_after_cover, forecast, forecast_available, overrun
                    FROM reconciliation_line WHERE run_id = $1 AND ($2::text IS NULL OR social_space = $2)
                    ORDER BY social_space, line LIKE 'pool:%', array_position(ARRAY['case', 'milieu', 'structure'], line), line
                    """, [runID, socialSpace?.rawValue])
                return ResultTable(
                    columns: [
                        "sozialraum", "line", "appropriation", "carry_in", "commitments", "actuals", "available",
                        "cover_transfer",
                        "after_cover", "forecast", "forecast_available", "overrun",
                    ],
                    rows: try rows.map { row in
                        try [.text(row.decode(0, as: String.self)), .text(row.decode(1, as: String.self))]
                            + (2...11).map {
                                row.isNull($0) ? ResultTable.Cell.null : .amount(try row.decode($0, as: Int64.self))
                            }
                    })
            case .months:
                let rows = try await tx.query(
                    """
                    SELECT social_space, component, to_char(month, 'YYYY-MM'), plan, commitments, actuals, cumulative_plan, cumulative_burn
                    FROM reconciliation_month WHERE run_id = $1 AND ($2::text IS NULL OR social_space = $2)
                    ORDER BY social_space, array_position(ARRAY['case', 'milieu', 'structure'], component::text), month
                    """, [runID, socialSpace?.rawValue])
                return ResultTable(
                    columns: [
                        "sozialraum", "component", "month", "plan", "commitments", "actuals", "cumulative_plan",
                        "cumulative_burn",
                    ],
                    rows: try rows.map { row in
                        try [
                            .text(row.decode(0, as: String.self)), .text(row.decode(1, as: String.self)),
                            .text(row.decode(2, as: String.self)),
                        ]
                            + (3...7).map { ResultTable.Cell.amount(try row.decode($0, as: Int64.self)) }
                    })
            case .transfers:
                let rows = try await tx.query(
                    """
                    SELECT social_space, from_component, to_component, amount FROM reconciliation_transfer
                    WHERE run_id = $1 AND ($2::text IS NULL OR social_space = $2) ORDER BY social_space, position
                    """, [runID, socialSpace?.rawValue])
                return ResultTable(
                    columns: ["sozialraum", "from", "to", "amount"],
                    rows: try rows.map { row in
                        [
                            .text(try row.decode(0, as: String.self)), .text(try row.decode(1, as: String.self)),
                            .text(try row.decode(2, as: String.self)), .amount(try row.decode(3, as: Int64.self)),
                        ]
                    })
            }
        }
    }

    /// What changed between two runs, line by line ("what changed since last night"): only figures that differ.
    public func diff(_ caller: Caller, from earlier: Int64, to later: Int64) async throws -> ResultTable {
        try caller.require(.county, .auditor, .provider, for: "reading reconciliations")
        let rows = try await store.withTenant(caller.tenant, readOnly: true) { tx in
            guard
                try await tx.query(
                    "SELECT count(*)::int FROM reconciliation_run WHERE id IN ($1, $2)", [earlier, later]
                )
                .single().decode(0, as: Int.self) == (earlier == later ? 1 : 2)
            else { throw ServiceError.notFound("run") }
            return try await tx.query(
                """
                SELECT coalesce(b.social_space, a.social_space), coalesce(b.line, a.line), f.field, f.before, f.after
                FROM (SELECT * FROM reconciliation_line WHERE run_id = $1) a
                FULL JOIN (SELECT * FROM reconciliation_line WHERE run_id = $2) b USING (social_space, line)
                CROSS JOIN LATERAL (VALUES
                    ('appropriation', a.appropriation, b.appropriation), ('carry_in', a.carry_in, b.carry_in),
                    ('commitments', a.commitments, b.commitments), ('actuals', a.actuals, b.actuals),
                    ('available', a.available, b.available), ('after_cover', a.available_after_cover, b.available_after_cover),
                    ('forecast', a.forecast, b.forecast), ('overrun', a.overrun, b.overrun)) AS f(field, before, after)
                WHERE f.before IS DISTINCT FROM f.after
                UNION ALL
                SELECT 'statement', t.name, 'balance', sa.balance, sb.balance
                FROM (SELECT * FROM statement WHERE run_id = $1) sa
                FULL JOIN (SELECT * FROM statement WHERE run_id = $2) sb USING (tenant_id)
                JOIN tenant t ON t.id = tenant_id
                WHERE sa.balance IS DISTINCT FROM sb.balance
                ORDER BY 1, 2, 3
                """, [earlier, later]
            ).map { row -> [ResultTable.Cell] in
                let before = try row.decode(3, as: Int64?.self), after = try row.decode(4, as: Int64?.self)
                return [
                    .text(try row.decode(0, as: String.self)), .text(try row.decode(1, as: String.self)),
                    .text(try row.decode(2, as: String.self)),
                    before.map { .amount($0) } ?? .null, after.map { .amount($0) } ?? .null,
                    .amount((after ?? 0) - (before ?? 0)),
                ]
            }
        }
        return ResultTable(columns: ["sozialraum", "line", "field", "before", "after", "change"], rows: rows)
    }

    // MARK: Statements (Abrechnung)

    /// The statements of a run: per provider cost accrued, instalments, settlements and the balance.
    /// A provider sees only its own.
    public func statements(_ caller: Caller, runID: Int64) async throws -> ResultTable {
        try caller.require(.county, .auditor, .provider, for: "reading statements")
        let rows = try await store.withTenant(caller.tenant, readOnly: true) { tx in
            guard try await tx.query("SELECT 1 FROM reconciliation_run WHERE id = $1", [runID]).count > 0 else {
                throw ServiceError.notFound("run")
            }
            return try await tx.query(
                """
                SELECT t.name, s.tenant_id, s.accrued, s.instalments, s.settlements, s.balance
                FROM statement s JOIN tenant t ON t.id = s.tenant_id WHERE s.run_id = $1 ORDER BY t.name
                """, [runID]
            ).map { row -> [ResultTable.Cell] in
                let balance = try row.decode(5, as: Int64.self)
                return [
                    .text(try row.decode(0, as: String.self)),
                    .text(try row.decode(1, as: UUID.self).uuidString.lowercased()),
                    .amount(try row.decode(2, as: Int64.self)), .amount(try row.decode(3, as: Int64.self)),
                    .amount(try row.decode(4, as: Int64.self)), .amount(balance),
                    .text(balance > 0 ? "county pays" : balance < 0 ? "provider repays" : "settled"),
                ]
            }
        }
        return ResultTable(
            columns: ["provider", "tenant", "accrued", "instalments", "settlements", "balance", "due"], rows: rows)
    }

    /// What settling a statement booked.
    public struct Settlement: Sendable, Equatable {
        /// The balance settled: positive when the county pays, negative when the provider repays.
        public var amount: Money
        /// One `settlement` booking per Sozialraum and component with a balance.
        public var bookingIDs: [Int64]
    }

    /// Settles a provider's statement (Schlussabrechnung): books its balance as `settlement` bookings,
    /// one per Sozialraum and component, so that the next statement of the scope balances to zero.
    /// Only a statement that still matches the ledger can be settled: any booking of the provider in
    /// the scope after the run's position (a settlement included) makes it stale.
    public func settle(
        _ caller: Caller, runID: Int64, provider: TenantID, idempotencyKey: IdempotencyKey
    ) async throws -> Settlement {
        try caller.require(.county, for: "settling statements")
        let content = "settle|\(runID)|\(provider)"
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                switch try await BudgetSQL.claim(tx, key: idempotencyKey, content: content) {
                case .conflict: throw ServiceError.idempotencyConflict
                case .replay(let result):
                    let parts = result.split(separator: "|")
                    return Settlement(
                        amount: Money(cents: Int64(parts.first ?? "") ?? 0),
                        bookingIDs: parts.dropFirst().first.map { $0.split(separator: ",").compactMap { Int64($0) } }
                            ?? [])
                case .fresh: break
                }
                guard
                    let statement = try await tx.query(
                        """
                        SELECT r.first_month, r.last_month, r.ledger_position, s.balance
                        FROM statement s JOIN reconciliation_run r ON r.id = s.run_id
                        WHERE s.run_id = $1 AND s.tenant_id = $2
                        """, [runID, provider.uuid]
                    ).first
                else { throw ServiceError.notFound("statement") }
                let first = try statement.day(0).yearMonth, last = try statement.day(1).yearMonth
                let position = try statement.decode(2, as: Int64.self)
                let balance = try statement.decode(3, as: Int64.self)
                // One settlement of a provider at a time; the second finds the first's bookings and stops.
                try await tx.query(
                    "SELECT pg_advisory_xact_lock(hashtext('sozialraum.settle'), hashtext($1::text))",
                    [provider.description])
                let newer = try await tx.query(
                    "SELECT 1 FROM booking WHERE tenant_id = $1 AND service_month BETWEEN $2 AND $3 AND id > $4 LIMIT 1",
                    [provider.uuid, first, last, position])
                guard newer.isEmpty else {
                    throw ServiceError.conflict(
                        "the ledger changed after run \(runID); reconcile again and settle the new statement")
                }
                // The balance per Sozialraum and component, as the statement computes it: cost of
                // grants and projects minus instalments and settlements (reversals count as what they reverse).
                let parts = try await tx.query(
                    """
                    SELECT b.social_space, b.component,
                           sum(CASE WHEN coalesce(o.kind, b.kind) IN ('instalment', 'settlement') THEN -b.amount ELSE b.amount END)::bigint
                    FROM booking b LEFT JOIN booking o ON o.id = b.reverses
                    WHERE b.tenant_id = $1 AND b.service_month BETWEEN $2 AND $3 AND b.id <= $4
                      AND (coalesce(o.kind, b.kind) IN ('instalment', 'settlement')
                           OR (b.kind IN ('delivery', 'project_expense', 'reversal') AND (b.grant_id IS NOT NULL OR b.project_id IS NOT NULL)))
                    GROUP BY b.social_space, b.component
                    ORDER BY b.social_space, b.component
                    """, [provider.uuid, first, last, position]
                ).map {
                    (
                        space: try $0.decode(0, as: String.self), component: try $0.decode(1, as: String.self),
                        amount: try $0.decode(2, as: Int64.self)
                    )
                }
                guard parts.reduce(0, { $0 + $1.amount }) == balance else {
                    logger.error("statement does not match its ledger", metadata: ["run": "\(runID)"])
                    throw ServiceError.conflict("the statement does not match the ledger; reconcile again")
                }
                // Booked in the current open month, for the statement's last month.
                let today = today().yearMonth
                let closed = try await ReferenceDataStore.closedMonths(tx, from: today, through: today.next.next.next)
                let booked: YearMonth
                do throws(BookingPeriod.Refusal) {
                    booked = try BookingPeriod.target(
                        serviceMonth: today, isCorrection: true, closedMonths: closed, today: today)
                } catch { throw ServiceError.conflict(error.description) }
                guard try await ReferenceDataStore.periodExists(tx, booked) else {
                    throw ServiceError.conflict("no open fiscal period \(booked) for the settlement")
                }
                var ids: [Int64] = []
                for part in parts where part.amount != 0 {
                    guard let space = SocialSpaceCode(part.space),
                        let component = BudgetComponent(rawValue: part.component)
                    else { continue }
                    ids.append(
                        try await BudgetSQL.book(
                            tx,
                            .init(
                                tenant: provider, kind: .settlement, bookedMonth: booked, serviceMonth: last,
                                socialSpace: space,
                                component: component, amount: Money(cents: part.amount)),
                            actor: caller.name, requestID: caller.requestID))
                }
                let result = "\(balance)|\(ids.map(String.init).joined(separator: ","))"
                try await BudgetSQL.remember(tx, key: idempotencyKey, content: content, result: result)
                try await tx.audit(caller, "statement.settle", "run", String(runID))
                return Settlement(amount: Money(cents: balance), bookingIDs: ids)
            }
        }
    }

    /// The payment advice of a statement: one item per grant (pseudonymous case key) or project.
    public func statementItems(_ caller: Caller, runID: Int64, provider: TenantID?) async throws -> ResultTable {
        try caller.require(.county, .auditor, .provider, for: "reading statements")
        let rows = try await store.withTenant(caller.tenant, readOnly: true) { tx in
            guard try await tx.query("SELECT 1 FROM reconciliation_run WHERE id = $1", [runID]).count > 0 else {
                throw ServiceError.notFound("run")
            }
            return try await tx.query(
                """
                SELECT t.name, i.item, i.item_id, coalesce(i.case_key, ''), coalesce(i.help_type, ''), coalesce(i.unit, ''),
                       coalesce(i.social_space, ''), i.granted, i.delivered, i.payable, i.cost
                FROM statement_item i JOIN tenant t ON t.id = i.tenant_id
                WHERE i.run_id = $1 AND ($2::uuid IS NULL OR i.tenant_id = $2)
                ORDER BY t.name, i.item, i.case_key, i.item_id
                """, [runID, provider?.uuid]
            ).map { row -> [ResultTable.Cell] in
                let volume = { (column: Int) throws -> ResultTable.Cell in
                    row.isNull(column)
                        ? .null : .text(Quantity(hundredths: try row.decode(column, as: Int64.self)).description)
                }
                return [
                    .text(try row.decode(0, as: String.self)), .text(try row.decode(1, as: String.self)),
                    .text(try row.decode(2, as: UUID.self).uuidString.lowercased()),
                    .text(try row.decode(3, as: String.self)),
                    .text(try row.decode(4, as: String.self)), .text(try row.decode(5, as: String.self)),
                    .text(try row.decode(6, as: String.self)), try volume(7), try volume(8), try volume(9),
                    .amount(try row.decode(10, as: Int64.self)),
                ]
            }
        }
        return ResultTable(
            columns: [
                "provider", "item", "id", "case", "help_type", "unit", "sozialraum", "granted", "delivered", "payable",
                "cost",
            ], rows: rows)
    }

    // MARK: Year end (rule 12)

    public struct YearEndPreview: Sendable {
        public var runID: Int64
        public var proposals: [SocialSpaceCode: YearEndProposal]
        public var table: ResultTable
    }

    /// Runs the whole year and proposes carry-forwards and provider shares. Nothing is applied.
    public func previewYearEnd(_ caller: Caller, year: Int) async throws -> YearEndPreview {
        try caller.require(.county, for: "year-end closing")
        let (summary, results) = try await runWithResults(caller, scope: .year(year), socialSpace: nil, slot: nil)
        let proposals = try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await Self.proposals(
                tx, year: year,
                results: results.reduce(into: [:]) { all, result in
                    all[result.socialSpace] = result.lines.reduce(into: [:]) {
                        $0[$1.component] = $1.availableAfterCover
                    }
                })
        }
        return YearEndPreview(runID: summary.runID, proposals: proposals, table: Self.table(proposals))
    }

    static func proposals(
        _ tx: TenantTransaction, year: Int, results: [SocialSpaceCode: [BudgetComponent: Money]]
    ) async throws -> [SocialSpaceCode: YearEndProposal] {
        let policy = try await tx.query(
            "SELECT provider_surplus_share, carry_forward_allowed FROM fiscal_year WHERE year = $1", [year]
        ).single()
        let basisPoints = try policy.decode(0, as: Int.self), carryAllowed = try policy.decode(1, as: Bool.self)
        var leads: [SocialSpaceCode: [TenantID]] = [:]
        for row in try await tx.query(
            """
            SELECT social_space, tenant_id FROM provider_assignment
            WHERE lead AND valid_from <= make_date($1, 12, 31) AND (valid_to IS NULL OR valid_to >= make_date($1, 12, 31))
            """, [year])
        {
            if let space = SocialSpaceCode(try row.decode(0, as: String.self)) {
                leads[space, default: []].append(TenantID(try row.decode(1, as: UUID.self)))
            }
        }
        return results.reduce(into: [:]) { all, entry in
            all[entry.key] = YearEndProposal(
                resultsAfterCover: entry.value, carryForwardAllowed: carryAllowed,
                providerShareBasisPoints: basisPoints,
                leadProviders: leads[entry.key, default: []])
        }
    }

    static func table(_ proposals: [SocialSpaceCode: YearEndProposal]) -> ResultTable {
        var rows: [[ResultTable.Cell]] = []
        for space in proposals.keys.sorted() {
            let proposal = proposals[space]!
            for line in proposal.lines {
                rows.append([
                    .text(space.rawValue), .text(line.component.rawValue), .amount(line.result.cents),
                    .amount(line.surplus.cents),
                    .amount(line.deficit.cents), .amount(line.providerShare.cents), .amount(line.carryForward.cents),
                    .null,
                ])
            }
            for share in proposal.shares {
                rows.append([
                    .text(space.rawValue), .text("share"), .null, .null, .null, .amount(share.amount.cents), .null,
                    .text(share.provider.description),
                ])
            }
        }
        return ResultTable(
            columns: [
                "sozialraum", "line", "result", "surplus", "deficit", "provider_share", "carry_forward", "provider",
            ], rows: rows)
    }

    /// Applies the year end of a previewed run, once: carry-forwards into the next year and the lead
    /// providers' shares. Refused unless every month of the year is closed and the ledger has not
    /// moved since the run (preview again then).
    public func confirmYearEnd(_ caller: Caller, year: Int, runID: Int64) async throws -> ResultTable {
        try caller.require(.county, for: "year-end closing")
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                try await tx.query("SELECT pg_advisory_xact_lock($1)", [ReconciliationStore.ledgerGate])
                guard try await tx.query("SELECT 1 FROM year_end WHERE year = $1", [year]).isEmpty else {
                    throw ServiceError.duplicate("year end \(year)")
                }
                guard
                    let run = try await tx.query(
                        "SELECT year, scope, first_month, last_month, ledger_position, social_space IS NULL FROM reconciliation_run WHERE id = $1",
                        [runID]
                    ).first
                else { throw ServiceError.notFound("run") }
                guard try run.decode(0, as: Int.self) == year, try run.decode(1, as: String.self) == "year",
                    try run.day(3).yearMonth.month == 12, try run.decode(5, as: Bool.self)
                else {
                    throw ServiceError.invalid(
                        field: "run", reason: "not a whole-year run of \(year) over all Sozialräume")
                }
                let open = try await tx.query(
                    "SELECT to_char(month, 'YYYY-MM') FROM period WHERE year = $1 AND closed_at IS NULL ORDER BY month",
                    [year]
                ).map { try $0.decode(0, as: String.self) }
                guard open.isEmpty else {
                    throw ServiceError.conflict("months still open: \(open.joined(separator: ", "))")
                }
                let position = try await tx.query("SELECT coalesce(max(id), 0)::bigint FROM booking").single().decode(
                    0, as: Int64.self)
                guard position == (try run.decode(4, as: Int64.self)) else {
                    throw ServiceError.conflict("the ledger moved since run \(runID); preview the year end again")
                }
                var results: [SocialSpaceCode: [BudgetComponent: Money]] = [:]
                for row in try await tx.query(
                    "SELECT social_space, line, available_after_cover FROM reconciliation_line WHERE run_id = $1 AND line NOT LIKE 'pool:%'",
                    [runID])
                {
                    if let space = SocialSpaceCode(try row.decode(0, as: String.self)),
                        let component = BudgetComponent(rawValue: try row.decode(1, as: String.self))
                    {
                        results[space, default: [:]][component] = Money(cents: try row.decode(2, as: Int64.self))
                    }
                }
                let proposals = try await Self.proposals(tx, year: year, results: results)
                let carried = proposals.values.contains { $0.lines.contains { $0.carryForward.cents > 0 } }
                if carried, try await tx.query("SELECT 1 FROM fiscal_year WHERE year = $1", [year + 1]).isEmpty {
                    throw ServiceError.conflict(
                        "open the fiscal year \(year + 1) first: it receives the carry-forwards")
                }
                try await tx.execute(
                    "INSERT INTO year_end (year, run_id, confirmed_by) VALUES ($1, $2, $3)", [year, runID, caller.name])
                for (space, proposal) in proposals {
                    for line in proposal.lines where line.carryForward.cents > 0 {
                        let inserted = try await tx.execute(
                            """
                            INSERT INTO carry_forward (year, social_space, component, amount, reason) VALUES ($1, $2, $3, $4, $5)
                            ON CONFLICT DO NOTHING
                            """,
                            [
                                year + 1, space.rawValue, line.component.rawValue, line.carryForward.cents,
                                "Haushaltsrest \(year) (run \(runID))",
                            ])
                        guard inserted == 1 else {
                            throw ServiceError.conflict(
                                "a carry-forward into \(year + 1) for \(space)/\(line.component.rawValue) exists already"
                            )
                        }
                    }
                    for share in proposal.shares {
                        try await tx.execute(
                            "INSERT INTO surplus_share (year, social_space, tenant_id, amount) VALUES ($1, $2, $3, $4)",
                            [year, space.rawValue, share.provider.uuid, share.amount.cents])
                    }
                }
                try await tx.audit(caller, "year_end.confirm", "fiscal_year", String(year))
                return Self.table(proposals)
            }
        }
    }

    // MARK: Population and cost development

    /// Young inhabitants (under 21) of a Sozialraum at the end of a year, for figures per 1,000.
    public func setPopulation(
        _ caller: Caller, year: Int, socialSpace: SocialSpaceCode, youngInhabitants: Int
    ) async throws {
        try caller.require(.county, for: "loading population figures")
        guard (0...10_000_000).contains(youngInhabitants) else {
            throw ServiceError.invalid(field: "inhabitants", reason: "0 to 10000000")
        }
        try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                guard try await ReferenceDataStore.socialSpaceExists(tx, socialSpace) else {
                    throw ServiceError.notFound("Sozialraum \(socialSpace)")
                }
                try await ReferenceDataStore.setPopulation(
                    tx, year: year, socialSpace: socialSpace, youngInhabitants: youngInhabitants)
                try await tx.audit(caller, "population.set", "social_space", socialSpace.rawValue)
            }
        }
    }

    /// Cross-area grants of a year (rule 9): grants whose provider serves outside the Sozialraum the case
    /// lives in, with the recorded reason, per Sozialraum of the case (where it lives on the grant's first
    /// day in the year). Providers see their own grants only (row-level security).
    public func crossAreaGrants(_ caller: Caller, year: Int, socialSpace: SocialSpaceCode?) async throws -> ResultTable
    {
        try caller.require(.county, .auditor, .provider, for: "reading cross-area grants")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            let rows = try await tx.query(
                """
                SELECT s.social_space, t.name, g.id, g.case_key, g.help_type, g.starts_on, least(g.ends_on, coalesce(g.ended_on, g.ends_on)),
                       g.out_of_area_reason
                FROM grant_decision g
                JOIN tenant t ON t.id = g.tenant_id
                CROSS JOIN LATERAL (
                    SELECT coalesce((SELECT r.social_space FROM residence r
                                     WHERE r.case_id = g.case_id AND r.valid_from <= greatest(g.starts_on, make_date($1, 1, 1))
                                     ORDER BY r.valid_from DESC LIMIT 1),
                                    (SELECT r.social_space FROM residence r WHERE r.case_id = g.case_id ORDER BY r.valid_from LIMIT 1))::text
                           AS social_space
                ) s
                WHERE g.out_of_area_reason IS NOT NULL
                  AND g.starts_on <= make_date($1, 12, 31) AND least(g.ends_on, coalesce(g.ended_on, g.ends_on)) >= make_date($1, 1, 1)
                  AND ($2::text IS NULL OR s.social_space = $2)
                ORDER BY s.social_space, t.name, g.starts_on, g.id
                """, [year, socialSpace?.rawValue])
            return ResultTable(
                columns: ["sozialraum", "provider", "grant", "case", "help_type", "from", "to", "reason"],
                rows: try rows.map { row in
                    [
                        .text(try row.decode(0, as: String.self)), .text(try row.decode(1, as: String.self)),
                        .text(try row.decode(2, as: UUID.self).uuidString.lowercased()),
                        .text(try row.decode(3, as: String.self)),
                        .text(try row.decode(4, as: String.self)), .text(try row.day(5).description),
                        .text(try row.day(6).description),
                        .text(try row.decode(7, as: String.self)),
                    ]
                })
        }
    }

    /// Cost development per Sozialraum over the years (the figures the 2003 decision asked for):
    /// case cost in total and per setting, per 1,000 young inhabitants where population is loaded,
    /// the share of milieu and structure spending, grants and their average duration. With
    /// `byHelpType`, one row per help type instead.
    public func costDevelopment(_ caller: Caller, years: ClosedRange<Int>, byHelpType: Bool) async throws -> ResultTable
    {
        try caller.require(.county, .auditor, for: "reading cost reports")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            let rows = try await tx.query(
                """
                WITH costs AS (
                    SELECT extract(year FROM b.service_month)::int AS year, b.social_space, b.component, b.grant_id, sum(b.amount)::bigint AS amount
                    FROM booking b
                    WHERE b.service_month BETWEEN make_date($1, 1, 1) AND make_date($2, 12, 1)
                      AND b.kind IN ('delivery', 'project_expense', 'reversal')
                      AND (b.grant_id IS NOT NULL OR b.project_id IS NOT NULL)
                    GROUP BY 1, 2, 3, 4
                ),
                grants AS (
                    SELECT c.year, c.social_space, c.grant_id, c.amount, h.code AS help_type, h.setting,
                           least(g.ends_on, coalesce(g.ended_on, g.ends_on)) - g.starts_on + 1 AS days
                    FROM costs c JOIN grant_decision g ON g.id = c.grant_id JOIN help_type h ON h.code = g.help_type
                    WHERE c.component = 'case'
                ),
                groups AS (
                    SELECT year, social_space, CASE WHEN $3 THEN help_type ELSE '*' END AS help_type,
                           CASE WHEN $3 THEN min(setting) ELSE '*' END AS setting,
                           sum(amount)::bigint AS case_cost,
                           sum(amount) FILTER (WHERE setting = 'ambulant')::bigint AS ambulant,
                           sum(amount) FILTER (WHERE setting = 'day')::bigint AS day,
                           sum(amount) FILTER (WHERE setting = 'residential')::bigint AS residential,
                           count(DISTINCT grant_id)::bigint AS grants, round(avg(days))::bigint AS average_days
                    FROM grants GROUP BY 1, 2, 3
                ),
                spaces AS (
                    SELECT year, social_space,
                           coalesce(sum(amount) FILTER (WHERE component = 'milieu'), 0)::bigint AS milieu,
                           coalesce(sum(amount) FILTER (WHERE component = 'structure'), 0)::bigint AS structure,
                           coalesce(sum(amount), 0)::bigint AS total
                    FROM costs GROUP BY 1, 2
                )
                SELECT s.year, s.social_space, coalesce(g.help_type, '*'), coalesce(g.setting, '*'), coalesce(g.case_cost, 0),
                       coalesce(g.ambulant, 0), coalesce(g.day, 0), coalesce(g.residential, 0), s.milieu, s.structure,
                       CASE WHEN s.total > 0 THEN (s.milieu + s.structure) * 10000 / s.total END,
                       p.young_inhabitants,
                       CASE WHEN p.young_inhabitants > 0 THEN coalesce(g.case_cost, 0) * 1000 / p.young_inhabitants END,
                       coalesce(g.grants, 0), g.average_days
                FROM spaces s
                LEFT JOIN groups g ON g.year = s.year AND g.social_space = s.social_space
                LEFT JOIN population p ON p.year = s.year AND p.social_space = s.social_space
                ORDER BY 1, 2, 3
                """, [years.lowerBound, years.upperBound, byHelpType])
            return ResultTable(
                columns: [
                    "year", "sozialraum", "help_type", "setting", "case_cost", "ambulant", "day", "residential",
                    "milieu", "structure",
                    "milieu_structure_share", "young_inhabitants", "case_cost_per_1000", "grants", "average_days",
                ],
                rows: try rows.map { row in
                    let optional = { (column: Int) throws -> ResultTable.Cell in
                        row.isNull(column) ? .null : .integer(try row.decode(column, as: Int64.self))
                    }
                    let share: ResultTable.Cell =
                        row.isNull(10) ? .null : .text(Self.percent(basisPoints: try row.decode(10, as: Int64.self)))
                    return [
                        .integer(try row.decode(0, as: Int64.self)), .text(try row.decode(1, as: String.self)),
                        .text(try row.decode(2, as: String.self)),
                        .text(try row.decode(3, as: String.self)), .amount(try row.decode(4, as: Int64.self)),
                        .amount(try row.decode(5, as: Int64.self)),
                        .amount(try row.decode(6, as: Int64.self)), .amount(try row.decode(7, as: Int64.self)),
                        .amount(try row.decode(8, as: Int64.self)),
                        .amount(try row.decode(9, as: Int64.self)), share, try optional(11),
                        row.isNull(12) ? .null : .amount(try row.decode(12, as: Int64.self)),
                        .integer(try row.decode(13, as: Int64.self)),
                        try optional(14),
                    ]
                })
        }
    }

    /// 1234 basis points → "12.34%" (rounded down).
    static func percent(basisPoints: Int64) -> String {
        let whole = basisPoints / 100, rest = basisPoints % 100
        return "\(whole).\(rest < 10 ? "0" : "")\(rest)%"
    }

    // MARK: Chart

    /// The budget-burn chart of a Sozialraum from a run (the latest whole-year run when `runID` is nil).
    public func burnChart(
        _ caller: Caller, socialSpace: SocialSpaceCode, year: Int, runID: Int64?
    ) async throws -> String {
        try caller.require(.county, .auditor, .provider, for: "reading reconciliations")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            guard
                let run = try await tx.query(
                    """
                    SELECT id, ledger_position FROM reconciliation_run
                    WHERE ($1::bigint IS NULL OR id = $1) AND year = $2 AND (social_space IS NULL OR social_space = $3)
                    ORDER BY (last_month - first_month) DESC, id DESC LIMIT 1
                    """, [runID, year, socialSpace.rawValue]
                ).first
            else { throw ServiceError.notFound("run") }
            let id = try run.decode(0, as: Int64.self)
            let rows = try await tx.query(
                """
                SELECT extract(month FROM month)::int, sum(plan)::bigint, sum(actuals)::bigint, sum(commitments)::bigint
                FROM reconciliation_month WHERE run_id = $1 AND social_space = $2 GROUP BY month ORDER BY month
                """, [id, socialSpace.rawValue])
            guard !rows.isEmpty else { throw ServiceError.notFound("budget") }
            let total = try await tx.query(
                """
                SELECT coalesce(sum(appropriation + carry_in), 0)::bigint FROM reconciliation_line
                WHERE run_id = $1 AND social_space = $2 AND line NOT LIKE 'pool:%'
                """, [id, socialSpace.rawValue]
            ).single().decode(0, as: Int64.self)
            var months: [BurnChart.Month] = []
            for row in rows {
                months.append(
                    BurnChart.Month(
                        month: try row.decode(0, as: Int.self), plan: Money(cents: try row.decode(1, as: Int64.self)),
                        actuals: Money(cents: try row.decode(2, as: Int64.self)),
                        commitments: Money(cents: try row.decode(3, as: Int64.self))))
            }
            return BurnChart(
                title: "\(socialSpace) \(year): Ansatz vs. Ist + Obligo (run \(id))",
                appropriation: Money(cents: total), months: months
            ).svg()
        }
    }
}
