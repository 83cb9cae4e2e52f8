import Logging
import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Periods, findings, the ledger of a month and available funds (rules 3, 8, 11).
extension BudgetService {
    // MARK: Periods (county)

    /// Closes a month (Periodenabschluss, rule 11). Refused while the month has open findings, unless
    /// forced with a reason.
    public func closeMonth(_ caller: Caller, month: YearMonth, forceReason: String? = nil) async throws {
        try caller.require(.county, for: "closing periods")
        if let forceReason { try Self.checkText(forceReason, field: "reason", .reason) }
        try await store.withTenant(caller.tenant) { tx in
            guard let closed = try await ReferenceDataStore.lockPeriod(tx, month) else {
                throw ServiceError.notFound("period \(month)")
            }
            guard !closed else { throw ServiceError.duplicate("period \(month) is already closed") }
            let open = try await FindingStore.openCount(tx, month: month)
            if open > 0, forceReason == nil {
                throw ServiceError.conflict("\(open) open findings in \(month); resolve them or force with a reason")
            }
            try await ReferenceDataStore.closePeriod(
                tx, month, by: caller.name, forcedReason: open > 0 ? forceReason : nil)
            try await tx.audit(caller, "period.close", "period", month.description)
        }
    }

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
                        try await BudgetSQL.book(
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
    public func bookings(_ caller: Caller, bookedIn month: YearMonth) async throws -> [BookingListing] {
        try caller.require(.county, .auditor, .provider, for: "reading the ledger")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await BudgetSQL.bookings(tx, bookedIn: month)
        }
    }

    // MARK: Funds (rule 3)

    /// Available funds of a Sozialraum and year, by line and pool, with cover transfers. The county
    /// and auditors see everything; a provider only a Sozialraum it serves, with its own spending.
    public func availableFunds(_ caller: Caller, socialSpace: SocialSpaceCode, year: Int) async throws -> FundsReport {
        try caller.require(.county, .auditor, .provider, for: "reading budgets")
        let snapshot = try await BudgetSQL.fundsSnapshot(
            store, tenant: caller.tenant, socialSpace: socialSpace, year: year)
        guard snapshot.socialSpaceExists else { throw ServiceError.notFound("Sozialraum \(socialSpace)") }
        guard snapshot.yearExists else { throw ServiceError.notFound("fiscal year \(year)") }
        guard snapshot.appropriationVisible || caller.role != .provider else { throw ServiceError.notFound("budget") }
        return FundsReport(funds: snapshot.funds, coverPools: snapshot.coverPools)
    }
}
