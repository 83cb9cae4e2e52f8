import Logging
import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The SQL of a reconciliation run (rule 13): the ledger gate, the line inputs from the totals the
/// ledger's triggers keep, the providers' statement figures in one set-based pass, the stored results,
/// and the findings, each recorded once per fact. A run stores no statement items (`StatementStore`).
public enum ReconciliationStore {
    /// The advisory lock of the ledger gate (sql/0004_reconciliation.sql).
    public static let ledgerGate: Int64 = 7_405_213_001

    /// The run a scheduler slot made already, if any (a retry returns it instead of running again).
    public static func run(_ tx: TenantTransaction, slot: String) async throws -> Int64? {
        try await tx.query("SELECT id FROM reconciliation_run WHERE slot = \(slot)").first?.decode(
            "id", as: Int64.self)
    }

    /// Takes the ledger gate exclusively for the transaction: every booking at or below the position is
    /// committed and none can follow until it ends.
    public static func closeLedgerGate(_ tx: TenantTransaction) async throws {
        try await tx.execute("SET LOCAL lock_timeout = '60s'")
        // A run is one batch at a time (the gate is exclusive): its aggregates and joins over a year of
        // bookings (100,000 groups at 1,000,000 lines) stay in memory instead of spilling at the default
        // 4 MB (Benchmarks/README.md: statement figures 1.26 s → 0.80 s at 1,000,000 lines).
        try await tx.execute("SET LOCAL work_mem = '64MB'")
        // The bookings aggregate took 0.70–0.82 s with JIT, 0.58–0.68 s without; a full out-of-area check
        // spent 1.1 s compiling alone.
        try await tx.turnOffJIT()
        try await tx.query("SELECT pg_advisory_xact_lock(\(ledgerGate))")
    }

    /// The highest booking id: the ledger position of a run.
    public static func ledgerPosition(_ tx: TenantTransaction) async throws -> Int64 {
        try await tx.query("SELECT coalesce(max(id), 0)::bigint FROM booking").single().value(as: Int64.self)
    }

    /// The highest change position (grants, residences, deliveries: sql/0022); 0 before the first.
    public static func changePosition(_ tx: TenantTransaction) async throws -> Int64 {
        try await tx.query("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM change_position")
            .single().value(as: Int64.self)
    }

    /// The change position as of which the newest earlier run of the same scope over all Sozialräume found
    /// every fact (sql/0023), if there is one.
    public static func findingsBase(_ tx: TenantTransaction, scope: ReconciliationScope) async throws -> Int64? {
        try await tx.query(
            """
            SELECT findings_position FROM reconciliation_run
            WHERE first_month = \(scope.first) AND last_month = \(scope.last) AND social_space IS NULL AND findings_position IS NOT NULL
            ORDER BY id DESC LIMIT 1
            """
        ).first?.decode("findings_position", as: Int64.self)
    }

    /// The canonical text of the provider statements' figures, for the run's digest.
    public static func statementsCanonicalText(_ tx: TenantTransaction) async throws -> String {
        try await tx.query(
            """
            SELECT coalesce(string_agg(concat_ws('|', 'S', tenant_id, accrued, instalments, settlements, balance), E'\n'
                                       ORDER BY tenant_id), '')
            FROM run_statements
            """
        ).single().value(as: String.self)
    }

    /// Records a run; returns its id.
    public static func insertRun(
        _ tx: TenantTransaction, scope: ReconciliationScope, socialSpace: SocialSpaceCode?, position: Int64,
        changePosition: Int64, runDay: Day, digest: String,
        slot: String?, requestedBy: String, startedAt: Date
    ) async throws -> Int64 {
        // A run over all Sozialräume finds every fact of its scope: complete as of its change position.
        try await tx.query(
            """
            INSERT INTO reconciliation_run (year, scope, first_month, last_month, social_space, ledger_position, run_day,
                                            digest, slot, requested_by, started_at, change_position, retention,
                                            findings_position)
            VALUES (\(scope.year), \(scope.kind.rawValue), \(scope.first), \(scope.last), \(socialSpace?.rawValue), \(position), \(runDay), decode(\(digest), 'hex'), \(slot), \(requestedBy), \(startedAt), \(changePosition), \(RunRetention.of(scope, runDay: runDay).rawValue), \(socialSpace == nil ? changePosition : nil)) RETURNING id
            """
        ).single().decode("id", as: Int64.self)
    }

