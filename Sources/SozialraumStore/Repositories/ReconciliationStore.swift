import Logging
import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The SQL of a reconciliation run (rule 13): the ledger gate, the line inputs from the totals the
/// ledger's triggers keep, the statement items in one set-based pass, the stored results, and the
/// findings, each recorded once per fact.
public enum ReconciliationStore {
    /// The advisory lock of the ledger gate (sql/0004_reconciliation.sql).
    public static let ledgerGate: Int64 = 7_405_213_001

    /// The run a scheduler slot made already, if any (a retry returns it instead of running again).
    public static func run(_ tx: TenantTransaction, slot: String) async throws -> Int64? {
        try await tx.query("SELECT id FROM reconciliation_run WHERE slot = $1", [slot]).first?.decode(0, as: Int64.self)
    }

    /// Takes the ledger gate exclusively for the transaction: every booking at or below the position is
    /// committed and none can follow until it ends.
    public static func closeLedgerGate(_ tx: TenantTransaction) async throws {
        try await tx.execute("SET LOCAL lock_timeout = '60s'")
        try await tx.query("SELECT pg_advisory_xact_lock($1)", [ledgerGate])
    }

    /// The highest booking id: the ledger position of a run.
    public static func ledgerPosition(_ tx: TenantTransaction) async throws -> Int64 {
        try await tx.query("SELECT coalesce(max(id), 0)::bigint FROM booking").single().decode(0, as: Int64.self)
    }

    /// The canonical text of the statement items (as their sha256) and statements, for the run's digest.
    public static func statementsCanonicalText(_ tx: TenantTransaction) async throws -> String {
        var text = try await tx.query(
            """
            SELECT coalesce(encode(sha256(convert_to(string_agg(
                       concat_ws('|', tenant_id, item, item_id, case_key, help_type, unit, social_space, granted, delivered, payable, cost),
                       E'\\n' ORDER BY tenant_id, item_id), 'UTF8')), 'hex'), '')
            FROM run_items
            """
        ).single().decode(0, as: String.self)
        text += try await tx.query(
            """
            SELECT coalesce(string_agg(concat_ws('|', 'S', tenant_id, accrued, instalments, settlements, balance), E'\n'
                                       ORDER BY tenant_id), '')
            FROM run_statements
            """
        ).single().decode(0, as: String.self)
        return text
    }

    /// Records a run; returns its id.
    public static func insertRun(
        _ tx: TenantTransaction, scope: ReconciliationScope, socialSpace: SocialSpaceCode?, position: Int64,
        runDay: Day, digest: String,
        slot: String?, requestedBy: String, startedAt: Date
    ) async throws -> Int64 {
        try await tx.query(
            """
            INSERT INTO reconciliation_run (year, scope, first_month, last_month, social_space, ledger_position, run_day,
                                            digest, slot, requested_by, started_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, decode($8, 'hex'), $9, $10, $11) RETURNING id
            """,
            [
                scope.year, scope.kind.rawValue, scope.first, scope.last, socialSpace?.rawValue, position, runDay,
                digest, slot, requestedBy,
                startedAt,
            ]
        ).single().decode(0, as: Int64.self)
    }

