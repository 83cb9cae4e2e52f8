import Logging
import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Auskunft and correction (Art. 15 and 16 GDPR, §§ 83, 84 SGB X; issue 31, item 7): everything stored
/// about one case key, for the data-protection officer, the auditor or a case worker answering a request;
/// and the correction of a wrongly entered key.
public struct AuskunftService: Sendable {
    let store: Store
    let logger: Logger

    public init(store: Store, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Everything stored about the case, kind by kind (a restricted case: for the officer and auditors only).
    public func export(_ caller: Caller, key: String) async throws -> (caseID: UUID, records: [CaseExportRecord]) {
        guard
            caller.role == .dpo || caller.role == .auditor
                || (caller.role == .county && caller.rights.contains(.caseWork))
        else {
            throw ServiceError.forbidden("an Auskunft is given by the data-protection officer, an auditor or case work")
        }
        // A restricted case is absent for case work here as everywhere (sql/0035).
        let seesRestricted = caller.role == .dpo || caller.role == .auditor
        return try await store.withTenant(caller.tenant, readOnly: true, seesRestricted: seesRestricted) { tx in
            guard let caseID = try await CaseStore.caseID(tx, key: key) else { throw ServiceError.notFound("case") }
            return (caseID, try await CaseExportStore.export(tx, caseID: caseID))
        }
    }

    /// Corrects a wrongly entered case key (right `case`); audited with the case's id, never the keys.
    public func correctKey(_ caller: Caller, key: String, to newKey: String) async throws {
        try caller.require(.caseWork, for: "correcting case keys")
        guard let corrected = CaseKey(newKey) else {
            throw ServiceError.invalid(
                field: "new-key", reason: "not a pseudonymous case key (A-Z, 0-9, '-', 4 to 32, with a digit)")
        }
        try await ServiceError.translating {
            try await store.withTenant(caller.tenant, seesRestricted: true) { tx in
                guard let caseID = try await CaseStore.caseID(tx, key: key) else {
                    throw ServiceError.notFound("case")
                }
                guard try await CaseStore.caseID(tx, key: newKey) == nil else {
                    throw ServiceError.duplicate("case \(newKey)")
                }
                guard try await CaseExportStore.correctKey(tx, caseID: caseID, to: corrected, by: caller.name) else {
                    throw ServiceError.notFound("case")
                }
                try await tx.audit(caller, "case.rekey", "case", caseID.uuidString)
            }
        }
    }
}
