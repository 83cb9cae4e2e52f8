import Logging
import PostgresClient
import SozialraumDomain

/// The SQL of the scheduler. Times are always passed in (`databaseNow`, PostgreSQL's clock that all
/// instances share, read once per step; or a test's hand-moved clock), never `now()` inside a statement.
public enum JobStore {

    static func run(_ row: PostgresRow) throws -> JobRunRecord {
        JobRunRecord(
            id: try row.decode("id", as: Int64.self), schedule: try row.decode("schedule", as: String?.self),
            slot: Instant(seconds: try row.decode("slot_seconds", as: Int64.self)),
            job: try row.decode("job", as: String.self), parameters: try row.decode("parameters", as: String.self),
            state: try row.decode("state", as: String.self),
            attempts: try row.decode("attempts", as: Int.self),
            maxAttempts: try row.decode("max_attempts", as: Int.self),
            timeoutSeconds: try row.decode("timeout_seconds", as: Int.self),
            backoffSeconds: try row.decode("backoff_seconds", as: Int.self),
            claimedBy: try row.decode("claimed_by", as: String?.self),
            startedAt: try row.decode("started_at_seconds", as: Int64?.self).map(Instant.init(seconds:)),
            finishedAt: try row.decode("finished_at_seconds", as: Int64?.self).map(Instant.init(seconds:)),
            result: try row.decode("result", as: String?.self), error: try row.decode("error", as: String?.self),
            claimToken: try row.decode("claim_token", as: String?.self))
    }

    /// `to_timestamp` of an instant, as a parameter.
    static func time(_ instant: Instant) -> Int64 { instant.seconds }

    // MARK: Schedules

    public static func schedules(_ tx: SystemTransaction, forUpdate: Bool = false) async throws -> [ScheduleRecord] {
        // Two whole statements rather than a fragment spliced into one.
        let statement: PostgresQuery =
            forUpdate
            ? """
            SELECT name, cron, time_zone, job, parameters, missed_policy, timeout_seconds, max_attempts, backoff_seconds, paused,
                   extract(epoch FROM planned_through)::bigint AS planned_through_seconds, deadline_seconds, overlap, succeeded, failed, cancelled,
                   skipped_by_policy, skipped_while_paused, extract(epoch FROM last_success_slot)::bigint AS last_success_slot_seconds,
                   extract(epoch FROM updated_at)::bigint AS updated_at_seconds
            FROM schedule ORDER BY name FOR UPDATE SKIP LOCKED
            """
            : """
            SELECT name, cron, time_zone, job, parameters, missed_policy, timeout_seconds, max_attempts, backoff_seconds, paused,
                   extract(epoch FROM planned_through)::bigint AS planned_through_seconds, deadline_seconds, overlap, succeeded, failed, cancelled,
                   skipped_by_policy, skipped_while_paused, extract(epoch FROM last_success_slot)::bigint AS last_success_slot_seconds,
                   extract(epoch FROM updated_at)::bigint AS updated_at_seconds
            FROM schedule ORDER BY name
            """
        return try await tx.query(statement).map { row in
            ScheduleRecord(
                name: try row.decode("name", as: String.self), cron: try row.decode("cron", as: String.self),
                timeZone: try row.decode("time_zone", as: String.self),
                job: try row.decode("job", as: String.self), parameters: try row.decode("parameters", as: String.self),
                missedPolicy: try row.decode("missed_policy", as: MissedRunPolicy.self),
                timeoutSeconds: try row.decode("timeout_seconds", as: Int.self),
                maxAttempts: try row.decode("max_attempts", as: Int.self),
                backoffSeconds: try row.decode("backoff_seconds", as: Int.self),
                paused: try row.decode("paused", as: Bool.self),
                plannedThrough: try row.decode("planned_through_seconds", as: Int64?.self).map(Instant.init(seconds:)),
                deadlineSeconds: try row.decode("deadline_seconds", as: Int?.self),
                overlap: try row.decode("overlap", as: OverlapPolicy.self)
            ).with(
                outcomes: ScheduleOutcomes(
                    succeeded: try row.decode("succeeded", as: Int64.self),
                    failed: try row.decode("failed", as: Int64.self),
                    cancelled: try row.decode("cancelled", as: Int64.self),
                    skippedByPolicy: try row.decode("skipped_by_policy", as: Int64.self),
                    skippedWhilePaused: try row.decode("skipped_while_paused", as: Int64.self),
                    lastSuccess: try row.decode("last_success_slot_seconds", as: Int64?.self).map(
                        Instant.init(seconds:))),
                definedAt: Instant(seconds: try row.decode("updated_at_seconds", as: Int64.self)))
        }
    }

