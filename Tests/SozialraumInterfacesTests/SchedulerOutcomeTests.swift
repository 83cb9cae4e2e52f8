import Foundation
import Logging
import PostgresClient
import ServiceLifecycleTestKit
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

@testable import SozialraumInterfaces

/// Issue 21: a month-end run is never missed unnoticed (counters, deadlines, check), runs of one schedule
/// never overlap, cancel means cancelled, a missed month can be backfilled for itself. All on the
/// hand-moved clock, except where the NOTIFY path is under test.
@Suite struct SchedulerOutcomeTests {
    func schedules(_ setup: SchedulerWorld) async throws -> [String: ScheduleRecord] {
        Dictionary(
            uniqueKeysWithValues: try await JobService(store: setup.world.store, logger: Logger(label: "jobs"))
                .schedules().map { ($0.name, $0) })
    }

    /// Every five minutes, policy `latest`: the clock jumps to 10:20:01, so of the due 10:05, 10:10, 10:15
    /// and 10:20 only the latest runs and three are skipped by policy. Then 10:25 fails for good (one
    /// attempt) and 10:30 is cancelled while queued. The history is pruned; the counters stay.
    @Test func outcomeCountersSurviveThePruning() async throws {
        let setup = try await SchedulerWorld.make(at: "2026-11-25T10:00:00Z")
        try await setup.schedule(
            "five", cron: "*/5 * * * *", policy: .latest, attempts: 1, plannedFrom: "2026-11-25T10:00:00Z")
        let fail = Locked(false)
        let scheduler = setup.scheduler("a") { _ in
            if fail.withLock({ $0 }) { throw ServiceError.conflict("broken") }
            return "ok"
        }
        setup.clock.set("2026-11-25T10:20:01Z")  // due: 10:05, 10:10, 10:15, 10:20; latest runs 10:20
        #expect(try await scheduler.tick() == 1)
        fail.withLock { $0 = true }
        setup.clock.set("2026-11-25T10:25:01Z")
        #expect(try await scheduler.tick() == 1)  // 10:25 fails, one attempt only
        setup.clock.set("2026-11-25T10:30:01Z")
        try await scheduler.plan()
        let queued = try #require(try await setup.runs("five").last)
        _ = try await setup.world.store.withoutTenant { tx in
            try await JobStore.cancel(tx, id: queued.id, now: setup.clock.read())
        }
        let before = try #require(try await schedules(setup)["five"]).outcomes
        // 10:05, 10:10, 10:15 skipped by policy; 10:20 succeeded; 10:25 failed; 10:30 cancelled.
        #expect(
            before
                == ScheduleOutcomes(
                    succeeded: 1, failed: 1, cancelled: 1, skippedByPolicy: 3, skippedWhilePaused: 0,
                    lastSuccess: Instant(iso: "2026-11-25T10:20:00Z")))
        let pruned = try await JobService(store: setup.world.store, logger: Logger(label: "jobs"))
            .prune(before: Instant(iso: "2026-12-31T00:00:00Z")!)
        #expect(pruned == 3)
        #expect(try await setup.runs("five").isEmpty)
        #expect(try #require(try await schedules(setup)["five"]).outcomes == before)
    }

    /// Cancel then failure, cancel then instance death: both end cancelled, neither runs again.
    @Test func aCancelledRunIsNotRunAgainAfterAFailureOrALostInstance() async throws {
        let setup = try await SchedulerWorld.make(at: "2026-11-25T10:00:00Z")
        let jobs = JobService(store: setup.world.store, logger: Logger(label: "jobs"))
        try await setup.schedule("five", cron: "*/5 * * * *", attempts: 3, plannedFrom: "2026-11-25T10:00:00Z")
        setup.clock.set("2026-11-25T10:10:01Z")
        try await jobs.plan(now: setup.clock.read(), graceSeconds: 300)
        let first = try #require(try await jobs.claim(instance: "a", now: setup.clock.read()))
        _ = try await setup.world.store.withoutTenant { tx in
            try await JobStore.cancel(tx, id: first.id, now: setup.clock.read())
        }
        // The job fails with attempts left: without the cancel it would be queued again.
        try await jobs.finish(
            first, now: setup.clock.read(), .failed(reason: "broken", retryAt: setup.clock.read().adding(seconds: 60)))
        #expect(try await jobs.run(first.id)?.state == "cancelled")
        // The second slot: cancelled while running, then its instance dies; the rescue cancels it.
        let second = try #require(try await jobs.claim(instance: "b", now: setup.clock.read()))
        #expect(second.id != first.id)
        _ = try await setup.world.store.withoutTenant { tx in
            try await JobStore.cancel(tx, id: second.id, now: setup.clock.read())
        }
        setup.clock.advance(seconds: 61)
        #expect(try await jobs.rescue(now: setup.clock.read(), deadlineSeconds: 60) == [second.id])
        #expect(try await jobs.run(second.id)?.state == "cancelled")
        #expect(try await jobs.claim(instance: "c", now: setup.clock.read().adding(seconds: 3600)) == nil)
        #expect(try #require(try await schedules(setup)["five"]).outcomes.cancelled == 2)
    }

    /// The cancel reaches the running instance through NOTIFY: its heartbeat is an hour, so only the
    /// notification can stop the job before the test's time limit.
    @Test(.timeLimit(.minutes(2))) func aCancelReachesTheRunningInstanceAtOnce() async throws {
        let world = try await BudgetWorld.make()
        try await world.store.withoutTenant { tx in
            for schedule in try await JobStore.schedules(tx) {
                try await JobStore.setPaused(tx, name: schedule.name, paused: true, now: Instant(seconds: 0))
            }
        }
        var options = SchedulerOptions(instance: "service")
        options.heartbeatInterval = .seconds(3600)
        let (listening, listeningNow) = AsyncStream<Void>.makeStream()
        let (started, startedNow) = AsyncStream<Int64>.makeStream()
        let scheduler = Scheduler(
            jobs: JobService(store: world.store, logger: Logger(label: "jobs")), options: options,
            logger: Logger(label: "test.scheduler"), listenConninfo: world.database.runtimeConninfo,
            onListening: { listeningNow.yield() }
        ) { run in
            startedNow.yield(run.id)
            try await Task.sleep(for: .seconds(3600))
            return "never"
        }
        let states = PostgresListener.events(
            conninfo: world.database.runtimeConninfo, channels: ["sozialraum_job_state"], logger: Logger(label: "l"))
        var stateEvents = states.makeAsyncIterator()
        #expect(await stateEvents.next() == .listening)
        let task = Task { try await scheduler.run() }
        defer { task.cancel() }
        var listeningEvents = listening.makeAsyncIterator()
        await listeningEvents.next()
        let id = try await world.store.withoutTenant { tx in
            try await JobStore.enqueue(
                tx, job: "noop", parameters: "", schedule: nil, requestKey: "cancel-at-once",
                now: Instant(seconds: Int64(Date().timeIntervalSince1970)), requestedBy: "test")
        }
        var startedEvents = started.makeAsyncIterator()
        #expect(await startedEvents.next() == id)
        _ = try await world.store.withoutTenant { tx in
            try await JobStore.cancel(tx, id: id, now: Instant(seconds: Int64(Date().timeIntervalSince1970)))
        }
        while let event = await stateEvents.next() {
            if case .notification(let note) = event, note.payload == "\(id) cancelled" { break }
        }
        let run = try await world.store.withoutTenant { tx in try await JobStore.runRecord(tx, id: id) }
        #expect(run?.state == "cancelled")
    }

    /// Serial (the default): three catch-up slots, two instances — never two at once, in slot order.
    /// Parallel: the second instance takes the next slot while the first runs.
    @Test func runsOfASerialScheduleNeverOverlap() async throws {
        let setup = try await SchedulerWorld.make(at: "2026-11-25T10:00:00Z")
        let jobs = JobService(store: setup.world.store, logger: Logger(label: "jobs"))
        try await setup.schedule("five", cron: "*/5 * * * *", plannedFrom: "2026-11-25T10:00:00Z")
        setup.clock.set("2026-11-25T10:15:01Z")
        try await jobs.plan(now: setup.clock.read(), graceSeconds: 3600)
        let first = try #require(try await jobs.claim(instance: "a", now: setup.clock.read()))
        #expect(first.slot == Instant(iso: "2026-11-25T10:05:00Z"))
        #expect(try await jobs.claim(instance: "b", now: setup.clock.read()) == nil)
        try await jobs.finish(first, now: setup.clock.read(), .succeeded(result: "ok"))
        let second = try #require(try await jobs.claim(instance: "b", now: setup.clock.read()))
        #expect(second.slot == Instant(iso: "2026-11-25T10:10:00Z"))

        _ = try await setup.world.store.withoutTenant { tx in
            try await JobStore.setSchedule(
                tx,
                ScheduleRecord(name: "five", cron: "*/5 * * * *", job: "noop", missedPolicy: .all, overlap: .parallel),
                now: Instant(iso: "2026-11-25T10:15:01Z")!)
        }
        let third = try #require(try await jobs.claim(instance: "a", now: setup.clock.read()))
        #expect(third.slot == Instant(iso: "2026-11-25T10:15:00Z"))
    }

    /// A missed quarter of `previous-month` (06:00 Berlin on the 1st) is backfilled with its own slot
    /// times: 1 Sep and 1 Oct at 04:00 UTC (summer time), 1 Nov at 05:00 UTC. Again: nothing new.
    @Test func backfillQueuesTheOriginalSlotsOnce() async throws {
        let setup = try await SchedulerWorld.make(at: "2026-12-05T10:00:00Z")
        let jobs = JobService(store: setup.world.store, logger: Logger(label: "jobs"))
        try await setup.schedule(
            "month-end", cron: "0 6 1 * *", job: "reconcile", parameters: "previous-month",
            plannedFrom: "2026-12-05T10:00:00Z")
        let from = ZoneRules.europeBerlin.instant(of: LocalDateTime(day: Day(iso: "2026-09-01")!, hour: 0, minute: 0))
        let to = ZoneRules.europeBerlin.instant(of: LocalDateTime(day: Day(iso: "2026-12-01")!, hour: 0, minute: 0))
            .adding(seconds: -1)
        let outcome = try await jobs.backfill(
            setup.world.county, schedule: "month-end", from: from, to: to, now: setup.clock.read())
        #expect(outcome.queued == 3 && outcome.existing == 0)
        #expect(
            try await setup.runs("month-end").map(\.slot.description) == [
                "2026-09-01T04:00:00Z", "2026-10-01T04:00:00Z", "2026-11-01T05:00:00Z",
            ])
        let again = try await jobs.backfill(
            setup.world.county, schedule: "month-end", from: from, to: to, now: setup.clock.read())
        #expect(again.queued == 0 && again.existing == 3)
        let future = await #expect(throws: ServiceError.self) {
            try await jobs.backfill(
                setup.world.county, schedule: "month-end", from: from, to: setup.clock.read().adding(seconds: 86_400),
                now: setup.clock.read())
        }
        #expect(future == .invalid(field: "to", reason: "in the future"))
    }

    /// `previous-month` must have succeeded 6 h after its slot (1 Dec, 06:00 Berlin = 05:00 UTC): at
    /// 11:00:01 UTC it has not run — overdue, logged, and in systemd's STATUS= line. Once it succeeds,
    /// nothing is overdue.
    @Test func aScheduleOverItsDeadlineShowsInStatus() async throws {
        let setup = try await SchedulerWorld.make(at: "2026-11-20T00:00:00Z")
        _ = try await setup.world.store.withoutTenant { tx in
            try await JobStore.setSchedule(
                tx,
                ScheduleRecord(
                    name: "month-end", cron: "0 6 1 * *", job: "noop", missedPolicy: .all, deadlineSeconds: 6 * 3600),
                now: Instant(iso: "2026-11-20T00:00:00Z")!)
        }
        let sent = Locked<[String]>([])
        let status = ServiceStatus { message in sent.withLock { $0.append(message) } }
        var options = SchedulerOptions(instance: "a")
        options.rescueAfterSeconds = 60
        let jobs = JobService(store: setup.world.store, logger: Logger(label: "jobs"))
        let failing = Scheduler(
            jobs: jobs, options: options, logger: Logger(label: "test.scheduler"), clock: setup.clock.read,
            onOverdue: { status.overdue($0) }
        ) { _ in throw ServiceError.conflict("database busy") }
        setup.clock.set("2026-12-01T10:59:59Z")
        #expect(try await jobs.overdue(now: setup.clock.read()).isEmpty, "within the deadline")
        setup.clock.set("2026-12-01T11:00:01Z")
        try await failing.checkDeadlines()
        #expect(
            sent.withLock { $0 }.last
                == "STATUS=serving; database reachable; OVERDUE: month-end (slot 2026-12-01 06:00)")
        let overdue = try await jobs.overdue(now: setup.clock.read())
        #expect(overdue.map(\.schedule) == ["month-end"] && overdue.first?.slot == Instant(iso: "2026-12-01T05:00:00Z"))
        // Run it (late): then it is on time again.
        let working = Scheduler(
            jobs: jobs, options: options, logger: Logger(label: "test.scheduler"), clock: setup.clock.read,
            onOverdue: { status.overdue($0) }
        ) { _ in "ok" }
        #expect(try await working.tick() == 1)
        #expect(sent.withLock { $0 }.last == "STATUS=serving; database reachable")
        #expect(try await jobs.overdue(now: setup.clock.read()).isEmpty)
        status.database(reachable: false)
        #expect(sent.withLock { $0 }.last == "STATUS=degraded: database unreachable, reconnecting")
    }

    /// A lost instance's run is rescued within rescueAfter: an idle scheduler wakes for it, not only at
    /// its next planning round (claimed at 10:00:00, heartbeat then; rescueAfter 5 s → 10:00:06).
    @Test func anIdleSchedulerWakesWhenALostRunBecomesRescuable() async throws {
        let setup = try await SchedulerWorld.make(at: "2026-11-25T10:00:00Z")
        let jobs = JobService(store: setup.world.store, logger: Logger(label: "jobs"))
        _ = try await setup.world.store.withoutTenant { tx in
            try await JobStore.enqueue(
                tx, job: "noop", parameters: "", schedule: nil, requestKey: "lost-run", now: setup.clock.read(),
                requestedBy: "test")
        }
        _ = try #require(try await jobs.claim(instance: "dying", now: setup.clock.read()))
        let next = try await jobs.nextDue(now: setup.clock.read().adding(seconds: 1), rescueAfterSeconds: 5)
        #expect(next == Instant(iso: "2026-11-25T10:00:06Z"))
        #expect(try await jobs.nextDue(now: setup.clock.read().adding(seconds: 1)) != next)
    }

    /// Issue 30: a scheduler that stops cleanly gives its name free before its run ends, so a restart under
    /// the same name (systemd restarting the service) starts at once instead of flapping for a minute.
    @Test func aCleanStopFreesTheNameAtOnce() async throws {
        let setup = try await SchedulerWorld.make(at: "2026-11-25T10:00:00Z")
        let first = setup.scheduler("restart") { _ in "ok" }
        try await first.register()
        let running = Task { try await first.run() }
        running.cancel()
        try await running.value
        // No clock moved: without the release the name would be "in use" for rescueAfter seconds.
        let again = setup.scheduler("restart") { _ in "ok" }
        try await again.register()
    }

    /// A graceful shutdown of the service group (SIGTERM under systemd), driven by swift-service-lifecycle's
    /// test kit: the scheduler leaves its loop and frees its name before `run()` returns.
    @Test func aGracefulShutdownFreesTheNameAtOnce() async throws {
        let setup = try await SchedulerWorld.make(at: "2026-11-25T10:00:00Z")
        let first = setup.scheduler("graceful") { _ in "ok" }
        try await first.register()
        try await testGracefulShutdown { trigger in
            async let running: Void = first.run()
            trigger.triggerGracefulShutdown()
            try await running
        }
        let again = setup.scheduler("graceful") { _ in "ok" }
        try await again.register()
    }

    /// Two instances configured with the same name: the second refuses to start while the first beats;
    /// their claims are fenced by tokens, so neither can beat or record over the other's run.
    @Test func theSameInstanceNameTwice() async throws {
        let setup = try await SchedulerWorld.make(at: "2026-11-25T10:00:00Z")
        let jobs = JobService(store: setup.world.store, logger: Logger(label: "jobs"))
        let first = setup.scheduler("twin") { _ in "ok" }
        let second = setup.scheduler("twin") { _ in "ok" }
        try await first.register()
        await #expect(throws: Scheduler.InstanceNameTaken.self) { try await second.register() }
        // The first stops beating (it died): after rescueAfter the name is free again, and the first,
        // should it come back, finds its registration taken over.
        setup.clock.advance(seconds: 61)
        try await second.register()
        #expect(
            try await jobs.beatInstance(name: "twin", token: first.instanceToken, now: setup.clock.read()) == false)

        try await setup.schedule("five", cron: "*/5 * * * *", plannedFrom: "2026-11-25T10:00:00Z")
        _ = try await setup.world.store.withoutTenant { tx in
            try await JobStore.setSchedule(
                tx,
                ScheduleRecord(name: "five", cron: "*/5 * * * *", job: "noop", missedPolicy: .all, overlap: .parallel),
                now: Instant(iso: "2026-11-25T10:00:00Z")!)
        }
        setup.clock.set("2026-11-25T10:10:01Z")
        try await jobs.plan(now: setup.clock.read(), graceSeconds: 3600)
        let a = try #require(try await jobs.claim(instance: "twin", now: setup.clock.read()))
        let b = try #require(try await jobs.claim(instance: "twin", now: setup.clock.read()))
        #expect(a.claimToken != nil && a.claimToken != b.claimToken)
        var forged = b
        forged.claimToken = a.claimToken
        #expect(try await jobs.heartbeat(forged, now: setup.clock.read()) == nil)
        try await jobs.finish(forged, now: setup.clock.read(), .succeeded(result: "not mine"))
        #expect(try await jobs.run(b.id)?.state == "running")
        try await jobs.finish(b, now: setup.clock.read(), .succeeded(result: "mine"))
        #expect(try await jobs.run(b.id)?.result == "mine")
    }

    /// Two instances whose hosts' clocks differ by 55 s: on PostgreSQL's clock (no injected clock, as
    /// in the daemon) the second does not rescue the first's live run; on its own clock it would.
    @Test func aClockSkewBetweenInstancesRescuesNothingAlive() async throws {
        let setup = try await SchedulerWorld.make(at: "2026-11-25T10:00:00Z")
        let jobs = JobService(store: setup.world.store, logger: Logger(label: "jobs"))
        var options = SchedulerOptions(instance: "a")
        options.rescueAfterSeconds = 30
        let first = Scheduler(jobs: jobs, options: options, logger: Logger(label: "a")) { _ in "ok" }
        _ = try await setup.world.store.withoutTenant { tx in
            try await JobStore.enqueue(
                tx, job: "noop", parameters: "", schedule: nil, requestKey: "skewed-run",
                now: try await JobStore.databaseNow(tx), requestedBy: "test")
        }
        let claimed = try #require(try await first.claim())
        options.instance = "b"
        let second = Scheduler(jobs: jobs, options: options, logger: Logger(label: "b")) { _ in "ok" }
        try await second.rescue()
        #expect(try await jobs.run(claimed.id)?.state == "running")
        // The same instance on its host's clock, 55 s ahead, would have taken the live run away.
        let ahead = try await jobs.databaseNow().adding(seconds: 55)
        let skewed = Scheduler(jobs: jobs, options: options, logger: Logger(label: "b"), clock: { ahead }) { _ in "ok" }
        try await skewed.rescue()
        #expect(try await jobs.run(claimed.id)?.state != "running")
    }

    /// A run with one attempt whose instance is lost: rescued by an instance that kept reaching the
    /// database (rounds at 10:00:00 and 10:00:30), the attempt counts and the run fails; rescued by one that
    /// was cut off itself for longer than the deadline (10:00:00, then 10:01:01: a database outage), the
    /// attempt is given back and the run is run again, once.
    @Test func aRescueAfterADatabaseOutageDoesNotUseUpAnAttempt() async throws {
        for outage in [false, true] {
            let setup = try await SchedulerWorld.make(at: "2026-11-25T10:00:00Z")
            let jobs = JobService(store: setup.world.store, logger: Logger(label: "jobs"))
            let id = try await setup.world.store.withoutTenant { tx in
                try await JobStore.enqueue(
                    tx, job: "noop", parameters: "", schedule: nil, requestKey: "outage-\(outage)",
                    now: setup.clock.read(), requestedBy: "test", maxAttempts: 1)
            }
            _ = try #require(try await jobs.claim(instance: "lost", now: setup.clock.read()))
            let rescuer = setup.scheduler("rescuer") { _ in "ok" }
            #expect(try await rescuer.tick() == 0)
            if !outage {
                setup.clock.advance(seconds: 30)
                #expect(try await rescuer.tick() == 0)
            }
            setup.clock.set("2026-11-25T10:01:01Z")
            _ = try await rescuer.tick()
            let run = try #require(try await jobs.run(id))
            #expect(run.state == (outage ? "succeeded" : "failed"), "outage \(outage)")
            #expect(run.attempts == 1, "outage \(outage)")
        }
    }

    @Test func theHealthOfTheDaemonIsLikeANagiosPlugin() {
        #expect(
            HealthCheck.evaluate(databaseReachable: true, overdue: [], failed: [], undecidedOverruns: 0)
                == HealthCheck(level: .ok, text: "database reachable; schedules on time"))
        #expect(
            HealthCheck.evaluate(databaseReachable: true, overdue: [], failed: [], undecidedOverruns: 2)
                == HealthCheck(level: .warning, text: "database reachable; 2 undecided overruns; schedules on time"))
        #expect(
            HealthCheck.evaluate(
                databaseReachable: true, overdue: [("previous-month", "2026-12-01 06:00")],
                failed: [("nightly", "2026-12-01 02:30")], undecidedOverruns: 1)
                == HealthCheck(
                    level: .critical,
                    text:
                        "database reachable; previous-month overdue (slot 2026-12-01 06:00); nightly failed (slot 2026-12-01 02:30); 1 undecided overruns"
                ))
        #expect(
            HealthCheck.evaluate(databaseReachable: false, overdue: [], failed: [], undecidedOverruns: 0).level
                == .critical)
    }
}

