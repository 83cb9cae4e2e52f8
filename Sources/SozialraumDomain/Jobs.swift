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

    public init(
        name: String, cron: String, timeZone: String = "Europe/Berlin", job: String, parameters: String = "",
        missedPolicy: MissedRunPolicy = .latest, timeoutSeconds: Int = 3600, maxAttempts: Int = 3,
        backoffSeconds: Int = 60,
        paused: Bool = false, plannedThrough: Instant? = nil
    ) {
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

    public init(
        id: Int64, schedule: String?, slot: Instant, job: String, parameters: String, state: String, attempts: Int,
        maxAttempts: Int, timeoutSeconds: Int, backoffSeconds: Int, claimedBy: String?, startedAt: Instant?,
        finishedAt: Instant?, result: String?, error: String?
    ) {
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
