/// The pool's bookkeeping without I/O: which caller gets an idle connection, who may open a new one, who
/// waits and in which order, what happens to a connection given back, at shutdown. `PostgresPool` performs
/// the actions it returns (probing, connecting, resuming waiters); `PoolStateMachineTests` drives it
/// directly, with plain values for connections.
struct PoolStateMachine<Connection> {
    /// A caller waiting for a connection, in the order it came.
    struct WaiterID: Hashable, Sendable {
        let raw: UInt64
    }

    /// What a caller asking for a connection does next.
    enum LeaseAction {
        /// Use this idle connection (probe it first if asked to).
        case use(Connection)
        /// A slot is reserved: open a new connection (report `openFailed` if that fails).
        case open
        /// All slots are taken: wait under this id.
        case wait(WaiterID)
        /// The pool is shut down.
        case closed
    }

    /// What a waiter is handed when its turn comes.
    enum Handover {
        /// A connection given back by another caller.
        case connection(Connection)
        /// A free slot: the waiter opens a connection itself (in its own task).
        case slot
    }

    /// What becomes of a connection given back.
    enum ReturnAction {
        /// Kept idle for the next caller.
        case keepIdle
        /// Handed to the first waiter.
        case handOver(Handover, to: WaiterID)
        /// Closed (broken, or the pool is shut down); no waiter needs the slot.
        case close
    }

    let maxConnections: Int
    private(set) var idle: [Connection] = []
    /// Connections open or being opened, lent out or idle.
    private(set) var open = 0
    private(set) var waiters: [WaiterID] = []
    private(set) var isClosed = false
    private var nextWaiter: UInt64 = 0

    init(maxConnections: Int) { self.maxConnections = max(1, maxConnections) }

    mutating func lease() -> LeaseAction {
        guard !isClosed else { return .closed }
        if let connection = idle.popLast() { return .use(connection) }
        if open < maxConnections {
            open += 1
            return .open
        }
        nextWaiter += 1
        let id = WaiterID(raw: nextWaiter)
        waiters.append(id)
        return .wait(id)
    }

    /// An idle connection failed its probe, or opening one failed: its slot is free again. A waiter (if
    /// any) takes the slot over.
    mutating func slotFreed() -> WaiterID? {
        open -= 1
        guard !isClosed, !waiters.isEmpty else { return nil }
        open += 1
        return waiters.removeFirst()
    }

    /// A connection comes back; `reusable` when it is idle on the server side (no transaction open).
    mutating func giveBack(_ connection: Connection, reusable: Bool) -> ReturnAction {
        guard reusable, !isClosed else {
            return slotFreed().map { .handOver(.slot, to: $0) } ?? .close
        }
        if !waiters.isEmpty { return .handOver(.connection(connection), to: waiters.removeFirst()) }
        idle.append(connection)
        return .keepIdle
    }

    /// A waiter gave up (cancelled or timed out): true when it was still waiting, so nothing was handed
    /// to it.
    mutating func abandon(_ id: WaiterID) -> Bool {
        guard let index = waiters.firstIndex(of: id) else { return false }
        waiters.remove(at: index)
        return true
    }

    /// Shuts the pool: the idle connections to close and the waiters to fail. Connections lent out close
    /// when they come back.
    mutating func shutdown() -> (idle: [Connection], waiters: [WaiterID]) {
        isClosed = true
        let result = (idle, waiters)
        open -= idle.count
        idle.removeAll()
        waiters.removeAll()
        return result
    }
}

extension PoolStateMachine.Handover: Sendable where Connection: Sendable {}
extension PoolStateMachine.LeaseAction: Sendable where Connection: Sendable {}
extension PoolStateMachine.ReturnAction: Sendable where Connection: Sendable {}
extension PoolStateMachine: Sendable where Connection: Sendable {}
