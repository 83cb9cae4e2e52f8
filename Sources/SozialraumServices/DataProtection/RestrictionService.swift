import Logging
import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Restriction of processing (Einschränkung der Verarbeitung, Art. 18 GDPR, § 84 (3) SGB X; issue 31): a case
/// whose billing is over and that must be kept but is no longer needed (or is disputed) becomes absent for
/// case workers and providers — hidden by row-level security (sql/0035) — while the data-protection officer
/// and the auditor still read it. Placed and lifted by the data-protection officer or a county account
/// holding `erase`; both audited.
public struct RestrictionService: Sendable {
    let store: Store
    let logger: Logger

    public init(store: Store, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public func restrict(
        _ caller: Caller, key: String, ground: RestrictionGround, reference: String
    ) async throws {
        try requireManaging(caller)
        try BudgetService.checkText(reference, field: "reference", .name)
        try await ServiceError.translating {
            try await store.withTenant(caller.tenant, seesRestricted: true) { tx in
                guard let caseID = try await CaseStore.caseID(tx, key: key) else {
                    throw ServiceError.notFound("case")
                }
                let open = try await RestrictionStore.openGrantMonths(tx, caseID: caseID)
                guard open.isEmpty else {
                    throw ServiceError.conflict(
                        "the case is still billed: close "
                            + open.map(\.description).joined(separator: ", ") + " first")
                }
                guard
                    try await RestrictionStore.place(
                        tx, caseID: caseID, ground: ground, reference: reference, by: caller.name)
                else { throw ServiceError.conflict("the case is restricted already") }
                try await tx.audit(caller, "restriction.place", "case", caseID.uuidString, detail: ground.rawValue)
            }
        }
    }

    public func lift(_ caller: Caller, key: String) async throws {
        try requireManaging(caller)
        try await ServiceError.translating {
            try await store.withTenant(caller.tenant, seesRestricted: true) { tx in
                guard let caseID = try await CaseStore.caseID(tx, key: key) else {
                    throw ServiceError.notFound("case")
                }
                guard try await RestrictionStore.lift(tx, caseID: caseID, by: caller.name) else {
                    throw ServiceError.conflict("the case is not restricted")
                }
                try await tx.audit(caller, "restriction.lift", "case", caseID.uuidString)
            }
        }
    }

    /// The restrictions in force (the data-protection officer, the auditor).
    public func restrictions(_ caller: Caller) async throws -> [CaseRestriction] {
        try caller.require(.dpo, .auditor, for: "reading restrictions")
        return try await store.withTenant(caller.tenant, readOnly: true, seesRestricted: true) { tx in
            try await RestrictionStore.inForce(tx)
        }
    }

    private func requireManaging(_ caller: Caller) throws(ServiceError) {
        guard caller.role == .dpo || (caller.role == .county && caller.rights.contains(.erase)) else {
            throw .forbidden("restrictions are placed by the data-protection officer or a holder of erase")
        }
    }
}