    /// The stored summary of a run.
    public static func summary(_ tx: TenantTransaction, runID: Int64) async throws -> ReconciliationRunSummary? {
        guard
            let row = try await tx.query(
                """
                SELECT r.scope, to_char(r.first_month, 'YYYY-MM'), to_char(r.last_month, 'YYYY-MM'), r.social_space, r.ledger_position,
                       encode(r.digest, 'hex'),
                       (SELECT max(e.id) FROM reconciliation_run e WHERE e.id < r.id AND e.first_month = r.first_month
                          AND e.last_month = r.last_month AND e.social_space IS NOT DISTINCT FROM r.social_space
                          AND e.ledger_position = r.ledger_position AND e.digest = r.digest)
                FROM reconciliation_run r WHERE r.id = $1
                """, [runID]
            ).first
        else { return nil }
        guard let kind = ReconciliationScope.Kind(rawValue: try row.decode(0, as: String.self)),
            let first = YearMonth(iso: try row.decode(1, as: String.self)),
            let last = YearMonth(iso: try row.decode(2, as: String.self)),
            let scope = ReconciliationScope(kind: kind, first: first, last: last, validating: ())
        else { throw PostgresError(code: .decodingFailed, serverMessage: "stored run unreadable", operation: "decode") }
        let overruns = try await tx.query(
            "SELECT social_space || '/' || line, overrun FROM reconciliation_line WHERE run_id = $1 AND overrun > 0 AND line NOT LIKE 'pool:%'",
            [runID])
        return ReconciliationRunSummary(
            runID: runID, scope: scope,
            socialSpace: try row.decode(3, as: String?.self).flatMap { SocialSpaceCode($0) },
            ledgerPosition: try row.decode(4, as: Int64.self), digest: try row.decode(5, as: String.self),
            newFindings: 0,
            overruns: Dictionary(
                uniqueKeysWithValues: try overruns.map {
                    (try $0.decode(0, as: String.self), Money(cents: try $0.decode(1, as: Int64.self)))
                }),
            sameAs: try row.decode(6, as: Int64?.self), replayed: false)
    }

    /// Reads the inputs of every line (few rows: the totals the ledger keeps) and does the cover
    /// arithmetic per Sozialraum in the domain.
    public static func lineResults(
        _ tx: TenantTransaction, scope: ReconciliationScope, socialSpace: SocialSpaceCode?
    ) async throws -> [SocialSpaceReconciliation] {
        let yearStart = YearMonth.months(of: scope.year).first!, yearEnd = YearMonth.months(of: scope.year).last!
        let rows = try await tx.query(
            """
            SELECT 'a', social_space, component, NULL::text, amount FROM appropriation WHERE year = $1 AND ($4::text IS NULL OR social_space = $4)
            UNION ALL
            SELECT 'c', social_space, component, NULL, amount FROM carry_forward WHERE year = $1 AND ($4::text IS NULL OR social_space = $4)
            UNION ALL
            SELECT 'x', social_space, component, to_char(service_month, 'YYYY-MM'), sum(amount)::bigint FROM ledger_total
            WHERE service_month BETWEEN $2 AND $3 AND kind IN ('delivery', 'project_expense', 'opening') AND ($4::text IS NULL OR social_space = $4)
            GROUP BY social_space, component, service_month
            UNION ALL
            SELECT 'm', social_space, 'case', to_char(month, 'YYYY-MM'), sum(amount)::bigint FROM commitment_total
            WHERE month BETWEEN $2 AND $3 AND ($4::text IS NULL OR social_space = $4)
            GROUP BY social_space, month
            """, [scope.year, yearStart, yearEnd, socialSpace?.rawValue])
        var ledgers: [SocialSpaceCode: [BudgetComponent: LineLedger]] = [:]
        for row in rows {
            guard let space = SocialSpaceCode(try row.decode(1, as: String.self)),
                let component = BudgetComponent(rawValue: try row.decode(2, as: String.self))
            else { continue }
            let amount = Money(cents: try row.decode(4, as: Int64.self))
            let month = try row.decode(3, as: String?.self).flatMap { YearMonth(iso: $0) }
            switch try row.decode(0, as: String.self) {
            case "a": ledgers[space, default: [:]][component, default: LineLedger()].appropriation = amount
            case "c": ledgers[space, default: [:]][component, default: LineLedger()].carryIn = amount
            case "x": ledgers[space, default: [:]][component, default: LineLedger()].actuals[month!] = amount
            default: ledgers[space, default: [:]][component, default: LineLedger()].commitments[month!] = amount
            }
        }
        let pools = try await coverPools(tx, year: scope.year)
        return ledgers.keys.sorted().map { space in
            SocialSpaceReconciliation(socialSpace: space, scope: scope, ledger: ledgers[space]!, coverPools: pools)
        }
    }

