import Logging

/// Transaction isolation levels (PostgreSQL's names).
public enum IsolationLevel: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case serializable = "SERIALIZABLE"
}

/// A connection lent out for one transaction. Do not keep it beyond the closure.
public struct PostgresTransaction: Sendable {
    public let connection: PostgresConnection

    @discardableResult
    public func query(
        _ sql: String, _ binds: [any PostgresEncodable] = []
    ) async throws
        -> PostgresRows
    {
        try await connection.query(PostgresQuery(unsafeSQL: sql, binds))
    }

    @discardableResult
    public func execute(_ sql: String, _ binds: [any PostgresEncodable] = []) async throws -> Int {
        try await connection.execute(PostgresQuery(unsafeSQL: sql, binds))
    }

    @discardableResult
    public func copyIn(_ sql: String, _ body: (PostgresCopyWriter) async throws -> Void) async throws -> Int {
        try await connection.copyIn(sql, body)
    }
}

public struct PostgresPoolConfiguration: Sendable {
    /// libpq conninfo string or URI.
    public var conninfo: String
    /// Upper bound of open connections.
    public var maxConnections: Int
    /// How long a caller waits for a free connection before `poolTimeout`.
    public var acquireTimeout: Duration
    /// Attempts for a transaction that fails with a serialization failure or deadlock.
    public var maxTransactionAttempts: Int
    /// Session settings every connection gets when it opens.
    public var sessionParameters: [SessionParameter]

    public init(
        conninfo: String, maxConnections: Int = 10, acquireTimeout: Duration = .seconds(10),
        maxTransactionAttempts: Int = 5, sessionParameters: [SessionParameter] = []
    ) {
        self.conninfo = conninfo
        self.sessionParameters = sessionParameters
        self.maxConnections = max(1, maxConnections)
        self.acquireTimeout = acquireTimeout
        self.maxTransactionAttempts = max(1, maxTransactionAttempts)
    }
}

