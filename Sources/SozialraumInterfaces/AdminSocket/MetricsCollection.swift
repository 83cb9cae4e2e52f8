import Logging
import SozialraumDomain
import SozialraumServices

/// What `stats` and the metrics endpoint show beyond the counted commands: read when asked, published
/// as one snapshot into the daemon's registry.
extension AdminCommands {
    /// Reads the figures and publishes them. When the database cannot be read (nor, through `caller`, who
    /// reads), what needs no database is still published, with `sozialraum_database_up 0`, and the error
    /// is thrown.
    func refreshMetrics(as caller: () async throws -> Caller) async throws {
        typealias Sample = DaemonMetrics.Sample
        var samples: [Sample] = [
            Sample(name: "sozialraum_admin_sessions", value: Int64(await sessions.count), help: "open admin sessions"),
            Sample(
                name: "sozialraum_admin_upload_bytes_in_flight", value: Int64(uploadBudget.inUse),
                help: "bytes of upload blocks held by all sessions"),
        ]
        let health = await status.status()
        for (state, count) in [("open", health.openConnections), ("idle", health.idleConnections)] {
            samples.append(
                Sample(
                    name: "sozialraum_pool_connections", labels: [("state", state)], value: Int64(count),
                    help: "database connections of the pool"))
        }
        samples.append(
            Sample(
                name: "sozialraum_pool_waiting", value: Int64(health.waitingForConnection),
                help: "requests waiting for a database connection"))
        do {
            samples += try await databaseSamples(try await caller())
            samples.append(Sample(name: "sozialraum_database_up", value: 1, help: "whether the database answered"))
            metrics.publish(samples)
        } catch {
            samples.append(Sample(name: "sozialraum_database_up", value: 0, help: "whether the database answered"))
            metrics.publish(samples)
            throw error
        }
    }

    private func databaseSamples(_ caller: Caller) async throws -> [DaemonMetrics.Sample] {
        typealias Sample = DaemonMetrics.Sample
        var samples: [Sample] = []
        // Retained runs (the history is pruned after scheduler.historyDays): a gauge, not a counter.
        for (job, state, count) in try await jobs.countsByState() {
            samples.append(
                Sample(
                    name: "sozialraum_job_runs_retained", labels: [("job", job), ("state", state)], value: count,
                    help: "job runs kept in the history, by state"))
        }
        // Slots by outcome since each schedule exists: counters the database keeps through pruning.
        let now = await sharedNow()
        for schedule in try await jobs.schedules() {
            let outcomes = schedule.outcomes
            for (outcome, count) in [
                ("succeeded", outcomes.succeeded), ("failed", outcomes.failed), ("cancelled", outcomes.cancelled),
                ("skipped_by_policy", outcomes.skippedByPolicy),
                ("skipped_while_paused", outcomes.skippedWhilePaused),
            ] {
                samples.append(
                    Sample(
                        name: "sozialraum_schedule_slots_total",
                        labels: [("schedule", schedule.name), ("outcome", outcome)],
                        value: count, kind: .counter, help: "slots of a schedule by outcome, since it exists"))
            }
            // Absent until a first success: a 0 would make `time() - …` alerts fire from day one.
            if let lastSuccess = outcomes.lastSuccess {
                samples.append(
                    Sample(
                        name: "sozialraum_schedule_last_success_seconds", labels: [("schedule", schedule.name)],
                        value: lastSuccess.seconds,
                        help: "slot of the last successful run, seconds since 1970 (absent: none yet)"))
            }
            samples.append(
                Sample(
                    name: "sozialraum_schedule_overdue", labels: [("schedule", schedule.name)],
                    value: schedule.overdueSlot(now: now, land: jobs.land) == nil ? 0 : 1,
                    help: "1 while a slot is past the schedule's deadline without success"))
        }
        // Per Sozialraum, the end of its last reconciliation run, as the caller's tenant sees the runs.
        for (space, seconds) in try await reconciliation.lastReconciliations(caller) {
            samples.append(
                Sample(
                    name: "sozialraum_last_reconciliation_seconds", labels: [("sozialraum", space)], value: seconds,
                    help: "end of the last reconciliation run covering the Sozialraum, seconds since 1970"))
        }
        return samples
    }
}

extension AdminServer {
    /// The metrics endpoint's page: the snapshot read as the county (read-only) and the counted commands,
    /// in the Prometheus text format. A database that cannot be read shows as `sozialraum_database_up 0`.
    public func metricsExposition(county: @Sendable () async throws -> TenantID?) async -> String {
        do {
            try await commands.refreshMetrics {
                guard let tenant = try await county() else { throw ServiceError.notFound("county (run setup first)") }
                return Caller(tenant: tenant, role: .auditor, name: "metrics", requestID: "metrics")
            }
        } catch {
            logger.debug("metrics: the database part was not read", metadata: ["error": "\(type(of: error))"])
        }
        return commands.metrics.exposition()
    }
}
