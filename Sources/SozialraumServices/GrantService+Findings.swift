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
    /// Accepts or rejects a finding (county). An accepted excess delivery is booked at its cost.
    public func resolveFinding(_ caller: Caller, findingID: UUID, accept: Bool, reason: String) async throws {
        try caller.require(.county, for: "resolving findings")
        try Self.checkText(reason, field: "reason", .reason)
        try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                guard let finding = try await FindingStore.forResolution(tx, id: findingID) else {
                    throw ServiceError.notFound("finding")
                }
                guard finding.status != "superseded" else {
                    throw ServiceError.conflict("the finding is superseded: its delivery was reversed")
                }
                guard finding.status == "open" else { throw ServiceError.duplicate("finding already resolved") }
                try await FindingStore.resolve(tx, id: findingID, accepted: accept, reason: reason)
                if accept, finding.kind == .deliveryOverGrant, let grantID = finding.grantID,
                    let amount = finding.amount, amount.cents > 0,
                    let grant = try await GrantStore.grant(tx, id: grantID)
                {
                    let serviceMonth = finding.month
                    let today = today().yearMonth
                    let closed = try await ReferenceDataStore.closedMonths(
                        tx, from: serviceMonth, through: max(today, serviceMonth).next.next.next)
                    let target = try BookingPeriod.target(
                        serviceMonth: serviceMonth, isCorrection: true, closedMonths: closed, today: today)
                    let residence = try await CaseStore.residence(tx, caseID: grant.caseID)
                    // Rule 8: the excess is charged exactly like its delivery (same days, same Sozialraum split).
                    let inputs = try await pricingInputs(tx, grant: grant, residence: residence)
                    guard
                        let shares = PricedDelivery.excessBookings(
                            amount: amount, month: serviceMonth, terms: inputs.terms, residence: residence)
                    else { throw ServiceError.conflict("the grant no longer covers \(serviceMonth)") }
                    for share in shares {
                        try await LedgerStore.book(
                            tx,
                            .init(
                                tenant: grant.provider, kind: .delivery, bookedMonth: target,
                                serviceMonth: serviceMonth,
                                socialSpace: share.socialSpace, component: .case, amount: share.amount,
                                grantID: grantID,
                                deliveryID: finding.deliveryID),
                            actor: caller.name, requestID: caller.requestID)
                    }
                }
                try await tx.audit(
                    caller, accept ? "finding.accept" : "finding.reject", "finding", findingID.uuidString)
            }
        }
    }

    /// The findings the caller may see: open ones, or all (rule 8, 13).
    public func findings(_ caller: Caller, all: Bool) async throws -> [FindingListing] {
        try caller.require(.county, .auditor, .provider, for: "reading findings")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await FindingStore.list(tx, all: all)
        }
    }

    /// The ledger of a booked month as the caller may see it.
}
