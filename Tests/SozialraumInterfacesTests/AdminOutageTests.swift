import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumInterfaces
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 17: while the database is away, a new connection is still answered: `ping`, `status` (which
/// says the database is unreachable) and `UNAVAILABLE` for everything that needs the database.
@Suite struct AdminOutageTests {
    /// An admin socket whose database is not there (nothing listens on that socket directory); the peer's
    /// uid maps to the operator account `it`. Returns the socket's path and how to stop it.
    static func serverWithoutDatabase() async throws -> (path: String, stop: @Sendable () -> Void) {
        let logger = Logger(label: "test.outage")
        let store = Store(
            conninfo: "host=/nonexistent-sozialraum port=1 dbname=none user=none connect_timeout=1",
            maxConnections: 2, acquireTimeout: .seconds(2), logger: logger)
        let path = NSTemporaryDirectory() + "sozialraum-outage-\(UUID().uuidString.prefix(8)).sock"
        var configuration = AdminSocketConfiguration(unixSocketPath: path)
        configuration.peerAccounts = [getuid(): "it"]
        let (listening, ready) = AsyncStream<Void>.makeStream()
        let server = AdminServer(
            configuration: configuration,
            services: UseCases(
                store: store, logger: logger, today: { BudgetWorld.today },
                accounts: AccountService(store: store, logger: logger, scryptRounds: 1024)),
            logger: logger, onListening: { _ in ready.finish() })
        let task = Task { try await server.run() }
        for await _ in listening {}
        return (
            path,
            {
                task.cancel()
                Task { await store.shutdown() }
            }
        )
    }

    @Test(.timeLimit(.minutes(3))) func aNewConnectionDuringAnOutageIsAnswered() async throws {
        let (path, stop) = try await Self.serverWithoutDatabase()
        defer { stop() }

        let client = try LineClient(path: path)
        #expect(await client.request("ping")?.status == "OK pong")
        let status = await client.request("status format=csv")
        #expect(status?.status == "OK status")
        #expect(status?.data.last?.hasPrefix("unreachable,") == true)
        #expect(
            await client.request("funds nord 2026")?.status
                == "ERR UNAVAILABLE database unavailable: your account could not be looked up; try again")
        // A login needs the database too: the answer says so, not a generic error.
        #expect(await client.request("login alpha some-secret-1234")?.status.hasPrefix("ERR UNAVAILABLE") == true)
    }

    /// Issue 29: `sozialraumctl check` during an outage is CRITICAL (exit 2), as operations.md promises,
    /// whether the peer's uid maps to an account or the plugin logs in with a token.
    @Test(.timeLimit(.minutes(3))) func checkDuringAnOutageIsCritical() async throws {
        let (path, stop) = try await Self.serverWithoutDatabase()
        defer { stop() }

        let peer = try Subprocess([Subprocess.binary("sozialraumctl"), "--socket", path, "check"])
        var peerLines: [String] = []
        for await line in peer.lines { peerLines.append(line) }
        #expect(await peer.exitStatus() == 2)
        #expect(
            peerLines == ["SOZIALRAUM CRITICAL - database unavailable: your account could not be looked up; try again"])
        let token = try await AdminWorld.ctl(socket: path, login: "pruefer", secret: "some-token-1234", ["check"])
        #expect(
            token.0 == 2 && token.1.first?.hasPrefix("SOZIALRAUM CRITICAL - database unavailable") == true, "\(token)")
    }

    /// Issue 17: a command cancelled because the daemon stops still ends with an `ERR` line, not EOF alone.
    @Test(.timeLimit(.minutes(3))) func aCommandCancelledAtShutdownGetsItsErrorLine() async throws {
        let admin = try await AdminWorld.start()
        let client = try await admin.client(loggedInAs: "kaemmerei")
        // The superuser holds a lock the funds query needs, so the command waits in the database.
        let blocker = try await admin.world.database.superuserConnection()
        try await blocker.runScript(unsafeSQL: "BEGIN; LOCK TABLE sozialraum.appropriation IN ACCESS EXCLUSIVE MODE")
        client.send("funds nord 2026\n")
        var waiting = 0
        for _ in 0..<10_000 where waiting == 0 {
            waiting = try await blocker.query(
                PostgresQuery(
                    unsafeSQL:
                        "SELECT count(*)::int FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
            ).single().decode(0, as: Int.self)
        }
        #expect(waiting > 0)
        // Stop: the session's task is cancelled mid-command.
        admin.task.cancel()
        let reply = await client.reply()
        #expect(reply?.status.hasPrefix("ERR UNAVAILABLE the daemon is stopping; the command was cancelled") == true)
        try await blocker.runScript(unsafeSQL: "ROLLBACK")
        admin.stop()
    }
}
