import Logging
import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Deliveries (providers; rules 5–8, 10, 11).
extension GrantService {
    // MARK: Deliveries (providers)

    /// The outcome of a recorded delivery (Leistungsnachweis).
    public struct DeliveryOutcome: Sendable, Equatable {
        public var deliveryID: UUID
        /// Cost booked now (of the payable volume).
        public var cost: Money
        /// Volume above the grant, held back as a finding (rule 8); zero if none.
        public var excess: Quantity
    }

    /// Records the hours/days a provider delivered for a grant in a month, books their cost into the
    /// ledger, releases the month's commitment and holds back any volume above the grant (rules 5–8).
    public func recordDelivery(
        _ caller: Caller, grantID: UUID, month: YearMonth, quantity: Quantity, idempotencyKey: IdempotencyKey
    ) async throws -> DeliveryOutcome {
        try caller.require(.provider, .county, for: "recording deliveries")
        let content = "delivery|\(grantID)|\(month)|\(quantity)"
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                if let result = try await replayed(tx, key: idempotencyKey, content: content) {
                    return try await deliveryOutcome(tx, replaying: result)
                }
                let outcome = try await deliver(
                    tx, caller: caller, grantID: grantID, month: month, quantity: quantity, line: nil)
                try await LedgerStore.remember(
                    tx, key: idempotencyKey, content: content, result: outcome.deliveryID.uuidString)
                try await tx.audit(caller, "delivery.record", "delivery", outcome.deliveryID.uuidString)
                return outcome
            }
        }
    }

    private func deliveryOutcome(_ tx: TenantTransaction, replaying result: String) async throws -> DeliveryOutcome {
        guard let id = UUID(uuidString: result), let stored = try await DeliveryStore.figures(tx, id: id) else {
            throw ServiceError.conflict("stored result unreadable")
        }
        return DeliveryOutcome(deliveryID: id, cost: stored.cost, excess: stored.quantity - stored.payable)
    }

    /// One delivery inside an open transaction; `line` names the import line for row errors.
    func deliver(
        _ tx: TenantTransaction, caller: Caller, grantID: UUID, month: YearMonth, quantity: Quantity, line: Int?
    ) async throws -> DeliveryOutcome {
        func refuse(_ field: String, _ reason: String, _ error: ServiceError) -> any Error {
            line.map { ServiceError.rejectedRows([RowError(line: $0, field: field, reason: reason)]) } ?? error
        }
        // Another provider's grant is invisible under RLS: reported exactly like an unknown id.
        guard let grant = try await GrantStore.grant(tx, id: grantID) else {
            throw refuse("grant", "unknown grant", .notFound("grant"))
        }
        guard caller.role == .county || grant.provider == caller.tenant else {
            throw refuse("grant", "unknown grant", .notFound("grant"))
        }
        let rates = try await ReferenceDataStore.rates(
            tx, provider: grant.provider, helpType: grant.helpType, unit: grant.unit)
        let terms = terms(grant, rates: rates)
        let residence = try await CaseStore.residence(tx, caseID: grant.caseID)
        let priced: PricedDelivery
        do {
            priced = try PricedDelivery.price(delivered: quantity, month: month, terms: terms, residence: residence)
        } catch {
            let (field, reason) = Self.rowError(error, month: month)
            throw refuse(field, reason, .invalid(field: field, reason: reason))
        }
        guard try await ReferenceDataStore.periodExists(tx, month) else {
            throw refuse(
                "month", "no fiscal period \(month)", .invalid(field: "month", reason: "no fiscal period \(month)"))
        }
        // A reversed delivery frees the month: the correction is the next generation, and names the
        // first booking of the delivery it replaces.
        let earlier = try await DeliveryStore.earlier(tx, grantID: grantID, month: month)
        guard !earlier.active else {
            throw refuse(
                "month", "a delivery for this grant and month exists (reverse it to correct it)",
                .duplicate("delivery for this grant and month"))
        }
        // Rule 11: into a closed month only as the correction of a reversed delivery, booked in the
        // current open month with a reference to the original.
        let replaced = earlier.latestBooking
        let today = today().yearMonth
        let closed = try await ReferenceDataStore.closedMonths(
            tx, from: month, through: max(today, month).next.next.next)
        let bookedMonth: YearMonth
        do throws(BookingPeriod.Refusal) {
            bookedMonth = try BookingPeriod.target(
                serviceMonth: month, isCorrection: replaced != nil, closedMonths: closed, today: today)
        } catch { throw refuse("month", "period \(month) is closed", .periodClosed(month)) }
        if bookedMonth != month, !(try await ReferenceDataStore.periodExists(tx, bookedMonth)) {
            throw refuse(
                "month", "no open fiscal period \(bookedMonth) for the correction",
                .conflict("no open fiscal period \(bookedMonth) for the correction"))
        }
        let deliveryID = UUID()
        try await DeliveryStore.insert(
            tx, id: deliveryID, grant: grant, month: month, quantity: quantity, priced: priced,
            generation: earlier.count)
        for part in priced.bookings {
            try await LedgerStore.book(
                tx,
                .init(
                    tenant: grant.provider, kind: .delivery, bookedMonth: bookedMonth, serviceMonth: month,
                    socialSpace: part.socialSpace,
                    component: .case, amount: part.amount, grantID: grantID, deliveryID: deliveryID,
                    corrects: bookedMonth == month ? nil : replaced),
                actor: caller.name, requestID: caller.requestID)
        }
        // Rule 7: the booked delivery releases the month's commitment.
        try await GrantStore.release(tx, grant: grant, month: month, firstSocialSpace: residence.entries[0].socialSpace)
        if priced.excess.hundredths > 0 {
            try await FindingStore.insertExcess(
                tx, provider: grant.provider, grantID: grantID, deliveryID: deliveryID, month: month,
                excess: priced.excess, cost: priced.excessCost)
        }
        return DeliveryOutcome(deliveryID: deliveryID, cost: priced.cost, excess: priced.excess)
    }

    /// The field and reason of a delivery that cannot be priced, for replies and import row errors.
    static func rowError(_ refusal: PricedDelivery.Refusal, month: YearMonth) -> (field: String, reason: String) {
        switch refusal {
        case .impossible(.outsideGrantPeriod): ("month", "outside the grant period")
        case .impossible(let refusal): ("quantity", refusal.description)
        case .pricing: ("grant", "no rate valid in \(month)")
        }
    }
}
