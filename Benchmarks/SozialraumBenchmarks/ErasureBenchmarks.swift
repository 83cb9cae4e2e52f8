import ArgumentParser
import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import SozialraumDomain
import SozialraumServices
import SozialraumStore

/// Erasing N cases (issue 31) through the service — proposal, two signatures, the database's batches —
/// vs psql running the bare UPDATE/DELETE statements that change the same rows, each on its own copy of
/// the same database, in the same run. The year figures (the ledger per year, Sozialraum and component,
/// the totals, the issued statement's hash) are compared before and after, in the benchmark itself.
struct EraseCases: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erasure",
        abstract: "Erasing N cases (10 billing lines each) through the service vs the bare UPDATE/DELETE in psql.")

    @Option(help: "Cases to erase; each has a grant with ten delivered months (ten billing lines).")
    var cases = 100_000

    @Option(help: "Cases per transaction of the erasure.")
    var batch = 1000

    @Option(help: "Repetitions (each on fresh copies); medians are reported.")
    var rounds = 1

    @Flag(help: "Only fill the database and keep the cluster running (for EXPLAIN); prints its conninfo.")
    var keep = false

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let bench = try BenchCluster.start(logger: logger)
        defer { if !keep { bench.stop() } }
        let psql = bench.cluster.binDirectory.appendingPathComponent("psql").path
        let (county, provider) = try await bench.prepareTemplate(grants: 0)
        try await bench.openYears(BenchCluster.template, county: county, years: 2025...2026)
        let template = try await bench.superuser(BenchCluster.template)
        // The cases of 2025, ten delivered months each; the year closed by its year end; the provider's
        // statement of 2025 issued with one item per case; two holders of `erase`.
        try await ReconcileYear.fill(template, provider: provider, tag: "E", grants: cases, year: 2025)
        try await template.runScript(
            unsafeSQL: """
                SET search_path = sozialraum;
                INSERT INTO reconciliation_run (year, scope, first_month, last_month, ledger_position, run_day, digest,
                                                requested_by, started_at)
                    VALUES (2025, 'year', '2025-01-01', '2025-12-01', (SELECT max(id) FROM booking), '2026-01-10', '\\x00',
                            'bench', now());
                INSERT INTO statement_document_item (statement_id, tenant_id, item, item_id, case_key, help_type, unit,
                                                     social_space, granted, delivered, payable, cost)
                    SELECT 1, g.tenant_id, 'grant', g.id, g.case_key, '31', 'hour', r.social_space, 12000, 10000, 10000,
                           600000
                    FROM grant_decision g JOIN residence r ON r.case_id = g.case_id;
                INSERT INTO statement_document (id, tenant_id, run_id, accrued, instalments, settlements, balance, issued_by)
                    SELECT 1, '\(provider)', (SELECT max(id) FROM reconciliation_run), sum(cost), 0, 0, sum(cost), 'bench'
                    FROM statement_document_item;
                SELECT setval('statement_document_id_seq', 1);
                INSERT INTO year_end (year, run_id, confirmed_by) SELECT 2025, max(id), 'bench' FROM reconciliation_run;
                INSERT INTO account (name, tenant_id, role, secret_hash, salt, scrypt_n, rights)
                    SELECT n, '\(county)', 'county', '\\x00', '\\x00', 1024, '{erase}'
                    FROM unnest(ARRAY['bench-erste', 'bench-zweite']) n;
                """)
        try await template.runScript(unsafeSQL: "VACUUM ANALYZE")
        let lines = try await template.query(
            PostgresQuery(unsafeSQL: "SELECT count(*)::bigint FROM sozialraum.booking")
        )
        .single().decode(0, as: Int64.self)

        if keep {
            print("kept: \(bench.cluster.conninfo(database: BenchCluster.template))")
            return
        }
        var serviceTimes: [Double] = [], proposalTimes: [Double] = [], bareTimes: [Double] = []
        for round in 0..<rounds {
            let (bare, served) = ("bench_erasure_bare_\(round)", "bench_erasure_served_\(round)")
            try await bench.cloneTemplate(bare)
            try await bench.cloneTemplate(served)
            // Alternate which side goes first, so that caching favours neither.
            if round % 2 == 0 { bareTimes.append(try EraseCases.bare(bench, psql: psql, database: bare)) }
            let (proposal, erasure) = try await erase(bench, database: served, county: county, logger: logger)
            proposalTimes.append(proposal)
            serviceTimes.append(erasure)
            if round % 2 == 1 { bareTimes.append(try EraseCases.bare(bench, psql: psql, database: bare)) }
        }
        let service = median(serviceTimes), baseline = median(bareTimes)
        print(
            String(
                format:
                    "erasure cases=%d lines=%lld batch=%d: proposal %.0f ms; erasure (two signatures, %d batches) %.0f ms, bare UPDATE/DELETE in psql %.0f ms, ratio %.2f; figures before = after: yes; peak memory %.0f MiB",
                cases, lines, batch, median(proposalTimes), (cases + batch - 1) / batch, service, baseline,
                service / baseline, peakMemoryMiB()))
    }

    /// Proposes, certifies, orders and carries out the erasure through the service; checks the figures.
    private func erase(
        _ bench: BenchCluster, database: String, county: TenantID, logger: Logger
    ) async throws -> (proposal: Double, erasure: Double) {
        let admin = try await bench.superuser(database)
        let before = try await EraseCases.figures(admin)
        let store = Store(
            conninfo: bench.cluster.conninfo(database: database, user: DatabaseRoles.defaultLogin), maxConnections: 2,
            logger: logger)
        defer { Task { await store.shutdown() } }
        let service = ErasureService(
            store: store, logger: logger, today: { Day(iso: "2026-11-25")! }, caseLinkYears: 0, batch: batch)
        let scheduler = Caller(tenant: county, role: .county, name: "scheduler")
        var start = ContinuousClock.now
        guard case .proposed(let order, _) = try await service.propose(scheduler) else {
            throw ValidationError("nothing proposed")
        }
        let proposal = elapsedSeconds(ContinuousClock.now - start) * 1000
        guard order.cases == cases else { throw ValidationError("proposed \(order.cases) cases, not \(cases)") }
        _ = try await service.certify(
            Caller(tenant: county, role: .county, name: "bench-erste", rights: [.erase]), id: order.id)
        start = ContinuousClock.now
        let (done, _) = try await service.order(
            Caller(tenant: county, role: .county, name: "bench-zweite", rights: [.erase]), id: order.id)
        let erasure = elapsedSeconds(ContinuousClock.now - start) * 1000
        guard done.state == .done, done.erased == cases else {
            throw ValidationError("erased \(done.erased) of \(cases) (\(done.state))")
        }
        let after = try await EraseCases.figures(admin)
        guard after == before else { throw ValidationError("the figures changed: \(before) → \(after)") }
        let keys = try await admin.query(
            PostgresQuery(
                unsafeSQL:
                    "SELECT count(*)::bigint FROM sozialraum.case_file WHERE case_key LIKE 'BENCH-%' OR erased_at IS NULL"
            )
        ).single().decode(0, as: Int64.self)
        guard keys == 0 else { throw ValidationError("\(keys) case keys left") }
        return (proposal, erasure)
    }

    /// What must not change: the ledger per year, Sozialraum and component; the totals; the issued
    /// statement's hash, and the same hash recomputed from its items.
    static func figures(_ admin: PostgresConnection) async throws -> [String] {
        try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT line FROM (
                        SELECT concat_ws('|', year, social_space, component, amount, lines) AS line
                        FROM (SELECT extract(year FROM service_month) AS year, social_space, component,
                                     sum(amount) AS amount, count(*) AS lines
                              FROM sozialraum.booking GROUP BY 1, 2, 3) b
                        UNION ALL
                        SELECT concat_ws('|', 'totals', count(*), sum(amount)) FROM sozialraum.ledger_total
                        UNION ALL
                        SELECT concat_ws('|', 'statement', encode(content_hash, 'hex'),
                                         encode(sozialraum.statement_document_hash(id), 'hex'))
                        FROM sozialraum.statement_document
                    ) x ORDER BY line
                    """)
        ).map { try $0.decode(0, as: String.self) }
    }

    /// The bare statements that change the same rows, in one transaction, as psql times them.
    static func bare(_ bench: BenchCluster, psql: String, database: String) throws -> Double {
        let output = try bench.runTool([
            psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", bench.cluster.conninfo(database: database), "-c",
            "SET jit = off", "-c", "\\timing on", "-c",
            """
            BEGIN;
            CREATE TEMPORARY TABLE doomed ON COMMIT DROP AS SELECT id FROM sozialraum.case_file;
            UPDATE sozialraum.case_file c
                SET case_key = 'ERASED-' || upper(substr(replace(gen_random_uuid()::text, '-', ''), 1, 24)), erased_at = now()
                FROM doomed d WHERE c.id = d.id;
            DELETE FROM sozialraum.residence r USING doomed d WHERE r.case_id = d.id;
            UPDATE sozialraum.grant_decision g SET case_key = c.case_key
                FROM sozialraum.case_file c JOIN doomed d ON d.id = c.id WHERE g.case_id = c.id;
            UPDATE sozialraum.statement_document_item i
                SET redacted_hash = sozialraum.statement_item_hash(i), case_key = NULL
                FROM sozialraum.grant_decision g JOIN doomed d ON d.id = g.case_id WHERE i.item_id = g.id;
            COMMIT;
            """,
        ])
        // psql prints one timing per statement; the transaction's time is their sum.
        var total = 0.0
        for line in output.split(separator: "\n") where line.hasPrefix("Time: ") {
            guard let milliseconds = Double(line.dropFirst(6).prefix { $0 != " " }) else { continue }
            total += milliseconds
        }
        guard total > 0 else { throw ValidationError("no timing in psql output: \(output)") }
        return total
    }

    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
}
