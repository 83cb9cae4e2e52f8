import Logging
import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The year end (Jahresabschluss, rule 12): a whole-year run proposes carry-forwards (Haushaltsreste) and
/// the lead providers' surplus shares; the county confirms a previewed run once, when every month of the
/// year is closed and the ledger has not moved since.
public struct YearEndService: Sendable {
    let reconciliation: ReconciliationService
    var store: Store { reconciliation.store }

    public init(reconciliation: ReconciliationService) {
        self.reconciliation = reconciliation
    }

    public struct YearEndPreview: Sendable {
        public var runID: Int64
        /// An earlier run on the same ledger position with the same results (a repeated preview).
        public var sameAs: Int64?
        public var proposals: [SocialSpaceCode: YearEndProposal]
    }

    /// Runs the whole year and proposes carry-forwards and provider shares. Nothing is applied.
    public func previewYearEnd(_ caller: Caller, year: Int) async throws -> YearEndPreview {
        try caller.require(.controller, for: "year-end closing")
        let (summary, results) = try await reconciliation.runWithResults(
            caller, scope: .year(year), socialSpace: nil, slot: nil)
        let proposals = try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await Self.proposals(
                tx, year: year,
                results: results.reduce(into: [:]) { all, result in
                    all[result.socialSpace] = result.lines.reduce(into: [:]) {
                        $0[$1.component] = $1.availableAfterCover
                    }
                })
        }
        return YearEndPreview(runID: summary.runID, sameAs: summary.sameAs, proposals: proposals)
    }

    static func proposals(
        _ tx: TenantTransaction, year: Int, results: [SocialSpaceCode: [BudgetComponent: Money]]
    ) async throws -> [SocialSpaceCode: YearEndProposal] {
        let policy = try await ReconciliationReportStore.yearEndPolicy(tx, year: year)
        // While the receiving year is not open the proposal shows what it would carry if that year allows it;
        // confirming then waits for the year (checkedProposals).
        let (basisPoints, carryAllowed) = (policy.shareBasisPoints, policy.carryForwardAllowed ?? true)
        let leads = try await ReconciliationReportStore.leadProviders(tx, year: year)
        var proposals: [SocialSpaceCode: YearEndProposal] = [:]
        for (space, results) in results {
            proposals[space] = try YearEndProposal(
                resultsAfterCover: results, carryForwardAllowed: carryAllowed, providerShareBasisPoints: basisPoints,
                leadProviders: leads[space, default: []])
        }
        return proposals
    }

    /// Confirms the year end of a previewed run (the controller's signature): a pending order; the
    /// carry-forwards into the next year and the lead providers' shares are applied, once, when a second
    /// account with the right to order approves it. Refused unless every month of the year is closed and
    /// the ledger has not moved since the run (preview again then) — checked now and when ordered.
    public func confirmYearEnd(_ caller: Caller, year: Int, runID: Int64) async throws -> CertifiedOrder {
        try caller.require(.controller, for: "year-end closing")
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                let proposals = try await checkedProposals(tx, year: year, runID: runID)
                if let open = try await PaymentOrderStore.openOrder(
                    tx, payee: caller.tenant, runID: runID, findingID: nil)
                {
                    throw ServiceError.duplicate("order \(open) for this year end")
                }
                let carried = try Self.carried(proposals)
                let certified = try await PaymentOrders.certify(
                    tx, caller,
                    .init(
                        payee: caller.tenant, kind: .yearEnd, month: YearMonth(year: year, month: 12)!, runID: runID,
                        amount: carried, certifiedBy: caller.name,
                        expiresOn: reconciliation.today().adding(days: reconciliation.settings.pendingDays),
                        requestID: caller.requestID))
                try await tx.audit(caller, "year_end.certify", "payment_order", String(certified.orderID))
                return certified
            }
        }
    }

    /// What applying a year end did: carried into the next year, and the lead providers' shares certified
    /// for payment (their orders wait for a second signature, like any payment).
    public struct Applied: Sendable, Equatable {
        public var year: Int
        public var carried: Money
        public var shares: [CertifiedOrder]
    }

    /// Applies an ordered year end: the carry-forwards, and the lead providers' shares recorded and certified
    /// as payment orders of their own (`surplus_share`) under the year end's first signature, the controller
    /// who confirmed it (rule 12, rule 18).
    func applyYearEnd(
        _ tx: TenantTransaction, _ order: PaymentOrderStore.Record, _ caller: Caller
    ) async throws -> Applied {
        guard let runID = order.order.runID, let year = order.order.month?.year else {
            throw ServiceError.conflict("the order names no year end")
        }
        let proposals = try await checkedProposals(tx, year: year, runID: runID)
        try await ReconciliationReportStore.recordYearEnd(tx, year: year, runID: runID, by: caller.name)
        for (space, proposal) in proposals {
            for line in proposal.lines where line.carryForward.cents > 0 {
                guard
                    try await ReconciliationReportStore.insertCarryForward(
                        tx, line: BudgetLine(year: year + 1, socialSpace: space, component: line.component),
                        amount: line.carryForward,
                        reason: "Haushaltsrest \(year) (run \(runID))")
                else {
                    throw ServiceError.conflict(
                        "a carry-forward into \(year + 1) for \(space)/\(line.component.rawValue) exists already")
                }
            }
            for share in proposal.shares {
                try await ReconciliationReportStore.insertSurplusShare(
                    tx, year: year, socialSpace: space, provider: share.provider, amount: share.amount)
            }
            for part in proposal.lineShares {
                try await ReconciliationReportStore.insertSurplusShareLine(
                    tx, year: year, socialSpace: space, component: part.component, provider: part.provider,
                    amount: part.amount)
            }
        }
        try await tx.audit(caller, "year_end.confirm", "fiscal_year", String(year))
        let shares = try await certifyShares(tx, year: year, certifiedBy: order.order.certifiedBy, caller: caller)
        return Applied(year: year, carried: try Self.carried(proposals), shares: shares)
    }

    /// What a year end carries into the next year, over every Sozialraum and line.
    static func carried(_ proposals: [SocialSpaceCode: YearEndProposal]) throws -> Money {
        try Money.total(proposals.values.flatMap { $0.lines.map(\.carryForward) })
    }

    /// Certifies every share of `year` that no live order pays (after the year end, or again after its order
    /// expired or was rejected): one order per lead provider and Sozialraum, naturally idempotent (a share
    /// with a pending or ordered order is left alone). Right controller, as for the year end.
    public func certifyShares(_ caller: Caller, year: Int) async throws -> [CertifiedOrder] {
        try caller.require(.controller, for: "certifying the providers' shares")
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                guard try await ReconciliationReportStore.yearEndConfirmed(tx, year: year) else {
                    throw ServiceError.conflict("the year end \(year) is not applied")
                }
                return try await certifyShares(tx, year: year, certifiedBy: caller.name, caller: caller)
            }
        }
    }

    func certifyShares(
        _ tx: TenantTransaction, year: Int, certifiedBy: String, caller: Caller
    ) async throws -> [CertifiedOrder] {
        var certified: [CertifiedOrder] = []
        let today = reconciliation.today()
        for share in try await ReconciliationReportStore.unorderedShares(tx, year: year, today: today) {
            let order = try await PaymentOrders.certify(
                tx, caller,
                .init(
                    payee: share.provider, kind: .surplusShare, socialSpace: share.socialSpace,
                    month: YearMonth(year: year, month: 12)!, amount: share.amount, certifiedBy: certifiedBy,
                    expiresOn: today.adding(days: reconciliation.settings.pendingDays), requestID: caller.requestID))
            try await tx.audit(caller, "surplus_share.certify", "payment_order", String(order.orderID))
            certified.append(order)
        }
        return certified
    }

    /// Books an ordered share: one `surplus_share` booking per line of it, for December of the closed year,
    /// in the first open month after it (today's, or January of the next year).
    func bookSurplusShare(
        _ tx: TenantTransaction, _ order: PaymentOrderStore.Record, _ caller: Caller
    ) async throws -> [BookedPart] {
        guard let space = order.order.socialSpace, let december = order.order.month else {
            throw ServiceError.conflict("the order names no share")
        }
        let booked = max(reconciliation.today().yearMonth, december.next)
        guard try await ReferenceDataStore.periodExists(tx, booked),
            try await ReferenceDataStore.closedMonths(tx, from: booked, through: booked).isEmpty
        else { throw ServiceError.conflict("no open period \(booked) to pay the share in") }
        var parts: [BookedPart] = []
        for line in try await ReconciliationReportStore.surplusShareLines(
            tx, year: december.year, socialSpace: space, provider: order.order.payee)
        {
            let id = try await LedgerStore.book(
                tx,
                .init(
                    tenant: order.order.payee, kind: .surplusShare, bookedMonth: booked, serviceMonth: december,
                    socialSpace: space, component: line.component, amount: line.amount, paymentOrderID: order.id),
                actor: caller.name, requestID: caller.requestID)
            parts.append(
                BookedPart(
                    bookingID: id, bookedMonth: booked, socialSpace: space, component: line.component,
                    amount: line.amount))
        }
        guard try Money.total(parts.map(\.amount)) == order.order.amount else {
            throw ServiceError.conflict("the share's lines do not add up to the order")
        }
        try await tx.audit(caller, "surplus_share.pay", "payment_order", String(order.id))
        return parts
    }

    /// The year end's proposals, if it may be applied: a whole-year run over all Sozialräume, every month
    /// closed, the ledger where the run read it, the next year open when something is carried.
    func checkedProposals(
        _ tx: TenantTransaction, year: Int, runID: Int64
    ) async throws
        -> [SocialSpaceCode: YearEndProposal]
    {
        try await ReconciliationStore.closeLedgerGate(tx)
        guard !(try await ReconciliationReportStore.yearEndConfirmed(tx, year: year)) else {
            throw ServiceError.duplicate("year end \(year)")
        }
        guard let run = try await ReconciliationReportStore.runForYearEnd(tx, id: runID) else {
            throw ServiceError.notFound("run")
        }
        guard run.year == year, run.scope == "year", run.lastMonth.month == 12, run.allSocialSpaces else {
            throw ServiceError.invalid(field: "run", reason: "not a whole-year run of \(year) over all Sozialräume")
        }
        let open = try await ReconciliationReportStore.openMonths(tx, year: year)
        guard open.isEmpty else {
            throw ServiceError.conflict("months still open: \(open.map(\.description).joined(separator: ", "))")
        }
        guard try await ReconciliationStore.ledgerPosition(tx) == run.position else {
            throw ServiceError.conflict("the ledger moved since run \(runID); preview the year end again")
        }
        let results = try await ReconciliationReportStore.resultsAfterCover(tx, runID: runID)
        let proposals = try await Self.proposals(tx, year: year, results: results)
        let carried = proposals.values.contains { $0.lines.contains { $0.carryForward.cents > 0 } }
        if carried, !(try await ReferenceDataStore.yearExists(tx, year + 1)) {
            throw ServiceError.conflict("open the fiscal year \(year + 1) first: it receives the carry-forwards")
        }
        return proposals
    }
}