    /// Counts slots that will not run: skipped by the missed-run policy or a change, or while paused.
    public static func countSkipped(
        _ tx: SystemTransaction, name: String, byPolicy: Int, whilePaused: Int
    ) async throws {
        guard byPolicy > 0 || whilePaused > 0 else { return }
        try await tx.execute(
            """
            UPDATE schedule SET skipped_by_policy = skipped_by_policy + \(byPolicy), skipped_while_paused = skipped_while_paused + \(whilePaused)
            WHERE name = \(name)
            """)
    }

    /// Creates or changes a schedule; a changed schedule plans from `now` on. A paused schedule stays
    /// paused, with its planning where it was (resuming decides about the paused gap); returns whether the
    /// schedule is paused afterwards.
    @discardableResult
    public static func setSchedule(
        _ tx: SystemTransaction, _ schedule: ScheduleRecord, now: Instant
    ) async throws
        -> Bool
    {
        try await tx.query(
            """
            INSERT INTO schedule AS s (name, cron, time_zone, job, parameters, missed_policy, timeout_seconds, max_attempts,
                                       backoff_seconds, paused, planned_through, deadline_seconds, overlap, updated_at)
            VALUES (\(schedule.name), \(schedule.cron), \(schedule.timeZone), \(schedule.job), \(schedule.parameters), \(schedule.missedPolicy.rawValue), \(schedule.timeoutSeconds), \(schedule.maxAttempts), \(schedule.backoffSeconds), \(schedule.paused), to_timestamp(\(time(now))), \(schedule.deadlineSeconds), \(schedule.overlap.rawValue), to_timestamp(\(time(now))))
            ON CONFLICT (name) DO UPDATE SET cron = EXCLUDED.cron, time_zone = EXCLUDED.time_zone, job = EXCLUDED.job,
                parameters = EXCLUDED.parameters, missed_policy = EXCLUDED.missed_policy, timeout_seconds = EXCLUDED.timeout_seconds,
                max_attempts = EXCLUDED.max_attempts, backoff_seconds = EXCLUDED.backoff_seconds,
                deadline_seconds = EXCLUDED.deadline_seconds, overlap = EXCLUDED.overlap,
                paused = s.paused OR EXCLUDED.paused,
                planned_through = CASE WHEN s.paused THEN s.planned_through ELSE EXCLUDED.planned_through END,
                updated_at = EXCLUDED.updated_at
            RETURNING paused
            """
        ).single().decode("paused", as: Bool.self)
    }

    /// Seeds a schedule from the config: created when missing; when its definition differs, changed and
    /// planned from `now` on. Whether it is paused, and a schedule the config does not name, stay as they are.
    public static func seed(_ tx: SystemTransaction, _ schedule: ScheduleRecord, now: Instant) async throws {
        try await tx.execute(
            """
            INSERT INTO schedule AS s (name, cron, time_zone, job, parameters, missed_policy, planned_through, updated_at)
            VALUES (\(schedule.name), \(schedule.cron), \(schedule.timeZone), \(schedule.job), \(schedule.parameters), \(schedule.missedPolicy.rawValue), to_timestamp(\(time(now))), to_timestamp(\(time(now))))
            ON CONFLICT (name) DO UPDATE SET cron = EXCLUDED.cron, time_zone = EXCLUDED.time_zone, job = EXCLUDED.job,
                parameters = EXCLUDED.parameters, missed_policy = EXCLUDED.missed_policy,
                planned_through = greatest(s.planned_through, EXCLUDED.planned_through), updated_at = EXCLUDED.updated_at
            WHERE (s.cron, s.time_zone, s.job, s.parameters, s.missed_policy)
                  IS DISTINCT FROM (EXCLUDED.cron, EXCLUDED.time_zone, EXCLUDED.job, EXCLUDED.parameters, EXCLUDED.missed_policy)
            """)
    }

    /// Pauses or resumes. Slots that fall due while paused are not "missed": resuming plans from `now`.
    @discardableResult
    public static func setPaused(
        _ tx: SystemTransaction, name: String, paused: Bool, now: Instant
    ) async throws -> Bool {
        try await tx.execute(
            """
            UPDATE schedule SET paused = \(paused), updated_at = now(),
                   planned_through = CASE WHEN \(paused) THEN planned_through ELSE greatest(planned_through, to_timestamp(\(time(now)))) END
            WHERE name = \(name)
            """) == 1
    }

