import Logging
import SozialraumDomain
import SozialraumStore

/// Statements as documents (issue 20): a draft is derived from a run whenever asked; issuing freezes it
/// (items stored once, counted and hashed by the database, with who issued it); it is then settled through
/// the four-eyes payment path or withdrawn with a reason, once. A provider reads its own.
extension ReconciliationService {
    /// Issues the provider's statement of a run (Feststellung of the Abrechnung: right `certify`). A run
    /// over all Sozialräume has statements; one live statement per run and provider.
    public func issueStatement(_ caller: Caller, runID: Int64, provider: TenantID) async throws -> StatementDocument {
        try caller.require(.certify, for: "issuing statements")
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                guard try await ReconciliationReportStore.runExists(tx, id: runID) else {
                    throw ServiceError.notFound("run")
                }
                if let live = try await StatementStore.live(tx, runID: runID, provider: provider) {
                    throw ServiceError.duplicate(
                        "statement \(live.id) (\(live.state.rawValue)) for this run and provider")
                }
                guard try await StatementStore.hasFigures(tx, runID: runID, provider: provider) else {
                    throw ServiceError.notFound("statement (the run has none for this provider)")
                }
                guard
                    let id = try await StatementStore.issue(tx, runID: runID, provider: provider, issuedBy: caller.name)
                else { throw ServiceError.notFound("run") }
                try await tx.audit(caller, "statement.issue", "statement", String(id))
                guard let document = try await StatementStore.document(tx, id: id) else {
                    throw ServiceError.notFound("statement")
                }
                logger.info(
                    "statement issued",
                    metadata: ["statement": "\(id)", "run": "\(runID)", "items": "\(document.items)"])
                return document
            }
        }
    }

    /// The issued statements the caller sees (a provider its own), of one provider or run, newest first.
    public func issuedStatements(
        _ caller: Caller, provider: TenantID? = nil, runID: Int64? = nil
    ) async throws -> [StatementDocument] {
        try caller.require(.county, .auditor, .provider, for: "reading statements")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await StatementStore.documents(tx, provider: provider, runID: runID)
        }
    }

    /// An issued statement and its frozen items: the same bytes whatever happened since.
    public func issuedStatement(
        _ caller: Caller, id: Int64
    ) async throws -> (document: StatementDocument, items: [StatementItem]) {
        try caller.require(.county, .auditor, .provider, for: "reading statements")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            guard let document = try await StatementStore.document(tx, id: id) else {
                throw ServiceError.notFound("statement")
            }
            return (document, try await StatementStore.documentItems(tx, id: id))
        }
    }

    /// Withdraws an issued statement with a reason (right `certify`); refused while a settlement order for
    /// it is pending or once it is settled. A new statement may then be issued for the run.
    public func withdrawStatement(_ caller: Caller, id: Int64, reason: String) async throws -> StatementDocument {
        try caller.require(.certify, for: "withdrawing statements")
        try BudgetService.checkText(reason, field: "reason", .reason)
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                guard let document = try await StatementStore.document(tx, id: id) else {
                    throw ServiceError.notFound("statement")
                }
                guard document.state == .issued else {
                    throw ServiceError.conflict("the statement is \(document.state.rawValue)")
                }
                if let open = try await PaymentOrderStore.openOrder(
                    tx, payee: document.provider, runID: document.runID, findingID: nil)
                {
                    throw ServiceError.conflict("payment order \(open) settles it; reject that order first")
                }
                guard try await StatementStore.withdraw(tx, id: id, by: caller.name, reason: reason) else {
                    throw ServiceError.conflict("the statement is no longer issued")
                }
                try await tx.audit(caller, "statement.withdraw", "statement", String(id))
                return try await StatementStore.document(tx, id: id) ?? document
            }
        }
    }

    /// Prunes nightly runs older than `keepDays` that nothing refers to (a statement, a payment order, a
    /// year end, a finding); month-end, quarter and year runs stay. Returns how many went.
    public func pruneNightlyRuns(_ caller: Caller, keepDays: Int) async throws -> Int {
        try caller.require(.county, for: "pruning reconciliation runs")
        return try await store.withTenant(caller.tenant) { tx in
            try await StatementStore.pruneNightlyRuns(tx, keepDays: keepDays)
        }
    }
}
