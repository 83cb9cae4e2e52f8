import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 30 (item 12): PostgreSQL's own streaming replication, a standby made by `pg_basebackup -R` with
/// synchronous replication (`synchronous_standby_names = '*'`, `synchronous_commit = on`: a commit is
/// acknowledged once the standby has it). The daemon, given both servers with
/// `target_session_attrs=read-write`, writes under load; the primary stops, the standby is promoted; the
/// daemon goes on on the new primary, every write it acknowledged is there, and a scheduled run runs once.
@Suite struct StandbyFailoverTests {
    static let logger = Logger(label: "test.failover")

    @Test(.timeLimit(.minutes(5))) func theDaemonGoesOnOnThePromotedStandbyWithEveryAcknowledgedWrite() async throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("sozialraum-failover-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let primary = try EmbeddedPostgres(directory: base.appendingPathComponent("primary"), logger: Self.logger)
        try await primary.started()
        TestClusterCleanup.register(primary)
        let county = try await Self.prepareDatabase(on: primary)

        // The standby: a base backup of the primary with its replication settings (-R), then started.
        let standbyDirectory = base.appendingPathComponent("standby")
        try Self.makeDirectory(standbyDirectory, for: primary.superuser)
        let backup = try await Self.run(
            asUser: primary.superuser,
            [
                primary.binDirectory.appendingPathComponent("pg_basebackup").path, "-h", primary.socketDirectory.path,
                "-p", "\(primary.port)", "-U", primary.superuser, "-D",
                standbyDirectory.appendingPathComponent("data").path, "-R", "-X", "stream", "-c", "fast",
            ])
        #expect(backup.status == 0, "\(backup.output)")
        let standby = try EmbeddedPostgres(directory: standbyDirectory, logger: Self.logger)
        try await standby.started()
        TestClusterCleanup.register(standby)

        // Synchronous replication: from here on a commit returns once the standby has it.
        let admin = try await PostgresConnection.connect(conninfo: primary.conninfo(database: "postgres"))
        // ALTER SYSTEM may not run in a transaction block: a statement of its own.
        try await admin.runScript(unsafeSQL: "ALTER SYSTEM SET synchronous_standby_names = '*'")
        try await admin.runScript(unsafeSQL: "SELECT pg_reload_conf()")
        var synchronous = false
        while !synchronous {
            let rows = try await admin.query(
                PostgresQuery(unsafeSQL: "SELECT count(*)::int AS n FROM pg_stat_replication WHERE sync_state = 'sync'")
            )
            synchronous = try rows.single().decode("n", as: Int.self) == 1
            if !synchronous { try await Task.sleep(for: .milliseconds(50)) }  // polling a condition, not a timing
        }

        // The daemon on both servers, as docs/operations.md says.
        let state = TestScratch.path("failover-state")
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SOZIALRAUM_CONFIG")
        environment["SOZIALRAUM_DATABASE_CONNINFO"] =
            "host=\(primary.socketDirectory.path),\(standby.socketDirectory.path) port=\(primary.port) "
            + "dbname=failover user=\(DatabaseRoles.defaultLogin) target_session_attrs=read-write"
        environment["SOZIALRAUM_DATABASE_ACQUIRE_TIMEOUT_SECONDS"] = "2"
        environment["SOZIALRAUM_STATE_DIRECTORY"] = state
        environment["SOZIALRAUM_ADMIN_PEER_ACCOUNTS"] = "\(getuid())=leitung"
        let daemon = try Subprocess([Subprocess.binary("sozialraumd"), "serve"], environment: environment)
        var lines = daemon.lines.makeAsyncIterator()
        #expect(await Subprocess.lines(&lines, until: "sozialraumd ready") != nil)
        let client = try LineClient(path: state + "/admin.sock")
        #expect(await client.request("whoami")?.status.hasPrefix("OK leitung@\(county)") == true)

        // Writes under load: one provider per request, each acknowledged (OK) or not.
        var acknowledged: [String] = []
        var number = 0
        func write() async -> Bool {
            number += 1
            let code = String(format: "p%04d", number)
            let reply = await client.request("provider-register \(code) \"Träger \(number)\"")
            if reply?.status.hasPrefix("OK Träger \(code) ") == true {
                acknowledged.append(code)
                return true
            }
            return false
        }
        for _ in 0..<20 { _ = await write() }
        #expect(acknowledged.count == 20)

        // The primary stops (its clients are cut off); writes fail meanwhile, none is acknowledged falsely.
        try await primary.stopped()
        var failedDuringOutage = 0
        for _ in 0..<3 where !(await write()) { failedDuringOutage += 1 }
        #expect(failedDuringOutage == 3, "no server takes writes between the stop and the promotion")
        let promoted = try await Self.run(
            asUser: standby.superuser,
            [
                standby.binDirectory.appendingPathComponent("pg_ctl").path, "promote", "-w", "-D",
                standby.dataDirectory.path,
            ])
        #expect(promoted.status == 0, "\(promoted.output)")

        // The daemon goes on on the new primary: the pool reconnects by itself.
        var afterFailover = 0
        for _ in 0..<200 where afterFailover < 20 {
            if await write() { afterFailover += 1 }
        }
        #expect(afterFailover == 20)

        // Every acknowledged write is on the new primary.
        let newPrimary = try await PostgresConnection.connect(conninfo: standby.conninfo(database: "failover"))
        let stored = try await newPrimary.query(
            PostgresQuery(unsafeSQL: "SELECT code FROM sozialraum.tenant WHERE kind = 'provider' ORDER BY code")
        ).map { try $0.decode("code", as: String.self) }
        #expect(Set(acknowledged).isSubset(of: Set(stored)), "\(Set(acknowledged).subtracting(stored))")
        #expect(acknowledged.count == 40)

        // The scheduler goes on too: a run queued now runs once, on the new primary.
        #expect(
            await client.request("run-now nightly-month-to-date key=after-failover-1")?.status.hasPrefix("OK") == true)
        var finished = false
        while !finished {
            let jobs = await client.request("jobs nightly-month-to-date format=csv")
            finished = jobs?.data.dropFirst().contains { $0.contains(",succeeded,") || $0.contains(",failed,") } == true
            if !finished { try await Task.sleep(for: .milliseconds(100)) }  // polling a condition, not a timing
        }
        // One run for the request (its key is the county's), one attempt, succeeded; one reconciliation.
        let runs = try await newPrimary.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT count(*)::int AS n, min(state) AS state, max(attempts)::int AS attempts
                    FROM sozialraum.job_run WHERE request_key = '\(county):after-failover-1'
                    """)
        ).single()
        #expect(try runs.decode("n", as: Int.self) == 1)
        #expect(try runs.decode("state", as: String?.self) == "succeeded")
        #expect(try runs.decode("attempts", as: Int?.self) == 1)
        let reconciliations = try await newPrimary.query(
            PostgresQuery(unsafeSQL: "SELECT count(*)::int AS n FROM sozialraum.reconciliation_run"))
        #expect(try reconciliations.single().decode("n", as: Int.self) == 1)

        daemon.signal(SIGTERM)
        #expect(await daemon.exitStatus() == 0)
    }

    /// The failover database: roles, schema, the county, the year 2026 open, and the county's account.
    static func prepareDatabase(on cluster: EmbeddedPostgres) async throws -> TenantID {
        let maintenance = try await PostgresConnection.connect(conninfo: cluster.conninfo(database: "postgres"))
        try await DatabaseRoles.createDatabaseIfMissing("failover", on: maintenance)
        try await DatabaseRoles.prepare(
            on: try await PostgresConnection.connect(conninfo: cluster.conninfo(database: "failover")))
        try await Migrator(logger: logger).migrate(conninfo: cluster.conninfo(database: "failover"))
        let county = try await TenantRegistry.ensureCounty(
            name: "Landkreis Verden", ownerConninfo: cluster.conninfo(database: "failover"))
        let store = Store(
            conninfo: cluster.conninfo(database: "failover", user: DatabaseRoles.defaultLogin), maxConnections: 2,
            logger: logger)
        try await BudgetService(store: store, logger: logger, today: { BudgetWorld.today }).openYear(
            Caller(tenant: county, role: .county, name: "test"), year: 2026, overrunPolicy: .warn)
        try await AccountService(store: store, logger: logger, scryptRounds: 1024).setAccount(
            name: "leitung", tenant: county, role: .county, secret: AccountService.generateToken(), actingAs: county,
            rights: [.caseWork])
        await store.shutdown()
        return county
    }

    static func makeDirectory(_ url: URL, for user: String) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        var attributes: [FileAttributeKey: Any] = [.posixPermissions: 0o700]
        if geteuid() == 0 { attributes[.ownerAccountName] = user }
        try FileManager.default.setAttributes(attributes, ofItemAtPath: url.path)
    }

    /// Runs a PostgreSQL tool as the cluster's OS user (root runs it through runuser, as the clusters do).
    static func run(asUser user: String, _ argv: [String]) async throws -> (status: Int32, output: [String]) {
        try await Subprocess.run(geteuid() == 0 ? ["/usr/sbin/runuser", "-u", user, "--"] + argv : argv)
    }
}
