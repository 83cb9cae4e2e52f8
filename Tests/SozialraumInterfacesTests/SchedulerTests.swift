import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import ServiceLifecycle
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

@testable import SozialraumInterfaces

/// A clock the test moves by hand: no test waits for real time to pass a slot.
final class ManualClock: Sendable {
    let now: Locked<Instant>
    init(_ start: String) { now = Locked(Instant(iso: start)!) }
    func set(_ text: String) {
        let instant = Instant(iso: text)!
        now.withLock { $0 = instant }
    }
    func advance(seconds: Int64) { now.withLock { $0 = $0.adding(seconds: seconds) } }
    var read: @Sendable () -> Instant { { self.now.withLock { $0 } } }
}

/// A database with the budget world, the default schedules paused, and helpers for schedulers.
struct SchedulerWorld: Sendable {
    let world: BudgetWorld
    let clock: ManualClock

    static func make(at start: String) async throws -> SchedulerWorld {
        let world = try await BudgetWorld.make()
        let clock = ManualClock(start)
        try await world.store.withoutTenant { tx in
            for schedule in try await JobStore.schedules(tx) {
                try await JobStore.setPaused(tx, name: schedule.name, paused: true, now: clock.read())
            }
        }
        return SchedulerWorld(world: world, clock: clock)
    }

    func schedule(
        _ name: String, cron: String, job: String = "noop", parameters: String = "", policy: MissedRunPolicy = .all,
        timeout: Int = 60, attempts: Int = 3, backoff: Int = 60, plannedFrom: String
    ) async throws {
        _ = try await world.store.withoutTenant { tx in
            try await JobStore.setSchedule(
                tx,
                ScheduleRecord(
                    name: name, cron: cron, job: job, parameters: parameters, missedPolicy: policy,
                    timeoutSeconds: timeout,
                    maxAttempts: attempts, backoffSeconds: backoff),
                now: Instant(iso: plannedFrom)!)
        }
    }

    func scheduler(_ instance: String, heartbeat: Duration = .seconds(10), runner: @escaping JobRunner) -> Scheduler {
        var options = SchedulerOptions(instance: instance)
        options.heartbeatInterval = heartbeat
        options.rescueAfterSeconds = 60
        return Scheduler(
            jobs: JobService(store: world.store, logger: Logger(label: "jobs")), options: options,
            logger: Logger(label: "test.scheduler"), clock: clock.read,
            runner: runner)
    }

    func runs(_ schedule: String? = nil) async throws -> [JobRunRecord] {
        try await world.store.withoutTenant { tx in try await JobStore.history(tx, schedule: schedule, limit: 1000) }
            .reversed()
    }
}

@Suite struct SchedulerTests {
    /// A runner that counts what it ran, by slot.
    func counting(_ ran: Locked<[String]>) -> JobRunner {
        { run in
            ran.withLock { $0.append(run.slot.description) }
            return "ok"
        }
    }

    @Test func twoInstancesOneSlotOneRun() async throws {
        let setup = try await SchedulerWorld.make(at: "2026-11-25T10:00:00Z")
        try await setup.schedule("every-five", cron: "*/5 * * * *", plannedFrom: "2026-11-25T10:00:00Z")
        setup.clock.set("2026-11-25T10:05:10Z")
        let ran = Locked<[String]>([])
        let a = setup.scheduler("a", runner: counting(ran)), b = setup.scheduler("b", runner: counting(ran))
        async let first = a.tick()
        async let second = b.tick()
        let finished = try await first + second
        #expect(finished == 1)
        #expect(ran.withLock { $0 } == ["2026-11-25T10:05:00Z"])
        let runs = try await setup.runs("every-five")
        #expect(runs.count == 1 && runs.first?.state == "succeeded" && runs.first?.attempts == 1)
        // Ticking again at the same time finds nothing more to do.
        #expect(try await a.tick() + b.tick() == 0)
    }