    public static func setPlannedThrough(_ tx: SystemTransaction, name: String, through: Instant) async throws {
        try await tx.execute(
            "UPDATE schedule SET planned_through = to_timestamp(\(time(through))) WHERE name = \(name)")
    }

    // MARK: Runs

    /// Creates the run of a slot unless it exists. Returns true when this call created it.
    @discardableResult
    public static func createSlot(
        _ tx: SystemTransaction, schedule: ScheduleRecord, slot: Instant
    ) async throws -> Bool {
        try await tx.execute(
            """
            INSERT INTO job_run (schedule, slot, job, parameters, max_attempts, timeout_seconds, backoff_seconds, not_before)
            VALUES (\(schedule.name), to_timestamp(\(time(slot))), \(schedule.job), \(schedule.parameters), \(schedule.maxAttempts), \(schedule.timeoutSeconds), \(schedule.backoffSeconds), to_timestamp(\(time(slot))))
            ON CONFLICT DO NOTHING
            """) == 1
    }

    /// Queues a run now (on demand). The same `requestKey` queues once; returns the run's id.
    public static func enqueue(
        _ tx: SystemTransaction, job: String, parameters: String, schedule: String?, requestKey: String, now: Instant,
        requestedBy: String,
        timeoutSeconds: Int = 3600, maxAttempts: Int = 1, backoffSeconds: Int = 60
    ) async throws -> Int64 {
        // An on-demand run's slot is now. Another request may hold this slot of the schedule already
        // (two `run-now` within one second): the next microsecond is then this one's, so that both are
        // queued; the slot's month, which a job's scope derives from, stays the same.
        for offset in 0..<1000 {
            if let id = try await tx.query(
                """
                INSERT INTO job_run (schedule, slot, request_key, job, parameters, max_attempts, timeout_seconds, backoff_seconds, not_before, requested_by)
                VALUES (\(schedule), to_timestamp(\(time(now))) + make_interval(secs => \(offset)::double precision / 1000000), \(requestKey), \(job), \(parameters), \(maxAttempts), \(timeoutSeconds), \(backoffSeconds),
                        to_timestamp(\(time(now))), \(requestedBy))
                ON CONFLICT DO NOTHING RETURNING id
                """
            ).first {
                return try id.decode("id", as: Int64.self)
            }
            // The same request again: its run.
            if let id = try await tx.query("SELECT id FROM job_run WHERE request_key = \(requestKey)").first {
                return try id.decode("id", as: Int64.self)
            }
        }
        throw StoreFailure.slotsExhausted
    }

