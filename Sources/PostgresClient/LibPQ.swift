import CLibPQ
import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns a `PGresult`. A finished result is immutable, so reading it from any thread is safe.
final class PostgresResult: @unchecked Sendable {
    private let handle: OpaquePointer
    let rowCount: Int32
    let columnCount: Int
    let names: [String]
    let types: [PostgresType]
    let affectedRows: Int

    init(taking handle: OpaquePointer) {
        self.handle = handle
        rowCount = PQntuples(handle)
        columnCount = Int(PQnfields(handle))
        names = (0..<Int32(columnCount)).map { String(cString: PQfname(handle, $0)) }
        types = (0..<Int32(columnCount)).map { PostgresType(rawValue: PQftype(handle, $0)) }
        affectedRows = Int(String(cString: PQcmdTuples(handle))) ?? 0
    }

    deinit { PQclear(handle) }

    func text(row: Int32, column: Int32) -> Substring? {
        guard row < rowCount, PQgetisnull(handle, row, column) == 0 else { return nil }
        let length = Int(PQgetlength(handle, row, column))
        guard let value = PQgetvalue(handle, row, column) else { return nil }
        let buffer = UnsafeRawBufferPointer(start: value, count: length)
        return Substring(String(decoding: buffer, as: UTF8.self))
    }
}

/// Turns a failed libpq result or connection into a `PostgresError`.
enum LibPQErrors {
    static func from(result: OpaquePointer?, connection: OpaquePointer?, operation: String) -> PostgresError {
        func field(_ code: UInt8) -> String? {
            guard let result, let value = PQresultErrorField(result, Int32(code)) else { return nil }
            return String(cString: value)
        }
        let state = field(UInt8(ascii: "C")).map(SQLState.init(rawValue:))
        let connectionBad = connection.map { PQstatus($0) != CONNECTION_OK } ?? true
        var message = field(UInt8(ascii: "M"))
        if message == nil, let connection, let text = PQerrorMessage(connection) {
            message = String(cString: text).trimmingTrailingNewlines
        }
        let code: PostgresError.Code =
            connectionBad ? .connectionLost : (state == nil ? .protocolViolation : .serverError)
        return PostgresError(
            code: code, sqlState: state, constraintName: field(UInt8(ascii: "n")),
            tableName: field(UInt8(ascii: "t")), columnName: field(UInt8(ascii: "c")),
            serverMessage: message, serverDetail: field(UInt8(ascii: "D")), serverHint: field(UInt8(ascii: "H")),
            operation: operation)
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var text = self
        while text.last == "\n" || text.last == "\r" { text.removeLast() }
        return text
    }
}

/// A `PGcancel` object: lets another thread ask the server to cancel the running statement.
final class CancelHandle: @unchecked Sendable {
    // PQcancel is documented as thread-safe; the handle is only freed in deinit.
    private let handle: OpaquePointer?
    init(connection: OpaquePointer) { handle = PQgetCancel(connection) }
    deinit { if let handle { PQfreeCancel(handle) } }

    /// PQcancel blocks (it opens a connection to the server and waits for its answer), and a task is
    /// cancelled from whatever thread cancels it, often one of the cooperative pool's: the request goes
    /// from a serial helper queue of its own instead (the connection's own queue is busy with the
    /// statement being cancelled). Requests queue up there; each holds the handle alive until sent.
    static let helper = DispatchQueue(label: "sozialraum.postgres.cancel")

    func cancel() {
        Self.helper.async { self.sendCancel() }
    }

    /// Sends the cancel request on the calling thread (the helper queue).
    func sendCancel() {
        guard let handle else { return }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(handle, &buffer, Int32(buffer.count))
    }
}

/// The raw connection. Every method blocks and must only run on the owning connection's queue
/// (or the listener's thread). @unchecked: that confinement, not a lock, keeps it safe.
final class LibPQConnection: @unchecked Sendable {
    let handle: OpaquePointer

    /// Statements prepared on this connection, by SQL text: parsing and planning happen once per
    /// connection instead of on every call. Bounded; beyond the bound statements run unprepared.
    private var prepared: [String: String] = [:]
    static let preparedLimit = 256

    private init(handle: OpaquePointer) { self.handle = handle }
    deinit { PQfinish(handle) }

