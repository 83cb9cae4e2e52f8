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
            "schedules", roles: [.operator, .county, .auditor],
            "schedules with their next slot, deadline, last success and slots by outcome (Europe/Berlin)",
            changes: .nothing
        ) { invocation in
            let commands = invocation.commands
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
                    let next = (try? CronSchedule(parsing: schedule.cron, land: commands.jobs.land)).flatMap { cron in
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
                        local(schedule.overdueSlot(now: now, land: commands.jobs.land)),
                        local(schedule.outcomes.lastSuccess),
                        .integer(schedule.outcomes.succeeded), .integer(schedule.outcomes.failed),
                        .integer(schedule.outcomes.cancelled), .integer(schedule.outcomes.skippedByPolicy),
                        .integer(schedule.outcomes.skippedWhilePaused),
                    ]
                })
            return .ok(invocation.say(AdminText.counted(schedules.count, "schedules")), data: invocation.lines(table))
        },
        AdminCommand(
            "schedule-set", roles: [.operator, .county], "create or change a schedule (plans from now on)",
            changes: .naturally("sets the schedule"), Arg.scheduleName.named("name"), Arg.cron, Arg.job,
            Arg.textKeyword("parameters", "…").optional,
            Arg.oneOfKeyword("missed", as: MissedRunPolicy.self).defaulting(to: .latest),
            Arg.integerKeyword("timeout", "<s>", in: 1...86_400).defaulting(to: 3600),
            Arg.integerKeyword("attempts", "<n>", in: 1...20).defaulting(to: 3),
            Arg.integerKeyword("backoff", "<s>", in: 1...3600).defaulting(to: 60),
            Argument<String>.keyword("zone", "Europe/Berlin|UTC", reason: "Europe/Berlin or UTC") {
                ZoneRules(identifier: $0) != nil ? $0 : nil
            }.defaulting(to: "Europe/Berlin"),
            Arg.deadline.optional,
            Arg.oneOfKeyword("overlap", as: OverlapPolicy.self).defaulting(to: .serial)
        ) { invocation, name, cron, job, parameters, missed, timeout, attempts, backoff, zone, deadline, overlap in
            // The parameters' default and check depend on the job.
            let parameters = parameters ?? (job == "reconcile" ? "month-to-date" : "")
            guard TextLimit.scheduleParameters.allows(parameters) else {
                throw ArgumentError(name: "parameters", reason: TextLimit.scheduleParameters.description)
            }
            if job == "reconcile", !StandardJobs.reconcileScopes.contains(parameters) {
                throw ArgumentError(name: "parameters", reason: StandardJobs.reconcileScopes.joined(separator: ", "))
            }
            let schedule = ScheduleRecord(
                name: name, cron: cron, timeZone: zone, job: job, parameters: parameters, missedPolicy: missed,
                timeoutSeconds: timeout, maxAttempts: attempts, backoffSeconds: backoff, deadlineSeconds: deadline,
                overlap: overlap)
            let commands = invocation.commands
            let outcome = try await commands.jobs.setSchedule(
                invocation.caller, schedule, now: await commands.sharedNow())
            return .ok(
                invocation.say(AdminText.scheduleSet(schedule.name, paused: outcome.paused, skipped: outcome.skipped)))
        },
        AdminCommand(
            "pause", roles: [.operator, .county], "stop planning a schedule's slots",
            changes: .naturally("a paused schedule stays paused"), Arg.scheduleName
        ) { invocation, name in
            let commands = invocation.commands
            try await commands.jobs.pause(invocation.caller, name: name, now: await commands.sharedNow())
            return .ok(invocation.say(AdminText.schedulePaused(name)))
        },
        AdminCommand(
            "resume", roles: [.operator, .county],
            "plan a schedule again; the slots of the pause run all, the latest, or none (default)",
            changes: .naturally("a running schedule stays running"), Arg.scheduleName,
            Arg.oneOfKeyword("missed", as: MissedRunPolicy.self).defaulting(to: .skip)
        ) { invocation, name, missed in
            let commands = invocation.commands
            let outcome = try await commands.jobs.resume(
                invocation.caller, name: name, missed: missed, now: await commands.sharedNow())
            return .ok(
                invocation.say(AdminText.scheduleResumed(name, queued: outcome.queued, skipped: outcome.skipped)))
        },
        AdminCommand(
            "run-now", roles: [.operator, .county], "queue a schedule's job now (wakes a scheduler at once)",
            changes: .withKey, Arg.scheduleName, Arg.key
        ) { invocation, name, key in
            let commands = invocation.commands
            let id = try await commands.jobs.runNow(
                invocation.caller, schedule: name, key: key, now: await commands.sharedNow())
            return .ok(invocation.say(AdminText.jobQueued(id)))
        },
        AdminCommand(
            "check", roles: [.operator, .county, .auditor],
            "health for monitoring: OK, WARNING or CRITICAL with the reasons (sozialraumctl check)", changes: .nothing
        ) { invocation in
            let health = await invocation.commands.healthCheck()
            return .ok("\(health.level.rawValue) - \(health.text)")
        },
        AdminCommand(
            "schedule-backfill", roles: [.operator, .county],
            "queue a schedule's slots between two days (Europe/Berlin) with their original slot times",
            changes: .naturally("a slot already queued is not queued again"), Arg.scheduleName,
            Arg.dayKeyword("from", missing: "required, a date like 2026-12-01"),
            Arg.dayKeyword("to", missing: "required, a date like 2026-12-31")
        ) { invocation, name, from, to in
            let commands = invocation.commands
            let berlin = ZoneRules.europeBerlin
            let now = await commands.sharedNow()
            let end = min(
                berlin.instant(of: LocalDateTime(day: to.adding(days: 1), hour: 0, minute: 0)).adding(seconds: -1), now)
            let outcome = try await commands.jobs.backfill(
                invocation.caller, schedule: name,
                from: berlin.instant(of: LocalDateTime(day: from, hour: 0, minute: 0)), to: end, now: now)
            return .ok(invocation.say(AdminText.backfilled(name, queued: outcome.queued, existing: outcome.existing)))
        },
        AdminCommand(
            "jobs", roles: [.operator, .county, .auditor], "run history: state, attempts, times, result or error",
            changes: .nothing, Arg.scheduleName.optional,
            Arg.integerKeyword("limit", "<n>", in: 1...10_000).defaulting(to: 50)
        ) { invocation, schedule, limit in
            let runs = try await invocation.commands.jobs.history(schedule: schedule, limit: limit)
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
            return .ok(invocation.say(AdminText.counted(runs.count, "jobs")), data: invocation.lines(table))
        },
        AdminCommand(
            "job-retry", roles: [.operator, .county],
            "run a failed job again for its own slot, with a fresh attempt budget",
            changes: .naturally("a job that is no longer failed is CONFLICT"), Arg.jobRun
        ) { invocation, id in
            let commands = invocation.commands
            try await commands.jobs.retry(invocation.caller, run: id, now: await commands.sharedNow())
            return .ok(invocation.say(AdminText.jobRetried(id)))
        },
        AdminCommand(
            "job-cancel", roles: [.operator, .county], "cancel a queued job, or ask the running instance to stop it",
            changes: .naturally("a cancelled job stays cancelled"), Arg.jobRun
        ) { invocation, id in
            let commands = invocation.commands
            let outcome = try await commands.jobs.cancel(invocation.caller, run: id, now: await commands.sharedNow())
            return .ok(invocation.say(AdminText.jobCancelled(id, stopped: outcome == .cancelled)))
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

}

