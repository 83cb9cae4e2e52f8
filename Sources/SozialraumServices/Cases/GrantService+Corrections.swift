import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Correcting a wrongly entered residence (Art. 16 GDPR; issue 31, item 7).
extension GrantService {
    /// What a residence correction moved: the deliveries reversed and booked again under the corrected
    /// residence, and the cost that changed Sozialraum.
    public struct ResidenceCorrection: Sendable, Equatable {
        public var deliveries: Int
        public var rebooked: Money

        public init(deliveries: Int, rebooked: Money) {
            self.deliveries = deliveries
            self.rebooked = rebooked
        }
    }

    /// The case lived in `socialSpace`, not where it was recorded, from `day` (the residence from that day):
    /// the database corrects it and records the correction with a change position (sql/0037). Then, per
    /// provider and in its context (deliveries are the providers' rows), each delivery of the case from that
    /// month on recorded before the correction is reversed and booked again, priced with the corrected
    /// residence (a closed month's correction in the open month, rule 11); last, the commitments from that
    /// month are rewritten as a move would. The ledger stays append-only and each grant's cost what it was.
    /// Sent again, it finishes what a failure left (deliveries recorded before the correction and still
    /// counting), or says the residence is corrected already.
    public func correctResidence(
        _ caller: Caller, key: String, from day: Day, to socialSpace: SocialSpaceCode
    ) async throws -> ResidenceCorrection {
        try caller.require(.caseWork, for: "correcting residences")
        let (caseID, position, providers) = try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                let caseID = try await requireCase(tx, key: key)
                try await requireSocialSpace(tx, socialSpace)
                let corrected = try await CaseStore.correctResidence(
                    tx, caseID: caseID, from: day, to: socialSpace, by: caller.name)
                guard let position = try await CaseStore.correction(tx, caseID: caseID, from: day, to: socialSpace)
                else {
                    throw ServiceError.conflict(
                        "the case has no residence from \(day), or it is \(socialSpace) already")
                }
                let pending = try await DeliveryStore.active(
                    tx, caseID: caseID, from: day.yearMonth, recordedBefore: position)
                guard corrected || !pending.isEmpty else {
                    throw ServiceError.conflict(
                        "the case has no residence from \(day), or it is \(socialSpace) already")
                }
                if corrected { try await tx.audit(caller, "case.residence_correct", "case", caseID.uuidString) }
                let providers = Set(try await GrantStore.grants(tx, caseID: caseID).map(\.provider))
                return (caseID, position, providers)
            }
        }
        var moved = ResidenceCorrection(deliveries: 0, rebooked: .zero)
        for provider in providers.sorted(by: { $0.description < $1.description }) {
            let part = try await ServiceError.translating {
                try await store.withTenant(provider) { tx in
                    var part = ResidenceCorrection(deliveries: 0, rebooked: .zero)
                    for delivery in try await DeliveryStore.active(
                        tx, caseID: caseID, from: day.yearMonth, recordedBefore: position)
                    {
                        guard let original = try await LedgerStore.booking(tx, id: delivery.firstBooking) else {
                            throw ServiceError.notFound("booking")
                        }
                        _ = try await Reversal.reverse(tx, caller: caller, original: original, today: today())
                        let outcome = try await deliver(
                            tx, caller: caller, grantID: delivery.grantID, month: delivery.month,
                            quantity: delivery.quantity, line: nil)
                        part.deliveries += 1
                        part.rebooked = try part.rebooked + outcome.cost
                    }
                    return part
                }
            }
            moved.deliveries += part.deliveries
            moved.rebooked = try moved.rebooked + part.rebooked
        }
        try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                let residence = try await CaseStore.residence(tx, caseID: caseID)
                for grant in try await GrantStore.grants(tx, caseID: caseID) {
                    let inputs = try await pricingInputs(tx, grant: grant, residence: residence)
                    _ = try await GrantStore.rewriteCommitments(
                        tx, grant: grant, inputs: inputs, fromMonth: day.yearMonth)
                }
            }
        }
        return moved
    }
}