    static func connect(conninfo: String) throws(PostgresError) -> LibPQConnection {
        guard let raw = PQconnectdb(conninfo) else {
            throw PostgresError(code: .connectionFailed, serverMessage: "out of memory", operation: "connect")
        }
        let connection = LibPQConnection(handle: raw)
        guard PQstatus(raw) == CONNECTION_OK else {
            let message = PQerrorMessage(raw).map { String(cString: $0).trimmingTrailingNewlines }
            throw PostgresError(code: .connectionFailed, serverMessage: message, operation: "connect")
        }
        // Server notices may quote data; libpq would print them to stderr. Drop them.
        PQsetNoticeReceiver(raw, { _, _ in }, nil)
        _ = PQsetClientEncoding(raw, "UTF8")
        return connection
    }

    var isOK: Bool { PQstatus(handle) == CONNECTION_OK }
    var isIdle: Bool { PQtransactionStatus(handle) == PQTRANS_IDLE }
    var socket: Int32 { PQsocket(handle) }
    var backendPID: Int32 { PQbackendPID(handle) }
    var serverVersion: Int32 { PQserverVersion(handle) }

    /// Reads whatever the server sent while the connection sat idle (e.g. a shutdown notice),
    /// so a dead connection is noticed before it is lent out.
    func probe() -> Bool {
        guard isOK else { return false }
        var poll = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let ready = Glibc.poll(&poll, 1, 0)
        if ready > 0 {
            if PQconsumeInput(handle) == 0 { return false }
            while let notify = PQnotifies(handle) { PQfreemem(notify) }
        }
        return isOK && isIdle
    }

    /// Runs one statement with text parameters and returns its result.
    func execute(_ query: PostgresQuery, operation: String = "query") throws(PostgresError) -> PostgresResult {
        let name = try preparedName(for: query, operation: operation)
        let raw: OpaquePointer? = Self.withParameters(query) { count, parameters in
            if let name {
                PQexecPrepared(handle, name, count, parameters, nil, nil, 0)
            } else {
                PQexecParams(handle, query.sql, count, nil, parameters, nil, nil, 0)
            }
        }
        return try check(raw, operation: operation)
    }

