import Dispatch
import Logging
import Synchronization

/// One libpq connection.
///
/// libpq blocks, so every call runs on this connection's own serial `DispatchQueue`, never on a
/// SwiftNIO event loop or Swift's cooperative pool; callers await the result. A connection is meant
/// to be used by one task at a time (the pool lends it out exclusively); the queue makes even misuse
/// safe, as calls are serialised.
public final class PostgresConnection: @unchecked Sendable {
    // @unchecked: `raw` is only touched on `queue`; `cancelHandle` is thread-safe by libpq's contract;
    // `inFlight` is atomic.
    private let queue: DispatchQueue
    private let raw: LibPQConnection
    private let cancelHandle: CancelHandle
    private let inFlight = Atomic<Bool>(false)
    /// Open and outside a transaction, as of the end of the last call; kept so that the pool can
    /// ask without another hop to the queue.
    private let idleAfterLastCall = Atomic<Bool>(true)
    /// The server process serving this connection (for logs and pg_stat_activity).
    public let backendPID: Int32
    /// The server version as an integer, e.g. 150018.
    public let serverVersion: Int32

    private init(raw: LibPQConnection, queue: DispatchQueue) {
        self.raw = raw
        self.queue = queue
        self.cancelHandle = CancelHandle(connection: raw.handle)
        self.backendPID = raw.backendPID
        self.serverVersion = raw.serverVersion
    }

    /// `PQfinish` (in the raw connection's deinit) writes a Terminate message and closes the socket: it runs
    /// on the connection's own queue, after any call still queued there, never on whatever thread (an event
    /// loop, the cooperative pool) happened to drop the last reference.
    deinit {
        let raw = self.raw
        queue.async { withExtendedLifetime(raw) {} }
    }