    /// Claims the oldest due run (`FOR UPDATE SKIP LOCKED`: instances never wait for each other's runs).
    /// A run of a `serial` schedule waits while another run of it is running, and goes in slot order:
    /// claims are taken one at a time (a transaction-level advisory lock, held for the claim only), so
    /// that two instances cannot both see "none running".
    public static func claim(_ tx: SystemTransaction, instance: String, now: Instant) async throws -> JobRunRecord? {
        _ = try await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('sozialraum.job_claim', 0))")
        return try await tx.query(
            """
            UPDATE job_run SET state = 'running', claimed_by = \(instance), heartbeat_at = to_timestamp(\(time(now))), started_at = to_timestamp(\(time(now))),
                               attempts = attempts + 1, finished_at = NULL, claim_token = gen_random_uuid()
            WHERE id = (SELECT q.id FROM job_run q
                        WHERE q.state = 'queued' AND NOT q.cancel_requested AND q.not_before <= to_timestamp(\(time(now)))
                          AND (q.schedule IS NULL
                               OR (SELECT s.overlap FROM schedule s WHERE s.name = q.schedule) = 'parallel'
                               OR NOT EXISTS (SELECT 1 FROM job_run r WHERE r.schedule = q.schedule AND r.state = 'running')
                                  AND NOT EXISTS (SELECT 1 FROM job_run e WHERE e.schedule = q.schedule AND e.state = 'queued'
                                                  AND e.slot < q.slot AND NOT e.cancel_requested))
                        ORDER BY q.not_before, q.id LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id, schedule, extract(epoch FROM slot)::bigint AS slot_seconds, job, parameters, state, attempts, max_attempts, timeout_seconds,
            backoff_seconds, claimed_by, extract(epoch FROM started_at)::bigint AS started_at_seconds, extract(epoch FROM finished_at)::bigint AS finished_at_seconds, result, error,
            claim_token::text
            """
        ).first.map(run)
    }

    /// Proves the claim is alive. Returns nil when the run is no longer this claim's (rescued), else
    /// whether a cancel was requested.
    public static func heartbeat(
        _ tx: SystemTransaction, id: Int64, token: String, now: Instant
    ) async throws -> Bool? {
        try await tx.query(
            """
            UPDATE job_run SET heartbeat_at = to_timestamp(\(time(now))) WHERE id = \(id) AND claim_token = \(token)::uuid AND state = 'running'
            RETURNING cancel_requested
            """
        ).first?.decode("cancel_requested", as: Bool.self)
    }

    /// Records the end of an attempt, if the run is still this instance's. A failure with attempts
    /// left is queued again after `retryAt` — unless a cancel was requested: then it is cancelled.
    @discardableResult
    public static func finish(
        _ tx: SystemTransaction, id: Int64, token: String, now: Instant, state: String, result: String?,
        error: String?, retryAt: Instant?
    ) async throws -> Bool {
        try await tx.execute(
            """
            UPDATE job_run SET state = CASE WHEN cancel_requested AND \(state) <> 'succeeded' THEN 'cancelled'
                                            WHEN \(retryAt.map(time))::bigint IS NULL THEN \(state) ELSE 'queued' END,
                               not_before = CASE WHEN cancel_requested THEN not_before
                                                 ELSE coalesce(to_timestamp(\(retryAt.map(time))::bigint), not_before) END,
                               claimed_by = CASE WHEN \(retryAt.map(time))::bigint IS NULL OR cancel_requested THEN claimed_by END,
                               finished_at = to_timestamp(\(time(now))), result = \(result), error = \(error)
            WHERE id = \(id) AND claim_token = \(token)::uuid AND state = 'running'
            """) == 1
    }

    /// Runs whose instance stopped proving it is alive are queued again (or failed, attempts used up;
    /// cancelled, when a cancel was requested). Without `countingTheAttempt` (the rescuer was cut off from
    /// the database itself: an outage, not the job) the lost attempt is given back.
    public static func rescue(
        _ tx: SystemTransaction, now: Instant, deadlineSeconds: Int64, countingTheAttempt: Bool = true
    ) async throws -> [Int64] {
        // An attempt lost to a database outage is given back ($3 = 1): the job did not fail.
        try await tx.query(
            """
            UPDATE job_run SET state = CASE WHEN cancel_requested THEN 'cancelled'
                                            WHEN attempts - \(countingTheAttempt ? 0 : 1) >= max_attempts THEN 'failed' ELSE 'queued' END,
                               attempts = attempts - \(countingTheAttempt ? 0 : 1),
                               not_before = to_timestamp(\(time(now))), claimed_by = NULL,
                               error = CASE WHEN cancel_requested THEN 'cancelled'
                                            WHEN \(countingTheAttempt ? 0 : 1) = 1 THEN 'database outage: claim lost' ELSE 'instance lost: no heartbeat' END,
                               finished_at = CASE WHEN cancel_requested OR attempts - \(countingTheAttempt ? 0 : 1) >= max_attempts THEN to_timestamp(\(time(now))) END
            WHERE state = 'running' AND heartbeat_at < to_timestamp(\(time(now))::bigint - \(deadlineSeconds)::bigint)
            RETURNING id
            """
        ).map { try $0.decode("id", as: Int64.self) }
    }

    /// Queues a failed run again: the same slot (and so the same scope and effect key), a fresh attempt
    /// budget. false when the run is not failed.
    public static func retry(_ tx: SystemTransaction, id: Int64, now: Instant) async throws -> Bool {
        try await tx.execute(
            """
            UPDATE job_run SET state = 'queued', attempts = 0, not_before = to_timestamp(\(time(now))), claimed_by = NULL,
                               finished_at = NULL, cancel_requested = false
            WHERE id = \(id) AND state = 'failed'
            """) == 1
    }

    /// Cancels a queued run at once, or asks the running instance to stop. Returns the state after.
    public static func cancel(_ tx: SystemTransaction, id: Int64, now: Instant) async throws -> String? {
        try await tx.query(
            """
            UPDATE job_run SET state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
                               finished_at = CASE WHEN state = 'queued' THEN to_timestamp(\(time(now))) ELSE finished_at END,
                               cancel_requested = state = 'running'
            WHERE id = \(id) AND state IN ('queued', 'running')
            RETURNING state
            """
        ).first?.decode("state", as: String.self)
    }

    public static func history(_ tx: SystemTransaction, schedule: String?, limit: Int) async throws -> [JobRunRecord] {
        try await tx.query(
            """
            SELECT id, schedule, extract(epoch FROM slot)::bigint AS slot_seconds, job, parameters, state, attempts, max_attempts, timeout_seconds,
            backoff_seconds, claimed_by, extract(epoch FROM started_at)::bigint AS started_at_seconds, extract(epoch FROM finished_at)::bigint AS finished_at_seconds, result, error,
            claim_token::text
            FROM job_run WHERE \(schedule)::text IS NULL OR schedule = \(schedule) ORDER BY id DESC LIMIT \(limit)
            """
        ).map(run)
    }

    /// The newest run of each schedule, by slot.
    public static func latestPerSchedule(_ tx: SystemTransaction) async throws -> [JobRunRecord] {
        try await tx.query(
            """
            SELECT DISTINCT ON (schedule) id, schedule, extract(epoch FROM slot)::bigint AS slot_seconds, job, parameters, state, attempts,
                   max_attempts, timeout_seconds, backoff_seconds, claimed_by, extract(epoch FROM started_at)::bigint AS started_at_seconds,
                   extract(epoch FROM finished_at)::bigint AS finished_at_seconds, result, error,
            claim_token::text
            FROM job_run WHERE schedule IS NOT NULL ORDER BY schedule, slot DESC, id DESC
            """
        ).map(run)
    }

    public static func runRecord(_ tx: SystemTransaction, id: Int64) async throws -> JobRunRecord? {
        try await tx.query(
            """
            SELECT id, schedule, extract(epoch FROM slot)::bigint AS slot_seconds, job, parameters, state, attempts, max_attempts, timeout_seconds,
            backoff_seconds, claimed_by, extract(epoch FROM started_at)::bigint AS started_at_seconds, extract(epoch FROM finished_at)::bigint AS finished_at_seconds, result, error,
            claim_token::text
            FROM job_run WHERE id = \(id)
            """
        ).first.map(run)
    }

    /// Deletes finished runs older than `before`.
    /// Gives a claimed run back to the queue without counting the attempt (graceful shutdown).
    public static func release(_ tx: SystemTransaction, id: Int64, token: String) async throws {
        try await tx.execute(
            """
            UPDATE job_run SET state = 'queued', claimed_by = NULL, attempts = greatest(attempts - 1, 0)
            WHERE id = \(id) AND claim_token = \(token)::uuid AND state = 'running'
            """)
    }

    /// Runs per job and state (for `stats`).
    public static func countsByState(
        _ tx: SystemTransaction
    ) async throws -> [(job: String, state: String, count: Int64)] {
        try await tx.query("SELECT job, state, count(*)::bigint AS runs FROM job_run GROUP BY 1, 2 ORDER BY 1, 2").map {
            (
                try $0.decode("job", as: String.self), try $0.decode("state", as: String.self),
                try $0.decode("runs", as: Int64.self)
            )
        }
    }

    public static func prune(_ tx: SystemTransaction, before: Instant) async throws -> Int {
        try await tx.execute(
            "DELETE FROM job_run WHERE state IN ('succeeded', 'failed', 'cancelled') AND finished_at < to_timestamp(\(time(before)))"
        )
    }

    /// PostgreSQL's clock (not the transaction's start).
    public static func databaseNow(_ tx: SystemTransaction) async throws -> Instant {
        Instant(
            seconds: try await tx.query("SELECT extract(epoch FROM clock_timestamp())::bigint").single()
                .value(as: Int64.self))
    }

    /// The earliest heartbeat of a running run: the run becomes rescuable `rescueAfter` later.
    public static func oldestHeartbeat(_ tx: SystemTransaction) async throws -> Instant? {
        try await tx.query("SELECT extract(epoch FROM min(heartbeat_at))::bigint FROM job_run WHERE state = 'running'")
            .single().value(as: Int64?.self).map(Instant.init(seconds:))
    }

    /// The earliest time a queued run becomes due, if any.
    public static func nextQueued(_ tx: SystemTransaction) async throws -> Instant? {
        try await tx.query("SELECT extract(epoch FROM min(not_before))::bigint FROM job_run WHERE state = 'queued'")
            .single()
            .value(as: Int64?.self).map(Instant.init(seconds:))
    }
}

extension JobStore {
    /// The channel the job tables' triggers notify.
    static let channel = "sozialraum_jobs"

    /// LISTEN on the jobs channel on a dedicated connection; ends when the consumer stops iterating.
    public static func wakeUps(conninfo: String, logger: Logger) -> AsyncStream<JobWakeUp> {
        let events = PostgresListener.events(conninfo: conninfo, channels: [channel], logger: logger)
        return AsyncStream { continuation in
            let forwarding = Task {
                for await event in events { continuation.yield(event == .listening ? .listening : .notified) }
                continuation.finish()
            }
            continuation.onTermination = { _ in forwarding.cancel() }
        }
    }
}
