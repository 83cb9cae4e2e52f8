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
    /// A daemon's environment on `world`'s database (no config file) and its fresh state directory.
    static func daemonEnvironment(_ world: BudgetWorld, _ label: String) -> ([String: String], String) {
        let state = NSTemporaryDirectory() + "sozialraumd-\(label)-\(UUID().uuidString.prefix(8))"
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SOZIALRAUM_CONFIG")
        environment["SOZIALRAUM_DATABASE_CONNINFO"] = world.database.runtimeConninfo
        environment["SOZIALRAUM_STATE_DIRECTORY"] = state
        return (environment, state)
    }

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

        let (environment, state) = Self.daemonEnvironment(world, "kill")
        defer { try? FileManager.default.removeItem(atPath: state) }
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
        var (environment, state) = Self.daemonEnvironment(world, "restart")
        defer { try? FileManager.default.removeItem(atPath: state) }
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

    /// Issue 31 (item 5): an erasure carried out by a real `sozialraumd` (one case per batch) is killed with
    /// SIGKILL while its third batch waits for a row the test holds; the two batches before are committed,
    /// the third is not. Another instance rescues the job and erases the three cases left: five in all, and
    /// the first two keep the tombstones the killed daemon gave them (each case erased once).
    @Test func anErasureKilledWithSIGKILLIsFinishedOnceByTheRescuer() async throws {
        let world = try await BudgetWorld.make()
        _ = try await world.closedYearCase()
        for number in 2...5 { _ = try await world.openCase("VER-2025-000\(number)", from: "2025-01-01") }
        try await world.store.withoutTenant { tx in
            for schedule in try await JobStore.schedules(tx) {
                try await JobStore.setPaused(tx, name: schedule.name, paused: true, now: Instant(seconds: 0))
            }
        }
        let accounts = AccountService(store: world.store, logger: Logger(label: "test"), scryptRounds: 1024)
        for name in ["dsb-erste", "dsb-zweite"] {
            try await accounts.setAccount(
                name: name, tenant: world.county.tenant, role: .county, secret: "\(name)-secret",
                actingAs: world.county.tenant, rights: [.erase])
        }
        let erasure = ErasureService(
            store: world.store, logger: Logger(label: "test"), today: { BudgetWorld.today }, caseLinkYears: 0,
            batch: 1)
        guard case .proposed(let order, _) = try await erasure.propose(world.county) else {
            Issue.record("nothing proposed")
            return
        }
        #expect(order.cases == 5)
        _ = try await erasure.certify(
            Caller(tenant: world.county.tenant, role: .county, name: "dsb-erste", rights: [.erase]), id: order.id)
        let ordered = try await world.store.withTenant(world.county.tenant) { tx in
            try await ErasureStore.order(tx, id: order.id, by: "dsb-zweite")
        }
        #expect(ordered)

        // Hold the third case (in id order, as batches go) so that the third batch waits for it.
        let admin = try await world.database.superuserConnection()
        let third = try await admin.query(
            PostgresQuery(
                unsafeSQL:
                    "SELECT case_id FROM sozialraum.erasure_order_case WHERE order_id = $1 ORDER BY case_id OFFSET 2 LIMIT 1",
                [order.id])
        ).single().decode(0, as: UUID.self)
        let holder = try await world.database.superuserConnection()
        try await holder.runScript(unsafeSQL: "BEGIN")
        try await holder.query(
            PostgresQuery(unsafeSQL: "SELECT 1 FROM sozialraum.case_file WHERE id = $1 FOR UPDATE", [third]))

        let events = PostgresListener.events(
            conninfo: world.database.superuserConninfo, channels: ["sozialraum_job_state"],
            logger: Logger(label: "test"))
        var iterator = events.makeAsyncIterator()
        guard case .listening = await iterator.next() else {
            Issue.record("no LISTEN")
            return
        }
        var (environment, state) = Self.daemonEnvironment(world, "erase")
        defer { try? FileManager.default.removeItem(atPath: state) }
        environment["SOZIALRAUM_RETENTION_CASE_LINK_YEARS"] = "0"
        environment["SOZIALRAUM_RETENTION_ERASURE_BATCH"] = "1"
        let daemon = try Subprocess([Subprocess.binary("sozialraumd"), "serve"], environment: environment)
        var lines = daemon.lines.makeAsyncIterator()
        guard await Subprocess.lines(&lines, until: "sozialraumd ready") != nil else {
            Issue.record("the daemon ended before it was ready")
            return
        }
        let id = try await world.store.withoutTenant { tx in
            try await JobStore.enqueue(
                tx, job: "erasure", parameters: "", schedule: nil, requestKey: "erase-kill-test",
                now: Instant(seconds: Int64(Date().timeIntervalSince1970)), requestedBy: "test", maxAttempts: 3)
        }
        var claimed = false
        while !claimed, let event = await iterator.next() {
            if case .notification(let note) = event, note.payload == "\(id) running" { claimed = true }
        }
        #expect(claimed)
        // The third batch is waiting for the held row (a lock wait the server reports, not a guess of time).
        var waiting = false
        for _ in 0..<600 where !waiting {
            waiting =
                try await admin.query(
                    PostgresQuery(
                        unsafeSQL: """
                            SELECT count(*)::int FROM pg_stat_activity
                            WHERE wait_event_type = 'Lock' AND query LIKE '%erase_ordered_cases%'
                            """)
                ).single().decode(0, as: Int.self) == 1
            if !waiting { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(waiting)
        func tombstones() async throws -> [String] {
            try await admin.query(
                PostgresQuery(
                    unsafeSQL: "SELECT case_key FROM sozialraum.case_file WHERE erased_at IS NOT NULL ORDER BY id")
            ).map { try $0.decode(0, as: String.self) }
        }
        let beforeKill = try await tombstones()
        #expect(beforeKill.count == 2)
        daemon.signal(SIGKILL)
        #expect(await daemon.exitStatus() != 0)
        try await holder.runScript(unsafeSQL: "ROLLBACK")

        // Another instance, its clock past the rescue deadline, rescues the job and finishes the order.
        let county = world.county.tenant
        let later = Instant(seconds: Int64(Date().timeIntervalSince1970) + 120)
        let survivor = Scheduler(
            jobs: JobService(store: world.store, logger: Logger(label: "jobs")),
            options: SchedulerOptions(instance: "survivor"), logger: Logger(label: "test"), clock: { later },
            runner: StandardJobs.runner(
                reconciliation: world.reconciler(), erasure: erasure, county: { county }))
        #expect(try await survivor.tick() == 1)
        let afterRescue = try await tombstones()
        #expect(afterRescue.count == 5 && Set(beforeKill).isSubset(of: Set(afterRescue)))
        let (done, _) = try await erasure.details(world.county, id: order.id)
        #expect(done.state == .done && done.erased == 5 && done.kept == 0)
    }
}