    public static func coverPools(_ tx: TenantTransaction, year: Int) async throws -> CoverPools {
        let members = try await tx.query("SELECT pool, component FROM cover_pool_member WHERE year = $1", [year])
            .compactMap { row in
                try BudgetComponent(rawValue: row.decode(1, as: String.self)).map {
                    (pool: try row.decode(0, as: Int.self), component: $0)
                }
            }
        return CoverPools(numbered: members)
    }

    /// Stores lines, pools, months and transfers, one INSERT per table (rows as one JSON parameter).
    public static func store(
        _ tx: TenantTransaction, runID: Int64, year: Int, results: [SocialSpaceReconciliation]
    ) async throws {
        struct LineRow: Encodable {
            let social_space: String, line: String, appropriation: Int64, carry_in: Int64, commitments: Int64,
                actuals: Int64
            let available: Int64, cover_transfer: Int64?, available_after_cover: Int64, forecast: Int64,
                forecast_available: Int64, overrun: Int64
        }
        struct MonthRow: Encodable {
            let social_space: String, component: String, month: String, plan: Int64, commitments: Int64, actuals: Int64
            let cumulative_plan: Int64, cumulative_burn: Int64
        }
        struct TransferRow: Encodable {
            let social_space: String, position: Int, from_component: String, to_component: String, amount: Int64
        }
        var lines: [LineRow] = [], months: [MonthRow] = [], transfers: [TransferRow] = []
        for result in results {
            let space = result.socialSpace.rawValue
            for line in result.lines {
                let f = line.funds
                lines.append(
                    LineRow(
                        social_space: space, line: line.component.rawValue, appropriation: f.appropriation.cents,
                        carry_in: f.carryIn.cents,
                        commitments: f.commitments.cents, actuals: f.actuals.cents, available: f.available.cents,
                        cover_transfer: line.coverTransfer.cents, available_after_cover: line.availableAfterCover.cents,
                        forecast: line.forecast.cents, forecast_available: line.forecastAvailable.cents,
                        overrun: line.overrun.cents))
            }
            for pool in result.pools {
                let f = pool.funds
                lines.append(
                    LineRow(
                        social_space: space, line: "pool:" + pool.name, appropriation: f.appropriation.cents,
                        carry_in: f.carryIn.cents,
                        commitments: f.commitments.cents, actuals: f.actuals.cents, available: f.available.cents,
                        cover_transfer: nil,
                        available_after_cover: f.available.cents, forecast: pool.forecast.cents,
                        forecast_available: pool.forecastAvailable.cents, overrun: pool.overrun.cents))
            }
            for month in result.months {
                months.append(
                    MonthRow(
                        social_space: space, component: month.component.rawValue, month: "\(month.month)-01",
                        plan: month.plan.cents,
                        commitments: month.commitments.cents, actuals: month.actuals.cents,
                        cumulative_plan: month.cumulativePlan.cents,
                        cumulative_burn: month.cumulativeActualsAndCommitments.cents))
            }
            for (position, transfer) in result.transfers.enumerated() {
                transfers.append(
                    TransferRow(
                        social_space: space, position: position + 1, from_component: transfer.from.rawValue,
                        to_component: transfer.to.rawValue, amount: transfer.amount.cents))
            }
        }
        let encoder = JSONEncoder()
        try await tx.execute(
            """
            INSERT INTO reconciliation_line
            SELECT $1, $2, r.* FROM json_to_recordset($3::json) AS r(social_space text, line text, appropriation bigint, carry_in bigint,
                commitments bigint, actuals bigint, available bigint, cover_transfer bigint, available_after_cover bigint, forecast bigint,
                forecast_available bigint, overrun bigint)
            """, [runID, year, String(decoding: try encoder.encode(lines), as: UTF8.self)])
        try await tx.execute(
            """
            INSERT INTO reconciliation_month
            SELECT $1, $2, r.social_space, r.component, r.month::date, r.plan, r.commitments, r.actuals, r.cumulative_plan, r.cumulative_burn
            FROM json_to_recordset($3::json) AS r(social_space text, component text, month text, plan bigint, commitments bigint,
                actuals bigint, cumulative_plan bigint, cumulative_burn bigint)
            """, [runID, year, String(decoding: try encoder.encode(months), as: UTF8.self)])
        if !transfers.isEmpty {
            try await tx.execute(
                """
                INSERT INTO reconciliation_transfer
                SELECT $1, $2, r.* FROM json_to_recordset($3::json)
                    AS r(social_space text, position int, from_component text, to_component text, amount bigint)
                """, [runID, year, String(decoding: try encoder.encode(transfers), as: UTF8.self)])
        }
    }

