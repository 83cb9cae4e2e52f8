import Logging
import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reading stored runs, statements and diffs (settling them is `Settlement.swift`). Every read runs in the
/// caller's tenant context: a provider sees the lines of Sozialräume it serves and only its own
/// statements (RLS).
extension ReconciliationService {
    /// Per Sozialraum, the end of its last reconciliation run (seconds since 1970; 0: never), as the
    /// caller's tenant sees the runs (for `stats`).
    public func lastReconciliations(_ caller: Caller) async throws -> [(socialSpace: String, seconds: Int64)] {
        try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await ReconciliationReportStore.lastReconciliation(tx)
        }
    }

    // MARK: Stored runs

    /// Refuses a provider the Sozialraum's results while the county shows providers their own figures
    /// only (sql/0014 hides them in the database too; this says why instead of showing nothing).
    func requireSozialraumTotals(_ caller: Caller, _ tx: TenantTransaction) async throws {
        guard caller.role == .provider else { return }
        guard try await ReferenceDataStore.providerView(tx) == .sozialraumTotals else {
            throw ServiceError.forbidden("Sozialraum totals (the county shows providers their own figures only)")
        }
    }

    /// The stored runs (of one year), newest first.
    public func runs(_ caller: Caller, year: Int?) async throws -> [ReconciliationRunListing] {
        try caller.require(.county, .auditor, .provider, for: "reading reconciliations")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await ReconciliationReportStore.runs(tx, year: year)
        }
    }

    /// A stored part of a run's results.
    public enum RunPart: String, Sendable, CaseIterable {
        case lines, months, transfers
    }

    /// A run's results as stored: lines and pools as of the position, months, or cover transfers.
    public enum RunResult: Sendable, Equatable {
        case lines([RunLineResult])
        case months([RunMonthResult])
        case transfers([RunCoverTransfer])
    }

    public func runResult(
        _ caller: Caller, runID: Int64, part: RunPart, socialSpace: SocialSpaceCode? = nil
    ) async throws -> RunResult {
        try caller.require(.county, .auditor, .provider, for: "reading reconciliations")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await requireSozialraumTotals(caller, tx)
            guard try await ReconciliationReportStore.runExists(tx, id: runID) else {
                throw ServiceError.notFound("run")
            }
            switch part {
            case .lines:
                return .lines(try await ReconciliationReportStore.lines(tx, runID: runID, socialSpace: socialSpace))
            case .months:
                return .months(try await ReconciliationReportStore.months(tx, runID: runID, socialSpace: socialSpace))
            case .transfers:
                return .transfers(
                    try await ReconciliationReportStore.transfers(tx, runID: runID, socialSpace: socialSpace))
            }
        }
    }

    /// What changed between two runs, line by line ("what changed since last night"): only figures that differ.
    public func diff(_ caller: Caller, from earlier: Int64, to later: Int64) async throws -> [RunChange] {
        try caller.require(.county, .auditor, .provider, for: "reading reconciliations")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await requireSozialraumTotals(caller, tx)
            guard try await ReconciliationReportStore.runsExist(tx, [earlier, later]) else {
                throw ServiceError.notFound("run")
            }
            return try await ReconciliationReportStore.changes(tx, from: earlier, to: later)
        }
    }

    // MARK: Statements (Abrechnung)

    /// The statements of a run: per provider cost accrued, instalments, settlements and the balance.
    /// A provider sees only its own.
    public func statements(_ caller: Caller, runID: Int64) async throws -> [StatementSummary] {
        try caller.require(.county, .auditor, .provider, for: "reading statements")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            guard try await ReconciliationReportStore.runExists(tx, id: runID) else {
                throw ServiceError.notFound("run")
            }
            return try await ReconciliationReportStore.statements(tx, runID: runID)
        }
    }

    /// The payment advice of a run's statements as a draft: one item per grant (pseudonymous case key) or
    /// project, derived at the run's positions (the same run gives the same items, whatever happened since).
    public func statementItems(_ caller: Caller, runID: Int64, provider: TenantID?) async throws -> [StatementItem] {
        try caller.require(.county, .auditor, .provider, for: "reading statements")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            guard try await ReconciliationReportStore.runExists(tx, id: runID) else {
                throw ServiceError.notFound("run")
            }
            return try await StatementStore.draftItems(tx, runID: runID, provider: provider)
        }
    }
}