    /// An instance dies mid-job (it claimed the slot and its reconciliation committed, but it never
    /// recorded the outcome or beat again). The other instance rescues the run after the deadline; the
    /// reconciliation is keyed by the slot, so its effect appears once.
    @Test func aLostInstancesRunIsRescuedAndItsEffectAppearsOnce() async throws {
        let setup = try await SchedulerWorld.make(at: "2026-11-26T01:00:00Z")
        let reconciliation = ReconciliationService(
            store: setup.world.store, logger: Logger(label: "test"), today: { BudgetWorld.today })
        let county = setup.world.county.tenant
        let runner = StandardJobs.runner(reconciliation: reconciliation, county: { county })
        try await setup.schedule(
            "nightly", cron: "30 2 * * *", job: "reconcile", parameters: "month-to-date",
            plannedFrom: "2026-11-26T01:00:00Z")
        setup.clock.set("2026-11-26T01:30:05Z")
        let dying = setup.scheduler("dying", runner: runner)
        try await dying.plan()
        let claimed = try #require(try await dying.claim())
        _ = try await runner(claimed)  // the effect commits; then the instance is gone
        #expect(try await setup.world.count("sozialraum.reconciliation_run") == 1)

        let survivor = setup.scheduler("survivor", runner: runner)
        #expect(try await survivor.tick() == 0, "not rescued before the deadline")
        // The survivor keeps reaching the database (a round every 30 s): the lost instance's attempt counts.
        setup.clock.advance(seconds: 30)
        #expect(try await survivor.tick() == 0, "not rescued before the deadline")
        setup.clock.advance(seconds: 31)
        #expect(try await survivor.tick() == 1)
        let run = try #require(try await setup.runs("nightly").first)
        #expect(run.state == "succeeded" && run.attempts == 2 && run.claimedBy == "survivor")
        #expect(run.result?.hasSuffix("(already done)") == true)
        #expect(try await setup.world.count("sozialraum.reconciliation_run") == 1)
        // The lost instance coming back cannot record over the survivor's result.
        let recorded = try await setup.world.store.withoutTenant { tx in
            try await JobStore.finish(
                tx, id: claimed.id, token: claimed.claimToken!, now: setup.clock.read(), state: "succeeded",
                result: "late", error: nil, retryAt: nil)
        }
        #expect(!recorded)
    }

