import ArgumentParser
import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import SozialraumDomain
import SozialraumServices
import SozialraumStore

/// A fiscal-year reconciliation over N billing lines vs a bare `GROUP BY` of the same lines in psql,
/// then the re-run of one month after one new booking. Sizes run one after another in one cluster.
struct ReconcileYear: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile-year",
        abstract:
            "Full-year reconciliation over N billing lines vs psql GROUP BY of the same lines; month re-run after one booking."
    )

    @Option(help: "Billing lines (deliveries, one booking each), comma-separated sizes.")
    var lines = "10000,100000,1000000"

    @Option(help: "Repetitions per size; medians are reported.")
    var rounds = 3

    @Flag(help: "Keep the cluster running afterwards (for EXPLAIN); prints its conninfo.")
    var keep = false

    @Option(help: "Earlier fiscal years with as many lines each, before 2026 (history a run must not read).")
    var historyYears = 0

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let bench = try BenchCluster.start(logger: logger)
        defer { if keep { print("kept: \(bench.cluster.conninfo(database: "postgres"))") } else { bench.stop() } }
        let sizes = lines.split(separator: ",").compactMap { Int($0) }
        let psql = bench.cluster.binDirectory.appendingPathComponent("psql").path
        var first = true
        var report: [String] = []
        for size in sizes {
            // Ten delivered months (January to October) per grant: size / 10 grants.
            let grants = max(1, size / 10)
            let database = "bench_reconcile_\(size)"
            if first {
                _ = try await bench.prepareTemplate(grants: 0)
                first = false
            }
            try await bench.cloneTemplate(database)
            let admin = try await bench.superuser(database)
            let ids = try await admin.query(
                PostgresQuery(
                    "SELECT (SELECT tenant_id FROM county), (SELECT id FROM tenant WHERE kind = 'provider' LIMIT 1)")
            ).single()
            let county = TenantID(try ids.decode(0, as: UUID.self)),
                provider = TenantID(try ids.decode(1, as: UUID.self))
            try await bench.openYears(database, county: county, years: (2026 - historyYears)...2026)
            for year in (2026 - historyYears)...2026 {
                try await Self.fill(admin, provider: provider, grants: grants, year: year)
            }
            try await admin.runScript(unsafeSQL: "VACUUM ANALYZE")
            let count = try await admin.query(PostgresQuery("SELECT count(*)::bigint FROM booking")).single().decode(
                0, as: Int64.self)

            let store = Store(
                conninfo: bench.cluster.conninfo(database: database, user: DatabaseRoles.defaultLogin),
                maxConnections: 2, logger: logger)
            var serviceLogger = logger
            if keep { serviceLogger.logLevel = .debug }
            let service = ReconciliationService(store: store, logger: serviceLogger, today: { Day(iso: "2026-11-25")! })
            let caller = Caller(tenant: county, role: .county, name: "bench")
            var runTimes: [Double] = [], baseTimes: [Double] = []
            for round in 0..<rounds {
                // Alternate which side goes first, so that caching favours neither.
                let baseFirst = round % 2 == 0
                if baseFirst { baseTimes.append(try Self.psqlGroupBy(bench, psql: psql, database: database)) }
                let start = ContinuousClock.now
                _ = try await service.run(caller, scope: .year(2026))
                runTimes.append(elapsedSeconds(ContinuousClock.now - start) * 1000)
                if !baseFirst { baseTimes.append(try Self.psqlGroupBy(bench, psql: psql, database: database)) }
            }

            // One new booking: a November delivery of one grant, then the affected month again, for the
            // booking's Sozialraum (what changed), and for all with the statements.
            let grantService = GrantService(store: store, logger: logger, today: { Day(iso: "2026-11-25")! })
            let grant = try await admin.query(
                PostgresQuery("SELECT id FROM grant_decision WHERE starts_on = '2026-01-01' ORDER BY id LIMIT 1")
            ).single().decode(0, as: UUID.self)
            let space = try await admin.query(
                PostgresQuery(
                    "SELECT r.social_space FROM residence r JOIN grant_decision g ON g.case_id = r.case_id WHERE g.id = $1",
                    [grant])
            ).single().decode(0, as: String.self)
            _ = try await grantService.recordDelivery(
                Caller(tenant: provider, role: .provider, name: "bench"), grantID: grant,
                month: YearMonth(iso: "2026-11")!,
                quantity: Quantity(hundredths: 8_00), idempotencyKey: IdempotencyKey("bench-one-more")!)
            var monthTimes: [Double] = [], monthAllTimes: [Double] = []
            for _ in 0..<max(rounds, 5) {
                let start = ContinuousClock.now
                _ = try await service.run(
                    caller, scope: .month(YearMonth(iso: "2026-11")!), socialSpace: SocialSpaceCode(space)!)
                monthTimes.append(elapsedSeconds(ContinuousClock.now - start) * 1000)
            }
            for _ in 0..<rounds {
                let start = ContinuousClock.now
                _ = try await service.run(caller, scope: .month(YearMonth(iso: "2026-11")!))
                monthAllTimes.append(elapsedSeconds(ContinuousClock.now - start) * 1000)
            }
            await store.shutdown()
            let run = median(runTimes), base = median(baseTimes)
            let line = String(
                format:
                    "reconcile-year lines=%d grants=%d history=%d years: year run %.0f ms, psql GROUP BY %.0f ms, ratio %.2f; month re-run after one booking %.1f ms (its Sozialraum), %.0f ms (all, with statements)",
                count / Int64(historyYears + 1), grants, historyYears, run, base, run / base, median(monthTimes),
                median(monthAllTimes))
            print(line)
            report.append(line)
        }
        print(report.joined(separator: "\n"))
    }

    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    /// The bare aggregate of the same lines, timed by psql itself (`\timing`), so that starting psql
    /// does not count.
    static func psqlGroupBy(_ bench: BenchCluster, psql: String, database: String) throws -> Double {
        let output = try bench.runTool([
            psql, "-X", "-q", "-d", bench.cluster.conninfo(database: database), "-c", "\\timing on", "-c",
            "SELECT count(*) FROM (SELECT grant_id, sum(amount) FROM sozialraum.booking WHERE service_month BETWEEN '2026-01-01' AND '2026-12-01' GROUP BY grant_id) g",
        ])
        guard let range = output.range(of: "Time: "),
            let milliseconds = Double(output[range.upperBound...].prefix { $0 != " " })
        else {
            throw ValidationError("no timing in psql output: \(output)")
        }
        return milliseconds
    }

    /// `grants` §31 grants (new cases) for `year` at 10 hours a month (600.00), delivered January to
    /// October: one delivery row and one booking per grant and month; November and December stay committed.
    static func fill(_ admin: PostgresConnection, provider: TenantID, grants: Int, year: Int) async throws {
        let first = "\(year)-01-01"
        try await admin.query(
            PostgresQuery(
                "INSERT INTO case_file (id, case_key) SELECT gen_random_uuid(), 'BENCH-' || $2 || '-' || g FROM generate_series(1, $1) g",
                [grants, year]))
        try await admin.query(
            PostgresQuery(
                """
                INSERT INTO residence (case_id, valid_from, social_space)
                SELECT id, '2020-01-01', (ARRAY['achim-oyten', 'verden-mitte', 'weser-sued'])[1 + abs(hashtext(case_key)) % 3]
                FROM case_file WHERE case_key LIKE 'BENCH-' || $1 || '-%'
                """, [year]))
        try await admin.query(
            PostgresQuery(
                """
                INSERT INTO grant_decision (id, tenant_id, case_id, case_key, help_type, unit, volume_per_month, starts_on, ends_on)
                SELECT gen_random_uuid(), $1, id, case_key, '31', 'hour', 1000, $2::date, ($2::date + interval '1 year - 1 day')::date
                FROM case_file WHERE case_key LIKE 'BENCH-' || $3 || '-%'
                """, [provider.uuid, first, year]))
        try await admin.query(
            PostgresQuery(
                """
                INSERT INTO commitment (tenant_id, grant_id, month, social_space, amount, released)
                SELECT g.tenant_id, g.id, m::date, r.social_space, 60000, m < $1::date + interval '10 months'
                FROM grant_decision g JOIN residence r ON r.case_id = g.case_id
                CROSS JOIN generate_series($1::date, $1::date + interval '11 months', interval '1 month') m
                WHERE g.starts_on = $1::date
                """, [first]))
        try await admin.query(
            PostgresQuery(
                """
                INSERT INTO delivery (id, tenant_id, grant_id, month, quantity, payable, cost)
                SELECT gen_random_uuid(), g.tenant_id, g.id, m::date, 1000, 1000, 60000
                FROM grant_decision g CROSS JOIN generate_series($1::date, $1::date + interval '9 months', interval '1 month') m
                WHERE g.starts_on = $1::date
                """, [first]))
        try await admin.query(
            PostgresQuery(
                """
                INSERT INTO booking (tenant_id, kind, booked_month, service_month, social_space, component, amount, grant_id, delivery_id, actor)
                SELECT d.tenant_id, 'delivery', d.month, d.month, r.social_space, 'case', d.cost, d.grant_id, d.id, 'bench'
                FROM delivery d JOIN grant_decision g ON g.id = d.grant_id JOIN residence r ON r.case_id = g.case_id
                WHERE d.month BETWEEN $1::date AND $1::date + interval '11 months'
                """, [first]))
    }
}
