import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 30 (item 2): the backup and restore of docs/operations.md, with the real `pg_dump` and
/// `sozialraumd restore` (which runs the real `pg_restore`), compared figure by figure.
@Suite struct BackupRestoreTests {
    /// A populated database is dumped as the docs say, restored into a new one as the docs say, and the
    /// daemon started on each answers the same: funds, bookings, runs and issued statements; the ledger's
    /// sums per tenant and the statements' hashes agree in the database; the dumped scheduler instance is
    /// not carried over as live.
    @Test(.timeLimit(.minutes(5))) func aRestoredDatabaseAnswersAsTheOriginalDid() async throws {
        let world = try await BudgetWorld.make()
        // Alpha's case, 12 h delivered in March (10 h granted: 600.00 booked, 2 h a finding), a year's run
        // and alpha's statement of it issued (frozen, hashed by the database).
        let grant = try await world.grantedCase()
        _ = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: YearMonth(iso: "2026-03")!, quantity: Quantity(hundredths: 12_00),
            idempotencyKey: world.key("delivery-march"))
        let reconciler = world.reconciler()
        let yearRun = try await reconciler.run(world.county, scope: .year(2026))
        _ = try await reconciler.issueStatement(world.county, runID: yearRun.runID, provider: world.alpha.tenant)
        try await AccountService(store: world.store, logger: Logger(label: "test"), scryptRounds: 1024).setAccount(
            name: "kaemmerei", tenant: world.county.tenant, role: .county, secret: AccountService.generateToken(),
            actingAs: world.county.tenant)
        // A live scheduler instance at the time of the dump.
        let jobs = JobService(store: world.store, logger: Logger(label: "test"))
        _ = try await jobs.registerInstance(
            name: "verden-1", token: UUID().uuidString.lowercased(), now: try await jobs.databaseNow(),
            staleAfterSeconds: 60, process: InstanceProcess(host: "production", bootID: "b", pid: 4242))

        // Backup as in docs/operations.md: pg_dump -Fc as a superuser, without the live instances.
        let cluster = world.database.cluster
        let dump = TestScratch.path("backup", suffix: ".dump")
        let dumped = try await run([
            cluster.binDirectory.appendingPathComponent("pg_dump").path, "-Fc",
            "--exclude-table-data=sozialraum.scheduler_instance", "-f", dump, "--dbname",
            world.database.superuserConninfo,
        ])
        #expect(dumped.status == 0, "\(dumped.output)")

        // Restore as in docs/operations.md, into a database that does not exist yet.
        let restoredName = "restored_\(UUID().uuidString.prefix(8).lowercased())"
        let restoredSuperuser = cluster.conninfo(database: restoredName)
        let restored = try await run([
            Subprocess.binary("sozialraumd"), "restore", "--superuser-conninfo", restoredSuperuser, dump,
        ])
        #expect(restored.status == 0, "\(restored.output)")
        #expect(restored.output.contains { $0.hasPrefix("restored \(dump) into \(restoredName)") })
        // Restoring over it again is refused: nothing is restored on top of a database.
        let again = try await run([
            Subprocess.binary("sozialraumd"), "restore", "--superuser-conninfo", restoredSuperuser, dump,
        ])
        #expect(again.status != 0)
        #expect(again.output.joined().contains("database \(restoredName) exists"))

        // The database's own figures.
        func figures(_ conninfo: String) async throws -> [String] {
            let connection = try await PostgresConnection.connect(conninfo: conninfo)
            var lines: [String] = []
            for row in try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT tenant_id::text || ' ' || count(*) || ' ' || sum(amount) AS line
                        FROM sozialraum.booking GROUP BY tenant_id ORDER BY tenant_id
                        """))
            {
                lines.append(try row.decode("line", as: String.self))
            }
            for row in try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT id || ' ' || state || ' ' || items || ' ' || encode(content_hash, 'hex') AS line
                        FROM sozialraum.statement_document ORDER BY id
                        """))
            {
                lines.append(try row.decode("line", as: String.self))
            }
            let instances = try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT count(*)::text AS n FROM sozialraum.scheduler_instance"))
            lines.append("instances " + (try instances.single().decode("n", as: String.self)))
            return lines
        }
        let original = try await figures(world.database.superuserConninfo)
        let copy = try await figures(restoredSuperuser)
        // One booking (600.00 for March: 10 h at 60.00), one issued statement, the instance in the original.
        #expect(original.first == "\(world.alpha.tenant) 1 60000")
        #expect(original.count == 3 && original.last == "instances 1")
        #expect(copy.dropLast() == original.dropLast())
        #expect(copy.last == "instances 0")

        // The daemon on each: the same answers to the same requests, through the real socket.
        let requests = [
            "funds nord 2026 format=csv", "funds sued 2026 format=csv", "bookings 2026-03 format=csv",
            "runs format=csv", "issued-statements format=csv", "issued-statement 1 format=csv",
        ]
        let before = try await answers(runtime: world.database.runtimeConninfo, requests)
        let after = try await answers(
            runtime: cluster.conninfo(database: restoredName, user: DatabaseRoles.defaultLogin), requests)
        #expect(before.allSatisfy { $0.hasPrefix("OK") || $0.hasPrefix("- ") })
        #expect(before.count > requests.count)
        #expect(after == before)
    }

    /// Runs a tool without the caller's SOZIALRAUM_CONFIG.
    func run(_ argv: [String]) async throws -> (status: Int32, output: [String]) {
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SOZIALRAUM_CONFIG")
        return try await Subprocess.run(argv, environment: environment)
    }

    /// Starts `sozialraumd serve` on `runtime` with this uid as `kaemmerei`, sends `requests` and stops it.
    func answers(runtime: String, _ requests: [String]) async throws -> [String] {
        let state = TestScratch.path("restore-state")
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SOZIALRAUM_CONFIG")
        environment["SOZIALRAUM_DATABASE_CONNINFO"] = runtime
        environment["SOZIALRAUM_STATE_DIRECTORY"] = state
        environment["SOZIALRAUM_ADMIN_PEER_ACCOUNTS"] = "\(getuid())=kaemmerei"
        let daemon = try Subprocess([Subprocess.binary("sozialraumd"), "serve"], environment: environment)
        var lines = daemon.lines.makeAsyncIterator()
        #expect(await Subprocess.lines(&lines, until: "sozialraumd ready") != nil)
        let client = try LineClient(path: state + "/admin.sock")
        var replies: [String] = []
        for request in requests {
            let reply = await client.request(request)
            replies += (reply?.data.map { "- " + $0 } ?? []) + [reply?.status ?? "no reply"]
        }
        daemon.signal(SIGTERM)
        #expect(await daemon.exitStatus() == 0)
        return replies
    }
}
