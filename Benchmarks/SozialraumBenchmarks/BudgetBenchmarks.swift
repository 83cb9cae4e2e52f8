import ArgumentParser
import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import SozialraumCtlKit
import SozialraumDomain
import SozialraumInterfaces
import SozialraumServices
import SozialraumStore

/// A private cluster with a migrated template database holding the county, one provider, the year
/// 2026 and `grants` §31 grants (10 hours a month at 60.00) with their commitments. Bulk parts of
/// the setup are plain SQL as the superuser: the setup is not what is measured.
struct BenchCluster {
    let cluster: EmbeddedPostgres
    let directory: URL
    let logger: Logger
    static let template = "bench_template"
    static let spaces = ["achim-oyten", "verden-mitte", "weser-sued"]

    static func start(logger: Logger) throws -> BenchCluster {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "sozialraum-bench-\(getpid())")
        let cluster = try EmbeddedPostgres(directory: directory, durable: false, logger: logger)
        try cluster.start()
        return BenchCluster(cluster: cluster, directory: directory, logger: logger)
    }

    func stop() {
        try? cluster.stop(immediate: true)
        try? FileManager.default.removeItem(at: directory)
    }

    func superuser(_ database: String) async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            conninfo: cluster.conninfo(database: database), sessionParameters: DatabaseRoles.sessionParameters)
    }

    /// Builds the template; returns the county and provider ids.
    func prepareTemplate(grants: Int) async throws -> (county: TenantID, provider: TenantID) {
        let maintenance = try await superuser("postgres")
        try await DatabaseRoles.createDatabaseIfMissing(Self.template, on: maintenance)
        try await DatabaseRoles.prepare(on: try await superuser(Self.template))
        try await Migrator(logger: logger).migrate(conninfo: cluster.conninfo(database: Self.template))
        let county = try await TenantRegistry.ensureCounty(
            name: "Landkreis Verden", ownerConninfo: cluster.conninfo(database: Self.template))
        let store = Store(
            conninfo: cluster.conninfo(database: Self.template, user: DatabaseRoles.defaultLogin), maxConnections: 2,
            logger: logger)
        let service = BudgetService(store: store, logger: logger, today: { Day(iso: "2026-11-25")! })
        let caller = Caller(tenant: county, role: .county, name: "bench")
        let provider = try await store.registerProvider(name: "Bench-Träger", by: county)
        let start = Day(iso: "2020-01-01")!
        for space in Self.spaces {
            try await service.defineSocialSpace(
                caller, code: SocialSpaceCode(space)!, name: space, municipalities: [], validFrom: start)
            try await service.assignProvider(
                caller, provider: provider, socialSpace: SocialSpaceCode(space)!, lead: true, from: start)
        }
        try await service.loadHelpTypes(caller)
        try await service.addRate(
            caller, provider: provider, helpType: "31", unit: .hour, validFrom: start, amount: Money(cents: 60_00))
        await store.shutdown()
        let admin = try await superuser(Self.template)
        try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO case_file (id, case_key) SELECT gen_random_uuid(), 'BENCH-' || g FROM generate_series(1, $1) g
                    """, [grants]))
        try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO residence (case_id, valid_from, social_space)
                    SELECT id, '2020-01-01', (ARRAY['achim-oyten', 'verden-mitte', 'weser-sued'])[1 + abs(hashtext(case_key)) % 3] FROM case_file
                    """))
        try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO grant_decision (id, tenant_id, case_id, case_key, help_type, unit, volume_per_month, starts_on, ends_on)
                    SELECT gen_random_uuid(), $1, id, case_key, '31', 'hour', 1000, '2026-01-01', '2026-12-31' FROM case_file
                    """, [provider.uuid]))
        try await admin.runScript(unsafeSQL: "VACUUM ANALYZE")
        return (county, provider)
    }

    /// Opens `years` fiscal years ending with 2026 (as the county, through the service).
    func openYears(_ database: String, county: TenantID, years: ClosedRange<Int>) async throws {
        let store = Store(
            conninfo: cluster.conninfo(database: database, user: DatabaseRoles.defaultLogin), maxConnections: 2,
            logger: logger)
        let service = BudgetService(store: store, logger: logger, today: { Day(iso: "2026-11-25")! })
        let caller = Caller(tenant: county, role: .county, name: "bench")
        for year in years {
            try await service.openYear(caller, year: year, overrunPolicy: .warn)
            for space in Self.spaces {
                for component in BudgetComponent.allCases {
                    try await service.setAppropriation(
                        caller,
                        line: BudgetLine(year: year, socialSpace: SocialSpaceCode(space)!, component: component),
                        amount: Money(cents: 10_000_000_00))
                }
            }
        }
        await store.shutdown()
    }

    func cloneTemplate(_ name: String) async throws {
        let maintenance = try await superuser("postgres")
        // A template must have no sessions: end the setup's.
        try await maintenance.query(
            PostgresQuery(
                unsafeSQL:
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                [Self.template]))
        try await maintenance.runScript(unsafeSQL: "CREATE DATABASE \(name) TEMPLATE \(Self.template)")
    }

    /// `lines` delivery bookings a year for `years` (one statement per year: the ledger's statement trigger
    /// keeps the totals), spread over the three Sozialräume and the months.
    static func fillLedger(
        _ admin: PostgresConnection, provider: TenantID, lines: Int, years: ClosedRange<Int>
    ) async throws {
        for year in years {
            try await admin.query(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO booking (tenant_id, kind, booked_month, service_month, social_space, component, amount, grant_id, actor)
                        SELECT $1, 'delivery', m, m, (ARRAY['achim-oyten', 'verden-mitte', 'weser-sued'])[1 + g % 3], 'case',
                               40000 + g % 20000, (SELECT id FROM grant_decision ORDER BY id LIMIT 1), 'bench'
                        FROM generate_series(1, $2) g,
                             LATERAL (SELECT make_date($3, 1 + g % 12, 1) AS m) month
                        """, [provider.uuid, lines, year]))
        }
    }

    /// A pgbench script sending what the daemon sends for one tenant read, as one pipeline: BEGIN READ ONLY,
    /// the tenant context, `statement`, COMMIT.
    func tenantReadScript(county: TenantID, statement: String, name: String = "tenant-read") throws -> URL {
        try pgbenchScript(
            replaying: [
                PostgresQuery(unsafeSQL: "SELECT set_config('\(Store.tenantSetting)', '\(county)', true)"),
                PostgresQuery(unsafeSQL: statement),
            ], name: name
        ).script
    }

    /// A pgbench script sending `statements` in one read-only transaction, pipelined, as `PostgresPool.pipelinedRead`
    /// sends them: each `$n` becomes a pgbench variable (sent as a parameter with `-M prepared`, as the daemon's
    /// are), defined by the returned `-D` arguments. An empty value, which pgbench cannot define, is written in.
    func pgbenchScript(
        replaying statements: [PostgresQuery], name: String
    ) throws -> (
        script: URL, variables: [String]
    ) {
        var variables: [String] = []
        var lines = ["\\startpipeline", "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;"]
        for (number, statement) in statements.enumerated() {
            var sql = statement.sql
            // From the highest placeholder down, so that $1 does not match the start of $10.
            for (index, bind) in statement.binds.enumerated().reversed() {
                let value = bind.postgresText ?? ""
                let variable = "s\(number)p\(index + 1)"
                if value.isEmpty {
                    sql = sql.replacingOccurrences(of: "$\(index + 1)", with: "''")
                } else {
                    sql = sql.replacingOccurrences(of: "$\(index + 1)", with: ":\(variable)")
                    variables += ["-D", "\(variable)=\(value)"]
                }
            }
            lines.append(sql.split(separator: "\n").joined(separator: " ") + ";")
        }
        lines += ["COMMIT;", "\\endpipeline"]
        let script = directory.appendingPathComponent("\(name).sql")
        try lines.joined(separator: "\n").write(to: script, atomically: true, encoding: .utf8)
        return (script, variables)
    }

    /// The funds statement for one Sozialraum and year, with its values written in (for pgbench).
    static func fundsStatement(space: String, year: Int) -> String {
        LedgerStore.fundsSQL.replacingOccurrences(of: "$1", with: "'\(space)'").replacingOccurrences(
            of: "$2", with: "\(year)"
        ).split(separator: "\n").joined(separator: " ")
    }

    /// Runs pgbench with `argv` and returns its transactions per second.
    func pgbenchTPS(_ argv: [String]) throws -> Double {
        let output = try runTool(argv)
        // "tps = 12345.678901 (without initial connection time)"
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
            let value = Double(line.dropFirst(6).prefix { !$0.isWhitespace })
        else { throw ValidationError("cannot read pgbench output: \(output)") }
        return value
    }

    /// Runs pgbench with `argv` and a per-transaction log (`-l`): its transactions per second and every
    /// transaction's latency in ms, sorted (what the clients of pgbench waited, as `SessionLoad` measures ours).
    func pgbenchLatencies(_ argv: [String]) throws -> (tps: Double, latencies: [Double]) {
        let prefix = directory.appendingPathComponent("pgbench-log-\(UUID().uuidString)").path
        let tps = try pgbenchTPS(argv + ["-l", "--log-prefix=\(prefix)"])
        let folder = directory.path
        let base = (prefix as NSString).lastPathComponent
        var latencies: [Double] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: folder) where file.hasPrefix(base) {
            let path = folder + "/" + file
            defer { unlink(path) }
            // "client_id transaction_no time script_no time_epoch time_us": the third field, in µs.
            for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields.count >= 3, let micros = Double(fields[2]) { latencies.append(micros / 1000) }
            }
        }
        guard !latencies.isEmpty else { throw ValidationError("pgbench wrote no transaction log") }
        return (tps, latencies.sorted())
    }

    func runTool(_ argv: [String]) throws -> String {
        let output = NSTemporaryDirectory() + "sozialraum-bench-\(getpid()).out"
        defer { unlink(output) }
        let status = try ChildProcess.run(argv, environment: ProcessInfo.processInfo.environment, outputPath: output)
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        guard status == 0 else { throw ValidationError("\(argv[0]) failed (\(status)): \(text)") }
        return text
    }
}

func elapsedSeconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Peak resident memory of this process so far, in MiB.
func peakMemoryMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// Importing deliveries through the service vs `psql \copy` of the same delivery rows.
struct ImportDeliveries: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-deliveries",
        abstract:
            "Import N deliveries through the service layer vs psql \\copy of the same rows into the delivery table.")

    @Option(help: "Deliveries to import (12 months per grant).")
    var rows = 1_000_000

    @Flag(help: "Log the import's phase timings (debug level).")
    var phases = false

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = phases ? .debug : .warning
        let bench = try BenchCluster.start(logger: logger)
        defer { bench.stop() }
        let grantCount = (rows + 11) / 12
        print("setting up \(grantCount) grants ...")
        let (county, provider) = try await bench.prepareTemplate(grants: grantCount)
        try await bench.openYears(BenchCluster.template, county: county, years: 2026...2026)
        let admin = try await bench.superuser(BenchCluster.template)
        // Commitments as the grants would have written them: 12 months each.
        try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO commitment (tenant_id, grant_id, month, social_space, amount)
                    SELECT g.tenant_id, g.id, m::date, r.social_space, 60000
                    FROM grant_decision g JOIN residence r ON r.case_id = g.case_id
                    CROSS JOIN generate_series(DATE '2026-01-01', DATE '2026-12-01', interval '1 month') m
                    """))
        try await admin.runScript(unsafeSQL: "VACUUM ANALYZE")
        let grantIDs = try await admin.query(PostgresQuery(unsafeSQL: "SELECT id FROM grant_decision ORDER BY id")).map
        {
            try $0.decode(0, as: UUID.self)
        }
        try await bench.cloneTemplate("bench_psql")
        try await bench.cloneTemplate("bench_service")
        try await bench.cloneTemplate("bench_stored")

        var csv = "grant_id,month,quantity\n"
        var tsv = ""
        csv.reserveCapacity(rows * 52)
        tsv.reserveCapacity(rows * 130)
        var made = 0
        outer: for id in grantIDs {
            for month in 1...12 {
                guard made < rows else { break outer }
                let yearMonth = YearMonth(year: 2026, month: month)!
                csv += "\(id),\(yearMonth),8\n"
                tsv += "\(UUID())\t\(provider)\t\(id)\t\(yearMonth.firstDay)\t800\t800\t48000\n"
                made += 1
            }
        }
        let tsvPath = bench.directory.appendingPathComponent("deliveries.tsv").path
        try tsv.write(toFile: tsvPath, atomically: true, encoding: .utf8)
        try? FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: tsvPath)

        let psql = bench.cluster.binDirectory.appendingPathComponent("psql").path
        print("psql \\copy of \(made) delivery rows ...")
        let copyStart = ContinuousClock.now
        _ = try bench.runTool([
            psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", bench.cluster.conninfo(database: "bench_psql"),
            "-c",
            "\\copy sozialraum.delivery (id, tenant_id, grant_id, month, quantity, payable, cost) FROM '\(tsvPath)'",
        ])
        let copySeconds = elapsedSeconds(ContinuousClock.now - copyStart)

        print("service import of \(made) deliveries ...")
        let store = Store(
            conninfo: bench.cluster.conninfo(database: "bench_service", user: DatabaseRoles.defaultLogin),
            maxConnections: 2, logger: logger)
        let service = GrantService(store: store, logger: logger, today: { Day(iso: "2026-11-25")! })
        let caller = Caller(tenant: provider, role: .provider, name: "bench")
        let importStart = ContinuousClock.now
        let outcome = try await service.importDeliveries(
            caller, csv: csv, idempotencyKey: IdempotencyKey("bench-import-1")!)
        let importSeconds = elapsedSeconds(ContinuousClock.now - importStart)
        await store.shutdown()
        guard outcome.deliveries == made else { throw ValidationError("imported \(outcome.deliveries) of \(made)") }
        print(
            String(
                format:
                    "import-deliveries rows=%d: psql \\copy %.2f s, service %.2f s (%d deliveries + %d bookings, commitments released), ratio service/psql = %.2f, peak memory %.0f MiB",
                made, copySeconds, importSeconds, outcome.deliveries, outcome.bookings, importSeconds / copySeconds,
                peakMemoryMiB()))

        // The second baseline: psql \copy of every row the service stored (its deliveries and their
        // ledger bookings, exported from its database) into the same two tables of a fresh clone.
        let storedDeliveries = bench.directory.appendingPathComponent("stored-deliveries.tsv").path
        let storedBookings = bench.directory.appendingPathComponent("stored-bookings.tsv").path
        let deliveryColumns = "id, tenant_id, grant_id, month, quantity, payable, cost, generation"
        let bookingColumns =
            "tenant_id, kind, booked_month, service_month, social_space, component, amount, grant_id, delivery_id, corrects, actor, request_id"
        _ = try bench.runTool([
            psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", bench.cluster.conninfo(database: "bench_service"),
            "-c", "\\copy (SELECT \(deliveryColumns) FROM sozialraum.delivery) TO '\(storedDeliveries)'",
            "-c",
            "\\copy (SELECT \(bookingColumns) FROM sozialraum.booking WHERE kind = 'delivery' ORDER BY id) TO '\(storedBookings)'",
        ])
        print(
            "psql \\copy of the \(outcome.deliveries) deliveries and \(outcome.bookings) bookings the service stored ..."
        )
        let storedStart = ContinuousClock.now
        _ = try bench.runTool([
            psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-d", bench.cluster.conninfo(database: "bench_stored"),
            "-c", "\\copy sozialraum.delivery (\(deliveryColumns)) FROM '\(storedDeliveries)'",
            "-c", "\\copy sozialraum.booking (\(bookingColumns)) FROM '\(storedBookings)'",
        ])
        let storedSeconds = elapsedSeconds(ContinuousClock.now - storedStart)
        print(
            String(
                format:
                    "import-deliveries rows=%d: psql \\copy of the stored rows (deliveries and bookings) %.2f s, service %.2f s, ratio service/psql = %.2f",
                made, storedSeconds, importSeconds, importSeconds / storedSeconds))
    }
}

/// Available funds of one Sozialraum and year over a long, large ledger.
struct FundsQuery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "funds-query",
        abstract:
            "p50/p99 of the available-funds query over YEARS years x LINES ledger lines, vs a primary-key SELECT baseline."
    )

    @Option(help: "Ledger lines per year.")
    var lines = 1_000_000

    @Option(help: "Years of history.")
    var years = 10

    @Option(help: "Queries to time.")
    var queries = 2000

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let bench = try BenchCluster.start(logger: logger)
        defer { bench.stop() }
        let grantCount = lines / 12
        print("setting up \(years) years x \(lines) lines ...")
        let (county, provider) = try await bench.prepareTemplate(grants: grantCount)
        let firstYear = 2026 - years + 1
        try await bench.openYears(BenchCluster.template, county: county, years: firstYear...2026)
        let admin = try await bench.superuser(BenchCluster.template)
        try await BenchCluster.fillLedger(admin, provider: provider, lines: lines, years: firstYear...2026)
        try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO commitment (tenant_id, grant_id, month, social_space, amount, released)
                    SELECT g.tenant_id, g.id, m::date, r.social_space, 60000, m < DATE '2026-11-01'
                    FROM grant_decision g JOIN residence r ON r.case_id = g.case_id
                    CROSS JOIN generate_series(DATE '2026-01-01', DATE '2026-12-01', interval '1 month') m
                    """))
        try await admin.runScript(unsafeSQL: "VACUUM ANALYZE")
        let bookings = try await admin.query(PostgresQuery(unsafeSQL: "SELECT count(*)::bigint FROM booking")).single()
            .decode(
                0, as: Int64.self)

        let store = Store(
            conninfo: bench.cluster.conninfo(database: BenchCluster.template, user: DatabaseRoles.defaultLogin),
            maxConnections: 1, logger: logger)
        let service = BudgetService(store: store, logger: logger, today: { Day(iso: "2026-11-25")! })
        let caller = Caller(tenant: county, role: .county, name: "bench")
        var fundsTimes: [Double] = []
        var baselineTimes: [Double] = []
        for index in 0..<queries {
            let space = SocialSpaceCode(BenchCluster.spaces[index % 3])!
            let year = firstYear + index % years
            let start = ContinuousClock.now
            _ = try await service.availableFunds(caller, socialSpace: space, year: year)
            fundsTimes.append(elapsedSeconds(ContinuousClock.now - start) * 1000)
            // Baseline: a transaction with tenant context and one primary-key lookup, same pool.
            let baselineStart = ContinuousClock.now
            _ = try await store.withTenant(county, readOnly: true) { tx in
                try await tx.query(unsafeSQL: "SELECT year FROM fiscal_year WHERE year = $1", [year]).count
            }
            baselineTimes.append(elapsedSeconds(ContinuousClock.now - baselineStart) * 1000)
        }
        await store.shutdown()
        func percentile(_ values: [Double], _ p: Double) -> Double {
            values.sorted()[min(values.count - 1, Int(Double(values.count) * p))]
        }
        print(
            String(
                format:
                    "funds-query ledger=%d lines (%d years): p50 %.2f ms, p99 %.2f ms; baseline pk-lookup transaction p50 %.2f ms, p99 %.2f ms; ratio p99 = %.1f",
                bookings, years, percentile(fundsTimes, 0.5), percentile(fundsTimes, 0.99),
                percentile(baselineTimes, 0.5),
                percentile(baselineTimes, 0.99), percentile(fundsTimes, 0.99) / percentile(baselineTimes, 0.99)))
    }
}