    /// One pass over the scope's bookings (cost per grant and project, as of the position) and
    /// deliveries (volumes), into a temporary table the statements and findings read.
    public static func computeStatementItems(
        _ tx: TenantTransaction, scope: ReconciliationScope, position: Int64
    ) async throws {
        try await tx.execute(
            """
            CREATE TEMPORARY TABLE run_items ON COMMIT DROP AS
            WITH costs AS (
                SELECT b.grant_id, b.project_id, sum(b.amount)::bigint AS cost,
                       min(b.service_month) AS first_month, max(b.service_month) AS last_month
                FROM booking b
                WHERE b.service_month BETWEEN $1 AND $2 AND b.id <= $3
                  AND (b.grant_id IS NOT NULL OR b.project_id IS NOT NULL)
                  AND b.kind IN ('delivery', 'project_expense', 'reversal')
                GROUP BY b.grant_id, b.project_id
            ),
            delivered AS (
                SELECT d.grant_id, sum(d.quantity)::bigint AS delivered, sum(d.payable)::bigint AS payable
                FROM active_delivery d WHERE d.month BETWEEN $1 AND $2 GROUP BY d.grant_id
            ),
            -- Granted volume in the scope: full months count whole; only the first and the last month
            -- of grant ∩ scope can be partial (covered days / days of the month, rounded down, as the
            -- domain's GrantTerms.grantedVolume does month by month).
            spans AS (
                SELECT g.id, g.volume_per_month AS volume,
                       greatest(g.starts_on, $1::date) AS first_day,
                       least(g.ends_on, coalesce(g.ended_on, g.ends_on), ($2::date + interval '1 month - 1 day')::date) AS last_day
                FROM grant_decision g
                WHERE g.starts_on <= ($2::date + interval '1 month - 1 day')::date
                  AND g.ends_on >= $1::date AND least(g.ends_on, coalesce(g.ended_on, g.ends_on)) >= $1::date
            ),
            months AS (
                SELECT id, volume, first_day, last_day,
                       date_trunc('month', first_day)::date AS first_month, date_trunc('month', last_day)::date AS last_month
                FROM spans WHERE first_day <= last_day
            ),
            granted AS (
                SELECT id,
                       CASE WHEN first_month = last_month THEN
                           volume * (last_day - first_day + 1) / ((first_month + interval '1 month')::date - first_month)
                       ELSE
                           volume * ((first_month + interval '1 month')::date - first_day) / ((first_month + interval '1 month')::date - first_month)
                           + volume * (last_day - last_month + 1) / ((last_month + interval '1 month')::date - last_month)
                           + volume * ((extract(year FROM last_month)::int * 12 + extract(month FROM last_month)::int)
                                       - (extract(year FROM first_month)::int * 12 + extract(month FROM first_month)::int) - 1)
                       END AS granted
                FROM months
            ),
            -- A grant's Sozialraum is where its case lives on the last day it covers in the scope (rule 9:
            -- also for a provider serving outside its area); before the first residence, the first one.
            -- One pass over grants and residences (a lookup per grant cost more than the items).
            homes AS (
                SELECT DISTINCT ON (g.id) g.id, r.social_space
                FROM grant_decision g
                JOIN residence r ON r.case_id = g.case_id
                CROSS JOIN LATERAL (
                    SELECT least(g.ends_on, coalesce(g.ended_on, g.ends_on), ($2::date + interval '1 month - 1 day')::date) AS day
                ) d
                ORDER BY g.id, (r.valid_from <= d.day) DESC,
                         CASE WHEN r.valid_from <= d.day THEN d.day - r.valid_from ELSE r.valid_from - d.day END
            )
            SELECT g.tenant_id, 'grant'::text AS item, g.id AS item_id, g.case_key, g.help_type, g.unit,
                   h.social_space::text AS social_space,
                   coalesce(gr.granted, 0) AS granted, coalesce(d.delivered, 0) AS delivered, coalesce(d.payable, 0) AS payable,
                   coalesce(c.cost, 0) AS cost, c.first_month, c.last_month
            FROM grant_decision g
            LEFT JOIN granted gr ON gr.id = g.id
            LEFT JOIN homes h ON h.id = g.id
            LEFT JOIN delivered d ON d.grant_id = g.id
            LEFT JOIN costs c ON c.grant_id = g.id
            WHERE gr.id IS NOT NULL OR d.grant_id IS NOT NULL OR c.grant_id IS NOT NULL
            UNION ALL
            SELECT p.tenant_id, 'project', p.id, NULL, NULL, NULL, p.social_space, NULL, NULL, NULL, c.cost, c.first_month, c.last_month
            FROM costs c JOIN project p ON p.id = c.project_id
            WHERE c.grant_id IS NULL
            """, [scope.first, scope.last, position])
        // Per provider: cost accrued (the items) against instalments and settlements paid for the scope.
        try await tx.execute(
            """
            CREATE TEMPORARY TABLE run_statements ON COMMIT DROP AS
            SELECT parts.tenant_id, sum(accrued)::bigint AS accrued, sum(instalments)::bigint AS instalments,
                   sum(settlements)::bigint AS settlements, (sum(accrued) - sum(instalments) - sum(settlements))::bigint AS balance
            FROM (
                SELECT tenant_id, cost AS accrued, 0 AS instalments, 0 AS settlements FROM run_items
                UNION ALL
                SELECT t.tenant_id, 0, CASE WHEN t.kind = 'instalment' THEN t.amount ELSE 0 END,
                       CASE WHEN t.kind = 'settlement' THEN t.amount ELSE 0 END
                FROM ledger_total t
                WHERE t.service_month BETWEEN $1 AND $2 AND t.kind IN ('instalment', 'settlement')
            ) parts
            JOIN tenant t ON t.id = parts.tenant_id WHERE t.kind = 'provider'
            GROUP BY parts.tenant_id
            """, [scope.first, scope.last])
    }

