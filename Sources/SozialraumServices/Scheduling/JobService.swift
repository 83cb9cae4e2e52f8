import Logging
import SozialraumDomain
import SozialraumStore

/// The use cases of schedules and job runs (Zeitpläne und Läufe): what county IT changes over the admin
/// socket, and the steps the scheduler loop takes (plan, rescue, claim, heartbeat, record, prune).
///
/// Times are always passed in: PostgreSQL's clock (`databaseNow`), which all instances share, or a test's
/// hand-moved clock. Schedules and runs hold no tenant data; the audit event
/// of a change goes to the caller's tenant.
public struct JobService: Sendable {
    let store: Store
    let logger: Logger
    /// Whose public holidays the schedules' working days skip (`county.land`).
    public let land: Land

    public init(store: Store, logger: Logger, land: Land = .niedersachsen) {
        self.store = store
        self.logger = logger
        self.land = land
    }

    /// A schedule's cron expression in the county's Land.
    func cron(_ text: String) -> CronSchedule? { try? CronSchedule(parsing: text, land: land) }

    // MARK: Schedules (county IT, county)

    public func schedules() async throws -> [ScheduleRecord] {
        try await store.withoutTenant(readOnly: true) { tx in try await JobStore.schedules(tx) }
    }

    /// What changing a schedule did.
    public struct SetOutcome: Sendable, Equatable {
        /// The schedule stays paused (resuming decides about the paused gap).
        public var paused: Bool
        /// Slots of the old definition not yet planned that will not run, since it plans from now on.
        public var skipped: Int

        public init(paused: Bool, skipped: Int) {
            self.paused = paused
            self.skipped = skipped
        }
    }

    /// Creates or changes a schedule; it plans from `now` on and says how many slots that skips. A
    /// paused schedule stays paused.
    @discardableResult
    public func setSchedule(_ caller: Caller, _ schedule: ScheduleRecord, now: Instant) async throws -> SetOutcome {
        try caller.require(.operator, .county, for: "changing schedules")
        let outcome = try await store.withoutTenant { tx in
            let before = try await JobStore.schedules(tx, forUpdate: true).first { $0.name == schedule.name }
            let paused = try await JobStore.setSchedule(tx, schedule, now: now)
            let outcome = SetOutcome(
                paused: paused, skipped: paused ? 0 : unplannedSlots(of: before, through: now))
            try await JobStore.countSkipped(tx, name: schedule.name, byPolicy: outcome.skipped, whilePaused: 0)
            return outcome
        }
        if outcome.skipped > 0 {
            logger.notice(
                "schedule changed: unplanned slots skipped",
                metadata: ["schedule": "\(schedule.name)", "skipped": "\(outcome.skipped)"])
        }
        try await audit(caller, "schedule.set", "schedule", schedule.name)
        return outcome
    }

