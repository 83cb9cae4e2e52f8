import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Restrictions of processing (sql/0035), in the county's context, in transactions that see restricted
/// cases. The database flags the case and its residences and masks its grants' key.
public enum RestrictionStore {
    /// Restricts a case; false when a restriction is in force already.
    public static func place(
        _ tx: TenantTransaction, caseID: UUID, ground: RestrictionGround, reference: String, by account: String
    ) async throws -> Bool {
        try await tx.execute(
            """
            INSERT INTO case_restriction (case_id, ground, reference, placed_by)
            VALUES (\(caseID), \(ground.rawValue), \(reference), \(account))
            ON CONFLICT (case_id) WHERE lifted_at IS NULL DO NOTHING
            """) == 1
    }

    /// Lifts the case's restriction; false when none is in force.
    public static func lift(_ tx: TenantTransaction, caseID: UUID, by account: String) async throws -> Bool {
        try await tx.execute(
            """
            UPDATE case_restriction SET lifted_by = \(account), lifted_at = now()
            WHERE case_id = \(caseID) AND lifted_at IS NULL
            """) == 1
    }

    /// The months, one per grant of the case, whose period is still open at the grant's end: a case is
    /// restricted once there are none (its billing is over).
    public static func openGrantMonths(_ tx: TenantTransaction, caseID: UUID) async throws -> [YearMonth] {
        try await tx.query(
            """
            SELECT DISTINCT to_char(least(g.ends_on, coalesce(g.ended_on, g.ends_on)), 'YYYY-MM') AS month
            FROM grant_decision g
            WHERE g.case_id = \(caseID)
              AND NOT EXISTS (SELECT 1 FROM period p
                              WHERE p.month = date_trunc('month', least(g.ends_on, coalesce(g.ended_on, g.ends_on)))::date
                                AND p.closed_at IS NOT NULL)
            ORDER BY 1
            """
        ).compactMap { YearMonth(iso: try $0.decode("month", as: String.self)) }
    }

    /// The restrictions in force, by case key.
    public static func inForce(_ tx: TenantTransaction) async throws -> [CaseRestriction] {
        try await tx.query(
            """
            SELECT c.case_key, r.ground, r.reference, r.placed_by, local_time(r.placed_at) AS placed_at
            FROM case_restriction r JOIN case_file c ON c.id = r.case_id
            WHERE r.lifted_at IS NULL ORDER BY c.case_key
            """
        ).map { row in
            guard let ground = RestrictionGround(rawValue: try row.decode("ground", as: String.self)) else {
                throw PostgresError(
                    code: .decodingFailed, serverMessage: "restriction ground unknown", operation: "decode")
            }
            return CaseRestriction(
                caseKey: try row.decode("case_key", as: String.self), ground: ground,
                reference: try row.decode("reference", as: String.self),
                placedBy: try row.decode("placed_by", as: String.self),
                placedAt: try row.decode("placed_at", as: String.self))
        }
    }
}