    /// Opens a connection from a libpq conninfo string or URI. Everything libpq honours applies:
    /// `PG*` variables, `pg_service.conf`, `.pgpass`, `sslmode`, several hosts with
    /// `target_session_attrs`. An empty string means "all from the environment".
    /// `sessionParameters` are set for the whole session right after login (e.g. `search_path`);
    /// never use them for tenant context, which is per transaction.
    public static func connect(
        conninfo: String, sessionParameters: [SessionParameter] = []
    ) async throws -> PostgresConnection {
        let queue = DispatchQueue(label: "sozialraum.postgres.connection")
        let result: Result<PostgresConnection, PostgresError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws {
                    let raw = try LibPQConnection.connect(conninfo: conninfo)
                    // Fixed session formats so text results decode the same on every server.
                    _ = try raw.executeSimple(
                        "SELECT set_config('TimeZone', 'UTC', false), set_config('DateStyle', 'ISO, YMD', false),"
                            + " set_config('IntervalStyle', 'iso_8601', false)",
                        operation: "connect")
                    for parameter in sessionParameters {
                        _ = try raw.execute(
                            "SELECT set_config(\(parameter.name), \(parameter.value), false)",
                            operation: "connect")
                    }
                    continuation.resume(returning: .success(PostgresConnection(raw: raw, queue: queue)))
                } catch let error as PostgresError {
                    continuation.resume(returning: .failure(error))
                } catch {
                    continuation.resume(
                        returning: .failure(PostgresError(code: .connectionFailed, operation: "connect")))
                }
            }
        }
        return try result.get()
    }

    /// Runs `body` on the connection's queue, cancelling the server statement if the task is cancelled.
    private func onQueue<T: Sendable>(
        _ body: @escaping @Sendable (LibPQConnection) throws -> T
    ) async throws -> T {
        let raw = self.raw
        let result: Result<T, any Error> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                queue.async {
                    self.inFlight.store(true, ordering: .releasing)
                    let outcome: Result<T, any Error>
                    do throws { outcome = .success(try body(raw)) } catch { outcome = .failure(error) }
                    // Recorded before resuming, so that the caller (the pool) reads the state after this call.
                    self.idleAfterLastCall.store(raw.isOK && raw.isIdle, ordering: .releasing)
                    self.inFlight.store(false, ordering: .releasing)
                    continuation.resume(returning: outcome)
                }
            }
        } onCancel: {
            if self.inFlight.load(ordering: .acquiring) { self.cancelHandle.cancel() }
        }
        return try result.get()
    }

    /// Runs a statement and returns its rows.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        PostgresRows(result: try await onQueue { try $0.execute(query) })
    }

    /// Runs statements in one round trip (pipeline mode) and returns their rows in order. With
    /// `probeFirst`, a connection the server has closed fails with `connectionLost` before anything is
    /// sent (the pool leases without its separate health probe for pipelines).
    public func pipeline(_ queries: [PostgresQuery], probeFirst: Bool = false) async throws -> [PostgresRows] {
        try await onQueue { raw in
            if probeFirst, !raw.probe() {
                throw PostgresError(code: .connectionLost, operation: "pipeline")
            }
            return try raw.executePipeline(queries, operation: "pipeline")
        }.map { PostgresRows(result: $0) }
    }

    /// Runs a statement and returns the number of rows it affected.
    @discardableResult
    public func execute(_ query: PostgresQuery) async throws -> Int {
        try await self.query(query).affectedRows
    }

    /// Runs a script of several statements without parameters (migrations). The text is executed
    /// as is: never build it from input.
    public func runScript(unsafeSQL sql: String) async throws {
        _ = try await onQueue { try $0.executeSimple(sql, operation: "script") }
    }

    /// Runs a fixed control statement (BEGIN, COMMIT, LISTEN). Not for data: it takes no parameters.
    func control(_ sql: String, operation: String) async throws {
        _ = try await onQueue { try $0.executeSimple(sql, operation: operation) }
    }

    /// True when the connection is open and not inside a transaction. Reads pending input first,
    /// so a connection the server has closed (restart, idle timeout) reports false.
    public func isHealthy() async -> Bool {
        (try? await onQueue { $0.probe() }) ?? false
    }

    /// True when no transaction is open on the connection.
    func isIdle() -> Bool {
        idleAfterLastCall.load(ordering: .acquiring)
    }

    // MARK: COPY FROM STDIN

    /// Streams rows into `COPY ... FROM STDIN`. `body` writes the data (in the format the statement
    /// names); if it throws, the COPY is aborted and nothing is written. Returns the rows copied.
    public func copyIn(
        _ sql: String, _ body: (PostgresCopyWriter) async throws -> Void
    ) async throws -> Int {
        try await onQueue { try $0.copyBegin(sql) }
        let writer = PostgresCopyWriter(connection: self)
        do {
            try await body(writer)
            try await writer.flush()
        } catch {
            _ = try? await onQueue { try $0.copyEnd(abortMessage: "aborted by client") }
            throw error
        }
        return try await onQueue { try $0.copyEnd(abortMessage: nil) }
    }

    fileprivate func copySend(_ bytes: [UInt8]) async throws {
        try await onQueue { try $0.copySend(bytes) }
    }
}

/// Buffers COPY data and sends it in large chunks.
public final class PostgresCopyWriter {
    private let connection: PostgresConnection
    private var buffer: [UInt8] = []
    private let chunkSize = 256 * 1024
    /// Bytes handed to the server so far.
    public private(set) var bytesSent = 0

    fileprivate init(connection: PostgresConnection) {
        self.connection = connection
        buffer.reserveCapacity(chunkSize)
    }

    /// Appends bytes, sending a chunk when enough have gathered.
    public func write(_ bytes: [UInt8]) async throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= chunkSize { try await flush() }
    }

    /// Appends the UTF-8 of `text`.
    public func write(_ text: String) async throws {
        var text = text
        text.withUTF8 { buffer.append(contentsOf: $0) }
        if buffer.count >= chunkSize { try await flush() }
    }

    func flush() async throws {
        guard !buffer.isEmpty else { return }
        let chunk = buffer
        buffer.removeAll(keepingCapacity: true)
        try await connection.copySend(chunk)
        bytesSent += chunk.count
    }
}

/// A session-level setting applied when a connection opens.
public struct SessionParameter: Sendable, Equatable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A notification received through LISTEN.
public struct PostgresNotification: Sendable, Equatable {
    public var channel: String
    public var payload: String
    public var senderPID: Int32

    public init(channel: String, payload: String, senderPID: Int32) {
        self.channel = channel
        self.payload = payload
        self.senderPID = senderPID
    }
}