/// A bounded pool of connections.
///
/// A connection is lent to one caller at a time. When all are busy, callers wait in order up to
/// `acquireTimeout`. A connection is checked before it is lent (the server may have restarted) and
/// replaced when broken, so the pool recovers from a server restart without restarting the daemon.
public actor PostgresPool {
    public nonisolated let configuration: PostgresPoolConfiguration
    private let logger: Logger
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<PostgresConnection, any Error>)] = []
    private var nextWaiterID: UInt64 = 0
    private var closed = false

    public init(configuration: PostgresPoolConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Figures for monitoring.
    public struct Statistics: Sendable, Equatable {
        public var open: Int
        public var idle: Int
        public var waiting: Int
    }

    public var statistics: Statistics { Statistics(open: open, idle: idle.count, waiting: waiters.count) }

    // MARK: Lending

    /// Lends a connection to `body` and takes it back afterwards.
    public nonisolated func withConnection<T: Sendable>(
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await lease()
        do {
            let value = try await body(connection)
            await giveBack(connection)
            return value
        } catch {
            await giveBack(connection)
            throw error
        }
    }

    /// Runs `body` in a transaction, retrying the whole transaction after a serialization failure or
    /// deadlock (and after a lost connection, when COMMIT was not yet sent) up to
    /// `maxTransactionAttempts` times. `body` must therefore be safe to run again.
    public nonisolated func withTransaction<T: Sendable>(
        isolation: IsolationLevel = .readCommitted, readOnly: Bool = false,
        _ body: (PostgresTransaction) async throws -> T
    ) async throws -> T {
        let begin = "BEGIN ISOLATION LEVEL \(isolation.rawValue)\(readOnly ? " READ ONLY" : "")"
        var attempt = 0
        while true {
            attempt += 1
            let connection = try await lease()
            var commitSent = false
            do {
                try await connection.control(begin, operation: "begin")
                let value = try await body(PostgresTransaction(connection: connection))
                commitSent = true
                try await connection.control("COMMIT", operation: "commit")
                await giveBack(connection)
                return value
            } catch {
                if !(connection.isIdle()) {
                    try? await connection.control("ROLLBACK", operation: "rollback")
                }
                await giveBack(connection)
                guard let pgError = error as? PostgresError, attempt < configuration.maxTransactionAttempts,
                    pgError.isTransient || (pgError.isConnectionLevel && !commitSent)
                else { throw error }
                logger.debug(
                    "retrying transaction",
                    metadata: ["attempt": "\(attempt)", "reason": "\(pgError.sqlState?.rawValue ?? "connection")"])
                try await Task.sleep(for: Self.backoff(attempt: attempt))
            }
        }
    }

    /// A read-only transaction in one round trip: `BEGIN READ ONLY`, `queries`, `COMMIT` sent as one
    /// pipeline; returns the rows of `queries`. Safe to retry (it writes nothing), so a lost connection
    /// or a transient failure is retried like `withTransaction` does.
    public nonisolated func pipelinedRead(
        isolation: IsolationLevel = .readCommitted, _ queries: [PostgresQuery]
    ) async throws -> [PostgresRows] {
        let frame =
            [PostgresQuery(unsafeSQL: "BEGIN ISOLATION LEVEL \(isolation.rawValue) READ ONLY")] + queries + [
                PostgresQuery("COMMIT")
            ]
        var attempt = 0
        while true {
            attempt += 1
            let connection = try await lease(probe: false)
            do {
                let rows = try await connection.pipeline(frame, probeFirst: true)
                await giveBack(connection)
                return Array(rows.dropFirst().prefix(queries.count))
            } catch {
                if !(connection.isIdle()) {
                    try? await connection.control("ROLLBACK", operation: "rollback")
                }
                await giveBack(connection)
                guard let pgError = error as? PostgresError, attempt < configuration.maxTransactionAttempts,
                    pgError.isTransient || pgError.isConnectionLevel
                else { throw error }
                try await Task.sleep(for: Self.backoff(attempt: attempt))
            }
        }
    }

    /// Exponential backoff with jitter: 10 ms, 20 ms, 40 ms … capped at 640 ms.
    static func backoff(attempt: Int) -> Duration {
        let base = 10 << min(attempt - 1, 6)
        return .milliseconds(base + Int.random(in: 0...base))
    }

    /// Lends a connection; with `probe`, an idle one is checked first (a hop to its queue). Callers
    /// that probe on the queue themselves (pipelines) skip it.
    private func lease(probe: Bool = true) async throws -> PostgresConnection {
        while true {
            guard !closed else { throw PostgresError(code: .poolClosed, operation: "lease") }
            if let connection = idle.popLast() {
                if !probe { return connection }
                if await connection.isHealthy() { return connection }
                open -= 1
                logger.info("replacing a broken database connection")
                continue
            }
            if open < configuration.maxConnections {
                open += 1
                do {
                    return try await PostgresConnection.connect(
                        conninfo: configuration.conninfo, sessionParameters: configuration.sessionParameters)
                } catch {
                    open -= 1
                    logger.warning("database connection failed", metadata: ["error": "\(String(reflecting: error))"])
                    throw error
                }
            }
            return try await waitForConnection()
        }
    }

    private func waitForConnection() async throws -> PostgresConnection {
        nextWaiterID += 1
        let id = nextWaiterID
        let timeout = configuration.acquireTimeout
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            await self?.failWaiter(id, with: PostgresError(code: .poolTimeout, operation: "lease"))
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiters.append((id, continuation))
            }
        } onCancel: {
            Task { await self.failWaiter(id, with: CancellationError()) }
        }
    }

    private func failWaiter(_ id: UInt64, with error: any Error) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: error)
    }

    private func giveBack(_ connection: PostgresConnection) async {
        let idleNow = connection.isIdle()
        let reusable = !closed && idleNow
        guard reusable else {
            open -= 1
            // A slot came free: a waiter may open a fresh connection.
            if !waiters.isEmpty, !closed {
                let waiter = waiters.removeFirst()
                open += 1
                Task {
                    do {
                        let fresh = try await PostgresConnection.connect(
                            conninfo: configuration.conninfo, sessionParameters: configuration.sessionParameters)
                        waiter.continuation.resume(returning: fresh)
                    } catch {
                        self.slotFailed()
                        waiter.continuation.resume(throwing: error)
                    }
                }
            }
            return
        }
        if !waiters.isEmpty {
            waiters.removeFirst().continuation.resume(returning: connection)
        } else {
            idle.append(connection)
        }
    }

    private func slotFailed() { open -= 1 }

    /// Closes idle connections and fails waiters; connections in use close when given back.
    public func shutdown() {
        closed = true
        open -= idle.count
        idle.removeAll()
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(code: .poolClosed, operation: "lease"))
        }
        waiters.removeAll()
    }
}
