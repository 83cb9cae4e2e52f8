import Foundation
import Logging
import ServiceLifecycle
import SozialraumDomain
import SozialraumServices
import Synchronization

/// What a job does with its run; returns a short result ("run 17"). Must be keyed by the run's slot,
/// so that a retry after a lost instance cannot double the effect.
public typealias JobRunner = @Sendable (JobRunRecord) async throws -> String

/// Runs the schedules of the database: plans each slot as a row (exactly once across instances),
/// claims due runs with `FOR UPDATE SKIP LOCKED`, keeps a heartbeat while a job runs, rescues runs of
/// lost instances, retries with backoff, and sleeps until the next slot or a NOTIFY.
public final class Scheduler: Service, Sendable {
    let jobs: JobService
    let options: SchedulerOptions
    let logger: Logger
    /// A clock the tests move by hand; nil: PostgreSQL's clock, which every instance shares (a skewed
    /// host clock cannot make one instance rescue another's live run or skip slots for all).
    let clock: (@Sendable () -> Instant)?
    let runner: JobRunner
    /// For LISTEN; nil: wake on the timer only.
    let listenConninfo: String?
    /// Called each time LISTEN is in place (at start and after a reconnect).
    let onListening: @Sendable () -> Void
    /// Called after each round with the schedules past their deadline (empty when none): the daemon
    /// shows them in systemd's `STATUS=`.
    let onOverdue: @Sendable ([OverdueSchedule]) -> Void
    let wake = WakeSignal()
    /// Wakes the running job's heartbeat at once (a NOTIFY: perhaps a cancel request).
    let checkNow = WakeSignal()
    /// The overdue schedules of the last round, so that each is logged when it becomes overdue.
    let lastOverdue = Mutex<Set<String>>([])
    /// This instance's token in `scheduler_instance`: a second live instance of the same name refuses
    /// to start.
    let instanceToken = UUID().uuidString.lowercased()
    /// When this instance last reached the database (its registration's heartbeat): a rescuer that was cut
    /// off itself for longer than the rescue deadline saw an outage, and gives the lost attempts back.
    let lastBeat = Mutex<Instant?>(nil)

    public init(
        jobs: JobService, options: SchedulerOptions, logger: Logger, listenConninfo: String? = nil,
        clock: (@Sendable () -> Instant)? = nil,
        onListening: @escaping @Sendable () -> Void = {},
        onOverdue: @escaping @Sendable ([OverdueSchedule]) -> Void = { _ in },
        runner: @escaping JobRunner
    ) {
        self.onOverdue = onOverdue
        self.jobs = jobs
        self.options = options
        self.logger = logger
        self.listenConninfo = listenConninfo
        self.clock = clock
        self.onListening = onListening
        self.runner = runner
    }

    // MARK: The loop

    /// Another live scheduler instance runs under this instance's name.
    public struct InstanceNameTaken: Error, CustomStringConvertible {
        public var name: String
        public var description: String {
            "another scheduler instance named \(name) is alive; give each instance its own scheduler.instance"
        }
    }

    /// Registers this instance under its name; throws when another live instance holds it. A holder on this
    /// host whose process is gone (a crash, a restart by systemd) or that ran before the host's last boot is
    /// taken over at once; one on another host once its heartbeat is stale.
    public func register() async throws {
        let now = await now()
        var registered = try await jobs.registerInstance(
            name: options.instance, token: instanceToken, now: now, staleAfterSeconds: options.rescueAfterSeconds,
            process: options.process)
        if !registered, let holder = try await jobs.instanceHolder(name: options.instance),
            let held = holder.process, held.host == options.process.host,
            held.bootID != options.process.bootID || !options.processIsAlive(held.pid)
        {
            registered = try await jobs.registerInstance(
                name: options.instance, token: instanceToken, now: now,
                staleAfterSeconds: options.rescueAfterSeconds, process: options.process, replacing: holder.token)
            if registered {
                logger.notice(
                    "scheduler instance name taken over from a process that is gone",
                    metadata: ["instance": "\(options.instance)", "pid": "\(held.pid)"])
            }
        }
        guard registered else {
            logger.error(
                "scheduler not started: another live instance has the same name",
                metadata: ["instance": "\(options.instance)"])
            throw InstanceNameTaken(name: options.instance)
        }
    }

    public func run() async throws {
        // The database may be away at start: try again; only a name in use stops the scheduler.
        while true {
            do {
                try await register()
                break
            } catch let error as InstanceNameTaken {
                throw error
            } catch {
                logger.error(
                    "scheduler cannot register yet; retrying",
                    metadata: ["error": "\(String(describing: error).prefix(200))"])
                await cancelWhenGracefulShutdown { await self.wake.wait(for: self.options.maximumSleep) }
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
            }
        }
        // A clean stop gives the name free before run() returns (issue 30: a detached task did it too late,
        // and a restart within the rescue time found the name "in use"). The release runs in a task of its
        // own, so that the cancellation ending this one does not cancel it.
        do {
            try await runRegistered()
        } catch {
            await releaseName()
            throw error
        }
        await releaseName()
    }