/// `sozialraumctl check` as Icinga/Nagios run it: the real binary, one line, the plugin exit status.
@Suite struct CheckPluginTests {
    func check(_ socket: String, as account: String, secret: String?) async throws -> (Int32, [String]) {
        try await AdminWorld.ctl(socket: socket, login: account, secret: secret, ["check"])
    }

    @Test(.timeLimit(.minutes(3))) func checkExitsLikeANagiosPlugin() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let ok = try await check(admin.path, as: "pruefer", secret: admin.tokens["pruefer"])
        #expect(ok.0 == 0 && ok.1 == ["SOZIALRAUM OK - database reachable; schedules on time"], "\(ok)")

        // A schedule every minute that must succeed within a minute, defined an hour ago, never run.
        let hourAgo = Instant(seconds: Int64(Date().timeIntervalSince1970) - 3600)
        _ = try await admin.world.store.withoutTenant { tx in
            try await JobStore.setSchedule(
                tx, ScheduleRecord(name: "every-minute", cron: "* * * * *", job: "noop", deadlineSeconds: 60),
                now: hourAgo)
        }
        let critical = try await check(admin.path, as: "pruefer", secret: admin.tokens["pruefer"])
        #expect(critical.0 == 2, "\(critical)")
        #expect(
            critical.1.first?.hasPrefix("SOZIALRAUM CRITICAL - database reachable; every-minute overdue (slot ") == true
        )

        let refused = try await check(admin.path, as: "pruefer", secret: "wrong-secret-123")
        #expect(refused.0 == 3 && refused.1 == ["SOZIALRAUM UNKNOWN - Anmeldung als pruefer abgelehnt"], "\(refused)")
        let unreachable = try await check(admin.path + ".gone", as: "pruefer", secret: admin.tokens["pruefer"])
        #expect(
            unreachable.0 == 2 && unreachable.1.first?.hasPrefix("SOZIALRAUM CRITICAL - keine Verbindung zu") == true)
    }
}
