import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Cases (pseudonymous keys only, rule 14) and where they live (rule 9). The county writes them; a
/// provider sees the residence of cases it holds a grant for.
public enum CaseStore {
    /// Opens a case with its first residence; false when the key is taken.
    public static func open(
        _ tx: TenantTransaction, id: UUID, key: CaseKey, socialSpace: SocialSpaceCode, from: Day
    ) async throws -> Bool {
        let inserted = try await tx.execute(
            "INSERT INTO case_file (id, case_key) VALUES (\(id), \(key.rawValue)) ON CONFLICT (case_key) DO NOTHING")
        guard inserted == 1 else { return false }
        try await tx.execute(
            "INSERT INTO residence (case_id, valid_from, social_space) VALUES (\(id), \(from), \(socialSpace.rawValue))"
        )
        return true
    }

    public static func caseID(_ tx: TenantTransaction, key: String) async throws -> UUID? {
        guard CaseKey(key) != nil else { return nil }
        return try await tx.query("SELECT id FROM case_file WHERE case_key = \(key)").first?.decode(
            "id", as: UUID.self)
    }

    /// Records a move; false when one is recorded for that day already.
    public static func addResidence(
        _ tx: TenantTransaction, caseID: UUID, from day: Day, socialSpace: SocialSpaceCode
    ) async throws -> Bool {
        try await tx.execute(
            "INSERT INTO residence (case_id, valid_from, social_space) VALUES (\(caseID), \(day), \(socialSpace.rawValue)) ON CONFLICT DO NOTHING"
        ) == 1
    }

    /// Corrects the Sozialraum of the residence from `day` (sql/0037: the owner's function, for an account holding
    /// `case`, recorded with a change position); false when there is no such residence or it says that already.
    public static func correctResidence(
        _ tx: TenantTransaction, caseID: UUID, from day: Day, to socialSpace: SocialSpaceCode, by account: String
    ) async throws -> Bool {
        try await tx.query(
            "SELECT correct_residence(\(caseID), \(day), \(socialSpace.rawValue), \(account)) AS corrected"
        ).single().decode("corrected", as: Bool.self)
    }

    /// The latest correction of the residence from `day` to `socialSpace`: its change position (deliveries
    /// recorded before it were priced with the wrong residence), or nil.
    public static func correction(
        _ tx: TenantTransaction, caseID: UUID, from day: Day, to socialSpace: SocialSpaceCode
    ) async throws -> Int64? {
        try await tx.query(
            """
            SELECT max(change_position) AS position FROM residence_correction
            WHERE case_id = \(caseID) AND valid_from = \(day) AND new_social_space = \(socialSpace.rawValue)
            """
        ).single().decode("position", as: Int64?.self)
    }

    /// Where the case lived, over time. Never empty: a case is opened with its residence.
    public static func residence(_ tx: TenantTransaction, caseID: UUID) async throws -> ResidenceHistory {
        let entries = try await tx.query(
            "SELECT valid_from, social_space FROM residence WHERE case_id = \(caseID) ORDER BY valid_from"
        ).map { row in
            ResidenceHistory.Entry(
                from: try row.day("valid_from"), socialSpace: try row.decode("social_space", as: SocialSpaceCode.self))
        }
        guard !entries.isEmpty else { throw StoreFailure.residenceNotVisible }
        return ResidenceHistory(entries)
    }

    /// Every residence the caller may see, per case (for bulk pricing).
    public static func residences(_ tx: TenantTransaction) async throws -> [UUID: ResidenceHistory] {
        var entries: [UUID: [ResidenceHistory.Entry]] = [:]
        for row in try await tx.query(
            "SELECT r.case_id, r.valid_from, r.social_space FROM residence r ORDER BY r.case_id, r.valid_from")
        {
            entries[try row.decode("case_id", as: UUID.self), default: []]
                .append(
                    .init(
                        from: try row.day("valid_from"),
                        socialSpace: try row.decode("social_space", as: SocialSpaceCode.self)))
        }
        return entries.mapValues(ResidenceHistory.init)
    }
}

extension CaseStore {
    /// The deliveries and bookings of a case's grants, as the caller sees them.
    public static func ledgerHistory(_ tx: TenantTransaction, caseID: UUID) async throws -> [CaseHistoryLine] {
        let deliveries = try await tx.query(
            """
            SELECT d.id, d.tenant_id, d.month, d.quantity, d.payable, d.cost, d.generation, g.unit,
                   EXISTS (SELECT 1 FROM booking r WHERE r.delivery_id = d.id AND r.kind = 'reversal') AS reversed
            FROM delivery d JOIN grant_decision g ON g.id = d.grant_id
            WHERE g.case_id = \(caseID) ORDER BY d.month, d.generation
            """
        ).map { row in
            let unit = try row.decode("unit", as: String.self)
            let quantity = Quantity(hundredths: try row.decode("quantity", as: Int64.self))
            let payable = Quantity(hundredths: try row.decode("payable", as: Int64.self))
            let reversed = try row.decode("reversed", as: Bool.self)
            return CaseHistoryLine(
                kind: .delivery, day: try row.day("month"),
                reference: try row.decode("id", as: UUID.self).uuidString.lowercased(),
                provider: TenantID(try row.decode("tenant_id", as: UUID.self)), socialSpace: nil,
                detail: "\(quantity) \(unit), payable \(payable)" + (reversed ? ", reversed" : ""),
                amount: Money(cents: try row.decode("cost", as: Int64.self)))
        }
        let bookings = try await tx.query(
            """
            SELECT b.id, b.tenant_id, b.service_month, b.social_space, b.kind, b.amount, b.booked_month
            FROM booking b JOIN grant_decision g ON g.id = b.grant_id
            WHERE g.case_id = \(caseID) ORDER BY b.id
            """
        ).map { row in
            CaseHistoryLine(
                kind: .booking, day: try row.day("service_month"),
                reference: String(try row.decode("id", as: Int64.self)),
                provider: TenantID(try row.decode("tenant_id", as: UUID.self)),
                socialSpace: SocialSpaceCode(try row.decode("social_space", as: String.self)),
                detail: "\(try row.decode("kind", as: String.self)) booked in \(try row.day("booked_month").yearMonth)",
                amount: Money(cents: try row.decode("amount", as: Int64.self)))
        }
        return deliveries + bookings
    }
}
