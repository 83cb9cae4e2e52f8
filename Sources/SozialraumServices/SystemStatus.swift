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
        let reachable: Bool
        do {
            reachable = try await store.withoutTenant(readOnly: true) { transaction in
                try await transaction.query("SELECT 1").single().decode(0, as: Int.self) == 1
            }
        } catch {
            reachable = false
        }
        return SystemStatus(databaseReachable: reachable, pool: await store.pool.statistics)
    }
}