    /// Frees this instance's name (a clean stop).
    func releaseName() async {
        let (jobs, name, token) = (jobs, options.instance, instanceToken)
        await Task { try? await jobs.unregisterInstance(name: name, token: token) }.value
    }

    private func runRegistered() async throws {
        logger.info("scheduler started", metadata: ["instance": "\(options.instance)"])
        let listener: Task<Void, Never>? = listenConninfo.map { conninfo in
            Task { [wake, checkNow, jobs, onListening] in
                for await event in jobs.wakeUps(conninfo: conninfo) {
                    if event == .listening { onListening() }
                    await wake.signal()
                    await checkNow.signal()
                }
            }
        }
        defer { listener?.cancel() }
        var lastPrune = Instant(seconds: 0)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                _ = try await tick()
                let now = await now()
                if now.seconds - lastPrune.seconds > 3600 {
                    let pruned = try await jobs.prune(before: now.adding(seconds: -options.historyDays * 86_400))
                    if pruned > 0 { logger.info("job history pruned", metadata: ["runs": "\(pruned)"]) }
                    lastPrune = now
                }
            } catch {
                // A database outage: log once per occurrence, keep the daemon up, try again later.
                logger.error(
                    "scheduler tick failed; retrying", metadata: ["error": "\(String(describing: error).prefix(200))"])
            }
            let wait = try await nextWait()
            await cancelWhenGracefulShutdown { await self.wake.wait(for: wait) }
        }
        logger.info("scheduler stopped", metadata: ["instance": "\(options.instance)"])
    }

    /// How long to sleep: until the next slot or queued run, at most `maximumSleep`.
    func nextWait() async throws -> Duration {
        let now = await now()
        var next = now.adding(seconds: Int64(options.maximumSleep.components.seconds))
        if let due = try? await nextDue(), due < next { next = due }
        return .seconds(max(0, next.seconds - now.seconds)) + .milliseconds(50)
    }

    /// Now, by the injected clock or PostgreSQL's (the host's while the database is away: nothing can be
    /// claimed or recorded then anyway).
    func now() async -> Instant {
        if let clock { return clock() }
        return (try? await jobs.databaseNow()) ?? Instant(seconds: Int64(Date().timeIntervalSince1970))
    }

    func nextDue() async throws -> Instant? {
        try await jobs.nextDue(now: await now(), rescueAfterSeconds: options.rescueAfterSeconds)
    }

    // MARK: One round

    /// Plans due slots, rescues lost runs, and runs due jobs one after another until none is due.
    /// Returns how many runs this instance finished. Tests call it with a hand-moved clock.
    @discardableResult
    public func tick() async throws -> Int {
        let now = await now()
        let previous = lastBeat.withLock { $0 }
        _ = try await jobs.beatInstance(name: options.instance, token: instanceToken, now: now)
        lastBeat.withLock { $0 = now }
        let cutOff = previous.map { now.seconds - $0.seconds > options.rescueAfterSeconds } ?? false
        // One reading of the clock for the round's bookkeeping; each claim reads it afresh.
        try await plan(now: now)
        try await rescue(afterOutage: cutOff, now: now)
        var finished = 0
        // No new claims once shutdown has begun: a released run is for another instance.
        while !Task.isCancelled, !Task.isShuttingDownGracefully, let run = try await claim() {
            await execute(run)
            finished += 1
        }
        try await checkDeadlines()
        return finished
    }

    /// Claims and runs one due job, if any (claim, run, record: three short transactions).
    public func runOne() async throws -> Bool {
        guard let run = try await claim() else { return false }
        await execute(run)
        return true
    }

    /// Creates the run rows of slots that fell due since each schedule was last planned (idempotent
    /// across instances).
    func plan(now: Instant? = nil) async throws {
        let now = if let now { now } else { await self.now() }
        try await jobs.plan(now: now, graceSeconds: options.graceSeconds)
    }

    /// Logs each schedule that has just gone past its deadline (an error: a month-end run nobody noticed
    /// is what this is for) and reports the overdue ones.
    func checkDeadlines() async throws {
        let overdue = try await jobs.overdue(now: await now()).map {
            OverdueSchedule(schedule: $0.schedule, slot: $0.slot)
        }
        let names = Set(overdue.map(\.schedule))
        let newly = lastOverdue.withLock { last in
            defer { last = names }
            return names.subtracting(last)
        }
        for item in overdue where newly.contains(item.schedule) {
            logger.error(
                "schedule overdue: its slot has not succeeded by the deadline",
                metadata: ["schedule": "\(item.schedule)", "slot": "\(item.slot)"])
        }
        onOverdue(overdue)
    }

    func rescue(afterOutage: Bool = false, now: Instant? = nil) async throws {
        let now = if let now { now } else { await self.now() }
        let rescued = try await jobs.rescue(
            now: now, deadlineSeconds: options.rescueAfterSeconds, countingTheAttempt: !afterOutage)
        for id in rescued {
            if afterOutage {
                logger.warning(
                    "run rescued after a database outage; the attempt is not counted", metadata: ["run": "\(id)"])
            } else {
                logger.warning("run rescued from a lost instance", metadata: ["run": "\(id)"])
            }
        }
    }

    func claim() async throws -> JobRunRecord? {
        try await jobs.claim(instance: options.instance, now: await now())
    }

    enum Outcome: Sendable {
        case succeeded(String)
        case failed(String)
        case timedOut
        case cancelled
        /// Another instance rescued the run: this one lost its claim and records nothing.
        case lost
        /// Shutdown: the claim is released for another instance.
        case released
    }

    /// Runs one claimed job with its timeout, heartbeat and cancel check; records the outcome.
    func execute(_ run: JobRunRecord) async {
        let started = ContinuousClock.now
        logger.info("job started", metadata: ["run": "\(run.id)", "job": "\(run.job)", "attempt": "\(run.attempts)"])
        let outcome: Outcome = await withTaskGroup(of: Outcome?.self) { group in
            group.addTask { [runner, logger] in
                do {
                    return .succeeded(try await runner(run))
                } catch is CancellationError {
                    return nil
                } catch  where Task.isCancelled {
                    // Cancelled (shutdown, timeout, lost claim): the statement it ran was cancelled with it;
                    // the winning outcome is recorded, this is no failure of the job.
                    return nil
                } catch {
                    // The detail goes to the log; the run records a generic reason.
                    logger.error(
                        "job failed",
                        metadata: ["run": "\(run.id)", "error": "\(String(describing: error).prefix(300))"])
                    return .failed(Self.genericReason(error))
                }
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(run.timeoutSeconds))
                return Task.isCancelled ? nil : .timedOut
            }
            group.addTask { [jobs, options, checkNow] in
                while !Task.isCancelled {
                    // The heartbeat's interval, or at once when a NOTIFY arrives (a cancel request).
                    await checkNow.wait(for: options.heartbeatInterval)
                    if Task.isCancelled { return nil }
                    do {
                        let now = await self.now()
                        let beat = try await jobs.heartbeat(run, now: now)
                        if (try? await jobs.beatInstance(name: options.instance, token: self.instanceToken, now: now))
                            != nil
                        {
                            self.lastBeat.withLock { $0 = now }
                        }
                        switch beat {
                        case nil: return .lost
                        case true?: return .cancelled
                        case false?: continue
                        }
                    } catch {
                        // The database is away: keep working; the claim holds until the rescue deadline.
                        continue
                    }
                }
                return nil
            }
            group.addTask {
                // Graceful shutdown: give the job `stopTimeout`, then release it.
                do {
                    try await gracefulShutdown()
                    try await Task.sleep(for: self.options.stopTimeout)
                    return .released
                } catch {
                    return nil
                }
            }
            var first: Outcome? = nil
            while first == nil, let next = await group.next() {
                first = next
            }
            group.cancelAll()
            return first ?? .released
        }
        await record(run, outcome, elapsed: ContinuousClock.now - started)
    }

    func record(_ run: JobRunRecord, _ outcome: Outcome, elapsed: Duration) async {
        let now = await now()
        do {
            switch outcome {
            case .succeeded(let result):
                try await jobs.finish(run, now: now, .succeeded(result: result))
            case .failed, .timedOut:
                let reason: String
                if case .failed(let text) = outcome {
                    reason = text
                } else {
                    reason = "timed out after \(run.timeoutSeconds) s"
                }
                let retry =
                    run.attempts < run.maxAttempts
                    ? now.adding(seconds: retryDelay(attempt: run.attempts, baseSeconds: Int64(run.backoffSeconds)))
                    : nil
                try await jobs.finish(run, now: now, .failed(reason: reason, retryAt: retry))
            case .cancelled:
                try await jobs.finish(run, now: now, .cancelled)
            case .lost:
                break
            case .released:
                try await jobs.release(run)
            }
        } catch {
            logger.error(
                "job outcome not recorded; the run will be rescued",
                metadata: ["run": "\(run.id)", "error": "\(String(describing: error).prefix(200))"])
        }
        logger.info("job ended", metadata: ["run": "\(run.id)", "outcome": "\(outcome)", "duration": "\(elapsed)"])
    }

    /// Safe to store and show: a service's refusal names its reason; anything else is generic.
    static func genericReason(_ error: any Error) -> String {
        if let error = error as? ServiceError { return String(error.description.prefix(200)) }
        return "job failed (see the log)"
    }
}
