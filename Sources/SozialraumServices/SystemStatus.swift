import Logging
import PostgresClient
import SozialraumStore

/// What county IT sees of the daemon's health: database reachable, pool usage.
public struct SystemStatus: Sendable, Equatable {
    public var databaseReachable: Bool
    public var pool: PostgresPool.Statistics
}

/// Use case: report the daemon's health. Needs no tenant context and reads no tenant data.
public struct SystemStatusService: Sendable {
    let store: Store

    public init(store: Store) { self.store = store }

    public func status() async -> SystemStatus {
        SystemStatus(databaseReachable: await store.isReachable(), pool: await store.pool.statistics)
    }
}
