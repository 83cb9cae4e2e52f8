import Foundation
import Logging
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices
import Synchronization

/// Operations for county IT (status, stats, reload, log level, sessions) and the tenants one may see.
extension AdminCommands {
    static let operations: [AdminCommand] = [
        // Health needs no account while the database cannot look one up: county IT can diagnose the outage.
        .session("status", roles: [.operator, .county, .auditor], "daemon and database health") { call, _ in
            let status = await call.commands.status.status()
            let sessions = await call.commands.sessions.count
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
            return .ok("status", data: table.lines(call.format))
        },
        AdminCommand(
            "stats", roles: [.operator, .county, .auditor],
            "metrics: sessions, commands by result, latency, pool, jobs, last reconciliation", changes: .nothing
        ) { invocation in
            let commands = invocation.commands
            try await commands.refreshMetrics { invocation.caller }
            let table = ResultTable(
                columns: ["metric", "labels", "value"],
                rows: commands.metrics.rows().map { [.text($0.metric), .text($0.labels), .text($0.value)] })
            return .ok(invocation.say(AdminText.counted(table.rows.count, "metrics")), data: invocation.lines(table))
        },
        AdminCommand(
            "reload", roles: [.operator],
            "read the configuration again, as on SIGHUP (the outcome is in the log and the status)",
            changes: .naturally("reads the configuration again")
        ) { invocation in
            invocation.commands.operations.reload()
            try await invocation.audit("daemon.reload", "daemon", "-")
            return .ok(invocation.say(AdminText.reloadRequested()))
        },
        AdminCommand(
            "log-level", roles: [.operator], "change the log threshold until the next reload or restart",
            changes: .naturally("sets the level"), Arg.oneOf("level", as: Logger.Level.self)
        ) { invocation, level in
            invocation.commands.operations.setLogLevel(level)
            try await invocation.audit("daemon.log_level", "daemon", level.rawValue)
            return .ok(invocation.say(AdminText.logLevel(level.rawValue)))
        },
        AdminCommand("sessions", roles: [.operator], "open admin sessions (no payloads)", changes: .nothing) {
            invocation in
            let list = await invocation.commands.sessions.list()
            let table = ResultTable(
                columns: ["session", "account", "source", "since"],
                rows: list.map { [.text($0.id), .text($0.account ?? "-"), .text($0.source), .text($0.since)] })
            return .ok(invocation.say(AdminText.counted(list.count, "sessions")), data: invocation.lines(table))
        },
        AdminCommand(
            "providers", roles: [.county, .auditor, .provider],
            "the tenants you may see, providers with code, end of cooperation and Sozialräume", changes: .nothing
        ) { invocation in
            let commands = invocation.commands
            let tenants = try await commands.status.visibleTenants(invocation.caller)
            let register = Dictionary(
                uniqueKeysWithValues: try await commands.budget.providers(invocation.caller).map { ($0.id, $0) })
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
            return .ok(invocation.say(AdminText.counted(tenants.count, "tenants")), data: invocation.lines(table))
        },
    ]
}