    /// The bound values of `query` as C strings (NULL for SQL NULL), valid inside `body`.
    private static func withParameters<T>(
        _ query: PostgresQuery, _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> T
    ) -> T {
        let values: [UnsafeMutablePointer<CChar>?] = query.binds.map { bind in bind.postgresText.map { strdup($0) } }
        defer { for value in values { free(value) } }
        return values.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(values.count, 1)) {
                parameters in
                body(Int32(values.count), values.isEmpty ? nil : parameters)
            }
        }
    }

    /// Runs `queries` in one round trip (libpq pipeline mode, one Sync at the end) and returns their
    /// results in order. The server stops at the first failing statement and skips the rest; that
    /// error is thrown. Statements are prepared first (once per connection, like `execute`).
    func executePipeline(_ queries: [PostgresQuery], operation: String) throws(PostgresError) -> [PostgresResult] {
        let names = try queries.map { query throws(PostgresError) in try preparedName(for: query, operation: operation)
        }
        guard PQenterPipelineMode(handle) == 1 else {
            throw LibPQErrors.from(result: nil, connection: handle, operation: operation)
        }
        var firstError: PostgresError?
        var sent = 0
        for (query, name) in zip(queries, names) {
            let status = Self.withParameters(query) { count, parameters in
                if let name {
                    PQsendQueryPrepared(handle, name, count, parameters, nil, nil, 0)
                } else {
                    PQsendQueryParams(handle, query.sql, count, nil, parameters, nil, nil, 0)
                }
            }
            guard status == 1 else {
                firstError = LibPQErrors.from(result: nil, connection: handle, operation: operation)
                break
            }
            sent += 1
        }
        guard PQpipelineSync(handle) == 1 else {
            throw firstError ?? LibPQErrors.from(result: nil, connection: handle, operation: operation)
        }
        var results: [PostgresResult] = []
        for _ in 0..<sent {
            // Each statement's results end with a NULL.
            while let raw = PQgetResult(handle) {
                switch PQresultStatus(raw) {
                case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
                    results.append(PostgresResult(taking: raw))
                case PGRES_PIPELINE_ABORTED:
                    PQclear(raw)
                default:
                    if firstError == nil {
                        firstError = LibPQErrors.from(result: raw, connection: handle, operation: operation)
                    }
                    PQclear(raw)
                }
            }
        }
        // Then the Sync's own result; without it the connection is broken.
        guard let sync = PQgetResult(handle) else {
            throw firstError ?? LibPQErrors.from(result: nil, connection: handle, operation: operation)
        }
        let synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC
        PQclear(sync)
        guard synced, PQexitPipelineMode(handle) == 1 else {
            throw firstError
                ?? PostgresError(code: .protocolViolation, serverMessage: "pipeline did not end", operation: operation)
        }
        if let firstError { throw firstError }
        return results
    }

    /// The name of the prepared statement for `query`, preparing it on first use; nil beyond the bound.
    private func preparedName(for query: PostgresQuery, operation: String) throws(PostgresError) -> String? {
        if let name = prepared[query.sql] { return name }
        guard prepared.count < Self.preparedLimit else { return nil }
        let candidate = "sozialraum_\(prepared.count + 1)"
        _ = try check(PQprepare(handle, candidate, query.sql, Int32(query.binds.count), nil), operation: operation)
        prepared[query.sql] = candidate
        return candidate
    }

    /// Runs a fixed statement without parameters (BEGIN, COMMIT, LISTEN "x").
    func executeSimple(_ sql: String, operation: String) throws(PostgresError) -> PostgresResult {
        try check(PQexec(handle, sql), operation: operation)
    }

    private func check(_ raw: OpaquePointer?, operation: String) throws(PostgresError) -> PostgresResult {
        guard let raw else { throw LibPQErrors.from(result: nil, connection: handle, operation: operation) }
        switch PQresultStatus(raw) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_COPY_IN:
            return PostgresResult(taking: raw)
        default:
            let error = LibPQErrors.from(result: raw, connection: handle, operation: operation)
            PQclear(raw)
            throw error
        }
    }

    // MARK: COPY FROM STDIN

    func copyBegin(_ sql: String) throws(PostgresError) {
        guard let raw = PQexec(handle, sql) else {
            throw LibPQErrors.from(result: nil, connection: handle, operation: "copy")
        }
        defer { PQclear(raw) }
        switch PQresultStatus(raw) {
        case PGRES_COPY_IN:
            return
        case PGRES_FATAL_ERROR, PGRES_BAD_RESPONSE, PGRES_NONFATAL_ERROR:
            throw LibPQErrors.from(result: raw, connection: handle, operation: "copy")
        default:
            throw PostgresError(
                code: .invalidUsage, serverMessage: "not a COPY FROM STDIN statement",
                operation: "copy")
        }
    }

    func copySend(_ bytes: [UInt8]) throws(PostgresError) {
        let status = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                PQputCopyData(handle, $0, Int32(buffer.count))
            }
        }
        guard status == 1 else { throw LibPQErrors.from(result: nil, connection: handle, operation: "copy") }
    }

    /// Ends the COPY (or aborts it with `abortMessage`) and returns the rows written.
    func copyEnd(abortMessage: String?) throws(PostgresError) -> Int {
        let status = abortMessage.map { PQputCopyEnd(handle, $0) } ?? PQputCopyEnd(handle, nil)
        guard status == 1 else { throw LibPQErrors.from(result: nil, connection: handle, operation: "copy") }
        var firstError: PostgresError?
        var rows = 0
        while let raw = PQgetResult(handle) {
            if PQresultStatus(raw) == PGRES_COMMAND_OK {
                rows = Int(String(cString: PQcmdTuples(raw))) ?? 0
            } else if firstError == nil {
                firstError = LibPQErrors.from(result: raw, connection: handle, operation: "copy")
            }
            PQclear(raw)
        }
        if let firstError { throw firstError }
        return rows
    }

    // MARK: LISTEN

    /// Collects notifications that have arrived, reading from the socket first.
    func drainNotifications() throws(PostgresError) -> [PostgresNotification] {
        guard PQconsumeInput(handle) == 1 else {
            throw LibPQErrors.from(result: nil, connection: handle, operation: "listen")
        }
        var notifications: [PostgresNotification] = []
        while let notify = PQnotifies(handle) {
            let value = notify.pointee
            notifications.append(
                PostgresNotification(
                    channel: String(cString: value.relname), payload: String(cString: value.extra),
                    senderPID: value.be_pid))
            PQfreemem(notify)
        }
        return notifications
    }
}
