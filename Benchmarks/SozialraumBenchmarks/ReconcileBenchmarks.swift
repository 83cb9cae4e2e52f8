import ArgumentParser
import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import SozialraumDomain
import SozialraumServices
import SozialraumStore

/// A fiscal-year reconciliation over N billing lines vs the bare SQL of the same per-line results in psql
/// (the bookings aggregate and the deliveries-against-grants aggregate); the re-run of one month after one
/// new booking; issuing one provider's statement vs a psql `INSERT … SELECT` of the same items; the rows a
/// nightly run writes. Sizes run one after another in one cluster.
struct ReconcileYear: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile-year",
        abstract:
            "Year run vs the bare aggregates in psql; month re-run after one booking; issuing a statement vs INSERT … SELECT."
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
                    unsafeSQL:
                        "SELECT (SELECT tenant_id FROM county), (SELECT id FROM tenant WHERE kind = 'provider' LIMIT 1)"
                )
            ).single()
            let county = TenantID(try ids.decode(0, as: UUID.self)),
                provider = TenantID(try ids.decode(1, as: UUID.self))
            try await bench.openYears(database, county: county, years: (2026 - historyYears)...2026)
            // A second provider holds 15 % of the grants: its statement is the one issued (≈15,000 items at
            // 1,000,000 lines), as a mid-sized Träger's would be.
            let second = TenantID(UUID())
            try await admin.query(
                PostgresQuery(
                    unsafeSQL: "INSERT INTO tenant (id, kind, name) VALUES ($1, 'provider', 'Bench-Träger Zwei')",
                    [second.uuid]))
            try await admin.query(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO rate_agreement (id, tenant_id, help_type, unit, valid_from, amount)
                        VALUES (gen_random_uuid(), $1, '31', 'hour', '2000-01-01', 6000)
                        """, [second.uuid]))
            try await admin.query(
                PostgresQuery(
                    unsafeSQL:
                        "INSERT INTO provider_assignment (tenant_id, social_space, valid_from) SELECT $1, code, '2000-01-01' FROM social_space",
                    [second.uuid]))
            let secondGrants = grants * 15 / 100
            for year in (2026 - historyYears)...2026 {
                try await Self.fill(admin, provider: provider, tag: "A", grants: grants - secondGrants, year: year)
                try await Self.fill(admin, provider: second, tag: "B", grants: secondGrants, year: year)
            }
            try await admin.runScript(unsafeSQL: "VACUUM ANALYZE")
            let count = try await admin.query(PostgresQuery(unsafeSQL: "SELECT count(*)::bigint FROM booking")).single()
                .decode(
                    0, as: Int64.self)

            let store = Store(
                conninfo: bench.cluster.conninfo(database: database, user: DatabaseRoles.defaultLogin),
                maxConnections: 2, logger: logger)
            // The run's phases (debug log `reconciliation phase` and `reconciliation check`), to say where
            // the time goes.
            let phases = PhaseRecorder()
            var serviceLogger = Logger(label: "bench.reconcile") { _ in phases }
            serviceLogger.logLevel = .debug
            let service = ReconciliationService(store: store, logger: serviceLogger, today: { Day(iso: "2026-11-25")! })
            let caller = Caller(
                tenant: county, role: .county, name: "bench", rights: Set(CountyRight.allCases))
            var runTimes: [Double] = [], bookingTimes: [Double] = [], deliveryTimes: [Double] = []
            var lastRun: Int64 = 0
            // The first round has no complete run of the scope before it, so it checks every grant for
            // out-of-area facts; the later ones check what changed since (sql/0023). Both are reported.
            var firstPhases = ""
            for round in 0..<rounds {
                // Alternate which side goes first, so that caching favours neither.
                let baseFirst = round % 2 == 0
                if baseFirst {
                    bookingTimes.append(
                        try Self.psqlTime(bench, psql: psql, database: database, Self.bookingsAggregate))
                    deliveryTimes.append(
                        try Self.psqlTime(bench, psql: psql, database: database, Self.deliveriesAggregate))
                }
                phases.reset()
                let start = ContinuousClock.now
                lastRun = try await service.run(caller, scope: .year(2026)).runID
                runTimes.append(elapsedSeconds(ContinuousClock.now - start) * 1000)
                if round == 0 { firstPhases = phases.summary() }
                if !baseFirst {
                    bookingTimes.append(
                        try Self.psqlTime(bench, psql: psql, database: database, Self.bookingsAggregate))
                    deliveryTimes.append(
                        try Self.psqlTime(bench, psql: psql, database: database, Self.deliveriesAggregate))
                }
            }
            let yearPhases = phases.summary()

            // Issuing the second provider's statement of the last year run, against psql inserting the same
            // items (the derivation at the run's positions) into a table of the same shape.
            let positions = try await admin.query(
                PostgresQuery(
                    unsafeSQL: "SELECT ledger_position, change_position FROM reconciliation_run WHERE id = $1",
                    [lastRun])
            ).single()
            let (position, changePosition) = (
                try positions.decode(0, as: Int64.self), try positions.decode(1, as: Int64.self)
            )
            try await admin.runScript(
                unsafeSQL: "CREATE TABLE IF NOT EXISTS public.bench_items (LIKE sozialraum.statement_document_item)")
            var issueTimes: [Double] = [], insertTimes: [Double] = []
            var items = 0
            for round in 0..<rounds {
                let baseFirst = round % 2 == 0
                let insert = Self.insertItems(
                    position: position, changePosition: changePosition, provider: second)
                if baseFirst { insertTimes.append(try Self.psqlTime(bench, psql: psql, database: database, insert)) }
                let start = ContinuousClock.now
                let issued = try await service.issueStatement(caller, runID: lastRun, provider: second)
                issueTimes.append(elapsedSeconds(ContinuousClock.now - start) * 1000)
                items = issued.items
                _ = try await service.withdrawStatement(caller, id: issued.id, reason: "benchmark round")
                if !baseFirst { insertTimes.append(try Self.psqlTime(bench, psql: psql, database: database, insert)) }
            }

            // One new booking: a November delivery of one grant, then the affected month again, for the
            // booking's Sozialraum (what changed), and for all with the statements.
            let grantService = GrantService(store: store, logger: logger, today: { Day(iso: "2026-11-25")! })
            let grant = try await admin.query(
                PostgresQuery(
                    unsafeSQL:
                        "SELECT id FROM grant_decision WHERE starts_on = '2026-01-01' AND tenant_id = $1 ORDER BY id LIMIT 1",
                    [provider.uuid])
            ).single().decode(0, as: UUID.self)
            let space = try await admin.query(
                PostgresQuery(
                    unsafeSQL:
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
            var nightlyRun: Int64 = 0
            for _ in 0..<rounds {
                let start = ContinuousClock.now
                nightlyRun = try await service.run(caller, scope: .month(YearMonth(iso: "2026-11")!)).runID
                monthAllTimes.append(elapsedSeconds(ContinuousClock.now - start) * 1000)
            }
            // What a nightly run over all Sozialräume writes (its findings are facts found once, not per run).
            let stored = try await admin.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT (SELECT count(*) FROM reconciliation_line WHERE run_id = $1)
                             + (SELECT count(*) FROM reconciliation_month WHERE run_id = $1)
                             + (SELECT count(*) FROM reconciliation_transfer WHERE run_id = $1)
                             + (SELECT count(*) FROM statement WHERE run_id = $1) + 1
                        """, [nightlyRun])
            ).single().decode(0, as: Int64.self)
            await store.shutdown()
            let firstRun = runTimes[0]
            let run = median(runTimes.count > 1 ? Array(runTimes.dropFirst()) : runTimes),
                bookings = median(bookingTimes), deliveries = median(deliveryTimes)
            let issue = median(issueTimes), insert = median(insertTimes)
            let line = String(
                format:
                    "reconcile-year lines=%d grants=%d history=%d years: first year run %.0f ms, ratio %.2f (phases: %@); repeat year run %.0f ms, psql bookings aggregate %.0f ms + deliveries against grants %.0f ms, ratio %.2f (phases of the last run: %@); month re-run after one booking %.1f ms (its Sozialraum), %.0f ms (all, with statements); issuing %d items %.0f ms, psql INSERT … SELECT %.0f ms, ratio %.2f; rows per nightly run %d",
                count / Int64(historyYears + 1), grants, historyYears, firstRun, firstRun / (bookings + deliveries),
                firstPhases, run, bookings, deliveries,
                run / (bookings + deliveries), yearPhases, median(monthTimes), median(monthAllTimes), items, issue,
                insert, issue / insert, stored)
            print(line)
            report.append(line)
        }
        print(report.joined(separator: "\n"))
    }

    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    /// The bookings aggregate: cost per grant of the year.
    static let bookingsAggregate =
        "SELECT count(*) FROM (SELECT grant_id, sum(amount) FROM sozialraum.booking WHERE service_month BETWEEN '2026-01-01' AND '2026-12-01' GROUP BY grant_id) g"

    /// The deliveries against the grants: delivered and payable volume per grant of the year, beside what
    /// it grants.
    static let deliveriesAggregate = """
        SELECT count(*) FROM (SELECT g.id, g.volume_per_month * 12, sum(d.quantity), sum(d.payable)
                              FROM sozialraum.grant_decision g JOIN sozialraum.delivery d ON d.grant_id = g.id
                              WHERE d.month BETWEEN '2026-01-01' AND '2026-12-01' GROUP BY g.id) x
        """

    /// The same items a statement of the provider freezes (the same function, sql/0024), inserted by psql
    /// (prepared, so that planning counts as it does for the daemon's statement; the EXECUTE is timed).
    static func insertItems(position: Int64, changePosition: Int64, provider: TenantID) -> String {
        """
        SET search_path = sozialraum; TRUNCATE public.bench_items;
        PREPARE bench_insert(date, date, bigint, bigint, uuid) AS
            INSERT INTO public.bench_items SELECT 0, i.* FROM statement_items_as_of($1, $2, $3, $4, $5) i;
        EXECUTE bench_insert('2026-01-01', '2026-12-01', \(position), \(changePosition), '\(provider)');
        """
    }

    /// The time psql itself reports (`\timing`) for `sql`, so that starting psql does not count. JIT is
    /// off, as in the daemon's runs and statements: the same settings on both sides.
    static func psqlTime(_ bench: BenchCluster, psql: String, database: String, _ sql: String) throws -> Double {
        let output = try bench.runTool([
            psql, "-X", "-q", "-d", bench.cluster.conninfo(database: database), "-c", "SET jit = off", "-c",
            "\\timing on", "-c", sql,
        ])
        guard let range = output.range(of: "Time: ", options: .backwards),
            let milliseconds = Double(output[range.upperBound...].prefix { $0 != " " })
        else {
            throw ValidationError("no timing in psql output: \(output)")
        }
        return milliseconds
    }

    /// `grants` §31 grants (new cases) for `year` at 10 hours a month (600.00), delivered January to
    /// October: one delivery row and one booking per grant and month; November and December stay committed.
    static func fill(
        _ admin: PostgresConnection, provider: TenantID, tag: String, grants: Int, year: Int
    ) async throws {
        let first = "\(year)-01-01"
        // Cases of this provider and year: BENCH-<tag><year>-<n>.
        let prefix = "BENCH-\(tag)\(year)-"
        try await admin.query(
            PostgresQuery(
                unsafeSQL:
                    "INSERT INTO case_file (id, case_key) SELECT gen_random_uuid(), $2 || g FROM generate_series(1, $1) g",
                [grants, prefix]))
        try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO residence (case_id, valid_from, social_space)
                    SELECT id, '2020-01-01', (ARRAY['achim-oyten', 'verden-mitte', 'weser-sued'])[1 + abs(hashtext(case_key)) % 3]
                    FROM case_file WHERE case_key LIKE $1 || '%'
                    """, [prefix]))
        try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO grant_decision (id, tenant_id, case_id, case_key, help_type, unit, volume_per_month, starts_on, ends_on)
                    SELECT gen_random_uuid(), $1, id, case_key, '31', 'hour', 1000, $2::date, ($2::date + interval '1 year - 1 day')::date
                    FROM case_file WHERE case_key LIKE $3 || '%'
                    """, [provider.uuid, first, prefix]))
        try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO commitment (tenant_id, grant_id, month, social_space, amount, released)
                    SELECT g.tenant_id, g.id, m::date, r.social_space, 60000, m < $1::date + interval '10 months'
                    FROM grant_decision g JOIN residence r ON r.case_id = g.case_id
                    CROSS JOIN generate_series($1::date, $1::date + interval '11 months', interval '1 month') m
                    WHERE g.starts_on = $1::date AND g.tenant_id = $2
                    """, [first, provider.uuid]))
        try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO delivery (id, tenant_id, grant_id, month, quantity, payable, cost)
                    SELECT gen_random_uuid(), g.tenant_id, g.id, m::date, 1000, 1000, 60000
                    FROM grant_decision g CROSS JOIN generate_series($1::date, $1::date + interval '9 months', interval '1 month') m
                    WHERE g.starts_on = $1::date AND g.tenant_id = $2
                    """, [first, provider.uuid]))
        try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO booking (tenant_id, kind, booked_month, service_month, social_space, component, amount, grant_id, delivery_id, actor)
                    SELECT d.tenant_id, 'delivery', d.month, d.month, r.social_space, 'case', d.cost, d.grant_id, d.id, 'bench'
                    FROM delivery d JOIN grant_decision g ON g.id = d.grant_id JOIN residence r ON r.case_id = g.case_id
                    WHERE d.month BETWEEN $1::date AND $1::date + interval '11 months' AND d.tenant_id = $2
                    """, [first, provider.uuid]))
    }
}

/// Collects the durations of a reconciliation's phases and checks from its debug log.
final class PhaseRecorder: LogHandler, @unchecked Sendable {
    // @unchecked: the lock guards the state; the log level and metadata are fixed.
    private let lock = NSLock()
    private var durations: [(String, Double)] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        guard let name = event.metadata?["phase"] ?? event.metadata?["kind"],
            let duration = event.metadata?["duration"].flatMap({ Double("\($0)".prefix { $0 != " " }) })
        else { return }
        lock.withLock { durations.append(("\(name)", duration * 1000)) }
    }

    func reset() { lock.withLock { durations.removeAll() } }

    /// `name ms, …` in the order logged.
    func summary() -> String {
        lock.withLock { durations.map { String(format: "%@ %.0f", $0.0, $0.1) }.joined(separator: ", ") }
    }
}