    /// The stored summary of a run.
    public static func summary(_ tx: TenantTransaction, runID: Int64) async throws -> ReconciliationRunSummary? {
        guard
            let row = try await tx.query(
                """
                SELECT r.scope, to_char(r.first_month, 'YYYY-MM') AS first_month, to_char(r.last_month, 'YYYY-MM') AS last_month,
                       r.social_space, r.ledger_position, encode(r.digest, 'hex') AS digest,
                       (SELECT max(e.id) FROM reconciliation_run e WHERE e.id < r.id AND e.first_month = r.first_month
                          AND e.last_month = r.last_month AND e.social_space IS NOT DISTINCT FROM r.social_space
                          AND e.ledger_position = r.ledger_position AND e.digest = r.digest) AS same_as
                FROM reconciliation_run r WHERE r.id = \(runID)
                """
            ).first
        else { return nil }
        guard let kind = ReconciliationScope.Kind(rawValue: try row.decode("scope", as: String.self)),
            let first = YearMonth(iso: try row.decode("first_month", as: String.self)),
            let last = YearMonth(iso: try row.decode("last_month", as: String.self)),
            let scope = ReconciliationScope(kind: kind, first: first, last: last, validating: ())
        else { throw PostgresError(code: .decodingFailed, serverMessage: "stored run unreadable", operation: "decode") }
        let overruns = try await tx.query(
            "SELECT social_space || '/' || line AS line, overrun FROM reconciliation_line WHERE run_id = \(runID) AND overrun > 0 AND line NOT LIKE 'pool:%'"
        )
        return ReconciliationRunSummary(
            runID: runID, scope: scope,
            socialSpace: try row.decode("social_space", as: String?.self).flatMap { SocialSpaceCode($0) },
            ledgerPosition: try row.decode("ledger_position", as: Int64.self),
            digest: try row.decode("digest", as: String.self),
            newFindings: 0,
            overruns: Dictionary(
                uniqueKeysWithValues: try overruns.map {
                    (try $0.decode("line", as: String.self), Money(cents: try $0.decode("overrun", as: Int64.self)))
                }),
            sameAs: try row.decode("same_as", as: Int64?.self), replayed: false)
    }

    /// Reads the inputs of every line (few rows: the totals the ledger keeps) and does the cover
    /// arithmetic per Sozialraum in the domain.
    public static func lineResults(
        _ tx: TenantTransaction, scope: ReconciliationScope, socialSpace: SocialSpaceCode?
    ) async throws -> [SocialSpaceReconciliation] {
        let yearStart = YearMonth.months(of: scope.year).first!, yearEnd = YearMonth.months(of: scope.year).last!
        let rows = try await tx.query(
            """
            SELECT 'a' AS source, social_space, component, NULL::text AS month, amount FROM appropriation WHERE year = \(scope.year) AND (\(socialSpace?.rawValue)::text IS NULL OR social_space = \(socialSpace?.rawValue))
            UNION ALL
            SELECT 'c', social_space, component, NULL, amount FROM carry_forward WHERE year = \(scope.year) AND (\(socialSpace?.rawValue)::text IS NULL OR social_space = \(socialSpace?.rawValue))
            UNION ALL
            SELECT 'x', social_space, component, to_char(service_month, 'YYYY-MM'), sum(amount)::bigint FROM ledger_total
            WHERE service_month BETWEEN \(yearStart) AND \(yearEnd) AND kind IN ('delivery', 'project_expense', 'opening') AND (\(socialSpace?.rawValue)::text IS NULL OR social_space = \(socialSpace?.rawValue))
            GROUP BY social_space, component, service_month
            UNION ALL
            SELECT 'm', social_space, 'case', to_char(month, 'YYYY-MM'), sum(amount)::bigint FROM commitment_total
            WHERE month BETWEEN \(yearStart) AND \(yearEnd) AND (\(socialSpace?.rawValue)::text IS NULL OR social_space = \(socialSpace?.rawValue))
            GROUP BY social_space, month
            """)
        var ledgers: [SocialSpaceCode: [BudgetComponent: LineLedger]] = [:]
        for row in rows {
            guard let space = SocialSpaceCode(try row.decode("social_space", as: String.self)),
                let component = BudgetComponent(rawValue: try row.decode("component", as: String.self))
            else { continue }
            let amount = Money(cents: try row.decode("amount", as: Int64.self))
            let month = try row.decode("month", as: String?.self).flatMap { YearMonth(iso: $0) }
            switch try row.decode("source", as: String.self) {
            case "a": ledgers[space, default: [:]][component, default: LineLedger()].appropriation = amount
            case "c": ledgers[space, default: [:]][component, default: LineLedger()].carryIn = amount
            case "x": ledgers[space, default: [:]][component, default: LineLedger()].actuals[month!] = amount
            default: ledgers[space, default: [:]][component, default: LineLedger()].commitments[month!] = amount
            }
        }
        let pools = try await coverPools(tx, year: scope.year)
        return try ledgers.keys.sorted().map { space in
            try SocialSpaceReconciliation(socialSpace: space, scope: scope, ledger: ledgers[space]!, coverPools: pools)
        }
    }