    /// The clock jumps over three month ends (downtime): `all` runs each slot, `latest` the last one.
    @Test func missedSlotsFollowThePolicy() async throws {
        let setup = try await SchedulerWorld.make(at: "2026-08-15T00:00:00Z")
        try await setup.schedule("month-end-all", cron: "0 23 L * *", policy: .all, plannedFrom: "2026-08-15T00:00:00Z")
        try await setup.schedule(
            "month-end-latest", cron: "0 23 L * *", policy: .latest, plannedFrom: "2026-08-15T00:00:00Z")
        try await setup.schedule(
            "month-end-skip", cron: "0 23 L * *", policy: .skip, plannedFrom: "2026-08-15T00:00:00Z")
        setup.clock.set("2026-11-15T00:00:00Z")
        let ran = Locked<[String]>([])
        #expect(try await setup.scheduler("a", runner: counting(ran)).tick() == 4)
        #expect(
            try await setup.runs("month-end-all").map(\.slot.description) == [
                "2026-08-31T21:00:00Z", "2026-09-30T21:00:00Z", "2026-10-31T22:00:00Z",
            ])
        #expect(try await setup.runs("month-end-latest").map(\.slot.description) == ["2026-10-31T22:00:00Z"])
        #expect(try await setup.runs("month-end-skip").isEmpty)
    }

    /// Both DST nights of 2026 in Europe/Berlin, with the clock moved in ten-minute steps through them:
    /// the 02:30 job runs once each night (at 03:00 CEST in March, at the first 02:30 in October).
    @Test func theTwoDSTNightsRunOnce() async throws {
        for (from, to, expected) in [
            ("2026-03-28T22:00:00Z", "2026-03-29T05:00:00Z", "2026-03-29T01:00:00Z"),
            ("2026-10-24T21:00:00Z", "2026-10-25T05:00:00Z", "2026-10-25T00:30:00Z"),
        ] {
            let setup = try await SchedulerWorld.make(at: from)
            try await setup.schedule("nightly", cron: "30 2 * * *", policy: .all, plannedFrom: from)
            let ran = Locked<[String]>([])
            let scheduler = setup.scheduler("a", runner: counting(ran))
            while setup.clock.read() < Instant(iso: to)! {
                setup.clock.advance(seconds: 600)
                try await scheduler.tick()
            }
            #expect(ran.withLock { $0 } == [expected])
        }
    }

    @Test func pausedSchedulesDoNotRunAndResumeFromNow() async throws {
        let setup = try await SchedulerWorld.make(at: "2026-11-25T10:00:00Z")
        try await setup.schedule("hourly", cron: "0 * * * *", plannedFrom: "2026-11-25T10:00:00Z")
        let ran = Locked<[String]>([])
        let scheduler = setup.scheduler("a", runner: counting(ran))
        _ = try await setup.world.store.withoutTenant { tx in
            try await JobStore.setPaused(tx, name: "hourly", paused: true, now: setup.clock.read())
        }
        setup.clock.set("2026-11-25T12:30:00Z")
        #expect(try await scheduler.tick() == 0)
        _ = try await setup.world.store.withoutTenant { tx in
            try await JobStore.setPaused(tx, name: "hourly", paused: false, now: setup.clock.read())
        }
        #expect(try await scheduler.tick() == 0, "the slots during the pause are not missed runs")
        setup.clock.set("2026-11-25T13:00:30Z")
        #expect(try await scheduler.tick() == 1)
        #expect(ran.withLock { $0 } == ["2026-11-25T13:00:00Z"])
    }

    @Test func aJobOverItsTimeoutIsCancelledAndRecorded() async throws {
        let setup = try await SchedulerWorld.make(at: "2026-11-25T10:00:00Z")
        try await setup.schedule(
            "slow", cron: "*/5 * * * *", timeout: 1, attempts: 1, plannedFrom: "2026-11-25T10:00:00Z")
        setup.clock.set("2026-11-25T10:05:01Z")
        let cancelled = Locked(false)
        let scheduler = setup.scheduler("a") { _ in
            do { try await Task.sleep(for: .seconds(3600)) } catch {
                cancelled.withLock { $0 = true }
                throw error
            }
            return "never"
        }
        #expect(try await scheduler.tick() == 1)
        let run = try #require(try await setup.runs("slow").first)
        #expect(run.state == "failed" && run.error == "timed out after 1 s")
        #expect(cancelled.withLock { $0 })
    }

    @Test func aFailedJobIsRetriedWithBackoff() async throws {
        let setup = try await SchedulerWorld.make(at: "2026-11-25T10:00:00Z")
        try await setup.schedule(
            "flaky", cron: "*/5 * * * *", attempts: 3, backoff: 30, plannedFrom: "2026-11-25T10:00:00Z")
        setup.clock.set("2026-11-25T10:05:01Z")
        let calls = Locked(0)
        let scheduler = setup.scheduler("a") { _ in
            let call = calls.withLock {
                $0 += 1
                return $0
            }
            if call == 1 { throw ServiceError.conflict("database busy") }
            return "ok"
        }
        #expect(try await scheduler.tick() == 1)
        var run = try #require(try await setup.runs("flaky").first)
        #expect(run.state == "queued" && run.error == "conflict: database busy" && run.attempts == 1)
        #expect(try await scheduler.tick() == 0, "not before the backoff")
        setup.clock.advance(seconds: 31)
        #expect(try await scheduler.tick() == 1)
        run = try #require(try await setup.runs("flaky").first)
        #expect(run.state == "succeeded" && run.attempts == 2)
    }

    /// Issue 21: resuming decides about the slots that fell due while paused, and says how many it queued
    /// and skipped. Paused over New Year: 06:00 Berlin is 05:00 UTC in winter.
    @Test func resumingAfterNewYearRunsAllTheLatestOrNoneOfThePausedSlots() async throws {
        let setup = try await SchedulerWorld.make(at: "2027-01-02T10:00:00Z")
        let jobs = JobService(store: setup.world.store, logger: Logger(label: "jobs"))
        let county = setup.world.county
        // Planned through 30 December 22:00 UTC, paused since: the gap holds 31 Dec, 1 Jan and 2 Jan 05:00 UTC.
        for name in ["daily-all", "daily-latest", "daily-skip"] {
            try await setup.schedule(name, cron: "0 6 * * *", plannedFrom: "2026-12-30T22:00:00Z")
            try await jobs.pause(county, name: name, now: Instant(iso: "2026-12-30T22:00:00Z")!)
        }
        let now = setup.clock.read()
        #expect(
            try await jobs.resume(county, name: "daily-all", missed: .all, now: now) == .init(queued: 3, skipped: 0))
        #expect(
            try await jobs.resume(county, name: "daily-latest", missed: .latest, now: now)
                == .init(queued: 1, skipped: 2))
        #expect(
            try await jobs.resume(county, name: "daily-skip", missed: .skip, now: now) == .init(queued: 0, skipped: 3))
        #expect(
            try await setup.runs("daily-all").map(\.slot) == [
                Instant(iso: "2026-12-31T05:00:00Z")!, Instant(iso: "2027-01-01T05:00:00Z")!,
                Instant(iso: "2027-01-02T05:00:00Z")!,
            ])
        #expect(try await setup.runs("daily-latest").map(\.slot) == [Instant(iso: "2027-01-02T05:00:00Z")!])
        #expect(try await setup.runs("daily-skip").isEmpty)
        // Resuming an active schedule changes nothing.
        #expect(
            try await jobs.resume(county, name: "daily-all", missed: .all, now: now) == .init(queued: 0, skipped: 0))
        await #expect(throws: ServiceError.notFound("schedule")) {
            _ = try await jobs.resume(county, name: "nowhere", missed: .all, now: now)
        }
    }

    /// Issue 21: changing a schedule plans from now on; the slots of the old definition that were due
    /// and not yet planned are skipped, and the change says how many (here the planner last ran on
    /// 30 December 22:00 UTC; 31 Dec, 1 Jan and 2 Jan 05:00 UTC were due by 2 January 10:00).
    @Test func changingAScheduleSaysHowManyUnplannedSlotsItSkips() async throws {
        let setup = try await SchedulerWorld.make(at: "2027-01-02T10:00:00Z")
        let jobs = JobService(store: setup.world.store, logger: Logger(label: "jobs"))
        try await setup.schedule("daily", cron: "0 6 * * *", plannedFrom: "2026-12-30T22:00:00Z")
        let changed = ScheduleRecord(
            name: "daily", cron: "0 7 * * *", job: "noop", parameters: "", missedPolicy: .all, timeoutSeconds: 60,
            maxAttempts: 3, backoffSeconds: 60)
        let outcome = try await jobs.setSchedule(setup.world.county, changed, now: setup.clock.read())
        #expect(outcome == .init(paused: false, skipped: 3))
        #expect(try await setup.runs("daily").isEmpty)
        // Set again right away: nothing more is skipped.
        #expect(try await jobs.setSchedule(setup.world.county, changed, now: setup.clock.read()).skipped == 0)
    }

    /// Issue 21: `job-retry` runs a failed slot again for its own slot (so December's month-end, retried in
    /// February, still works on its own month) with a fresh attempt budget. 06:00 Berlin on 1 December is
    /// 05:00 UTC.
    @Test func aFailedMonthEndRetriedInFebruaryRunsForItsOwnSlot() async throws {
        let setup = try await SchedulerWorld.make(at: "2026-11-30T12:00:00Z")
        try await setup.schedule(
            "month-end", cron: "0 6 1 * *", policy: .skip, attempts: 1, plannedFrom: "2026-11-30T12:00:00Z")
        let failing = setup.scheduler("a") { _ in throw ServiceError.conflict("database busy") }
        setup.clock.advance(seconds: 17 * 3600)  // 2026-12-01T05:00:00Z
        #expect(try await failing.tick() == 1)
        let failed = try #require(try await setup.runs("month-end").first)
        #expect(failed.state == "failed" && failed.attempts == 1)
        // February: the January and February slots pass unrun (policy skip); December's is retried.
        setup.clock.advance(seconds: 63 * 86_400 + 4 * 3600)  // 2027-02-02T09:00:00Z
        let jobs = JobService(store: setup.world.store, logger: Logger(label: "jobs"))
        try await jobs.retry(setup.world.county, run: failed.id, now: setup.clock.read())
        let ran = Locked<[String]>([])
        #expect(try await setup.scheduler("b", runner: counting(ran)).tick() == 1)
        #expect(ran.withLock { $0 } == ["2026-12-01T05:00:00Z"])
        let retried = try #require(try await setup.runs("month-end").first { $0.id == failed.id })
        #expect(retried.state == "succeeded" && retried.attempts == 1)
        // Only a failed run is retried.
        await #expect(throws: ServiceError.notFound("failed job")) {
            try await jobs.retry(setup.world.county, run: failed.id, now: setup.clock.read())
        }
    }

    /// Issue 21: two `run-now` of one schedule within the same second (other keys) both queue; the same
    /// key again answers its own run. Both slots stay in the second asked for (the month a job derives
    /// its scope from).
    @Test func twoRunNowWithinOneSecondBothQueue() async throws {
        let setup = try await SchedulerWorld.make(at: "2026-11-25T10:00:00Z")
        try await setup.schedule("month-end", cron: "0 6 1 * *", plannedFrom: "2026-11-25T10:00:00Z")
        let jobs = JobService(store: setup.world.store, logger: Logger(label: "jobs"))
        let now = setup.clock.read()
        let first = try await jobs.runNow(
            setup.world.county, schedule: "month-end", key: setup.world.key("run-now-a1"), now: now)
        let second = try await jobs.runNow(
            setup.world.county, schedule: "month-end", key: setup.world.key("run-now-b2"), now: now)
        let again = try await jobs.runNow(
            setup.world.county, schedule: "month-end", key: setup.world.key("run-now-a1"), now: now)
        #expect(first != second)
        #expect(again == first)
        let runs = try await setup.runs("month-end").filter { [first, second].contains($0.id) }
        #expect(runs.count == 2)
        #expect(runs.allSatisfy { $0.state == "queued" && $0.slot == Instant(iso: "2026-11-25T10:00:00Z")! })
    }

    @Test func aRunningJobCanBeCancelled() async throws {
        let setup = try await SchedulerWorld.make(at: "2026-11-25T10:00:00Z")
        let started = AsyncStream<Int64>.makeStream()
        let scheduler = setup.scheduler("a", heartbeat: .milliseconds(50)) { run in
            started.continuation.yield(run.id)
            try await Task.sleep(for: .seconds(3600))
            return "never"
        }
        let id = try await setup.world.store.withoutTenant { tx in
            try await JobStore.enqueue(
                tx, job: "noop", parameters: "", schedule: nil, requestKey: "cancel-me", now: setup.clock.read(),
                requestedBy: "test")
        }
        async let ticked = scheduler.tick()
        for await runID in started.stream {
            #expect(runID == id)
            break
        }
        let state = try await setup.world.store.withoutTenant { tx in
            try await JobStore.cancel(tx, id: id, now: setup.clock.read())
        }
        #expect(state == "running")
        #expect(try await ticked == 1)
        let run = try await setup.world.store.withoutTenant { tx in try await JobStore.runRecord(tx, id: id) }
        #expect(run?.state == "cancelled")
    }

    /// The running service sleeps until its next slot; a queued run wakes it at once (LISTEN/NOTIFY).
    @Test(.timeLimit(.minutes(2))) func anOnDemandRunWakesTheSleepingScheduler() async throws {
        let world = try await BudgetWorld.make()
        try await world.store.withoutTenant { tx in
            for schedule in try await JobStore.schedules(tx) {
                try await JobStore.setPaused(tx, name: schedule.name, paused: true, now: Instant(seconds: 0))
            }
        }
        let processed = Locked<[String]>([])
        let signal = WakeSignal()
        var options = SchedulerOptions(instance: "service")
        options.maximumSleep = .seconds(600)
        let (listening, listeningNow) = AsyncStream<Void>.makeStream()
        let scheduler = Scheduler(
            jobs: JobService(store: world.store, logger: Logger(label: "jobs")), options: options,
            logger: Logger(label: "test.scheduler"),
            listenConninfo: world.database.runtimeConninfo,
            onListening: { listeningNow.yield() }
        ) { run in
            processed.withLock { $0.append(run.parameters) }
            await signal.signal()
            return "ok"
        }
        func enqueue(_ name: String) async throws {
            _ = try await world.store.withoutTenant { tx in
                try await JobStore.enqueue(
                    tx, job: "noop", parameters: name, schedule: nil, requestKey: name,
                    now: Instant(seconds: Int64(Date().timeIntervalSince1970)),
                    requestedBy: "test")
            }
        }
        let task = Task { try await scheduler.run() }
        defer { task.cancel() }
        var listeningEvents = listening.makeAsyncIterator()
        await listeningEvents.next()
        // Up and through its first round: after it, nothing is due for ten minutes.
        try await enqueue("warm-up")
        while !processed.withLock({ $0.contains("warm-up") }) { await signal.wait(for: .seconds(3600)) }
        #expect(processed.withLock { $0 } == ["warm-up"])
        // The queued run notifies; only the notification can wake the scheduler before the test's time
        // limit (it sleeps ten minutes), so sleeping through it fails the test by that limit.
        try await enqueue("wake-1")
        while !processed.withLock({ $0.contains("wake-1") }) { await signal.wait(for: .seconds(3600)) }
        #expect(processed.withLock { $0 } == ["warm-up", "wake-1"])
    }

    /// The database restarts while a reconciliation job waits inside its transaction: the attempt fails
    /// and cannot even be recorded (the server is away), the round ends with an error (the daemon's loop
    /// logs it and goes on). Once the server is back, the run is rescued and completes, once.
    @Test func aDatabaseRestartDuringARunCompletesItOnce() async throws {
        let cluster = try await TestCluster.shared.isolatedCluster()
        let logger = Logger(label: "test.restart")
        let maintenance = try await PostgresConnection.connect(conninfo: cluster.conninfo(database: "postgres"))
        try await DatabaseRoles.createDatabaseIfMissing("restart", on: maintenance)
        try await DatabaseRoles.prepare(
            on: try await PostgresConnection.connect(conninfo: cluster.conninfo(database: "restart")))
        try await Migrator(logger: logger).migrate(conninfo: cluster.conninfo(database: "restart"))
        let county = try await TenantRegistry.ensureCounty(
            name: "Landkreis Verden", ownerConninfo: cluster.conninfo(database: "restart"))
        let store = Store(
            conninfo: cluster.conninfo(database: "restart", user: DatabaseRoles.defaultLogin), maxConnections: 4,
            logger: logger)
        let caller = Caller(tenant: county, role: .county, name: "test")
        try await BudgetService(store: store, logger: logger, today: { BudgetWorld.today }).openYear(
            caller, year: 2026, overrunPolicy: .warn)
        let clock = ManualClock("2026-11-25T10:00:00Z")
        try await store.withoutTenant { tx in
            for schedule in try await JobStore.schedules(tx) {
                try await JobStore.setPaused(tx, name: schedule.name, paused: true, now: clock.read())
            }
        }
        let reconciliation = ReconciliationService(store: store, logger: logger, today: { BudgetWorld.today })
        let standard = StandardJobs.runner(reconciliation: reconciliation, county: { county })
        let started = AsyncStream<Void>.makeStream()
        let scheduler = Scheduler(
            jobs: JobService(store: store, logger: Logger(label: "jobs")), options: SchedulerOptions(instance: "a"),
            logger: logger, clock: clock.read
        ) { run in
            started.continuation.yield()
            return try await standard(run)
        }
        // Hold the ledger gate, so that the job's transaction waits inside; the restart ends both sessions.
        let gate = try await PostgresConnection.connect(conninfo: cluster.conninfo(database: "restart"))
        try await gate.query(PostgresQuery(unsafeSQL: "SELECT pg_advisory_lock(7405213001)"))
        let id = try await store.withoutTenant { tx in
            try await JobStore.enqueue(
                tx, job: "reconcile", parameters: "year-to-date", schedule: nil, requestKey: "restart",
                now: clock.read(), requestedBy: "test", maxAttempts: 3)
        }
        async let ticked = scheduler.tick()
        for await _ in started.stream { break }
        try cluster.restart()
        _ = try? await ticked
        // Either the attempt got through after the restart (the pool reconnected), or it failed and is
        // rescued once the server is back: in both cases the run succeeds and its effect appears once.
        var run = try await store.withoutTenant { tx in try await JobStore.runRecord(tx, id: id) }
        // Still `running`: the failure could not be recorded while the server was away, so the run is
        // rescued, by an instance that was cut off itself (the clock jumps an hour): the outage's attempt is
        // given back, and the run's one recorded attempt is the one that succeeds. Recorded as failed: two.
        let attemptsAtTheEnd = run?.state == "running" ? 1 : 2
        if run?.state != "succeeded" {
            #expect(
                try await store.withTenant(county, readOnly: true) { tx in
                    try await tx.query(unsafeSQL: "SELECT count(*)::int FROM reconciliation_run").single().decode(
                        0, as: Int.self)
                } == 0, "the interrupted attempt left nothing")
            clock.advance(seconds: 3600)
            #expect(try await scheduler.tick() == 1)
            run = try await store.withoutTenant { tx in try await JobStore.runRecord(tx, id: id) }
            #expect(run?.attempts == attemptsAtTheEnd)
        }
        #expect(run?.state == "succeeded")
        let runs = try await store.withTenant(county, readOnly: true) { tx in
            try await tx.query(unsafeSQL: "SELECT count(*)::int FROM reconciliation_run").single().decode(
                0, as: Int.self)
        }
        #expect(runs == 1)
        await store.shutdown()
    }

    /// Config seeding: created when missing, changed (planned from now) when different, paused stays.
    @Test func schedulesFromTheConfigAreSeededWithoutLosingState() async throws {
        let setup = try await SchedulerWorld.make(at: "2026-11-25T10:00:00Z")
        let store = setup.world.store
        func nightly() async throws -> ScheduleRecord? {
            try await store.withoutTenant { tx in try await JobStore.schedules(tx) }.first {
                $0.name == "nightly-month-to-date"
            }
        }
        let before = try #require(try await nightly())
        #expect(before.paused)
        // The same definition: nothing changes.
        try await store.withoutTenant { tx in
            try await JobStore.seed(
                tx,
                ScheduleRecord(
                    name: "nightly-month-to-date", cron: "30 2 * * *", job: "reconcile", parameters: "month-to-date"),
                now: Instant(iso: "2026-11-26T00:00:00Z")!)
        }
        #expect(try await nightly() == before)
        // Another time: changed, planned from now, still paused.
        try await store.withoutTenant { tx in
            try await JobStore.seed(
                tx,
                ScheduleRecord(
                    name: "nightly-month-to-date", cron: "45 3 * * *", job: "reconcile", parameters: "month-to-date"),
                now: Instant(iso: "2026-11-26T00:00:00Z")!)
            try await JobStore.seed(
                tx, ScheduleRecord(name: "weekly", cron: "@weekly", job: "noop"),
                now: Instant(iso: "2026-11-26T00:00:00Z")!)
        }
        let after = try #require(try await nightly())
        #expect(
            after.cron == "45 3 * * *" && after.paused && after.plannedThrough == Instant(iso: "2026-11-26T00:00:00Z"))
        let weekly = try await store.withoutTenant { tx in try await JobStore.schedules(tx) }.first {
            $0.name == "weekly"
        }
        #expect(weekly?.paused == false && weekly?.plannedThrough == Instant(iso: "2026-11-26T00:00:00Z"))
    }

    /// On shutdown a running job gets the stop timeout; past it, it is cancelled and its claim released
    /// (queued again, attempt not counted) for another instance. A job that finishes in time is recorded.
    @Test func shutdownReleasesAJobThatDoesNotFinishInTime() async throws {
        for finishes in [false, true] {
            let setup = try await SchedulerWorld.make(at: "2026-11-25T10:00:00Z")
            let started = AsyncStream<Void>.makeStream()
            let proceed = WakeSignal()
            var options = SchedulerOptions(instance: "stopping")
            options.stopTimeout = .milliseconds(300)
            options.maximumSleep = .seconds(600)
            let scheduler = Scheduler(
                jobs: JobService(store: setup.world.store, logger: Logger(label: "jobs")), options: options,
                logger: Logger(label: "test"), clock: setup.clock.read
            ) { _ in
                started.continuation.yield()
                if finishes {
                    await proceed.wait(for: .seconds(600))
                    return "finished in time"
                }
                try await Task.sleep(for: .seconds(3600))
                return "never"
            }
            let id = try await setup.world.store.withoutTenant { tx in
                try await JobStore.enqueue(
                    tx, job: "noop", parameters: "", schedule: nil, requestKey: "stop-\(finishes)",
                    now: setup.clock.read(), requestedBy: "test", maxAttempts: 3)
            }
            let group = ServiceGroup(services: [scheduler], logger: Logger(label: "test"))
            let running = Task { try await group.run() }
            for await _ in started.stream { break }
            await group.triggerGracefulShutdown()
            if finishes { await proceed.signal() }
            try await running.value
            let run = try await setup.world.store.withoutTenant { tx in try await JobStore.runRecord(tx, id: id) }
            if finishes {
                #expect(run?.state == "succeeded" && run?.result == "finished in time")
            } else {
                #expect(run?.state == "queued" && run?.attempts == 0 && run?.claimedBy == nil)
            }
        }
    }

    @Test func oldHistoryIsPruned() async throws {
        let setup = try await SchedulerWorld.make(at: "2026-11-25T10:00:00Z")
        let scheduler = setup.scheduler("a") { _ in "ok" }
        for index in 0..<3 {
            _ = try await setup.world.store.withoutTenant { tx in
                try await JobStore.enqueue(
                    tx, job: "noop", parameters: "", schedule: nil, requestKey: "old-\(index)", now: setup.clock.read(),
                    requestedBy: "test")
            }
        }
        #expect(try await scheduler.tick() == 3)
        setup.clock.advance(seconds: 86_400 * 91)
        _ = try await setup.world.store.withoutTenant { tx in
            try await JobStore.enqueue(
                tx, job: "noop", parameters: "", schedule: nil, requestKey: "new", now: setup.clock.read(),
                requestedBy: "test")
        }
        #expect(try await scheduler.tick() == 1)
        let pruned = try await setup.world.store.withoutTenant { tx in
            try await JobStore.prune(tx, before: setup.clock.read().adding(seconds: -90 * 86_400))
        }
        #expect(pruned == 3)
        #expect(try await setup.runs().count == 1)
    }

    @Test func reconcileJobScopesFollowTheSlotInBerlin() {
        // 02:30 on 1 December in Berlin is 01:30 UTC; "previous month" is November.
        let slot = Instant(iso: "2026-12-01T01:30:00Z")!
        #expect(StandardJobs.scope(parameters: "previous-month", slot: slot) == .month(YearMonth(iso: "2026-11")!))
        #expect(StandardJobs.scope(parameters: "month-to-date", slot: slot) == .month(YearMonth(iso: "2026-12")!))
        // 23:30 UTC on 31 December is already 1 January in Berlin.
        #expect(StandardJobs.scope(parameters: "year", slot: Instant(iso: "2026-12-31T23:30:00Z")!) == .year(2027))
        #expect(
            StandardJobs.scope(parameters: "year-to-date", slot: slot)
                == .year(2026, through: YearMonth(iso: "2026-12")!))
        #expect(StandardJobs.scope(parameters: "fortnight", slot: slot) == nil)
    }
}
