import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Direct-access help (§28 Erziehungsberatung, §20 Notsituationen) under a standing agreement with its
/// provider (rule 5): no per-case decision, a monthly contingent for one Sozialraum, priced from the
/// provider's rates and charged to that Sozialraum's case budget. Stored as a grant marked `standing`
/// for a collective, pseudonymous case living in the Sozialraum (sql/0017), so that commitments,
/// deliveries, excess findings and statements work as for every grant; the provider delivers on the
/// agreement's id.
extension GrantService {
    public struct StandingAgreement: Sendable, Equatable {
        public var id: UUID
        public var provider: TenantID
        public var helpType: String
        public var unit: RateUnit
        public var volumePerMonth: Quantity
        public var socialSpace: SocialSpaceCode?
        public var startsOn: Day
        public var lastDay: Day
        /// The collective case's pseudonymous key (`DA-…`).
        public var caseKey: String
    }

    /// Agrees a monthly contingent of direct-access help with a provider for a Sozialraum; returns the
    /// agreement's id (a retry with the same key returns the same agreement).
    public func createStandingAgreement(
        _ caller: Caller, provider: TenantID, helpType: String, socialSpace: SocialSpaceCode, unit: RateUnit,
        volumePerMonth: Quantity, startsOn: Day, endsOn: Day, idempotencyKey: IdempotencyKey
    ) async throws -> GrantOutcome {
        try caller.require(.caseWork, for: "agreeing direct-access help")
        guard
            try await store.withTenant(
                caller.tenant, readOnly: true, { tx in try await ReferenceDataStore.isDirectAccess(tx, helpType) })
        else {
            throw ServiceError.invalid(
                field: "help-type", reason: "a standing agreement is for direct-access help (§28, §20) only")
        }
        // The collective case's key follows from the request's key, so that a retry finds the same case.
        let hex = sha256Hex("standing|\(idempotencyKey.rawValue)").prefix(8).uppercased()
        let caseKey = "DA-\(startsOn.year)-\(hex)"
        do {
            try await openCase(caller, key: caseKey, socialSpace: socialSpace, from: startsOn)
        } catch ServiceError.duplicate {
            // Opened by the first attempt of this request.
        }
        return try await grant(
            caller,
            .init(
                caseKey: caseKey, provider: provider, helpType: helpType, unit: unit, volumePerMonth: volumePerMonth,
                startsOn: startsOn, endsOn: endsOn, standing: true),
            idempotencyKey: idempotencyKey)
    }

    /// The standing agreements (county and auditor: all; a provider: its own).
    public func standingAgreements(_ caller: Caller) async throws -> [StandingAgreement] {
        try await store.withTenant(caller.tenant) { tx in
            try await GrantStore.standingAgreements(tx).map { grant, space in
                StandingAgreement(
                    id: grant.id, provider: grant.provider, helpType: grant.helpType, unit: grant.unit,
                    volumePerMonth: grant.volumePerMonth, socialSpace: space, startsOn: grant.startsOn,
                    lastDay: min(grant.endsOn, grant.endedOn ?? grant.endsOn), caseKey: grant.caseKey)
            }
        }
    }
}