    public static func coverPools(_ tx: TenantTransaction, year: Int) async throws -> CoverPools {
        let members = try await tx.query("SELECT pool, component FROM cover_pool_member WHERE year = \(year)")
            .compactMap { row in
                try BudgetComponent(rawValue: row.decode("component", as: String.self)).map {
                    (pool: try row.decode("pool", as: Int.self), component: $0)
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
            SELECT \(runID), \(year), r.* FROM json_to_recordset(\(String(decoding: try encoder.encode(lines), as: UTF8.self))::json) AS r(social_space text, line text, appropriation bigint, carry_in bigint,
                commitments bigint, actuals bigint, available bigint, cover_transfer bigint, available_after_cover bigint, forecast bigint,
                forecast_available bigint, overrun bigint)
            """)
        try await tx.execute(
            """
            INSERT INTO reconciliation_month
            SELECT \(runID), \(year), r.social_space, r.component, r.month::date, r.plan, r.commitments, r.actuals, r.cumulative_plan, r.cumulative_burn
            FROM json_to_recordset(\(String(decoding: try encoder.encode(months), as: UTF8.self))::json) AS r(social_space text, component text, month text, plan bigint, commitments bigint,
                actuals bigint, cumulative_plan bigint, cumulative_burn bigint)
            """)
        if !transfers.isEmpty {
            try await tx.execute(
                """
                INSERT INTO reconciliation_transfer
                SELECT \(runID), \(year), r.* FROM json_to_recordset(\(String(decoding: try encoder.encode(transfers), as: UTF8.self))::json)
                    AS r(social_space text, position int, from_component text, to_component text, amount bigint)
                """)
        }
    }

    /// One pass over the scope's bookings as of the position: cost per grant and project (with its first
    /// and last month), into a temporary table the statements' figures and the findings read. Items are
    /// not stored: `StatementStore` derives them when asked.
    public static func computeStatementFigures(
        _ tx: TenantTransaction, scope: ReconciliationScope, position: Int64
    ) async throws {
        try await tx.execute(
            """
            CREATE TEMPORARY TABLE run_costs ON COMMIT DROP AS
            SELECT b.tenant_id, b.grant_id, b.project_id, sum(b.amount)::bigint AS cost,
                   min(b.service_month) AS first_month, max(b.service_month) AS last_month
            FROM booking b
            WHERE b.service_month BETWEEN \(scope.first) AND \(scope.last) AND b.id <= \(position)
              AND (b.grant_id IS NOT NULL OR b.project_id IS NOT NULL)
              AND b.kind IN ('delivery', 'project_expense', 'reversal')
            GROUP BY b.tenant_id, b.grant_id, b.project_id
            """)
        // Per provider with an item (a cost, a delivery's booking, or a grant covering part of the scope):
        // cost accrued against instalments and settlements paid for the scope.
        try await tx.execute(
            """
            CREATE TEMPORARY TABLE run_statements ON COMMIT DROP AS
            SELECT parts.tenant_id, sum(accrued)::bigint AS accrued, sum(instalments)::bigint AS instalments,
                   sum(settlements)::bigint AS settlements, (sum(accrued) - sum(instalments) - sum(settlements))::bigint AS balance
            FROM (
                SELECT tenant_id, cost AS accrued, 0 AS instalments, 0 AS settlements FROM run_costs
                UNION ALL
                SELECT DISTINCT g.tenant_id, 0, 0, 0 FROM grant_decision g
                WHERE g.starts_on <= (\(scope.last)::date + interval '1 month - 1 day')::date
                  AND least(g.ends_on, coalesce(g.ended_on, g.ends_on)) >= greatest(g.starts_on, \(scope.first)::date)
                UNION ALL
                SELECT t.tenant_id, 0, CASE WHEN t.kind = 'instalment' THEN t.amount ELSE 0 END,
                       CASE WHEN t.kind = 'settlement' THEN t.amount ELSE 0 END
                FROM ledger_total t
                WHERE t.service_month BETWEEN \(scope.first) AND \(scope.last) AND t.kind IN ('instalment', 'settlement')
            ) parts
            JOIN tenant t ON t.id = parts.tenant_id WHERE t.kind = 'provider'
            GROUP BY parts.tenant_id
            """)
    }

    /// Stores the providers' statement figures computed by `computeStatementFigures` (one row each).
    public static func storeStatements(_ tx: TenantTransaction, runID: Int64) async throws {
        try await tx.execute("INSERT INTO statement SELECT \(runID), * FROM run_statements")
    }
}
