import Foundation
import SozialraumInterfaces
import SozialraumTestSupport
import Testing

@testable import SozialraumServices

/// Issue 17: a login whose hash waits behind others is not cut off by the login timer meanwhile.
@Suite(.serialized) struct LoginUnderLoadTests {
    @Test(.timeLimit(.minutes(3))) func aLoginVerifiedPastTheLoginTimeoutKeepsItsSession() async throws {
        var limits = AdminLimits()
        limits.loginTimeout = .seconds(1)
        let admin = try await AdminWorld.start(limits: limits)
        defer { admin.stop() }
        // Both hashing threads are held until the login timer has certainly run out, so the login's hash
        // waits behind them (as behind a storm of guesses).
        let release = DispatchSemaphore(value: 0)
        // Never leave the shared hashing threads blocked, whatever ends this test (other tests log in too).
        defer {
            release.signal()
            release.signal()
        }
        let (started, running) = AsyncStream<Void>.makeStream()
        let blockers = (0..<2).map { _ in
            Task {
                try await AccountService.onHashingThread {
                    running.yield()
                    _ = release.wait(timeout: .now() + 30)
                }
            }
        }
        var iterator = started.makeAsyncIterator()
        for _ in 0..<2 { await iterator.next() }
        let client = try await admin.client()
        let connected = ContinuousClock.now
        client.send("login alpha \(admin.tokens["alpha"]!)\n")
        // Time passing on this side's clock, past the server's 1 s timer: not a synchronisation.
        while ContinuousClock.now - connected < .seconds(2) { try await Task.sleep(for: .milliseconds(50)) }
        release.signal()
        release.signal()
        for blocker in blockers { try await blocker.value }
        #expect(await client.reply()?.status.hasPrefix("OK logged in as alpha") == true)
        #expect(await client.request("whoami")?.status.hasPrefix("OK alpha@") == true)
    }
}
