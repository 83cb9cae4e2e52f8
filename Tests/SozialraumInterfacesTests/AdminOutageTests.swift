import Foundation
import Logging
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
    @Test(.timeLimit(.minutes(3))) func aNewConnectionDuringAnOutageIsAnswered() async throws {
        // A database that is not there: nothing listens on this socket directory.
        let logger = Logger(label: "test.outage")
        let store = Store(
            conninfo: "host=/nonexistent-sozialraum port=1 dbname=none user=none connect_timeout=1",
            maxConnections: 2, acquireTimeout: .seconds(2), logger: logger)
        defer { Task { await store.shutdown() } }
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
        defer { task.cancel() }
        for await _ in listening {}

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
}
