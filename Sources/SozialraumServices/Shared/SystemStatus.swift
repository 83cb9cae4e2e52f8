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

    /// How many overruns of `year` wait for a decision (§ 117 NKomVG): a count for monitoring, no figures.
    public func undecidedOverruns(year: Int) async throws -> Int {
        guard let county = try await store.countyTenant() else { return 0 }
        return try await store.withTenant(county, readOnly: true) { tx in
            try await OverrunDecisionStore.undecided(tx, year: year)
        }
    }
}

/// What `sozialraumctl check` reports, as a Nagios/Icinga plugin does: the worst finding decides.
public struct HealthCheck: Sendable, Equatable {
    public enum Level: String, Sendable, Comparable {
        case ok = "OK"
        case warning = "WARNING"
        case critical = "CRITICAL"

        var rank: Int { self == .ok ? 0 : self == .warning ? 1 : 2 }
        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rank < rhs.rank }
    }

    public var level: Level
    public var text: String

    public init(level: Level, text: String) {
        self.level = level
        self.text = text
    }

    /// Database unreachable, a schedule past its deadline or a schedule whose latest slot failed:
    /// critical; overruns without a decision: a warning.
    public static func evaluate(
        databaseReachable: Bool, overdue: [(schedule: String, slot: String)],
        failed: [(schedule: String, slot: String)],
        undecidedOverruns: Int
    ) -> HealthCheck {
        var level = Level.ok
        var parts: [String] = []
        if !databaseReachable {
            level = .critical
            parts.append("database unreachable")
        } else {
            parts.append("database reachable")
        }
        for item in overdue {
            level = .critical
            parts.append("\(item.schedule) overdue (slot \(item.slot))")
        }
        for item in failed {
            level = .critical
            parts.append("\(item.schedule) failed (slot \(item.slot))")
        }
        if undecidedOverruns > 0 {
            level = max(level, .warning)
            parts.append("\(undecidedOverruns) undecided overruns")
        }
        if overdue.isEmpty && failed.isEmpty { parts.append("schedules on time") }
        return HealthCheck(level: level, text: parts.joined(separator: "; "))
    }
}
