import Logging
import SozialraumDomain
import SozialraumStore

/// What county IT sees of the daemon's health: database reachable, pool usage.
public struct SystemStatus: Sendable, Equatable {
    public var databaseReachable: Bool
    /// Database connections open (lent out or idle), idle, and callers waiting for one.
    public var openConnections: Int
    public var idleConnections: Int
    public var waitingForConnection: Int
}

/// Use case: report the daemon's health. Needs no tenant context and reads no tenant data.
public struct SystemStatusService: Sendable {
    let store: Store

    public init(store: Store) { self.store = store }

    public func status() async -> SystemStatus {
        let pool = await store.poolUsage()
        return SystemStatus(
            databaseReachable: await store.isReachable(), openConnections: pool.open, idleConnections: pool.idle,
            waitingForConnection: pool.waiting)
    }

    /// The tenants the caller may see (the county sees all; a provider itself and the county).
    public func visibleTenants(_ caller: Caller) async throws -> [TenantRecord] {
        try await store.visibleTenants(as: caller.tenant)
    }

    /// Leaves the audit event of an operator's action on the daemon itself (reload, log level).
    public func recordOperation(
        _ caller: Caller, _ action: String, _ objectKind: String, _ objectID: String
    )
        async throws
    {
        try await store.withTenant(caller.tenant) { tx in try await tx.audit(caller, action, objectKind, objectID) }
    }
}
