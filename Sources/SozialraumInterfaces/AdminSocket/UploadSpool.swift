import Foundation
import NIOPosix

/// An upload block on disk: an unlinked file in the upload directory, gone when the last reference
/// goes (also when the daemon dies). Memory holds at most one write buffer of it per session, so RSS
/// does not grow with what clients send; the disk holds at most the daemon's upload budget.
///
/// File I/O runs on NIO's blocking-I/O thread pool, never on an event loop or the cooperative pool.
/// (Plain POSIX calls: NIO's `NIOFileHandle` is deprecated and its successor is still underscored API.)
final class SpooledFile: Sendable {
    let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { _ = close(descriptor) }

    struct Failure: Error, CustomStringConvertible {
        let operation: String
        let errno: Int32
        var description: String { "\(operation): \(String(cString: strerror(errno)))" }
    }

    /// A new empty file in `directory`, readable and writable by the daemon only, already unlinked.
    static func create(in directory: String) async throws -> SpooledFile {
        try await NIOThreadPool.singleton.runIfActive {
            var template = Array((directory + "/sozialraum-upload-XXXXXX").utf8CString)
            let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard descriptor >= 0 else { throw Failure(operation: "mkstemp", errno: errno) }
            let file = SpooledFile(descriptor: descriptor)
            guard template.withUnsafeBufferPointer({ unlink($0.baseAddress!) }) == 0 else {
                throw Failure(operation: "unlink", errno: errno)
            }
            return file
        }
    }

    /// Writes `bytes` at `offset` (all of them, or throws).
    func write(_ bytes: [UInt8], at offset: Int) async throws {
        try await NIOThreadPool.singleton.runIfActive { [descriptor] in
            var written = 0
            while written < bytes.count {
                let result = bytes.withUnsafeBytes { buffer in
                    pwrite(descriptor, buffer.baseAddress! + written, buffer.count - written, off_t(offset + written))
                }
                if result < 0, errno == EINTR { continue }
                guard result > 0 else { throw Failure(operation: "pwrite", errno: result < 0 ? errno : ENOSPC) }
                written += result
            }
        }
    }

    /// The first `count` bytes as text (invalid UTF-8 repaired), read straight into the string's storage.
    func text(count: Int) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { [descriptor] in
            var failure: Failure?
            let text = String(unsafeUninitializedCapacity: count) { buffer in
                var done = 0
                while done < count {
                    let result = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(done))
                    if result < 0, errno == EINTR { continue }
                    guard result > 0 else {
                        failure = Failure(operation: "pread", errno: result < 0 ? errno : EIO)
                        return 0
                    }
                    done += result
                }
                return count
            }
            if let failure { throw failure }
            return text
        }
    }
}

/// A complete upload block, as its command receives it: lines as sent (a leading `.` unstuffed), each
/// ended by a line feed, in a spooled file.
struct Upload: Sendable {
    let file: SpooledFile
    /// Bytes in the file.
    let byteCount: Int

    /// The block as text, lines joined by line feeds (no line feed after the last): read into memory
    /// only by the command that uses it, when it runs.
    func text() async throws -> String {
        // Every line was written with its line feed: the last one is left out.
        try await file.text(count: max(0, byteCount - 1))
    }
}

/// Writes an upload block to a `SpooledFile` as its lines arrive, in chunks.
struct UploadWriter {
    /// Bytes collected before one write: the memory an upload in progress holds (plus one line).
    static let chunkBytes = 256 * 1024

    let file: SpooledFile
    private var pending: [UInt8] = []
    private(set) var byteCount = 0

    init(file: SpooledFile) {
        self.file = file
        pending.reserveCapacity(Self.chunkBytes)
    }

    mutating func append(line: Substring) async throws {
        pending.append(contentsOf: line.utf8)
        pending.append(UInt8(ascii: "\n"))
        if pending.count >= Self.chunkBytes { try await flush() }
    }

    mutating func finish() async throws -> Upload {
        try await flush()
        return Upload(file: file, byteCount: byteCount)
    }

    private mutating func flush() async throws {
        guard !pending.isEmpty else { return }
        try await file.write(pending, at: byteCount)
        byteCount += pending.count
        pending.removeAll(keepingCapacity: true)
    }
}

/// Commands that read an upload into memory and work on it (the delivery import) run at most this many
/// at once; the others wait with their uploads on disk. Bounds the memory of imports whatever the
/// number of sessions. One for the admin socket and the portal together (`AdminServer.imports`).
public actor ConcurrencyLimit {
    private let limit: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(limit: Int) { self.limit = max(1, limit) }

    public func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if running < limit {
            running += 1
        } else {
            // The permit is handed over by the one finishing (running stays the same).
            await withCheckedContinuation { waiting.append($0) }
        }
        defer {
            if waiting.isEmpty { running -= 1 } else { waiting.removeFirst().resume() }
        }
        return try await body()
    }
}
