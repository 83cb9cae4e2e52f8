import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumStore
import SozialraumTestSupport
import Testing

/// The daemon under a stand-in for systemd: its notification socket and watchdog variables.
@Suite struct SystemdNotifyTests {
    @Test func readyAfterTheAdminSocketListensWatchdogPingsAndStoppingOnSIGTERM() async throws {
        let world = try await BudgetWorld.make()
        let notify = try NotifySocket()
        defer { notify.close() }
        let state = NSTemporaryDirectory() + "sozialraumd-notify-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: state) }
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SOZIALRAUM_CONFIG")
        environment["SOZIALRAUM_DATABASE_CONNINFO"] = world.database.runtimeConninfo
        environment["SOZIALRAUM_STATE_DIRECTORY"] = state
        environment["NOTIFY_SOCKET"] = notify.path
        environment["WATCHDOG_USEC"] = "400000"
        let daemon = try Subprocess([Subprocess.binary("sozialraumd"), "serve"], environment: environment)
        var messages = notify.messages.makeAsyncIterator()
        var statuses: [String] = []
        var readyAt: ContinuousClock.Instant?
        while readyAt == nil, let next = await messages.next() {
            if next.message.contains("READY=1") {
                readyAt = next.at
                // At READY the admin socket must already accept.
                let client = try LineClient(path: state + "/admin.sock")
                #expect(await client.request("ping")?.status == "OK pong")
            }
            statuses.append(next.message)
        }
        #expect(readyAt != nil)
        #expect(statuses.first == "STATUS=starting")
        #expect(statuses.contains("STATUS=checking the database role and schema"))
        #expect(statuses.last?.hasPrefix("READY=1\nSTATUS=serving") == true)

        // Watchdog pings at half the interval (200 ms): five in a row, none late.
        var pings: [ContinuousClock.Instant] = []
        while pings.count < 5, let next = await messages.next() {
            if next.message == "WATCHDOG=1" { pings.append(next.at) }
        }
        for (earlier, later) in zip(pings, pings.dropFirst()) {
            let gap = later - earlier
            #expect(gap < .milliseconds(400), "a ping came later than the watchdog interval: \(gap)")
            #expect(gap > .milliseconds(100), "pings come too often: \(gap)")
        }

        daemon.signal(SIGTERM)
        var stopping = false
        while !stopping, let next = await messages.next() {
            if next.message.hasPrefix("STOPPING=1") { stopping = true }
        }
        #expect(stopping)
        #expect(await daemon.exitStatus() == 0)
    }
}
