import Logging
import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reading stored runs, statements and diffs, and settling statements. Every read runs in the
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

    /// Certifies a provider's statement for settlement (Schlussabrechnung, first signature): a pending
    /// payment order of its balance, booked only when a second account orders it. Only a statement that
    /// still matches the ledger can be certified, and again only when ordered: any booking of the provider
    /// in the scope after the run's position (a settlement included) makes it stale.
    public func certifySettlement(
        _ caller: Caller, runID: Int64, provider: TenantID, idempotencyKey: IdempotencyKey
    ) async throws -> CertifiedOrder {
        try caller.require(.certify, for: "settling statements")
        let content = "settle|\(runID)|\(provider)"
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                switch try await LedgerStore.claim(tx, key: idempotencyKey, content: content) {
                case .conflict: throw ServiceError.idempotencyConflict
                case .replay(let result): return try CertifiedOrder(stored: result)
                case .fresh: break
                }
                let parts = try await settlementParts(tx, runID: runID, provider: provider).parts
                let balance = try Money.total(parts.map(\.amount))
                guard balance != .zero else {
                    throw ServiceError.conflict("the statement balances to 0.00: there is nothing to pay")
                }
                if let open = try await PaymentOrderStore.openOrder(tx, payee: provider, runID: runID, findingID: nil) {
                    throw ServiceError.duplicate("payment order \(open) for this statement")
                }
                // What the county pays on is the issued statement (sql/0022 refuses any other).
                guard let document = try await StatementStore.live(tx, runID: runID, provider: provider),
                    document.state == .issued
                else {
                    throw ServiceError.conflict(
                        "a settlement pays an issued statement: issue it first (statement-issue \(runID) \(provider))")
                }
                let certified = try await PaymentOrders.certify(
                    tx, caller,
                    .init(
                        payee: provider, kind: .settlement, runID: runID, amount: balance, certifiedBy: caller.name,
                        expiresOn: today().adding(days: settings.pendingDays), requestID: caller.requestID))
                try await LedgerStore.remember(tx, key: idempotencyKey, content: content, result: certified.stored)
                try await tx.audit(caller, "statement.certify", "run", String(runID))
                return certified
            }
        }
    }

    /// The balance of a statement per Sozialraum and component, if it still matches the ledger.
    func settlementParts(
        _ tx: TenantTransaction, runID: Int64, provider: TenantID
    ) async throws
        -> (last: YearMonth, parts: [(socialSpace: SocialSpaceCode, component: BudgetComponent, amount: Money)])
    {
        guard
            let statement = try await ReconciliationReportStore.statementForSettlement(
                tx, runID: runID, provider: provider)
        else {
            throw ServiceError.notFound("statement")
        }
        let (first, last, position, balance) = (
            statement.first, statement.last, statement.position, statement.balance
        )
        // One settlement of a provider at a time; the second finds the first's bookings and stops.
        try await ReconciliationReportStore.lockSettlements(tx, of: provider)
        guard
            !(try await ReconciliationReportStore.hasBookingAfter(
                tx, provider: provider, from: first, through: last, position: position))
        else {
            throw ServiceError.conflict(
                "the ledger changed after run \(runID); reconcile again and settle the new statement")
        }
        // The balance per Sozialraum and component, as the statement computes it.
        let parts = try await ReconciliationReportStore.balanceParts(
            tx, provider: provider, from: first, through: last, position: position)
        guard try Money.total(parts.map(\.amount)) == balance else {
            logger.error("statement does not match its ledger", metadata: ["run": "\(runID)"])
            throw ServiceError.conflict("the statement does not match the ledger; reconcile again")
        }
        return (last, parts)
    }

    /// Books an ordered settlement: one `settlement` booking per Sozialraum and component with a balance,
    /// so that the next statement of the scope balances to zero.
    func bookSettlement(
        _ tx: TenantTransaction, _ order: PaymentOrderStore.Record, _ caller: Caller
    ) async throws
        -> [BookedPart]
    {
        guard let runID = order.order.runID else { throw ServiceError.conflict("the order names no statement") }
        let provider = order.order.payee
        let (last, parts) = try await settlementParts(tx, runID: runID, provider: provider)
        guard try Money.total(parts.map(\.amount)) == order.order.amount else {
            throw ServiceError.conflict("the statement's balance is no longer the certified one; reject the order")
        }
        // Booked in the current open month, for the statement's last month.
        let today = today().yearMonth
        let closed = try await ReferenceDataStore.closedMonths(tx, from: today, through: today.next.next.next)
        let booked: YearMonth
        do throws(BookingPeriod.Refusal) {
            booked = try BookingPeriod.target(
                serviceMonth: today, isCorrection: true, closedMonths: closed, today: today)
        } catch { throw ServiceError.conflict(error.description) }
        guard try await ReferenceDataStore.periodExists(tx, booked) else {
            throw ServiceError.conflict("no open fiscal period \(booked) for the settlement")
        }
        var bookedParts: [BookedPart] = []
        for part in parts where part.amount != .zero {
            let id = try await LedgerStore.book(
                tx,
                .init(
                    tenant: provider, kind: .settlement, bookedMonth: booked, serviceMonth: last,
                    socialSpace: part.socialSpace, component: part.component, amount: part.amount,
                    paymentOrderID: order.id),
                actor: caller.name, requestID: caller.requestID)
            bookedParts.append(
                BookedPart(
                    bookingID: id, bookedMonth: booked, socialSpace: part.socialSpace, component: part.component,
                    amount: part.amount))
        }
        guard try await StatementStore.markSettled(tx, runID: runID, provider: provider, orderID: order.id) else {
            throw ServiceError.conflict("the statement is no longer issued (withdrawn?); reject the order")
        }
        try await tx.audit(caller, "statement.settle", "run", String(runID))
        return bookedParts
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
