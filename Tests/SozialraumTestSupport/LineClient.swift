import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A raw Unix-socket client for protocol tests: sends bytes exactly as given and reads replies on a
/// thread of its own (never blocking the cooperative pool); nothing waits by sleeping.
public final class LineClient: @unchecked Sendable {
    // @unchecked: used by one test task at a time; the reader thread only touches the stream.
    private let fd: Int32
    private var iterator: AsyncStream<String>.AsyncIterator
    private var readerThread: Thread?

    /// `reading: false` leaves replies unread in the socket until `startReading()` (backpressure tests).
    public init(path: String, reading: Bool = true) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8.prefix(capacity - 1)) + [0]
            raw.copyBytes(from: bytes)
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECONNREFUSED)
        }
        // A guard, not a synchronisation: after five minutes without a byte the reader gives up and the
        // stream ends, so a server that never answers fails the test instead of stalling the suite.
        var silence = timeval(tv_sec: 300, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &silence, socklen_t(MemoryLayout<timeval>.size))
        let (stream, continuation) = AsyncStream<String>.makeStream()
        self.fd = fd
        iterator = stream.makeAsyncIterator()
        let socket = fd
        let thread = Thread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(socket, &buffer, buffer.count)
                if count <= 0 { break }
                pending.append(contentsOf: buffer[0..<count])
                while let newline = pending.firstIndex(of: 10) {
                    continuation.yield(String(decoding: pending[0..<newline], as: UTF8.self))
                    pending.removeSubrange(0...newline)
                }
            }
            continuation.finish()
        }
        readerThread = thread
        if reading { thread.start() }
    }

    public func startReading() {
        if readerThread?.isExecuting == false, readerThread?.isFinished == false { readerThread?.start() }
    }

    deinit { close(fd) }

    public func send(_ text: String) { send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if written <= 0 { return }
            offset += written
        }
    }

    /// No more requests: the server sees end of input but can still answer.
    public func shutdownWriting() { shutdown(fd, Int32(SHUT_WR)) }

    /// The next line, or nil when the server closed the connection.
    public func next() async -> String? {
        await iterator.next()
    }

    /// Data lines and the status line of the next reply.
    public func reply() async -> (data: [String], status: String)? {
        var data: [String] = []
        while let line = await next() {
            if line.hasPrefix("- ") { data.append(String(line.dropFirst(2))) } else { return (data, line) }
        }
        return nil
    }

    /// Sends one request and returns its reply.
    public func request(_ line: String) async -> (data: [String], status: String)? {
        send(line + "\n")
        return await reply()
    }
}
