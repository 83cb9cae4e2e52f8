import Logging
import Synchronization

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
///
/// The bookkeeping is `PoolStateMachine`'s, under a lock held only for its synchronous steps: a waiter
/// that is cancelled or times out leaves at once (no task is spawned for it), and a freed slot is opened
/// by the waiter it goes to, in its own task.
public final class PostgresPool: Sendable {
    public let configuration: PostgresPoolConfiguration
    private let logger: Logger
    private typealias Machine = PoolStateMachine<PostgresConnection>

    private struct Locked: Sendable {
        var machine: Machine
        var continuations: [Machine.WaiterID: CheckedContinuation<Machine.Handover, any Error>] = [:]
        /// Handed over before the waiter's continuation was in place (it takes it when it is).
        var early: [Machine.WaiterID: Machine.Handover] = [:]
        /// Waiters that gave up before their continuation was in place.
        var abandoned: [Machine.WaiterID: any Error] = [:]
    }

    private let state: Mutex<Locked>

    public init(configuration: PostgresPoolConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.state = Mutex(Locked(machine: Machine(maxConnections: configuration.maxConnections)))
    }

    /// Figures for monitoring.
    public struct Statistics: Sendable, Equatable {
        public var open: Int
        public var idle: Int
        public var waiting: Int
    }

    public var statistics: Statistics {
        state.withLock {
            Statistics(open: $0.machine.open, idle: $0.machine.idle.count, waiting: $0.machine.waiters.count)
        }
    }

    // MARK: Lending

    /// Lends a connection to `body` and takes it back afterwards.
    public func withConnection<T: Sendable>(
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await lease()
        do {
            let value = try await body(connection)
            giveBack(connection)
            return value
        } catch {
            giveBack(connection)
            throw error
        }
    }

    /// Runs `body` in a transaction, retrying the whole transaction after a serialization failure or
    /// deadlock (and after a lost connection, when COMMIT was not yet sent) up to
    /// `maxTransactionAttempts` times. `body` must therefore be safe to run again.
    public func withTransaction<T: Sendable>(
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
                giveBack(connection)
                return value
            } catch {
                if !(connection.isIdle()) {
                    try? await connection.control("ROLLBACK", operation: "rollback")
                }
                giveBack(connection)
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
    public func pipelinedRead(
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
                giveBack(connection)
                return Array(rows.dropFirst().prefix(queries.count))
            } catch {
                if !(connection.isIdle()) {
                    try? await connection.control("ROLLBACK", operation: "rollback")
                }
                giveBack(connection)
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
            switch state.withLock({ $0.machine.lease() }) {
            case .closed:
                throw PostgresError(code: .poolClosed, operation: "lease")
            case .use(let connection):
                if !probe { return connection }
                if await connection.isHealthy() { return connection }
                logger.info("replacing a broken database connection")
                slotFreed()
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
            slotFreed()
            throw error
        }
    }

    private func slotFreed() {
        state.withLock { locked in
            if let waiter = locked.machine.slotFreed() { Self.hand(.slot, to: waiter, in: &locked) }
        }
    }

    /// Waits for a connection or a slot, up to `acquireTimeout`: the wait and a timer race in a task group;
    /// whichever loses is cancelled, and a waiter cancelled or timed out leaves at once.
    private func wait(_ id: Machine.WaiterID) async throws -> Machine.Handover {
        let timeout = configuration.acquireTimeout
        return try await withThrowingTaskGroup(of: Machine.Handover?.self) { group in
            group.addTask { try await self.handover(id) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            guard let first = try await group.next() else { throw CancellationError() }
            group.cancelAll()
            if let handover = first {
                _ = try? await group.next()
                return handover
            }
            // Timed out (or the caller was cancelled): the wait is cancelled; a handover that raced the timer
            // is given back.
            switch try? await group.next() {
            case .some(.some(.connection(let connection))): giveBack(connection)
            case .some(.some(.slot)): slotFreed()
            default: break
            }
            if Task.isCancelled { throw CancellationError() }
            throw PostgresError(code: .poolTimeout, operation: "lease")
        }
    }

    /// The handover to waiter `id`; cancelling the task abandons the wait.
    private func handover(_ id: Machine.WaiterID) async throws -> Machine.Handover {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                state.withLock { locked in
                    if let handover = locked.early.removeValue(forKey: id) {
                        continuation.resume(returning: handover)
                    } else if let error = locked.abandoned.removeValue(forKey: id) {
                        continuation.resume(throwing: error)
                    } else {
                        locked.continuations[id] = continuation
                    }
                }
            }
        } onCancel: {
            state.withLock { locked in
                guard locked.machine.abandon(id) else { return }
                if let continuation = locked.continuations.removeValue(forKey: id) {
                    continuation.resume(throwing: CancellationError())
                } else {
                    locked.abandoned[id] = CancellationError()
                }
            }
        }
    }

    private static func hand(_ handover: Machine.Handover, to id: Machine.WaiterID, in locked: inout Locked) {
        if let continuation = locked.continuations.removeValue(forKey: id) {
            continuation.resume(returning: handover)
        } else {
            locked.early[id] = handover
        }
    }

    /// Takes a connection back: idle for the next caller, handed to the first waiter, or closed (a broken
    /// one, or after shutdown; its slot then goes to a waiter). A dropped connection closes on its own queue.
    private func giveBack(_ connection: PostgresConnection) {
        let reusable = connection.isIdle()
        state.withLock { locked in
            switch locked.machine.giveBack(connection, reusable: reusable) {
            case .keepIdle, .close: break
            case .handOver(let handover, let id): Self.hand(handover, to: id, in: &locked)
            }
        }
    }

    /// Closes idle connections and fails waiters; connections in use close when given back.
    public func shutdown() {
        let waiting = state.withLock { locked in
            let (_, waiters) = locked.machine.shutdown()
            return waiters.compactMap { locked.continuations.removeValue(forKey: $0) }
        }
        for continuation in waiting {
            continuation.resume(throwing: PostgresError(code: .poolClosed, operation: "lease"))
        }
    }
}
