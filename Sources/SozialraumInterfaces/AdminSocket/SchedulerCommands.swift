import Foundation
import Logging
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices
import Synchronization

/// Schedules and job runs (county IT, county).
extension AdminCommands {
    static let scheduling: [AdminCommand] = [
        AdminCommand(
            name: "schedules", roles: [.operator, .county, .auditor], usage: "schedules",
            summary: "schedules with their next slot, deadline, last success and slots by outcome (Europe/Berlin)",
            changes: .nothing
        ) { commands, request, state, _ in
            let now = await commands.sharedNow()
            let schedules = try await commands.jobs.schedules()
            let local = { (instant: Instant?) -> ResultTable.Cell in
                instant.map { .text(ZoneRules.europeBerlin.local($0).description) } ?? .null
            }
            let table = ResultTable(
                columns: [
                    "schedule", "cron", "zone", "job", "parameters", "missed", "timeout_s", "attempts", "state", "next",
                    "overlap", "deadline_s", "overdue_slot", "last_success", "succeeded", "failed", "cancelled",
                    "skipped_policy", "skipped_paused",
                ],
                rows: schedules.map { schedule in
                    let next = (try? CronSchedule(parsing: schedule.cron)).flatMap { cron in
                        ZoneRules(identifier: schedule.timeZone).flatMap {
                            cron.nextFire(after: max(now, schedule.plannedThrough ?? now), in: $0)
                        }
                    }
                    return [
                        .text(schedule.name), .text(schedule.cron), .text(schedule.timeZone), .text(schedule.job),
                        .text(schedule.parameters),
                        .text(schedule.missedPolicy.rawValue), .integer(Int64(schedule.timeoutSeconds)),
                        .integer(Int64(schedule.maxAttempts)),
                        .text(schedule.paused ? "paused" : "active"), local(next), .text(schedule.overlap.rawValue),
                        schedule.deadlineSeconds.map { .integer(Int64($0)) } ?? .null,
                        local(schedule.overdueSlot(now: now)), local(schedule.outcomes.lastSuccess),
                        .integer(schedule.outcomes.succeeded), .integer(schedule.outcomes.failed),
                        .integer(schedule.outcomes.cancelled), .integer(schedule.outcomes.skippedByPolicy),
                        .integer(schedule.outcomes.skippedWhilePaused),
                    ]
                })
            return .ok("\(schedules.count) schedules", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "schedule-set", roles: [.operator, .county],
            usage:
                "schedule-set <name> \"<cron>\" <job> [parameters=…] [missed=all|latest|skip] [timeout=<s>] [attempts=<n>] [backoff=<s>] [zone=Europe/Berlin|UTC] [deadline=<n>m|<n>h|<n>d] [overlap=serial|parallel]",
            summary: "create or change a schedule (plans from now on)", changes: .naturally("sets the schedule")
        ) { commands, request, state, _ in
            let schedule = try commands.scheduleRecord(request)
            let outcome = try await commands.jobs.setSchedule(
                commands.caller(state), schedule, now: await commands.sharedNow())
            return .ok(
                "schedule \(schedule.name) set"
                    + (outcome.paused
                        ? " (still paused; resume to plan its slots)" : "; \(outcome.skipped) unplanned slots skipped"))
        },
        AdminCommand(
            name: "pause", roles: [.operator, .county], usage: "pause <schedule>",
            summary: "stop planning a schedule's slots", changes: .naturally("a paused schedule stays paused")
        ) {
            commands, request, state, _ in
            let name = try commands.positional(request, 0, name: "schedule")
            try await commands.jobs.pause(commands.caller(state), name: name, now: await commands.sharedNow())
            return .ok("schedule \(name) paused")
        },
        AdminCommand(
            name: "resume", roles: [.operator, .county], usage: "resume <schedule> [missed=all|latest|skip]",
            summary: "plan a schedule again; the slots of the pause run all, the latest, or none (default)",
            changes: .naturally("a running schedule stays running")
        ) { commands, request, state, _ in
            let name = try commands.positional(request, 0, name: "schedule")
            guard let missed = MissedRunPolicy(rawValue: request.keywords["missed"] ?? "skip") else {
                throw ArgumentError(name: "missed", reason: "all, latest or skip")
            }
            let outcome = try await commands.jobs.resume(
                commands.caller(state), name: name, missed: missed, now: await commands.sharedNow())
            return .ok(
                "schedule \(name) resumed; slots of the pause: \(outcome.queued) queued, \(outcome.skipped) skipped")
        },
        AdminCommand(
            name: "run-now", roles: [.operator, .county], usage: "run-now <schedule> key=<idempotency-key>",
            summary: "queue a schedule's job now (wakes a scheduler at once)", changes: .withKey
        ) { commands, request, state, _ in
            let name = try commands.positional(request, 0, name: "schedule")
            let key = try commands.idempotencyKey(request)
            let id = try await commands.jobs.runNow(
                commands.caller(state), schedule: name, key: key, now: await commands.sharedNow())
            return .ok("job \(id) queued")
        },
        AdminCommand(
            name: "check", roles: [.operator, .county, .auditor], usage: "check",
            summary: "health for monitoring: OK, WARNING or CRITICAL with the reasons (sozialraumctl check)",
            changes: .nothing
        ) { commands, _, _, _ in
            let health = await commands.healthCheck()
            return .ok("\(health.level.rawValue) - \(health.text)")
        },
        AdminCommand(
            name: "schedule-backfill", roles: [.operator, .county],
            usage: "schedule-backfill <schedule> from=<date> to=<date>",
            summary: "queue a schedule's slots between two days (Europe/Berlin) with their original slot times",
            changes: .naturally("a slot already queued is not queued again")
        ) { commands, request, state, _ in
            let name = try commands.positional(request, 0, name: "schedule")
            guard let from = try commands.keywordDay(request, "from") else {
                throw ArgumentError(name: "from", reason: "required, a date like 2026-12-01")
            }
            guard let to = try commands.keywordDay(request, "to") else {
                throw ArgumentError(name: "to", reason: "required, a date like 2026-12-31")
            }
            let berlin = ZoneRules.europeBerlin
            let now = await commands.sharedNow()
            let end = min(
                berlin.instant(of: LocalDateTime(day: to.adding(days: 1), hour: 0, minute: 0)).adding(seconds: -1), now)
            let outcome = try await commands.jobs.backfill(
                commands.caller(state), schedule: name,
                from: berlin.instant(of: LocalDateTime(day: from, hour: 0, minute: 0)), to: end, now: now)
            return .ok(
                "schedule \(name) backfilled: \(outcome.queued) slots queued, \(outcome.existing) had a run already")
        },
        AdminCommand(
            name: "jobs", roles: [.operator, .county, .auditor], usage: "jobs [schedule] [limit=<n>]",
            summary: "run history: state, attempts, times, result or error", changes: .nothing
        ) { commands, request, state, _ in
            let limit =
                try request.keywords["limit"].map { text in
                    guard let value = Int(text), (1...10_000).contains(value) else {
                        throw ArgumentError(name: "limit", reason: "1...10000")
                    }
                    return value
                } ?? 50
            let runs = try await commands.jobs.history(schedule: request.positional.first, limit: limit)
            // A slot is a time of the schedule's (wall clock, minutes); started and finished are moments.
            let local = { (instant: Instant?) -> ResultTable.Cell in
                instant.map { .text(ZoneRules.europeBerlin.local($0).description) } ?? .null
            }
            let moment = { (instant: Instant?) -> ResultTable.Cell in
                instant.map { .text(ZoneRules.europeBerlin.iso8601($0)) } ?? .null
            }
            let table = ResultTable(
                columns: [
                    "job", "schedule", "slot", "job_kind", "state", "attempts", "started", "finished", "result",
                    "error", "instance",
                ],
                rows: runs.map { run in
                    [
                        .integer(run.id), .text(run.schedule ?? "-"), local(run.slot), .text(run.job), .text(run.state),
                        .integer(Int64(run.attempts)),
                        moment(run.startedAt), moment(run.finishedAt), run.result.map { .text($0) } ?? .null,
                        run.error.map { .text($0) } ?? .null,
                        run.claimedBy.map { .text($0) } ?? .null,
                    ]
                })
            return .ok("\(runs.count) jobs", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "job-retry", roles: [.operator, .county], usage: "job-retry <job>",
            summary: "run a failed job again for its own slot, with a fresh attempt budget",
            changes: .naturally("a job that is no longer failed is CONFLICT")
        ) { commands, request, state, _ in
            let id = try commands.number(request, 0, name: "job", reason: "a job number")
            try await commands.jobs.retry(commands.caller(state), run: id, now: await commands.sharedNow())
            return .ok("job \(id) queued again for its own slot")
        },
        AdminCommand(
            name: "job-cancel", roles: [.operator, .county], usage: "job-cancel <job>",
            summary: "cancel a queued job, or ask the running instance to stop it",
            changes: .naturally("a cancelled job stays cancelled")
        ) { commands, request, state, _ in
            let id = try commands.number(request, 0, name: "job", reason: "a job number")
            let outcome = try await commands.jobs.cancel(
                commands.caller(state), run: id, now: await commands.sharedNow())
            return .ok(outcome == .cancelled ? "job \(id) cancelled" : "job \(id) asked to stop")
        },
    ]

    func now() -> Instant { Instant(seconds: Int64(Date().timeIntervalSince1970)) }

    /// PostgreSQL's clock, which every instance shares (the host's while the database is away).
    func sharedNow() async -> Instant { (try? await jobs.databaseNow()) ?? now() }

    /// The health a monitoring plugin reports (`check`, `sozialraumctl check`).
    func healthCheck() async -> HealthCheck {
        let reachable = await status.status().databaseReachable
        guard reachable else {
            return HealthCheck.evaluate(databaseReachable: false, overdue: [], failed: [], undecidedOverruns: 0)
        }
        let now = await sharedNow()
        let local = { (instant: Instant) in ZoneRules.europeBerlin.local(instant).description }
        do {
            let overdue = try await jobs.overdue(now: now).map { ($0.schedule, local($0.slot)) }
            let failed = try await jobs.failedLatest().map { ($0.schedule, local($0.slot)) }
            let overruns = try await status.undecidedOverruns(year: ZoneRules.europeBerlin.local(now).day.year)
            return HealthCheck.evaluate(
                databaseReachable: true, overdue: overdue, failed: failed, undecidedOverruns: overruns)
        } catch {
            logger.error("health check failed", metadata: ["error": "\(String(describing: error).prefix(200))"])
            return HealthCheck.evaluate(databaseReachable: false, overdue: [], failed: [], undecidedOverruns: 0)
        }
    }

    /// A schedule from `schedule-set`, checked before it is stored.
    func scheduleRecord(_ request: Request) throws -> ScheduleRecord {
        let name = try positional(request, 0, name: "name")
        guard name.range(of: "^[a-z][a-z0-9-]{1,39}$", options: .regularExpression) != nil else {
            throw ArgumentError(name: "name", reason: "2 to 40 of a-z 0-9 -, starting with a letter")
        }
        let cronText = try positional(request, 1, name: "cron")
        do { _ = try CronSchedule(parsing: cronText) } catch {
            throw ArgumentError(name: "cron", reason: error.description)
        }
        let job = try positional(request, 2, name: "job")
        guard StandardJobs.kinds.contains(job) else {
            throw ArgumentError(name: "job", reason: StandardJobs.kinds.joined(separator: " or "))
        }
        let parameters = request.keywords["parameters"] ?? (job == "reconcile" ? "month-to-date" : "")
        guard TextLimit.scheduleParameters.allows(parameters) else {
            throw ArgumentError(name: "parameters", reason: TextLimit.scheduleParameters.description)
        }
        if job == "reconcile", !StandardJobs.reconcileScopes.contains(parameters) {
            throw ArgumentError(name: "parameters", reason: StandardJobs.reconcileScopes.joined(separator: ", "))
        }
        guard let policy = MissedRunPolicy(rawValue: request.keywords["missed"] ?? "latest") else {
            throw ArgumentError(name: "missed", reason: "all, latest or skip")
        }
        let zone = request.keywords["zone"] ?? "Europe/Berlin"
        guard ZoneRules(identifier: zone) != nil else {
            throw ArgumentError(name: "zone", reason: "Europe/Berlin or UTC")
        }
        func number(_ key: String, _ range: ClosedRange<Int>, _ fallback: Int) throws -> Int {
            guard let text = request.keywords[key] else { return fallback }
            guard let value = Int(text), range.contains(value) else {
                throw ArgumentError(name: key, reason: "\(range.lowerBound)...\(range.upperBound)")
            }
            return value
        }
        guard let overlap = OverlapPolicy(rawValue: request.keywords["overlap"] ?? "serial") else {
            throw ArgumentError(name: "overlap", reason: "serial or parallel")
        }
        var deadline: Int?
        if let text = request.keywords["deadline"] {
            let units: [Character: Int] = ["m": 60, "h": 3600, "d": 86_400]
            guard let unit = text.last.flatMap({ units[$0] }), let count = Int(text.dropLast()),
                (60...2_678_400).contains(count * unit)
            else {
                throw ArgumentError(
                    name: "deadline", reason: "minutes, hours or days after the slot, e.g. 6h (1m to 31d)")
            }
            deadline = count * unit
        }
        return ScheduleRecord(
            name: name, cron: cronText, timeZone: zone, job: job, parameters: parameters, missedPolicy: policy,
            timeoutSeconds: try number("timeout", 1...86_400, 3600), maxAttempts: try number("attempts", 1...20, 3),
            backoffSeconds: try number("backoff", 1...3600, 60), deadlineSeconds: deadline, overlap: overlap)
    }
}
