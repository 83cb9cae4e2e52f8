import Foundation
import Logging
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices
import Synchronization

/// Operations for county IT (status, stats, reload, log level, sessions) and the tenants one may see.
extension AdminCommands {
    static let operations: [AdminCommand] = [
        AdminCommand(
            name: "status", roles: [.operator, .county, .auditor], usage: "status",
            summary: "daemon and database health", changes: .nothing
        ) {
            commands, request, state, _ in
            let status = await commands.status.status()
            let sessions = await commands.sessions.count
            let table = ResultTable(
                columns: ["database", "pool_open", "pool_idle", "pool_waiting", "sessions"],
                rows: [
                    [
                        .text(status.databaseReachable ? "reachable" : "unreachable"),
                        .integer(Int64(status.openConnections)),
                        .integer(Int64(status.idleConnections)), .integer(Int64(status.waitingForConnection)),
                        .integer(Int64(sessions)),
                    ]
                ])
            return .ok("status", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "stats", roles: [.operator, .county, .auditor], usage: "stats",
            summary: "metrics: sessions, commands by result, latency, pool, jobs, last reconciliation",
            changes: .nothing
        ) {
            commands, request, state, _ in
            try await commands.refreshMetrics { commands.caller(state) }
            let table = ResultTable(
                columns: ["metric", "labels", "value"],
                rows: commands.metrics.rows().map { [.text($0.metric), .text($0.labels), .text($0.value)] })
            return .ok("\(table.rows.count) metrics", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "reload", roles: [.operator], usage: "reload",
            summary: "read the configuration again, as on SIGHUP (the outcome is in the log and the status)",
            changes: .naturally("reads the configuration again")
        ) {
            commands, _, state, _ in
            commands.operations.reload()
            try await commands.audit(state, "daemon.reload", "daemon", "-")
            return .ok("reload requested")
        },
        AdminCommand(
            name: "log-level", roles: [.operator], usage: "log-level trace|debug|info|notice|warning|error|critical",
            summary: "change the log threshold until the next reload or restart", changes: .naturally("sets the level")
        ) { commands, request, state, _ in
            guard let level = Logger.Level(rawValue: try commands.positional(request, 0, name: "level")) else {
                throw ArgumentError(
                    name: "level", reason: Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))
            }
            commands.operations.setLogLevel(level)
            try await commands.audit(state, "daemon.log_level", "daemon", level.rawValue)
            return .ok("log level \(level.rawValue) until the next reload or restart")
        },
        AdminCommand(
            name: "sessions", roles: [.operator], usage: "sessions", summary: "open admin sessions (no payloads)",
            changes: .nothing
        ) {
            commands, request, state, _ in
            let list = await commands.sessions.list()
            let table = ResultTable(
                columns: ["session", "account", "source", "since"],
                rows: list.map { [.text($0.id), .text($0.account ?? "-"), .text($0.source), .text($0.since)] })
            return .ok("\(list.count) sessions", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "providers", roles: [.county, .auditor, .provider], usage: "providers",
            summary: "the tenants you may see, providers with code, end of cooperation and Sozialräume",
            changes: .nothing
        ) {
            commands, request, state, _ in
            let tenants = try await commands.status.visibleTenants(commands.caller(state))
            let register = Dictionary(
                uniqueKeysWithValues: try await commands.budget.providers(commands.caller(state)).map { ($0.id, $0) })
            let table = ResultTable(
                columns: ["tenant", "kind", "name", "code", "cooperation_ends", "sozialraeume"],
                rows: tenants.map { tenant in
                    let entry = register[tenant.id]
                    return [
                        .text(tenant.id.description), .text(tenant.kind.rawValue), .text(tenant.name),
                        entry?.code.map { .text($0.rawValue) } ?? .null,
                        entry?.cooperationEnds.map { .text($0.description) } ?? .null,
                        entry.map { .text($0.socialSpaces.joined(separator: " ")) } ?? .null,
                    ]
                })
            return .ok("\(tenants.count) tenants", data: table.lines(commands.format(request: request, state)))
        },
    ]
}