extension Arg {
    /// A schedule's name: 2 to 40 of a-z 0-9 -, starting with a letter.
    static var scheduleName: Argument<String> {
        Argument<String>.required("schedule", reason: "2 to 40 of a-z 0-9 -, starting with a letter") {
            $0.range(of: "^[a-z][a-z0-9-]{1,39}$", options: .regularExpression) != nil ? $0 : nil
        }
    }

    /// `"<cron>"`: five fields; a wrong one is named.
    static var cron: Argument<String> {
        Argument(syntax: ArgumentSyntax(name: "cron", place: .positional(required: true), usage: "\"<cron>\"")) {
            matched throws(ArgumentError) in
            guard let text = matched.values["cron"] else { throw ArgumentError(name: "cron", reason: "missing") }
            do { _ = try CronSchedule(parsing: text) } catch { throw ArgumentError(name: "cron", reason: "\(error)") }
            return text
        }
    }

    /// The job a schedule runs.
    static var job: Argument<String> {
        Argument<String>.required("job", reason: StandardJobs.kinds.joined(separator: " or ")) {
            StandardJobs.kinds.contains($0) ? $0 : nil
        }
    }

    /// A job run's number.
    static var jobRun: Argument<Int64> { number("job", reason: "a job number") }

    /// `deadline=<n>m|<n>h|<n>d`: seconds after the slot, 1 minute to 31 days.
    static var deadline: Argument<Int> {
        Argument<Int>.keyword(
            "deadline", "<n>m|<n>h|<n>d", reason: "minutes, hours or days after the slot, e.g. 6h (1m to 31d)"
        ) { text in
            let units: [Character: Int] = ["m": 60, "h": 3600, "d": 86_400]
            guard let unit = text.last.flatMap({ units[$0] }), let count = Int(text.dropLast()),
                count <= 2_678_400, (60...2_678_400).contains(count * unit)
            else { return nil }
            return count * unit
        }
    }
}