/// The admin socket under load: `funds` at N concurrent sessions vs `pgbench -S -c N`, and the
/// daemon's memory with many idle sessions.
struct AdminFunds: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin-funds",
        abstract: "funds over the admin socket at N sessions vs pgbench -S -c N; RSS with idle sessions.")

    @Option(help: "Concurrent sessions (and pgbench clients).")
    var sessions = 64

    @Option(help: "Seconds each side runs.")
    var seconds = 10

    @Option(help: "Idle sessions for the memory figure.")
    var idle = 200

    @Flag(help: "Keep the cluster afterwards (prints its conninfo) to look at plans.")
    var keep = false

    @Option(help: "Database connections of the daemon's pool (the daemon's default: 10).")
    var connections = 10

    @Option(help: "The request each session sends in its loop.")
    var command = "funds achim-oyten 2026"

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let bench = try BenchCluster.start(logger: logger)
        defer {
            if keep { print("kept: \(bench.cluster.conninfo(database: BenchCluster.template))") } else { bench.stop() }
        }
        let (county, _) = try await bench.prepareTemplate(grants: 1000)
        try await bench.openYears(BenchCluster.template, county: county, years: 2026...2026)
        let store = Store(
            conninfo: bench.cluster.conninfo(database: BenchCluster.template, user: DatabaseRoles.defaultLogin),
            maxConnections: connections, logger: logger)
        let accounts = AccountService(store: store, logger: logger)
        try await accounts.setAccount(
            name: "bench", tenant: county, role: .county, secret: AccountService.generateToken(), actingAs: county)
        let path = bench.directory.appendingPathComponent("admin.sock").path
        var configuration = AdminSocketConfiguration(unixSocketPath: path)
        configuration.peerAccounts = [getuid(): "bench"]
        configuration.limits.maximumSessions = max(256, idle + sessions + 8)
        configuration.limits.maximumSessionsPerAccount = max(32, idle + sessions + 8)
        let (listening, signal) = AsyncStream<Void>.makeStream()
        let server = AdminServer(
            configuration: configuration,
            services: UseCases(
                store: store, logger: logger, today: { Day(iso: "2026-11-25")! }, accounts: accounts),
            logger: logger,
            onListening: { _ in
                signal.yield()
                signal.finish()
            })
        let serverTask = Task { try await server.run() }
        for await _ in listening {}

        // Memory: the process RSS before and after opening idle sessions (each logged in by peer uid).
        let before = residentMiB()
        var idleClients: [BlockingClient] = []
        for _ in 0..<idle {
            let client = try BlockingClient(path: path)
            _ = client.request("ping")
            idleClients.append(client)
        }
        let withIdle = residentMiB()

        // Throughput and latency over the socket: the command, then `ping` (the protocol alone, no database).
        let (rate, p99) = try await drive(command, path: path)
        let (pingRate, pingP99) = try await drive("ping", path: path)
        idleClients.removeAll()
        serverTask.cancel()

        let pgbench = bench.cluster.binDirectory.appendingPathComponent("pgbench").path
        let conninfo = bench.cluster.conninfo(database: BenchCluster.template)
        _ = try bench.runTool([pgbench, "-i", "-q", "-s", "1", conninfo])
        let tps = try bench.pgbenchTPS([
            pgbench, "-n", "-S", "-c", "\(sessions)", "-j", "4", "-T", "\(seconds)", conninfo,
        ])
        print(
            String(
                format:
                    "admin-funds sessions=%d: %@ %.0f req/s, p99 %.2f ms; pgbench -S -c %d: %.0f tps; ratio admin/pgbench = %.2f",
                sessions, command, rate, p99, sessions, tps, rate / tps))
        print(
            String(
                format: "admin-funds ping (no database): %.0f req/s, p99 %.2f ms; ratio ping/pgbench = %.2f", pingRate,
                pingP99, pingRate / tps))

        // The database's share, without the daemon: pgbench sending what the daemon sends for one
        // `funds` (as the runtime role, so RLS applies; one pipeline: BEGIN READ ONLY, the tenant
        // context, the statement, COMMIT), and the same transaction around one primary-key read, the
        // cheapest read a command can make under the project's tenant rule.
        let runtime =
            bench.cluster.conninfo(database: BenchCluster.template, user: DatabaseRoles.defaultLogin)
            + " options=-csearch_path=\(DatabaseRoles.schema)"
        for (name, statement) in [
            ("funds statement", BenchCluster.fundsStatement(space: "achim-oyten", year: 2026)),
            (
                "primary-key read",
                "SELECT amount FROM appropriation WHERE year = 2026 AND social_space = 'achim-oyten' AND component = 'case'"
            ),
        ] {
            let script = try bench.tenantReadScript(county: county, statement: statement)
            let scriptedTPS = try bench.pgbenchTPS(
                [
                    pgbench, "-n", "-M", "prepared", "-f", script.path, "-c", "\(sessions)", "-j", "4", "-T",
                    "\(seconds)", runtime,
                ])
            print(
                String(
                    format:
                        "admin-funds tenant transaction (%@) through pgbench -c %d, pipelined: %.0f tps; ratio that/pgbench -S = %.2f",
                    name, sessions, scriptedTPS, scriptedTPS / tps))
        }
        print(
            String(
                format: "admin-funds idle sessions=%d: process RSS %.1f MiB before, %.1f MiB with them (+%.1f MiB)",
                idle, before, withIdle, withIdle - before))
    }

    /// `sessions` blocking clients send `line` in a loop for `seconds`: requests per second and p99 in ms.
    private func drive(_ line: String, path: String) async throws -> (rate: Double, p99: Double) {
        let load = try await SessionLoad.drive(sessions: sessions, seconds: seconds, path: { _ in path }) { _, _ in line
        }
        return (load.rate, load.percentile(0.99))
    }

}

/// Resident memory of this process now, in MiB (from /proc/self/statm).
func residentMiB() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
        let pages = text.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
    else { return 0 }
    return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
}

/// A blocking Unix-socket client for load generation on plain threads: `sozialraumctl`'s connection.
final class BlockingClient: @unchecked Sendable {
    let connection: UnixConnection

    init(path: String) throws {
        do { connection = try UnixConnection(path: path) } catch {
            throw ValidationError("cannot connect to \(path): \(error)")
        }
    }

    /// Sends one request and returns its status line ("" when the connection closed).
    func request(_ line: String) -> String {
        connection.write(line + "\n")
        return connection.readReply()?.status ?? ""
    }
}

/// A value behind a lock, for results gathered from threads.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