    /// Stores the statements and their items computed by `computeStatementItems`.
    public static func storeStatements(_ tx: TenantTransaction, runID: Int64) async throws {
        try await tx.execute(
            """
            INSERT INTO statement_item
            SELECT $1, tenant_id, item, item_id, case_key, help_type, unit, social_space, granted, delivered, payable, cost FROM run_items
            """, [runID])
        try await tx.execute("INSERT INTO statement SELECT $1, * FROM run_statements", [runID])
    }

    /// The findings of rule 13, found set-based and recorded once per fact.
    public static func findFacts(
        _ tx: TenantTransaction, runID: Int64, scope: ReconciliationScope, runDay: Day, logger: Logger
    ) async throws -> Int {
        // Each check's time at debug level, next to the phase timings.
        func check(_ kind: String, _ sql: String, _ binds: [any PostgresEncodable]) async throws -> Int {
            let start = ContinuousClock.now
            let found = try await tx.execute(sql, binds)
            logger.debug(
                "reconciliation check",
                metadata: ["kind": "\(kind)", "found": "\(found)", "duration": "\(ContinuousClock.now - start)"])
            return found
        }
        // A month's delivery is due by the end of the following month.
        let dueBefore = runDay.yearMonth.previous
        var found = 0
        found += try await check(
            "missing_delivery",
            """
            INSERT INTO finding (id, tenant_id, kind, month, grant_id, amount, run_id)
            SELECT gen_random_uuid(), c.tenant_id, 'missing_delivery', c.month, c.grant_id, sum(c.amount), $1
            FROM commitment c
            WHERE NOT c.released AND c.amount > 0 AND c.month BETWEEN $2 AND $3 AND c.month < $4
            GROUP BY c.tenant_id, c.month, c.grant_id
            ON CONFLICT DO NOTHING
            """, [runID, scope.first, scope.last, dueBefore])
        found += try await check(
            "booking_outside_grant_period",
            """
            INSERT INTO finding (id, tenant_id, kind, month, grant_id, amount, run_id)
            SELECT gen_random_uuid(), i.tenant_id, 'booking_outside_grant_period', o.month, i.item_id, i.cost, $1
            FROM run_items i JOIN grant_decision g ON g.id = i.item_id
            CROSS JOIN LATERAL (VALUES (i.first_month), (i.last_month)) AS o(month)
            WHERE i.item = 'grant' AND o.month IS NOT NULL
              AND (o.month < date_trunc('month', g.starts_on)
                   OR o.month > date_trunc('month', least(g.ends_on, coalesce(g.ended_on, g.ends_on))))
            ON CONFLICT DO NOTHING
            """, [runID])
        // Two grants of one help for one case and provider are rare: look for their deliveries only
        // then (the pair query under row-level security costs more than this count).
        let hasTwins = try await tx.query(
            """
            SELECT count(*) > 0 FROM (
                SELECT 1 FROM grant_decision WHERE ends_on >= $1::date AND starts_on <= ($2::date + interval '1 month - 1 day')::date
                GROUP BY case_id, help_type, tenant_id HAVING count(*) > 1) twins
            """, [scope.first, scope.last]
        ).single().decode(0, as: Bool.self)
        if hasTwins {
            found += try await check(
                "duplicate_delivery",
                """
                INSERT INTO finding (id, tenant_id, kind, month, grant_id, delivery_id, quantity, amount, run_id)
                -- Pairs of grants of one help for one case and provider first (rare), then their deliveries.
                -- Two deliveries of one month lie in both grants' periods: only grants in the scope count.
                -- (Filters on the table itself, not a materialised CTE: the planner needs the table's
                -- statistics to choose hash joins.)
                WITH pairs AS MATERIALIZED (
                    SELECT g1.id AS earlier, g2.id AS later
                    FROM grant_decision g1
                    JOIN grant_decision g2 ON g2.case_id = g1.case_id AND g2.help_type = g1.help_type AND g2.tenant_id = g1.tenant_id
                         AND (g2.created_at, g2.id) > (g1.created_at, g1.id)
                    WHERE g1.ends_on >= $2::date AND g1.starts_on <= ($3::date + interval '1 month - 1 day')::date
                      AND g2.ends_on >= $2::date AND g2.starts_on <= ($3::date + interval '1 month - 1 day')::date
                )
                SELECT gen_random_uuid(), d2.tenant_id, 'duplicate_delivery', d2.month, d2.grant_id, d2.id, d2.quantity, d2.cost, $1
                FROM pairs
                CROSS JOIN LATERAL (SELECT * FROM active_delivery d WHERE d.grant_id = pairs.later AND d.month BETWEEN $2 AND $3) d2
                WHERE EXISTS (SELECT 1 FROM active_delivery d1 WHERE d1.grant_id = pairs.earlier AND d1.month = d2.month)
                ON CONFLICT DO NOTHING
                """, [runID, scope.first, scope.last])
        }
        found += try await check(
            "rate_missing",
            """
            INSERT INTO finding (id, tenant_id, kind, month, grant_id, run_id)
            SELECT gen_random_uuid(), g.tenant_id, 'rate_missing', date_trunc('month', s.day)::date, g.id, $1
            FROM grant_decision g
            CROSS JOIN LATERAL (SELECT greatest(g.starts_on, $2::date) AS day) s
            WHERE g.starts_on <= ($3::date + interval '1 month - 1 day')::date AND g.ends_on >= $2::date
              AND least(g.ends_on, coalesce(g.ended_on, g.ends_on)) >= greatest(g.starts_on, $2::date)
              AND NOT EXISTS (SELECT 1 FROM rate_agreement r WHERE r.tenant_id = g.tenant_id AND r.help_type = g.help_type
                              AND r.unit = g.unit AND r.valid_from <= s.day)
            ON CONFLICT DO NOTHING
            """, [runID, scope.first, scope.last])
        found += try await check(
            "out_of_area_without_reason",
            """
            INSERT INTO finding (id, tenant_id, kind, month, grant_id, social_space, run_id)
            -- Whole residence histories of the scope's cases only (a stay ends where the next begins),
            -- so that ten years of history are not read for one year. (With every case in the scope,
            -- reading all stays would be faster under row-level security: 0.5 s against 0.8 s at
            -- 100,000 grants; with nine earlier years around, the scoped form is twice as fast.)
            WITH stays AS (
                SELECT case_id, social_space, valid_from,
                       coalesce(lead(valid_from) OVER (PARTITION BY case_id ORDER BY valid_from) - 1, DATE '9999-12-31') AS valid_to
                FROM residence
                WHERE case_id IN (SELECT case_id FROM grant_decision
                                  WHERE out_of_area_reason IS NULL AND ends_on >= $2::date
                                    AND starts_on <= ($3::date + interval '1 month - 1 day')::date)
            ),
            served AS (
                SELECT g.id, g.tenant_id, r.social_space,
                       greatest(r.valid_from, g.starts_on, $2::date) AS first_day,
                       least(r.valid_to, g.ends_on, coalesce(g.ended_on, g.ends_on), ($3::date + interval '1 month - 1 day')::date) AS last_day
                FROM grant_decision g JOIN stays r ON r.case_id = g.case_id
                WHERE g.out_of_area_reason IS NULL AND g.ends_on >= $2::date
                  AND g.starts_on <= ($3::date + interval '1 month - 1 day')::date
            )
            SELECT gen_random_uuid(), o.tenant_id, 'out_of_area_without_reason', date_trunc('month', o.first_day)::date, o.id,
                   o.social_space, $1
            FROM served o
            WHERE o.first_day <= o.last_day
              AND NOT EXISTS (SELECT 1 FROM provider_assignment a WHERE a.tenant_id = o.tenant_id AND a.social_space = o.social_space
                              AND a.valid_from <= o.last_day AND (a.valid_to IS NULL OR a.valid_to >= o.first_day))
            ON CONFLICT DO NOTHING
            """, [runID, scope.first, scope.last])
        return found
    }

    /// A line overspent after cover is a finding of the county's (uncovered overrun), unless the county
    /// has decided on at least that much of the line's overrun in the year (sql/0020).
    public static func recordOverruns(
        _ tx: TenantTransaction, runID: Int64, scope: ReconciliationScope, results: [SocialSpaceReconciliation],
        county: TenantID
    ) async throws -> Int {
        var found = 0
        for result in results {
            for line in result.lines where line.overrun.cents > 0 {
                found += try await tx.execute(
                    """
                    INSERT INTO finding (id, tenant_id, kind, month, social_space, component, amount, run_id)
                    SELECT gen_random_uuid(), $1::uuid, 'uncovered_overrun', $2::date, $3::text, $4::text, $5::bigint,
                           $6::bigint
                    WHERE $5::bigint > (SELECT coalesce(sum(d.amount), 0) FROM overrun_decision d
                                        WHERE d.year = extract(year FROM $2::date)::int AND d.social_space = $3::text
                                          AND d.component = $4::text)
                    ON CONFLICT DO NOTHING
                    """,
                    [
                        county.uuid, scope.last, result.socialSpace.rawValue, line.component.rawValue,
                        line.overrun.cents, runID,
                    ])
            }
        }
        return found
    }

}
