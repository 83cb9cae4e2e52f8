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
            summary: "daemon and database health", mutates: false
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
            summary: "metrics: sessions, commands by result, latency, pool, jobs, last reconciliation", mutates: false
        ) {
            commands, request, state, _ in
            let table = try await commands.stats(commands.caller(state))
            return .ok("\(table.rows.count) metrics", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "reload", roles: [.operator], usage: "reload",
            summary: "read the configuration again, as on SIGHUP (the outcome is in the log and the status)",
            mutates: true
        ) {
            commands, _, state, _ in
            commands.operations.reload()
            try await commands.audit(state, "daemon.reload", "daemon", "-")
            return .ok("reload requested")
        },
        AdminCommand(
            name: "log-level", roles: [.operator], usage: "log-level trace|debug|info|notice|warning|error|critical",
            summary: "change the log threshold until the next reload or restart", mutates: true
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
            mutates: false
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
            summary: "the tenants you may see, providers with code, end of cooperation and Sozialräume", mutates: false
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

    func stats(_ caller: Caller) async throws -> ResultTable {
        var rows: [[ResultTable.Cell]] = []
        func add(_ name: String, _ labels: String, _ value: Int64) {
            rows.append([.text(name), .text(labels), .integer(value)])
        }
        add("sozialraum_admin_sessions", "", Int64(await sessions.count))
        let snapshot = metrics.state.withLock { $0 }
        for (key, count) in snapshot.commands.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "|")
            add("sozialraum_admin_commands_total", "command=\"\(parts[0])\",result=\"\(parts[1])\"", Int64(count))
        }
        var cumulative = 0
        for (index, count) in snapshot.latency.enumerated() {
            cumulative += count
            let bound = index < AdminMetrics.buckets.count ? String(Int(AdminMetrics.buckets[index])) : "+Inf"
            add("sozialraum_admin_command_duration_ms_bucket", "le=\"\(bound)\"", Int64(cumulative))
        }
        add("sozialraum_admin_command_duration_ms_sum", "", Int64(snapshot.latencySum.rounded()))
        add("sozialraum_admin_upload_bytes_in_flight", "", Int64(uploadBudget.inUse))
        let health = await status.status()
        add("sozialraum_pool_connections", "state=\"open\"", Int64(health.openConnections))
        add("sozialraum_pool_connections", "state=\"idle\"", Int64(health.idleConnections))
        add("sozialraum_pool_waiting", "", Int64(health.waitingForConnection))
        // Retained runs (the history is pruned after scheduler.historyDays): a gauge, not a counter.
        for (job, state, count) in try await jobs.countsByState() {
            add("sozialraum_job_runs_retained", "job=\"\(job)\",state=\"\(state)\"", count)
        }
        // Slots by outcome since each schedule exists: real counters, kept when the history is pruned.
        let now = await sharedNow()
        for schedule in try await jobs.schedules() {
            let o = schedule.outcomes
            for (outcome, count) in [
                ("succeeded", o.succeeded), ("failed", o.failed), ("cancelled", o.cancelled),
                ("skipped_by_policy", o.skippedByPolicy), ("skipped_while_paused", o.skippedWhilePaused),
            ] {
                add("sozialraum_schedule_slots_total", "schedule=\"\(schedule.name)\",outcome=\"\(outcome)\"", count)
            }
            add(
                "sozialraum_schedule_last_success_seconds", "schedule=\"\(schedule.name)\"",
                o.lastSuccess?.seconds ?? 0)
            add(
                "sozialraum_schedule_overdue", "schedule=\"\(schedule.name)\"",
                schedule.overdueSlot(now: now) == nil ? 0 : 1)
        }
        // Per Sozialraum, the end of its last reconciliation run (seconds since 1970; 0: never), as the
        // caller's tenant sees the runs.
        let last = try await reconciliation.lastReconciliations(caller)
        for (space, seconds) in last {
            add("sozialraum_last_reconciliation_seconds", "sozialraum=\"\(space)\"", seconds)
        }
        return ResultTable(columns: ["metric", "labels", "value"], rows: rows)
    }
}
