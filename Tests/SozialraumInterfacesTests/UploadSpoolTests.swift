import Foundation
import Synchronization
import Testing

@testable import SozialraumInterfaces

/// Issue 17: uploads go to disk as they arrive, not into memory; nothing stays behind.
@Suite struct UploadSpoolTests {
    private static func freshDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "upload-spool-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func aSpooledUploadIsAnUnlinkedFileReadBackAsSent() async throws {
        let directory = try Self.freshDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var writer = UploadWriter(file: try await SpooledFile.create(in: directory))
        // No name in the directory from the start: a crash leaves nothing behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
        var status = stat()
        #expect(fstat(writer.file.descriptor, &status) == 0)
        #expect(status.st_nlink == 0)
        // 20,000 lines of 46 bytes plus a line feed: 940,000 bytes, more than three write chunks of 256 KiB.
        let lines = (0..<20_000).map { String(format: "00000000-0000-0000-0000-%012d,2026-03,8", $0) }
        for line in lines { try await writer.append(line: line[...]) }
        let upload = try await writer.finish()
        #expect(upload.byteCount == 940_000)
        #expect(try await upload.text() == lines.joined(separator: "\n"))
    }

    @Test func aDirectoryThatCannotHoldTheUploadIsAnError() async throws {
        await #expect(throws: SpooledFile.Failure.self) {
            _ = try await SpooledFile.create(in: "/nonexistent-\(UUID().uuidString)")
        }
    }

    /// At most `limit` bodies run at once; the others wait and all finish.
    @Test func theConcurrencyLimitLetsNoMoreRunAtOnce() async throws {
        let limit = ConcurrencyLimit(limit: 2)
        final class Counts: Sendable {
            let state = Mutex((running: 0, most: 0, finished: 0))
        }
        let counts = Counts()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    try await limit.run {
                        counts.state.withLock {
                            $0.running += 1
                            $0.most = max($0.most, $0.running)
                        }
                        // Give the other tasks every chance to enter while this one runs.
                        for _ in 0..<50 { await Task.yield() }
                        counts.state.withLock {
                            $0.running -= 1
                            $0.finished += 1
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let final = counts.state.withLock { $0 }
        #expect(final.most <= 2)
        #expect(final.finished == 6)
    }
}
