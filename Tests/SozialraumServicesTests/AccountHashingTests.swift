import Foundation
import Testing

@testable import SozialraumServices

/// scrypt at every login must not run on the cooperative pool that serves every session and the
/// scheduler (issue 16): it runs on the service's own hashing threads.
@Suite struct AccountHashingTests {
    @Test func secretsAreHashedOnThreadsOfTheirOwnAndTheHashIsTheSame() async throws {
        let salt = Array(repeating: UInt8(7), count: 16)
        let offPool = try await AccountService.hashOffThePool("a secret of some length", salt: salt, rounds: 1024)
        #expect(offPool == (try AccountService.hash("a secret of some length", salt: salt, rounds: 1024)))
        #expect(offPool.count == 32)
        // NIOThreadPool names its threads "TP-#n"; the cooperative pool's threads are not.
        let thread = try await AccountService.onHashingThread { Thread.current.name ?? "" }
        #expect(thread.hasPrefix("TP-"), "hashing ran on \(thread)")
        // Two hashes at once at most: the third of three waits, so all three still complete.
        try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for index in 0..<3 {
                group.addTask { try await AccountService.hashOffThePool("secret \(index)", salt: salt, rounds: 1024) }
            }
            var hashes: Set<[UInt8]> = []
            for try await hash in group { hashes.insert(hash) }
            #expect(hashes.count == 3)
        }
    }
}
