import Logging
import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Settling a provider's statement (Schlussabrechnung): the balance certified as a payment order, checked
/// against the ledger again when it is ordered, and booked once per Sozialraum and component.
extension ReconciliationService {
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
}
