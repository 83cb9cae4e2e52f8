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
    private typealias State = PoolStateMachine<PostgresConnection>
    /// Who gets which connection: the bookkeeping, without I/O (`PoolStateMachine`).
    private var state: State
    private var continuations: [State.WaiterID: CheckedContinuation<State.Handover, any Error>] = [:]
    /// Handed over before the waiter's continuation was in place (it is taken when it is).
    private var early: [State.WaiterID: State.Handover] = [:]

    public init(configuration: PostgresPoolConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.state = State(maxConnections: configuration.maxConnections)
    }

    /// Figures for monitoring.
    public struct Statistics: Sendable, Equatable {
        public var open: Int
        public var idle: Int
        public var waiting: Int
    }

    public var statistics: Statistics {
        Statistics(open: state.open, idle: state.idle.count, waiting: state.waiters.count)
    }

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
            switch state.lease() {
            case .closed:
                throw PostgresError(code: .poolClosed, operation: "lease")
            case .use(let connection):
                if !probe { return connection }
                if await connection.isHealthy() { return connection }
                logger.info("replacing a broken database connection")
                if let waiter = state.slotFreed() { hand(.slot, to: waiter) }
            case .open:
                return try await openConnection()
            case .wait(let id):
                switch try await wait(id) {
                case .connection(let connection): return connection
                case .slot: return try await openConnection()
                }
            }
        }
    }

    /// Opens a connection in the slot the caller holds; on failure the slot goes to the next waiter, who
    /// tries in its own task.
    private func openConnection() async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(
                conninfo: configuration.conninfo, sessionParameters: configuration.sessionParameters)
        } catch {
            logger.warning("database connection failed", metadata: ["error": "\(String(reflecting: error))"])
            if let waiter = state.slotFreed() { hand(.slot, to: waiter) }
            throw error
        }
    }

    /// Waits for a connection or a slot, up to `acquireTimeout`; a cancelled caller stops waiting at once.
    private func wait(_ id: State.WaiterID) async throws -> State.Handover {
        let timeout = configuration.acquireTimeout
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            await self?.giveUp(id, with: PostgresError(code: .poolTimeout, operation: "lease"))
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if let handover = early.removeValue(forKey: id) {
                    continuation.resume(returning: handover)
                } else {
                    continuations[id] = continuation
                }
            }
        } onCancel: {
            Task { await self.giveUp(id, with: CancellationError()) }
        }
    }

    /// A waiter stops waiting (timed out or cancelled), unless it was served already.
    private func giveUp(_ id: State.WaiterID, with error: any Error) {
        guard state.abandon(id) else { return }
        continuations.removeValue(forKey: id)?.resume(throwing: error)
    }

    private func hand(_ handover: State.Handover, to id: State.WaiterID) {
        if let continuation = continuations.removeValue(forKey: id) {
            continuation.resume(returning: handover)
        } else {
            early[id] = handover
        }
    }

    /// Takes a connection back: idle for the next caller, handed to the first waiter, or closed (a broken
    /// one, or after shutdown; its slot then goes to a waiter). A dropped connection closes on its own queue.
    private func giveBack(_ connection: PostgresConnection) {
        switch state.giveBack(connection, reusable: connection.isIdle()) {
        case .keepIdle, .close: break
        case .handOver(let handover, let id): hand(handover, to: id)
        }
    }

    /// Closes idle connections and fails waiters; connections in use close when given back.
    public func shutdown() {
        let (_, waiters) = state.shutdown()
        for id in waiters {
            continuations.removeValue(forKey: id)?.resume(
                throwing: PostgresError(code: .poolClosed, operation: "lease"))
        }
    }
}
