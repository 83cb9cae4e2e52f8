import Foundation
import SozialraumDomain
import SozialraumServices

/// The jobs a schedule may name.
public enum StandardJobs {
    /// `reconcile` parameters: the scope relative to the slot's day in Europe/Berlin.
    public static let reconcileScopes = ["month-to-date", "previous-month", "year-to-date", "year"]
    public static let kinds = ["reconcile", "erasure", "noop"]

    /// The scope a `reconcile` run of `slot` covers.
    public static func scope(parameters: String, slot: Instant) -> ReconciliationScope? {
        let day = ZoneRules.europeBerlin.local(slot).day
        switch parameters {
        case "month-to-date": return .month(day.yearMonth)
        case "previous-month": return .month(day.yearMonth.previous)
        case "year-to-date": return .year(day.year, through: day.yearMonth)
        case "year": return .year(day.year)
        default: return nil
        }
    }

    /// Runs `reconcile` as the county (account name `scheduler`) and `noop`. The reconciliation is keyed by
    /// the slot (or the on-demand run), so a retry returns the first run instead of running again. After a
    /// new run, nightly runs older than `keepNightlyDays` that nothing refers to are pruned.
    /// `accessLog`: erases the access log's expired entries (`accessLogYears`) after each reconciliation.
    /// `erasure`: carries out ordered erasure orders (resuming one a crash interrupted) and proposes the cases
    /// due under the deletion rule, for two holders of the right `erase` to sign; its report has counts only.
    public static func runner(
        reconciliation: ReconciliationService, keepNightlyDays: Int = 90, accessLog: AccessLogService? = nil,
        accessLogYears: Int = 1, erasure: ErasureService? = nil,
        county: @escaping @Sendable () async throws -> TenantID?
    ) -> JobRunner {
        { run in
            switch run.job {
            case "noop":
                return "ok"
            case "erasure":
                guard let erasure else { throw ServiceError.invalid(field: "job", reason: "erasure is not set up") }
                guard let tenant = try await county() else { throw ServiceError.notFound("county (run setup first)") }
                let caller = Caller(tenant: tenant, role: .county, name: "scheduler", requestID: "job-\(run.id)")
                return try await erasure.scheduledRun(caller)
            case "reconcile":
                guard let scope = scope(parameters: run.parameters, slot: run.slot) else {
                    throw ServiceError.invalid(
                        field: "parameters", reason: "one of \(reconcileScopes.joined(separator: ", "))")
                }
                guard let tenant = try await county() else { throw ServiceError.notFound("county (run setup first)") }
                let slot = run.schedule.map { "\($0)@\(run.slot)" } ?? "job-\(run.id)"
                let caller = Caller(tenant: tenant, role: .county, name: "scheduler", requestID: "job-\(run.id)")
                let summary = try await reconciliation.run(caller, scope: scope, slot: slot)
                let pruned =
                    summary.replayed ? 0 : try await reconciliation.pruneNightlyRuns(caller, keepDays: keepNightlyDays)
                let erased = try await accessLog?.eraseExpired(years: accessLogYears) ?? 0
                return "run \(summary.runID)" + (summary.replayed ? " (already done)" : "")
                    + (summary.undecidedOverruns > 0 ? ", undecided overruns \(summary.undecidedOverruns)" : "")
                    + (pruned > 0 ? ", pruned \(pruned) nightly runs" : "")
                    + (erased > 0 ? ", erased \(erased) expired access-log entries" : "")
            default:
                throw ServiceError.invalid(field: "job", reason: "unknown job \(run.job)")
            }
        }
    }
}
