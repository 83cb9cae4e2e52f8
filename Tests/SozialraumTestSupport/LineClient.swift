import Foundation
import SozialraumCtlKit

/// The admin socket as protocol tests need it: `sozialraumctl`'s own Unix connection, sending bytes exactly
/// as given, with replies read on a thread of its own (never blocking the cooperative pool) and handed
/// over as an async sequence; nothing waits by sleeping.
public final class LineClient: @unchecked Sendable {
    // @unchecked: used by one test task at a time; the reader thread only reads and yields.
    private let connection: UnixConnection
    private var iterator: AsyncStream<String>.AsyncIterator
    private var readerThread: Thread?

    /// `reading: false` leaves replies unread in the socket until `startReading()` (backpressure tests).
    public convenience init(path: String, reading: Bool = true) throws {
        self.init(try UnixConnection(path: path), reading: reading)
    }

    /// A plain TCP connection to 127.0.0.1:`port` (the daemon's development listener).
    public convenience init(loopbackPort port: Int, reading: Bool = true) throws {
        self.init(try UnixConnection.loopbackTCP(port: port), reading: reading)
    }

    init(_ connection: UnixConnection, reading: Bool) {
        // A guard, not a synchronisation: after five minutes without a byte the reader gives up and the
        // stream ends, so a server that never answers fails the test instead of stalling the suite.
        connection.setReceiveTimeout(seconds: 300)
        let (stream, continuation) = AsyncStream<String>.makeStream()
        self.connection = connection
        iterator = stream.makeAsyncIterator()
        // Only this thread reads; writes from the test task share no state with reading.
        nonisolated(unsafe) let reader = connection
        let thread = Thread {
            while let line = reader.readLine() { continuation.yield(line) }
            continuation.finish()
        }
        readerThread = thread
        if reading { thread.start() }
    }

    public func startReading() {
        if readerThread?.isExecuting == false, readerThread?.isFinished == false { readerThread?.start() }
    }

    public func send(_ text: String) { connection.write(text) }

    public func send(_ bytes: [UInt8]) { connection.write(bytes) }

    /// No more requests: the server sees end of input but can still answer.
    public func shutdownWriting() { connection.shutdownWriting() }

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