    /// Creates the schedules of the config that are missing, and changes those whose definition differs
    /// (planning from now on: the slots that skips are logged).
    public func seed(_ schedules: [ScheduleRecord], now: Instant) async throws {
        let skipped = try await store.withoutTenant { tx in
            let before = Dictionary(
                try await JobStore.schedules(tx, forUpdate: true).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }
            )
            var skipped: [String: Int] = [:]
            for schedule in schedules {
                let old = before[schedule.name]
                let changed =
                    old.map {
                        ($0.cron, $0.timeZone, $0.job, $0.parameters, $0.missedPolicy)
                            != (
                                schedule.cron, schedule.timeZone, schedule.job, schedule.parameters,
                                schedule.missedPolicy
                            )
                    } ?? false
                try await JobStore.seed(tx, schedule, now: now)
                if changed, old?.paused == false {
                    let count = unplannedSlots(of: old, through: now)
                    skipped[schedule.name] = count
                    try await JobStore.countSkipped(tx, name: schedule.name, byPolicy: count, whilePaused: 0)
                }
            }
            return skipped
        }
        for (name, count) in skipped.sorted(by: { $0.key < $1.key }) where count > 0 {
            logger.notice(
                "schedule changed by the configuration: unplanned slots skipped",
                metadata: ["schedule": "\(name)", "skipped": "\(count)"])
        }
    }

    /// The slots of `schedule` due after its planning and up to `now`: those a change that plans from now
    /// on skips.
    func unplannedSlots(of schedule: ScheduleRecord?, through now: Instant) -> Int {
        guard let schedule, !schedule.paused, let planned = schedule.plannedThrough, planned < now,
            let cron = cron(schedule.cron), let zone = ZoneRules(identifier: schedule.timeZone)
        else { return 0 }
        return cron.fires(after: planned, through: now, in: zone, limit: 10_000).count
    }

    /// Pauses a schedule: no slots are planned until it is resumed.
    public func pause(_ caller: Caller, name: String, now: Instant) async throws {
        try caller.require(.operator, .county, for: "pausing schedules")
        let changed = try await store.withoutTenant { tx in
            try await JobStore.setPaused(tx, name: name, paused: true, now: now)
        }
        guard changed else { throw ServiceError.notFound("schedule") }
        try await audit(caller, "schedule.pause", "schedule", name)
    }

    /// What resuming did with the slots that fell due while the schedule was paused.
    public struct ResumeOutcome: Sendable, Equatable {
        /// Slots of the paused gap queued now (oldest first).
        public var queued: Int
        /// Slots of the paused gap that will not run.
        public var skipped: Int

        public init(queued: Int, skipped: Int) {
            self.queued = queued
            self.skipped = skipped
        }
    }

    /// Resumes a schedule; `missed` decides about the slots that fell due while it was paused: all of
    /// them, the latest, or none (planning goes on from now). Says how many it queued and skipped.
    public func resume(
        _ caller: Caller, name: String, missed: MissedRunPolicy, now: Instant
    ) async throws -> ResumeOutcome {
        try caller.require(.operator, .county, for: "resuming schedules")
        let outcome = try await store.withoutTenant { tx -> ResumeOutcome in
            guard let schedule = try await JobStore.schedules(tx, forUpdate: true).first(where: { $0.name == name })
            else {
                throw ServiceError.notFound("schedule")
            }
            var outcome = ResumeOutcome(queued: 0, skipped: 0)
            if schedule.paused, let planned = schedule.plannedThrough, planned < now,
                let cron = cron(schedule.cron),
                let zone = ZoneRules(identifier: schedule.timeZone)
            {
                let gap = cron.fires(after: planned, through: now, in: zone, limit: 10_000)
                let chosen = missed.slotsToRun(gap, now: now, grace: 0)
                for slot in chosen where try await JobStore.createSlot(tx, schedule: schedule, slot: slot) {
                    outcome.queued += 1
                }
                outcome.skipped = gap.count - chosen.count
                try await JobStore.countSkipped(tx, name: name, byPolicy: 0, whilePaused: outcome.skipped)
            }
            _ = try await JobStore.setPaused(tx, name: name, paused: false, now: now)
            return outcome
        }
        if outcome.skipped > 0 {
            logger.notice(
                "schedule resumed: slots of the pause skipped",
                metadata: ["schedule": "\(name)", "skipped": "\(outcome.skipped)", "queued": "\(outcome.queued)"])
        }
        try await audit(caller, "schedule.resume", "schedule", name)
        return outcome
    }

    /// Queues a schedule's job now. The same key queues once (per tenant); returns the run's id.
    public func runNow(_ caller: Caller, schedule name: String, key: IdempotencyKey, now: Instant) async throws -> Int64
    {
        try caller.require(.operator, .county, for: "queueing jobs")
        let id = try await store.withoutTenant { tx in
            guard let schedule = try await JobStore.schedules(tx).first(where: { $0.name == name }) else {
                throw ServiceError.notFound("schedule")
            }
            return try await JobStore.enqueue(
                tx, job: schedule.job, parameters: schedule.parameters, schedule: schedule.name,
                requestKey: "\(caller.tenant):\(key.rawValue)", now: now, requestedBy: caller.name,
                timeoutSeconds: schedule.timeoutSeconds, maxAttempts: schedule.maxAttempts,
                backoffSeconds: schedule.backoffSeconds)
        }
        try await audit(caller, "job.run_now", "job_run", String(id))
        return id
    }

    /// The newest runs first, of one schedule or all.
    public func history(schedule: String?, limit: Int) async throws -> [JobRunRecord] {
        try await store.withoutTenant(readOnly: true) { tx in
            try await JobStore.history(tx, schedule: schedule, limit: limit)
        }
    }

    /// What a cancel did to a run.
    public enum CancelOutcome: Sendable, Equatable {
        /// It was queued and is now cancelled.
        case cancelled
        /// It is running; its instance is asked to stop at its next heartbeat.
        case askedToStop
    }

    /// Runs a failed run again for its own slot (a month-end reconciliation of December retried in
    /// February still reconciles its own month), with a fresh attempt budget.
    public func retry(_ caller: Caller, run id: Int64, now: Instant) async throws {
        try caller.require(.operator, .county, for: "retrying jobs")
        guard try await store.withoutTenant({ tx in try await JobStore.retry(tx, id: id, now: now) }) else {
            throw ServiceError.notFound("failed job")
        }
        try await audit(caller, "job.retry", "job_run", String(id))
    }

    /// Cancels a queued run, or asks the running instance to stop it.
    public func cancel(_ caller: Caller, run id: Int64, now: Instant) async throws -> CancelOutcome {
        try caller.require(.operator, .county, for: "cancelling jobs")
        let after = try await store.withoutTenant { tx in try await JobStore.cancel(tx, id: id, now: now) }
        guard let after else { throw ServiceError.notFound("running or queued job") }
        try await audit(caller, "job.cancel", "job_run", String(id))
        return after == "cancelled" ? .cancelled : .askedToStop
    }

    /// Creates the runs of a schedule's slots from `from` to `to` (at most `now`), with their original slot
    /// times: a month that was missed is reconciled for itself. Slots that have a run already are left
    /// as they are (the unique slot); returns how many were queued and how many existed.
    public func backfill(
        _ caller: Caller, schedule name: String, from: Instant, to: Instant, now: Instant
    )
        async throws -> (queued: Int, existing: Int)
    {
        try caller.require(.operator, .county, for: "backfilling schedules")
        guard from <= to else { throw ServiceError.invalid(field: "from", reason: "after to") }
        guard to <= now else { throw ServiceError.invalid(field: "to", reason: "in the future") }
        let outcome = try await store.withoutTenant { tx -> (Int, Int) in
            guard let schedule = try await JobStore.schedules(tx).first(where: { $0.name == name }) else {
                throw ServiceError.notFound("schedule")
            }
            guard let cron = cron(schedule.cron),
                let zone = ZoneRules(identifier: schedule.timeZone)
            else { throw ServiceError.conflict("the schedule's cron expression or zone is invalid") }
            let slots = cron.fires(after: from.adding(seconds: -1), through: to, in: zone, limit: 1001)
            guard slots.count <= 1000 else {
                throw ServiceError.invalid(field: "to", reason: "more than 1000 slots; backfill in parts")
            }
            var queued = 0
            for slot in slots where try await JobStore.createSlot(tx, schedule: schedule, slot: slot) { queued += 1 }
            return (queued, slots.count - queued)
        }
        logger.notice(
            "schedule backfilled",
            metadata: ["schedule": "\(name)", "queued": "\(outcome.0)", "existing": "\(outcome.1)"])
        try await audit(caller, "schedule.backfill", "schedule", name)
        return outcome
    }

    /// The schedules whose latest slot failed for good (the newest run of each schedule, by slot).
    public func failedLatest() async throws -> [(schedule: String, slot: Instant)] {
        let runs = try await store.withoutTenant(readOnly: true) { tx in try await JobStore.latestPerSchedule(tx) }
        return runs.filter { $0.state == "failed" }.compactMap { run in run.schedule.map { ($0, run.slot) } }
    }

    /// The schedules past their deadline, each with the slot that has not succeeded in time.
    public func overdue(now: Instant) async throws -> [(schedule: String, slot: Instant)] {
        try await schedules().compactMap { schedule in
            schedule.overdueSlot(now: now, land: land).map { (schedule.name, $0) }
        }
    }

    /// Runs per job and state (for `stats`).
    public func countsByState() async throws -> [(job: String, state: String, count: Int64)] {
        try await store.withoutTenant(readOnly: true) { tx in try await JobStore.countsByState(tx) }
    }

    func audit(_ caller: Caller, _ action: String, _ kind: String, _ id: String) async throws {
        try await store.withTenant(caller.tenant) { tx in try await tx.audit(caller, action, kind, id) }
    }
}
