import ArgumentParser
import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import SozialraumDomain
import SozialraumInterfaces
import SozialraumServices
import SozialraumStore
import Synchronization

/// The scheduler's own cost: claim, run and record an empty job, against a trivial transaction on the
/// same pool; then `--queued` on-demand runs drained by two instances, checked for duplicates and loss.
struct SchedulerDrain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "Claim-run-record of an empty job vs a trivial transaction; N queued runs drained by two instances.")

    @Option(help: "Empty jobs timed one by one.")
    var timed = 1000

    @Option(help: "On-demand runs queued for the drain.")
    var queued = 10_000

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let bench = try BenchCluster.start(logger: logger)
        defer { bench.stop() }
        _ = try await bench.prepareTemplate(grants: 0)
        let admin = try await bench.superuser(BenchCluster.template)
        try await admin.query(PostgresQuery(unsafeSQL: "UPDATE sozialraum.schedule SET paused = true"))
        let store = Store(
            conninfo: bench.cluster.conninfo(database: BenchCluster.template, user: DatabaseRoles.defaultLogin),
            maxConnections: 4, logger: logger)
        let now: @Sendable () -> Instant = { Instant(seconds: Int64(Date().timeIntervalSince1970)) }
        let seen = Mutex<[Int64: Int]>([:])
        let runner: JobRunner = { run in
            seen.withLock { $0[run.id, default: 0] += 1 }
            return "ok"
        }
        func scheduler(_ name: String) -> Scheduler {
            Scheduler(
                jobs: JobService(store: store, logger: Logger(label: "jobs")),
                options: SchedulerOptions(instance: name), logger: logger, clock: now, runner: runner)
        }

        // Claim-run-record, one empty job at a time, alternating with the baseline transaction.
        try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO sozialraum.job_run (slot, request_key, job, max_attempts, timeout_seconds, backoff_seconds, not_before)
                    SELECT now() - interval '1 minute', 'timed-' || g, 'noop', 1, 60, 60, now() - interval '1 minute' FROM generate_series(1, $1) g
                    """, [timed]))
        let single = scheduler("single")
        var jobTimes: [Double] = [], baseTimes: [Double] = []
        for _ in 0..<timed {
            let start = ContinuousClock.now
            guard try await single.runOne() else { throw ValidationError("queue ran dry") }
            jobTimes.append(elapsedSeconds(ContinuousClock.now - start) * 1000)
            let baseStart = ContinuousClock.now
            _ = try await store.withoutTenant { tx in try await tx.query(unsafeSQL: "SELECT 1").count }
            baseTimes.append(elapsedSeconds(ContinuousClock.now - baseStart) * 1000)
        }

        // The drain: two instances, concurrently, until the queue is empty.
        try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO sozialraum.job_run (slot, request_key, job, max_attempts, timeout_seconds, backoff_seconds, not_before)
                    SELECT now() - interval '1 minute', 'drain-' || g, 'noop', 1, 60, 60, now() - interval '1 minute' FROM generate_series(1, $1) g
                    """, [queued]))
        let a = scheduler("a"), b = scheduler("b")
        let drainStart = ContinuousClock.now
        async let first = a.tick()
        async let second = b.tick()
        let (byA, byB) = try await (first, second)
        let drainSeconds = elapsedSeconds(ContinuousClock.now - drainStart)
        await store.shutdown()
        let counts = seen.withLock { $0 }
        let duplicates = counts.values.filter { $0 > 1 }.count
        let succeeded = try await admin.query(
            PostgresQuery(
                unsafeSQL:
                    "SELECT count(*)::int FROM sozialraum.job_run WHERE request_key LIKE 'drain-%' AND state = 'succeeded'"
            )
        ).single().decode(0, as: Int.self)
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        print(
            String(
                format:
                    "scheduler: claim-run-record of an empty job median %.2f ms (p99 %.2f ms), trivial transaction median %.2f ms, ratio %.1f; drain of %d runs by two instances %.1f s (%.0f runs/s; a %d, b %d), duplicates %d, succeeded %d, lost %d",
                median(jobTimes), jobTimes.sorted()[jobTimes.count * 99 / 100], median(baseTimes),
                median(jobTimes) / median(baseTimes), queued,
                drainSeconds, Double(queued) / drainSeconds, byA, byB, duplicates, succeeded, queued - succeeded))
    }
}
