import Logging
import SozialraumDomain
import SozialraumStore

/// The scheduler's steps: planning, claiming, heartbeats, outcomes, rescue, the live instances.
extension JobService {
    /// PostgreSQL's clock: the one time all instances share.
    public func databaseNow() async throws -> Instant {
        try await store.withoutTenant(readOnly: true) { tx in try await JobStore.databaseNow(tx) }
    }

    // MARK: The scheduler's steps

    /// Creates the run rows of slots that fell due since each schedule was last planned, under the
    /// schedule's missed-run policy. Idempotent: two instances planning at once create each slot once
    /// (`FOR UPDATE SKIP LOCKED` on the schedules, `UNIQUE(schedule, slot)` on the runs).
    public func plan(now: Instant, graceSeconds: Int64) async throws {
        try await store.withoutTenant { tx in
            for schedule in try await JobStore.schedules(tx, forUpdate: true) where !schedule.paused {
                guard let cron = cron(schedule.cron),
                    let zone = ZoneRules(identifier: schedule.timeZone)
                else {
                    logger.error(
                        "schedule has an invalid cron expression or zone; skipped",
                        metadata: ["schedule": "\(schedule.name)"])
                    continue
                }
                guard let planned = schedule.plannedThrough else {
                    try await JobStore.setPlannedThrough(tx, name: schedule.name, through: now)
                    continue
                }
                guard planned < now else { continue }
                let due = cron.fires(after: planned, through: now, in: zone, limit: 1000)
                guard let last = due.last else { continue }
                let chosen = schedule.missedPolicy.slotsToRun(due, now: now, grace: graceSeconds)
                for slot in chosen {
                    if try await JobStore.createSlot(tx, schedule: schedule, slot: slot) {
                        logger.info("slot planned", metadata: ["schedule": "\(schedule.name)", "slot": "\(slot)"])
                    }
                }
                try await JobStore.countSkipped(
                    tx, name: schedule.name, byPolicy: due.count - chosen.count, whilePaused: 0)
                if chosen.count < due.count {
                    logger.warning(
                        "missed slots not run (policy)",
                        metadata: [
                            "schedule": "\(schedule.name)", "missed": "\(due.count - chosen.count)",
                            "policy": "\(schedule.missedPolicy.rawValue)",
                        ])
                }
                try await JobStore.setPlannedThrough(tx, name: schedule.name, through: last)
            }
        }
    }

    /// The next time something is due: a slot of an active schedule, a queued run, or (with
    /// `rescueAfterSeconds`) the moment a running run without heartbeat becomes rescuable.
    public func nextDue(now: Instant, rescueAfterSeconds: Int64? = nil) async throws -> Instant? {
        let (schedules, queued, heartbeat) = try await store.withoutTenant(readOnly: true) { tx in
            (
                try await JobStore.schedules(tx), try await JobStore.nextQueued(tx),
                try await JobStore.oldestHeartbeat(tx)
            )
        }
        var next = queued
        if let heartbeat, let rescueAfterSeconds {
            let rescuable = heartbeat.adding(seconds: rescueAfterSeconds + 1)
            if next == nil || rescuable < next! { next = rescuable }
        }
        for schedule in schedules where !schedule.paused {
            guard let cron = cron(schedule.cron),
                let zone = ZoneRules(identifier: schedule.timeZone),
                let fire = cron.nextFire(after: max(now, schedule.plannedThrough ?? now), in: zone)
            else { continue }
            if next == nil || fire < next! { next = fire }
        }
        return next
    }

    /// Queues again (or fails, attempts used up) the runs whose instance stopped proving it is alive.
    public func rescue(now: Instant, deadlineSeconds: Int64, countingTheAttempt: Bool = true) async throws -> [Int64] {
        try await store.withoutTenant { tx in
            try await JobStore.rescue(
                tx, now: now, deadlineSeconds: deadlineSeconds, countingTheAttempt: countingTheAttempt)
        }
    }

