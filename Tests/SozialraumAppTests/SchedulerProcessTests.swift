import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumInterfaces
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Scheduler instances as separate processes: a real `sozialraumd` is killed with SIGKILL in the
/// middle of a reconciliation job, and another instance rescues the run; the effect appears once.
@Suite struct SchedulerProcessTests {
    @Test func aJobOfAnInstanceKilledWithSIGKILLIsRescuedByAnotherAndRunsOnce() async throws {
        let world = try await BudgetWorld.make()
        try await world.store.withoutTenant { tx in
            for schedule in try await JobStore.schedules(tx) {
                try await JobStore.setPaused(tx, name: schedule.name, paused: true, now: Instant(seconds: 0))
            }
        }
        // Observe state changes of runs; hold the ledger gate so that the job cannot get past its start.
        let events = PostgresListener.events(
            conninfo: world.database.superuserConninfo, channels: ["sozialraum_job_state"],
            logger: Logger(label: "test"))
        var iterator = events.makeAsyncIterator()
        guard case .listening = await iterator.next() else {
            Issue.record("no LISTEN")
            return
        }
        let gate = try await world.database.superuserConnection()
        try await gate.query(PostgresQuery(unsafeSQL: "SELECT pg_advisory_lock(7405213001)"))

        let state = NSTemporaryDirectory() + "sozialraumd-kill-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: state) }
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SOZIALRAUM_CONFIG")
        environment["SOZIALRAUM_DATABASE_CONNINFO"] = world.database.runtimeConninfo
        environment["SOZIALRAUM_STATE_DIRECTORY"] = state
        let daemon = try Subprocess([Subprocess.binary("sozialraumd"), "serve"], environment: environment)
        var lines = daemon.lines.makeAsyncIterator()
        guard await Subprocess.lines(&lines, until: "sozialraumd ready") != nil else {
            Issue.record("the daemon ended before it was ready")
            return
        }

        let id = try await world.store.withoutTenant { tx in
            try await JobStore.enqueue(
                tx, job: "reconcile", parameters: "month-to-date", schedule: nil, requestKey: "kill-test",
                now: Instant(seconds: Int64(Date().timeIntervalSince1970)),
                requestedBy: "test", maxAttempts: 3)
        }
        // The daemon's scheduler is woken by NOTIFY and claims the run; its job waits at the gate.
        var claimed = false
        while !claimed, let event = await iterator.next() {
            if case .notification(let note) = event, note.payload == "\(id) running" { claimed = true }
        }
        #expect(claimed)
        daemon.signal(SIGKILL)
        #expect(await daemon.exitStatus() != 0)
        try await gate.query(PostgresQuery(unsafeSQL: "SELECT pg_advisory_unlock(7405213001)"))
        #expect(try await world.count("sozialraum.reconciliation_run") == 0, "the killed job left no effect")

        // Another instance, its clock past the rescue deadline, rescues and runs it.
        let reconciliation = ReconciliationService(
            store: world.store, logger: Logger(label: "test"), today: { BudgetWorld.today })
        let county = world.county.tenant
        let later = Instant(seconds: Int64(Date().timeIntervalSince1970) + 120)
        let survivor = Scheduler(
            jobs: JobService(store: world.store, logger: Logger(label: "jobs")),
            options: SchedulerOptions(instance: "survivor"), logger: Logger(label: "test"),
            clock: { later },
            runner: StandardJobs.runner(reconciliation: reconciliation, county: { county }))
        #expect(try await survivor.tick() == 1)
        let run = try await world.store.withoutTenant { tx in try await JobStore.runRecord(tx, id: id) }
        #expect(run?.state == "succeeded" && run?.attempts == 2 && run?.claimedBy == "survivor")
        #expect(try await world.count("sozialraum.reconciliation_run") == 1)
    }

    /// Issue 30: with `scheduler.instance` set, a daemon killed with SIGKILL (a crash) and started again at
    /// once takes its name back (same host, the process gone) and says READY; a second daemon under that
    /// name while the first lives stops before READY=1, saying why.
    @Test func aCrashedInstanceRestartsAtOnceAndATwinStopsBeforeReady() async throws {
        let world = try await BudgetWorld.make()
        let state = NSTemporaryDirectory() + "sozialraumd-restart-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: state) }
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SOZIALRAUM_CONFIG")
        environment["SOZIALRAUM_DATABASE_CONNINFO"] = world.database.runtimeConninfo
        environment["SOZIALRAUM_STATE_DIRECTORY"] = state
        environment["SOZIALRAUM_SCHEDULER_INSTANCE"] = "verden-1"
        func start() throws -> Subprocess {
            try Subprocess([Subprocess.binary("sozialraumd"), "serve"], environment: environment)
        }
        let first = try start()
        var firstLines = first.lines.makeAsyncIterator()
        #expect(await Subprocess.lines(&firstLines, until: "sozialraumd ready") != nil)
        first.signal(SIGKILL)
        #expect(await first.exitStatus() != 0)

        // No clock moves: the heartbeat is fresh, but the holder's process is gone.
        let second = try start()
        var secondLines = second.lines.makeAsyncIterator()
        let taken = await Subprocess.lines(&secondLines, until: "scheduler instance name taken over")
        #expect(taken != nil)
        #expect(await Subprocess.lines(&secondLines, until: "sozialraumd ready") != nil)

        let twin = try start()
        var twinLines = twin.lines.makeAsyncIterator()
        var twinOutput: [String] = []
        while let line = await twinLines.next() { twinOutput.append(line) }
        #expect(await twin.exitStatus() != 0)
        #expect(twinOutput.contains { $0.contains("another live instance has the same name") })
        #expect(!twinOutput.contains { $0.contains("sozialraumd ready") }, "no READY before the name is checked")

        second.signal(SIGTERM)
        #expect(await second.exitStatus() == 0)
    }
}
