import Logging
import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Findings (Feststellungen, rule 8): what the reconciliation and the pricing flag, decided by the county.
extension GrantService {
    /// Accepts or rejects a finding (Feststellung). Accepting one that pays (an excess delivery) certifies
    /// a pending payment order instead: the finding is accepted and its cost booked when a second account
    /// orders it. Returns that order, or nil when nothing is to be paid.
    @discardableResult
    public func resolveFinding(
        _ caller: Caller, findingID: UUID, accept: Bool, reason: String
    ) async throws
        -> CertifiedOrder?
    {
        try caller.require(.certify, for: "resolving findings")
        try Self.checkText(reason, field: "reason", .reason)
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                guard let finding = try await FindingStore.forResolution(tx, id: findingID) else {
                    throw ServiceError.notFound("finding")
                }
                guard finding.status != "superseded" else {
                    throw ServiceError.conflict("the finding is superseded: its delivery was reversed")
                }
                guard finding.status == "open" else { throw ServiceError.duplicate("finding already resolved") }
                if accept, finding.kind == .deliveryOverGrant, let grantID = finding.grantID,
                    let amount = finding.amount, amount.cents > 0,
                    let grant = try await GrantStore.grant(tx, id: grantID)
                {
                    if let open = try await PaymentOrderStore.openOrder(
                        tx, payee: grant.provider, runID: nil, findingID: findingID)
                    {
                        throw ServiceError.duplicate("payment order \(open) for this finding")
                    }
                    _ = try await excessShares(tx, finding: finding, grant: grant)
                    let certified = try await PaymentOrders.certify(
                        tx, caller,
                        .init(
                            payee: grant.provider, kind: .finding, month: finding.month, findingID: findingID,
                            amount: amount, reason: reason, certifiedBy: caller.name,
                            expiresOn: today().adding(days: settings.pendingDays), requestID: caller.requestID))
                    try await tx.audit(caller, "finding.certify", "finding", findingID.uuidString)
                    return certified
                }
                try await FindingStore.resolve(tx, id: findingID, accepted: accept, reason: reason)
                try await tx.audit(
                    caller, accept ? "finding.accept" : "finding.reject", "finding", findingID.uuidString)
                return nil
            }
        }
    }

    /// How an accepted excess is charged: exactly like its delivery (same days, same Sozialraum split,
    /// rule 8), into the month a correction goes to.
    func excessShares(
        _ tx: TenantTransaction, finding: FindingStore.Resolvable, grant: GrantRecord
    ) async throws
        -> (target: YearMonth, shares: [(socialSpace: SocialSpaceCode, amount: Money)])
    {
        guard let amount = finding.amount else { throw ServiceError.conflict("the finding names no amount") }
        let serviceMonth = finding.month
        let today = today().yearMonth
        let closed = try await ReferenceDataStore.closedMonths(
            tx, from: serviceMonth, through: max(today, serviceMonth).next.next.next)
        let target = try BookingPeriod.target(
            serviceMonth: serviceMonth, isCorrection: true, closedMonths: closed, today: today)
        let residence = try await CaseStore.residence(tx, caseID: grant.caseID)
        let inputs = try await pricingInputs(tx, grant: grant, residence: residence)
        guard
            let shares = try PricedDelivery.excessBookings(
                amount: amount, month: serviceMonth, terms: inputs.terms, residence: residence)
        else { throw ServiceError.conflict("the grant no longer covers \(serviceMonth)") }
        return (target, shares.map { ($0.socialSpace, $0.amount) })
    }

    /// Books an ordered finding: accepts it and charges its cost.
    func bookAcceptedFinding(
        _ tx: TenantTransaction, _ order: PaymentOrderStore.Record, _ caller: Caller
    ) async throws
        -> [BookedPart]
    {
        guard let findingID = order.order.findingID,
            let finding = try await FindingStore.forResolution(tx, id: findingID),
            let grantID = finding.grantID, let grant = try await GrantStore.grant(tx, id: grantID)
        else { throw ServiceError.notFound("finding") }
        guard finding.status == "open" else {
            throw ServiceError.conflict("the finding is no longer open (resolved, or its delivery was reversed)")
        }
        let (target, shares) = try await excessShares(tx, finding: finding, grant: grant)
        try await FindingStore.resolve(tx, id: findingID, accepted: true, reason: order.order.reason ?? "accepted")
        var parts: [BookedPart] = []
        for share in shares {
            let id = try await LedgerStore.book(
                tx,
                .init(
                    tenant: grant.provider, kind: .delivery, bookedMonth: target, serviceMonth: finding.month,
                    socialSpace: share.socialSpace, component: .case, amount: share.amount, grantID: grantID,
                    deliveryID: finding.deliveryID, paymentOrderID: order.id),
                actor: caller.name, requestID: caller.requestID)
            parts.append(
                BookedPart(
                    bookingID: id, bookedMonth: target, socialSpace: share.socialSpace, component: .case,
                    amount: share.amount))
        }
        try await tx.audit(caller, "finding.accept", "finding", findingID.uuidString)
        return parts
    }

    /// The findings the caller may see: open ones, or all (rule 8, 13).
    public func findings(_ caller: Caller, all: Bool) async throws -> [FindingListing] {
        try caller.require(.county, .auditor, .provider, for: "reading findings")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await FindingStore.list(tx, all: all)
        }
    }

    /// Grants with their ids (a provider needs them to deliver): a provider's own, the county's and the
    /// auditor's of one case or Sozialraum (or all, up to `limit`).
    public func grantListing(
        _ caller: Caller, caseKey: String?, socialSpace: SocialSpaceCode?, limit: Int = 1_000
    ) async throws -> [GrantListing] {
        try caller.require(.county, .auditor, .provider, for: "reading grants")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await GrantStore.listing(tx, caseKey: caseKey, socialSpace: socialSpace, asOf: today(), limit: limit)
        }
    }

    /// The ledger of a booked month as the caller may see it.
}
