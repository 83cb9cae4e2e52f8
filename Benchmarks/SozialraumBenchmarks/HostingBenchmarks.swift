import ArgumentParser
import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import SozialraumDomain
import SozialraumInterfaces
import SozialraumServices
import SozialraumStore

/// A municipal data centre: COUNTIES counties on one cluster, each with YEARS years of LINES ledger lines a
/// year, each served by its own admin socket (its own daemon's parts in this process); SESSIONS sessions
/// spread over the counties ask `funds` in a loop. Compared with the same tenant transaction through
/// pgbench (as in `admin-funds`) and with `pgbench -S`, in the same run.
struct Hosting: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hosting",
        abstract: "funds at N sessions over C counties on one cluster (Y years x L lines each) vs pgbench.")

    @Option(help: "Counties (databases) on the cluster.")
    var counties = 10

    @Option(help: "Years of history per county.")
    var years = 3

    @Option(help: "Ledger lines per year and county.")
    var lines = 100_000

    @Option(help: "Concurrent sessions, spread over the counties (and pgbench clients).")
    var sessions = 64

    @Option(help: "Seconds each side runs.")
    var seconds = 10

    @Option(help: "Database connections of each county's pool.")
    var connections = 6

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let bench = try BenchCluster.start(logger: logger)
        defer { bench.stop() }
        print("setting up one county: \(years) years x \(lines) lines ...")
        let (county, provider) = try await bench.prepareTemplate(grants: 1000)
        let firstYear = 2026 - years + 1
        try await bench.openYears(BenchCluster.template, county: county, years: firstYear...2026)
        let admin = try await bench.superuser(BenchCluster.template)
        try await BenchCluster.fillLedger(admin, provider: provider, lines: lines, years: firstYear...2026)
        let store = Store(
            conninfo: bench.cluster.conninfo(database: BenchCluster.template, user: DatabaseRoles.defaultLogin),
            maxConnections: 1, logger: logger)
        let accounts = AccountService(store: store, logger: logger)
        try await accounts.setAccount(
            name: "bench", tenant: county, role: .county, secret: AccountService.generateToken(), actingAs: county)
        guard let account = try await accounts.account(named: "bench") else { throw ValidationError("no account") }
        await store.shutdown()
        try await admin.runScript(unsafeSQL: "VACUUM ANALYZE")
        let names = (1...counties).map { "county_\($0)" }
        print("cloning \(counties) counties ...")
        for name in names { try await bench.cloneTemplate(name) }

        // One admin socket per county, with its own pool: as one daemon per county would run.
        var servers: [(task: Task<Void, any Error>, store: Store, path: String)] = []
        for name in names {
            let countyStore = Store(
                conninfo: bench.cluster.conninfo(database: name, user: DatabaseRoles.defaultLogin),
                maxConnections: connections, logger: logger)
            let path = bench.directory.appendingPathComponent("\(name).sock").path
            var configuration = AdminSocketConfiguration(unixSocketPath: path)
            configuration.peerAccounts = [getuid(): "bench"]
            configuration.limits.maximumSessionsPerAccount = max(32, sessions + 8)
            let (listening, signal) = AsyncStream<Void>.makeStream()
            let server = AdminServer(
                configuration: configuration,
                services: UseCases(store: countyStore, logger: logger, today: { Day(iso: "2026-11-25")! }),
                logger: logger, onListening: { _ in signal.finish() })
            let task = Task { try await server.run() }
            for await _ in listening {}
            servers.append((task, countyStore, path))
        }

        // Session i talks to county i % counties and asks for a Sozialraum and year in turn.
        let paths = servers.map(\.path)
        let (spaces, years) = (BenchCluster.spaces, self.years)
        let load = try await SessionLoad.drive(
            sessions: sessions, seconds: seconds, path: { paths[$0 % paths.count] }
        ) { index, turn in
            let at = index + turn
            return "funds \(spaces[at % 3]) \(firstYear + (at / 3) % years)"
        }
        guard !load.latencies.isEmpty else { throw ValidationError("no request was answered") }
        let (rate, p50, p99) = (load.rate, load.percentile(0.5), load.percentile(0.99))
        for server in servers {
            server.task.cancel()
            await server.store.shutdown()
        }

        // The baselines: the same tenant transaction (BEGIN READ ONLY, tenant context, the funds statement,
        // COMMIT, pipelined) through pgbench, and pgbench -S, each with SESSIONS clients on one county.
        let pgbench = bench.cluster.binDirectory.appendingPathComponent("pgbench").path
        let runtime =
            bench.cluster.conninfo(database: names[0], user: DatabaseRoles.defaultLogin)
            + " options=-csearch_path=\(DatabaseRoles.schema)"
        let script = try bench.tenantReadScript(
            county: county, statement: BenchCluster.fundsStatement(space: "achim-oyten", year: 2026),
            name: "hosting-funds")
        // Its latencies too: what 64 clients wait for it from 64 backends on this machine.
        let (transactionTPS, bareLatencies) = try bench.pgbenchLatencies([
            pgbench, "-n", "-M", "prepared", "-f", script.path, "-c", "\(sessions)", "-j", "4", "-T", "\(seconds)",
            runtime,
        ])
        let bare = SessionLoad(latencies: bareLatencies, seconds: Double(seconds))
        // The daemon's own transaction (its context statement with the account check, the funds statement with
        // its parameters) through pgbench: what PostgreSQL alone does of our requests on this machine, the
        // most any daemon could serve here.
        let daemonsOwn = try bench.pgbenchScript(
            replaying: RequestAccount.$check.withValue(
                AccountCheck(name: account.name, generation: account.generation, rights: account.rights)
            ) {
                LedgerStore.fundsPipeline(tenant: county, socialSpace: SocialSpaceCode("achim-oyten")!, year: 2026)
            }, name: "hosting-daemons-own")
        let (ownTPS, ownLatencies) = try bench.pgbenchLatencies(
            [pgbench, "-n", "-M", "prepared", "-f", daemonsOwn.script.path] + daemonsOwn.variables + [
                "-c", "\(sessions)", "-j", "4", "-T", "\(seconds)", runtime,
            ])
        let own = SessionLoad(latencies: ownLatencies, seconds: Double(seconds))
        let conninfo = bench.cluster.conninfo(database: names[0])
        _ = try bench.runTool([pgbench, "-i", "-q", "-s", "1", conninfo])
        let selectTPS = try bench.pgbenchTPS([
            pgbench, "-n", "-S", "-c", "\(sessions)", "-j", "4", "-T", "\(seconds)", conninfo,
        ])
        print(
            String(
                format:
                    "hosting counties=%d years=%d lines/year=%d sessions=%d: funds %.0f req/s, p50 %.2f ms, p99 %.2f ms (goal < 20 ms)",
                counties, years, lines, sessions, rate, p50, p99))
        print(
            String(
                format:
                    "hosting baselines: the funds tenant transaction through pgbench -c %d: %.0f tps (ratio admin/that = %.2f), p50 %.2f ms, p99 %.2f ms (ratio of p99s admin/that = %.2f); pgbench -S: %.0f tps (ratio admin/pgbench -S = %.2f)",
                sessions, transactionTPS, rate / transactionTPS, bare.percentile(0.5), bare.percentile(0.99),
                p99 / bare.percentile(0.99), selectTPS, rate / selectTPS))
        print(
            String(
                format:
                    "hosting ceiling: the daemon's own transaction (account check, parameters) through pgbench -c %d: %.0f tps (ratio admin/that = %.2f), p50 %.2f ms, p99 %.2f ms (ratio of p99s admin/that = %.2f)",
                sessions, ownTPS, rate / ownTPS, own.percentile(0.5), own.percentile(0.99), p99 / own.percentile(0.99)))
    }
}
