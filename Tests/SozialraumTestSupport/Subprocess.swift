import Foundation
import PostgresEmbedded
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process whose output (stdout and stderr, merged) arrives line by line, for tests that run
/// the real binaries. Blocking reads and `waitpid` happen on threads of their own, never on the
/// cooperative pool; nothing waits by sleeping.
public final class Subprocess: Sendable {
    public let pid: pid_t
    /// Output lines as they are written.
    public let lines: AsyncStream<String>
    private let exit: Task<Int32, Never>

    /// `descriptors`: child descriptor → parent descriptor to pass (e.g. a listening socket as 3).
    /// `deadline`: a guard, not a synchronisation — a child still running then is killed, so that its
    /// output ends and a test waiting for a line or the exit fails instead of hanging the suite.
    public init(
        _ argv: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
        descriptors: [Int32: Int32] = [:],
        deadline: Duration = .seconds(300)
    ) throws {
        var pipeEnds: [Int32] = [0, 0]
        // Close-on-exec, so that other children spawned meanwhile (pg_ctl, postgres) do not inherit
        // the write end and keep the output open after this child exits.
        guard pipe(&pipeEnds) == 0 else { throw POSIXError(.EMFILE) }
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        let pid: pid_t
        do {
            pid = try ChildProcess.spawn(
                argv, environment: environment, output: .descriptor(pipeEnds[1]), descriptors: descriptors,
                closing: [pipeEnds[0]])
        } catch {
            close(pipeEnds[0])
            close(pipeEnds[1])
            throw error
        }
        close(pipeEnds[1])
        self.pid = pid
        let readFD = pipeEnds[0]
        let (lines, continuation) = AsyncStream<String>.makeStream()
        self.lines = lines
        Thread {
            let handle = FileHandle(fileDescriptor: readFD, closeOnDealloc: true)
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    continuation.yield(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                    buffer.removeSubrange(buffer.startIndex...newline)
                }
            }
            if !buffer.isEmpty { continuation.yield(String(decoding: buffer, as: UTF8.self)) }
            continuation.finish()
        }.start()
        let child = pid
        let watchdog = Task {
            try await Task.sleep(for: deadline)
            kill(child, SIGKILL)
        }
        exit = Task {
            let status = await withCheckedContinuation { (done: CheckedContinuation<Int32, Never>) in
                Thread { done.resume(returning: (try? ChildProcess.wait(child)) ?? -1) }.start()
            }
            watchdog.cancel()
            return status
        }
    }

    public func signal(_ signal: Int32) { kill(pid, signal) }

    /// The exit status (128 + signal number when killed by a signal).
    public func exitStatus() async -> Int32 { await exit.value }

    /// Reads lines until one contains `text`; returns the lines read (nil when output ended first).
    public static func lines(
        _ iterator: inout AsyncStream<String>.Iterator, until text: String
    ) async -> [String]? {
        var seen: [String] = []
        while let line = await iterator.next() {
            seen.append(line)
            if line.contains(text) { return seen }
        }
        return nil
    }

    /// Runs `argv` to its end: its exit status and every line it wrote.
    public static func run(
        _ argv: [String], environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> (status: Int32, output: [String]) {
        let process = try Subprocess(argv, environment: environment)
        var output: [String] = []
        for await line in process.lines { output.append(line) }
        return (await process.exitStatus(), output)
    }

    /// Where the package's binaries are: next to the test bundle.
    public static func binary(_ name: String) -> String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path
    }
}

/// Runs blocking `body` on a thread of its own and awaits its result, so that a test's blocking client
/// never occupies the cooperative pool that the server under test needs.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
