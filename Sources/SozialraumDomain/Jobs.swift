/// A schedule (Zeitplan): when a job runs, in which zone, and what happens to missed or failed slots.
public struct ScheduleRecord: Sendable, Equatable {
    public var name: String
    public var cron: String
    public var timeZone: String
    public var job: String
    public var parameters: String
    public var missedPolicy: MissedRunPolicy
    public var timeoutSeconds: Int
    public var maxAttempts: Int
    public var backoffSeconds: Int
    public var paused: Bool
    public var plannedThrough: Instant?
    /// A slot must have succeeded this long after its time, else the schedule is overdue (nil: no deadline).
    public var deadlineSeconds: Int?
    /// Whether runs of the schedule may overlap.
    public var overlap: OverlapPolicy
    /// Slots by outcome since the schedule exists (kept when the history is pruned).
    public var outcomes = ScheduleOutcomes()
    /// When the definition last changed: slots before it were never this definition's.
    public var definedAt: Instant?

    public init(
        name: String, cron: String, timeZone: String = "Europe/Berlin", job: String, parameters: String = "",
        missedPolicy: MissedRunPolicy = .latest, timeoutSeconds: Int = 3600, maxAttempts: Int = 3,
        backoffSeconds: Int = 60,
        paused: Bool = false, plannedThrough: Instant? = nil, deadlineSeconds: Int? = nil,
        overlap: OverlapPolicy = .serial
    ) {
        self.deadlineSeconds = deadlineSeconds
        self.overlap = overlap
        self.name = name
        self.cron = cron
        self.timeZone = timeZone
        self.job = job
        self.parameters = parameters
        self.missedPolicy = missedPolicy
        self.timeoutSeconds = timeoutSeconds
        self.maxAttempts = maxAttempts
        self.backoffSeconds = backoffSeconds
        self.paused = paused
        self.plannedThrough = plannedThrough
    }
}

/// Whether two runs of one schedule may run at once.
public enum OverlapPolicy: String, Sendable, CaseIterable {
    /// Never at once, also not on two instances: catch-up slots run one after the other, in slot order.
    case serial
    case parallel
}

/// A schedule's slots by outcome, counted when they happen (pruning the history keeps them).
public struct ScheduleOutcomes: Sendable, Equatable {
    public var succeeded: Int64 = 0
    public var failed: Int64 = 0
    public var cancelled: Int64 = 0
    public var skippedByPolicy: Int64 = 0
    public var skippedWhilePaused: Int64 = 0
    public var lastSuccess: Instant?

    public init(
        succeeded: Int64 = 0, failed: Int64 = 0, cancelled: Int64 = 0, skippedByPolicy: Int64 = 0,
        skippedWhilePaused: Int64 = 0, lastSuccess: Instant? = nil
    ) {
        self.succeeded = succeeded
        self.failed = failed
        self.cancelled = cancelled
        self.skippedByPolicy = skippedByPolicy
        self.skippedWhilePaused = skippedWhilePaused
        self.lastSuccess = lastSuccess
    }
}

extension ScheduleRecord {
    /// The record with its counters and definition time, as stored.
    public func with(outcomes: ScheduleOutcomes, definedAt: Instant?) -> ScheduleRecord {
        var copy = self
        copy.outcomes = outcomes
        copy.definedAt = definedAt
        return copy
    }

    /// The slot that should have succeeded by `now` under the deadline, if it has not (and came after the
    /// last success and the definition): the schedule is overdue with it.
    public func overdueSlot(now: Instant, land: Land = .niedersachsen) -> Instant? {
        guard !paused, let deadline = deadlineSeconds, let cron = try? CronSchedule(parsing: cron, land: land),
            let zone = ZoneRules(identifier: timeZone)
        else { return nil }
        let latest = now.adding(seconds: -Int64(deadline))
        // The last slot at or before `latest`, looked for in a growing window (a minute's cron finds it
        // in the last hour, a monthly one within 32 days).
        var found: Instant?
        for window: Int64 in [3600, 86_400, 32 * 86_400] {
            found = cron.fires(after: latest.adding(seconds: -window), through: latest, in: zone, limit: 50_000).last
            if found != nil { break }
        }
        guard let slot = found else { return nil }
        if let definedAt, slot < definedAt { return nil }
        if let success = outcomes.lastSuccess, success >= slot { return nil }
        return slot
    }
}

/// One run of a job: a scheduled slot or an on-demand request.
public struct JobRunRecord: Sendable, Equatable {
    public var id: Int64
    public var schedule: String?
    public var slot: Instant
    public var job: String
    public var parameters: String
    public var state: String
    public var attempts: Int
    public var maxAttempts: Int
    public var timeoutSeconds: Int
    public var backoffSeconds: Int
    public var claimedBy: String?
    public var startedAt: Instant?
    public var finishedAt: Instant?
    public var result: String?
    public var error: String?
    /// The token of the claim that runs it (fences heartbeats and outcomes; nil unless claimed).
    public var claimToken: String?

    public init(
        id: Int64, schedule: String?, slot: Instant, job: String, parameters: String, state: String, attempts: Int,
        maxAttempts: Int, timeoutSeconds: Int, backoffSeconds: Int, claimedBy: String?, startedAt: Instant?,
        finishedAt: Instant?, result: String?, error: String?, claimToken: String? = nil
    ) {
        self.claimToken = claimToken
        self.id = id
        self.schedule = schedule
        self.slot = slot
        self.job = job
        self.parameters = parameters
        self.state = state
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.timeoutSeconds = timeoutSeconds
        self.backoffSeconds = backoffSeconds
        self.claimedBy = claimedBy
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.result = result
        self.error = error
    }
}

/// What wakes a sleeping scheduler early.
public enum JobWakeUp: Sendable, Equatable {
    /// LISTEN is (again) in place: notifications sent meanwhile may be lost, so look at the queue.
    case listening
    /// A run was queued or a schedule changed (NOTIFY from sql/0005's triggers).
    case notified
}

/// The process that holds a scheduler instance's name: whether it still lives can be told on its own
/// host only (`bootID` changes with every boot of the host).
public struct InstanceProcess: Sendable, Equatable {
    public var host: String
    public var bootID: String
    public var pid: Int32

    public init(host: String, bootID: String, pid: Int32) {
        self.host = host
        self.bootID = bootID
        self.pid = pid
    }
}

/// Who holds a scheduler instance's name: its token and, when it recorded it, its process.
public struct InstanceHolder: Sendable, Equatable {
    public var token: String
    public var process: InstanceProcess?

    public init(token: String, process: InstanceProcess?) {
        self.token = token
        self.process = process
    }
}
