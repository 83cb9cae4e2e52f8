import Logging
import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Budget reconciliation (rule 13): runs over a fixed ledger position whose results are stored
/// immutably, provider statements (drafts derived from a run, issued ones frozen), findings, and the
/// year end (rule 12).
///
/// A run reads under the ledger gate (sql/0004): it holds the gate's lock exclusively for its
/// transaction, so every booking at or below its position is committed and none can follow. The
/// figures per line come from the totals the ledger's triggers keep; the statements' figures are one
/// set-based pass over the scope's bookings; the cover arithmetic is the pure domain's. A run stores no
/// statement items: they are derived at its positions when asked, and frozen when a statement is issued.
public struct ReconciliationService: BudgetArea {
    /// The store, the log, today's date and the payment settings every budget area works with.
    let context: ServiceContext

    public init(
        store: Store, logger: Logger, today: @escaping @Sendable () -> Day,
        settings: PaymentSettings = PaymentSettings()
    ) {
        self.context = ServiceContext(store: store, logger: logger, today: today, settings: settings)
    }

    public typealias RunSummary = ReconciliationRunSummary

    // MARK: Runs

    /// Runs a reconciliation. `slot` (from the scheduler) makes the run idempotent: a slot that ran
    /// returns its first run. Statements are produced by runs over all Sozialräume.
    public func run(
        _ caller: Caller, scope: ReconciliationScope, socialSpace: SocialSpaceCode? = nil, slot: String? = nil
    ) async throws -> RunSummary {
        try await runWithResults(caller, scope: scope, socialSpace: socialSpace, slot: slot).summary
    }

    func runWithResults(
        _ caller: Caller, scope: ReconciliationScope, socialSpace: SocialSpaceCode?, slot: String?
    ) async throws -> (summary: RunSummary, results: [SocialSpaceReconciliation]) {
        try caller.require(.controller, for: "running reconciliations")
        let runDay = today()
        let started = Date()
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                var phase = ContinuousClock.now
                // Phase timings at debug level: where a slow run spends its time.
                func mark(_ name: String) {
                    let now = ContinuousClock.now
                    logger.debug("reconciliation phase", metadata: ["phase": "\(name)", "duration": "\(now - phase)"])
                    phase = now
                }
                if let slot, let id = try await ReconciliationStore.run(tx, slot: slot) {
                    guard var summary = try await ReconciliationStore.summary(tx, runID: id) else {
                        throw ServiceError.notFound("run")
                    }
                    summary.replayed = true
                    return (summary, [])
                }
                try await ReconciliationStore.closeLedgerGate(tx)
                guard try await ReferenceDataStore.yearExists(tx, scope.year) else {
                    throw ServiceError.notFound("fiscal year \(scope.year)")
                }
                if let socialSpace, !(try await ReferenceDataStore.socialSpaceExists(tx, socialSpace)) {
                    throw ServiceError.notFound("Sozialraum \(socialSpace)")
                }
                mark("gate")
                let position = try await ReconciliationStore.ledgerPosition(tx)
                let changePosition = try await ReconciliationStore.changePosition(tx)
                // Read before this run is recorded: the last complete run of the scope.
                let findingsBase =
                    socialSpace == nil ? try await ReconciliationStore.findingsBase(tx, scope: scope) : nil
                let results = try await ReconciliationStore.lineResults(tx, scope: scope, socialSpace: socialSpace)
                mark("lines")
                var canonical = Self.canonical(results)
                if socialSpace == nil {
                    try await ReconciliationStore.computeStatementFigures(tx, scope: scope, position: position)
                    mark("statement figures")
                    canonical += try await ReconciliationStore.statementsCanonicalText(tx)
                }
                let digest = sha256Hex(canonical)
                mark("digest")
                let runID = try await ReconciliationStore.insertRun(
                    tx, scope: scope, socialSpace: socialSpace, position: position, changePosition: changePosition,
                    runDay: runDay, digest: digest,
                    slot: slot,
                    requestedBy: caller.name, startedAt: started)
                try await ReconciliationStore.store(tx, runID: runID, year: scope.year, results: results)
                mark("store lines")
                var findings = 0
                if socialSpace == nil {
                    try await ReconciliationStore.storeStatements(tx, runID: runID)
                    mark("store statements")
                    findings += try await ReconciliationStore.findFacts(
                        tx, runID: runID, scope: scope, runDay: runDay, since: findingsBase, logger: logger)
                    mark("findings")
                }
                findings += try await ReconciliationStore.recordOverruns(
                    tx, runID: runID, scope: scope, results: results, county: caller.tenant)
                mark("overruns")
                try await tx.audit(caller, "reconciliation.run", "run", String(runID))
                guard var summary = try await ReconciliationStore.summary(tx, runID: runID) else {
                    throw ServiceError.notFound("run")
                }
                summary.newFindings = findings
                summary.undecidedOverruns = try await OverrunDecisionStore.undecided(tx, year: scope.year)
                mark("summary")
                logger.info(
                    "reconciliation run",
                    metadata: [
                        "run": "\(runID)", "scope": "\(scope)", "position": "\(position)",
                        "findings": "\(findings)", "ms": "\(Int(Date().timeIntervalSince(started) * 1000))",
                    ])
                return (summary, results)
            }
        }
    }

    /// The canonical text of the line results, which the digest covers together with the statements.
    static func canonical(_ results: [SocialSpaceReconciliation]) -> String {
        var text = ""
        for result in results {
            for line in result.lines {
                let f = line.funds
                text +=
                    "L|\(result.socialSpace)|\(line.component.rawValue)|\(f.appropriation.cents)|\(f.carryIn.cents)|\(f.commitments.cents)|"
                text +=
                    "\(f.actuals.cents)|\(line.coverTransfer.cents)|\(line.availableAfterCover.cents)|\(line.forecast.cents)\n"
            }
            for month in result.months {
                text +=
                    "M|\(result.socialSpace)|\(month.component.rawValue)|\(month.month)|\(month.plan.cents)|\(month.commitments.cents)|"
                text += "\(month.actuals.cents)\n"
            }
            for transfer in result.transfers {
                text +=
                    "T|\(result.socialSpace)|\(transfer.from.rawValue)|\(transfer.to.rawValue)|\(transfer.amount.cents)\n"
            }
        }
        return text
    }

}