    /// Claims the oldest due run for `instance`, if any.
    public func claim(instance: String, now: Instant) async throws -> JobRunRecord? {
        try await store.withoutTenant { tx in try await JobStore.claim(tx, instance: instance, now: now) }
    }

    /// Proves the claim is alive. nil: the run is no longer this claim's (rescued); else whether a cancel
    /// was requested.
    public func heartbeat(_ claim: JobRunRecord, now: Instant) async throws -> Bool? {
        guard let token = claim.claimToken else { return nil }
        return try await store.withoutTenant { tx in
            try await JobStore.heartbeat(tx, id: claim.id, token: token, now: now)
        }
    }

    /// Registers this scheduler instance; false when another live one runs under the same name.
    public func registerInstance(
        name: String, token: String, now: Instant, staleAfterSeconds: Int64, process: InstanceProcess,
        replacing gone: String? = nil
    ) async throws
        -> Bool
    {
        try await store.withoutTenant { tx in
            try await JobStore.registerInstance(
                tx, name: name, token: token, now: now, staleAfterSeconds: staleAfterSeconds, process: process,
                replacing: gone)
        }
    }

    /// Who holds the instance name `name`, if anyone.
    public func instanceHolder(name: String) async throws -> InstanceHolder? {
        try await store.withoutTenant(readOnly: true) { tx in try await JobStore.instanceHolder(tx, name: name) }
    }

    /// Proves the instance is alive; false when another instance took its name over.
    public func beatInstance(name: String, token: String, now: Instant) async throws -> Bool {
        try await store.withoutTenant { tx in
            try await JobStore.beatInstance(tx, name: name, token: token, now: now)
        }
    }

    public func unregisterInstance(name: String, token: String) async throws {
        try await store.withoutTenant { tx in try await JobStore.unregisterInstance(tx, name: name, token: token) }
    }

    /// How an attempt ended, as the run records it.
    public enum AttemptEnd: Sendable, Equatable {
        case succeeded(result: String)
        /// Queued again at `retryAt` when attempts are left, else failed for good.
        case failed(reason: String, retryAt: Instant?)
        case cancelled
    }

    /// Records the end of an attempt, if the run is still this claim's.
    public func finish(_ claim: JobRunRecord, now: Instant, _ end: AttemptEnd) async throws {
        guard let token = claim.claimToken else { return }
        let id = claim.id
        _ = try await store.withoutTenant { tx in
            switch end {
            case .succeeded(let result):
                try await JobStore.finish(
                    tx, id: id, token: token, now: now, state: "succeeded", result: result, error: nil,
                    retryAt: nil)
            case .failed(let reason, let retryAt):
                try await JobStore.finish(
                    tx, id: id, token: token, now: now, state: "failed", result: nil, error: reason,
                    retryAt: retryAt)
            case .cancelled:
                try await JobStore.finish(
                    tx, id: id, token: token, now: now, state: "cancelled", result: nil, error: "cancelled",
                    retryAt: nil)
            }
        }
    }

    /// Gives a claimed run back to the queue without counting the attempt (graceful shutdown).
    public func release(_ claim: JobRunRecord) async throws {
        guard let token = claim.claimToken else { return }
        try await store.withoutTenant { tx in try await JobStore.release(tx, id: claim.id, token: token) }
    }

    /// Deletes finished runs older than `before`; returns how many.
    public func prune(before: Instant) async throws -> Int {
        try await store.withoutTenant { tx in try await JobStore.prune(tx, before: before) }
    }

    /// The run `id`, if it exists.
    public func run(_ id: Int64) async throws -> JobRunRecord? {
        try await store.withoutTenant(readOnly: true) { tx in try await JobStore.runRecord(tx, id: id) }
    }

    /// Wake-ups for a sleeping scheduler: each NOTIFY on the jobs channel, and each time LISTEN is (again)
    /// in place, when work sent meanwhile may have been missed.
    public func wakeUps(conninfo: String) -> AsyncStream<JobWakeUp> {
        JobStore.wakeUps(conninfo: conninfo, logger: logger)
    }
}
