import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Bulk writes of a migration (Datenübernahme): rows in batches of multi-row INSERTs (the statement
/// text has only `$n` placeholders, the values are parameters), so that statement triggers (the
/// commitment totals) run once per batch and a row costs a fraction of a round trip.
public enum MigrationStore {
    /// Rows per statement (PostgreSQL takes at most 65,535 parameters).
    static let batchRows = 1000

    /// `INSERT INTO <into> VALUES (…), (…) <suffix>` in batches; returns the rows `RETURNING` gave. `into`
    /// and `suffix` are literals of this file (`StaticString`): the statement text holds no value, only
    /// `$n` placeholders.
    private static func insert(
        _ tx: TenantTransaction, into: StaticString, columns: Int, rows: [[any PostgresEncodable]],
        suffix: StaticString = ""
    ) async throws -> [PostgresRow] {
        var returned: [PostgresRow] = []
        var start = 0
        while start < rows.count {
            let batch = rows[start..<min(start + batchRows, rows.count)]
            var placeholders: [String] = []
            placeholders.reserveCapacity(batch.count)
            for row in 0..<batch.count {
                placeholders.append(
                    "(" + (1...columns).map { "$" + String(row * columns + $0) }.joined(separator: ", ") + ")")
            }
            let sql =
                "INSERT INTO \(into.description) VALUES " + placeholders.joined(separator: ", ") + " "
                + suffix.description
            // The placeholders are generated, one per value of the batch.
            returned += Array(try await tx.query(PostgresQuery(unsafeSQL: sql, batch.flatMap { $0 })))
            start += batchRows
        }
        return returned
    }

    /// Opens cases with their first residence; returns the keys that existed already (not opened).
    public static func openCases(
        _ tx: TenantTransaction, _ cases: [(id: UUID, key: CaseKey)]
    ) async throws -> Set<String> {
        let opened = try await insert(
            tx, into: "case_file (id, case_key)", columns: 2, rows: cases.map { [$0.id, $0.key.rawValue] },
            suffix: "ON CONFLICT (case_key) DO NOTHING RETURNING case_key")
        let keys = Set(try opened.map { try $0.decode("case_key", as: String.self) })
        return Set(cases.map(\.key.rawValue)).subtracting(keys)
    }

    public static func addResidences(
        _ tx: TenantTransaction, _ residences: [(caseID: UUID, from: Day, socialSpace: SocialSpaceCode)]
    ) async throws {
        _ = try await insert(
            tx, into: "residence (case_id, valid_from, social_space)", columns: 3,
            rows: residences.map { [$0.caseID, $0.from, $0.socialSpace.rawValue] })
    }

    public static func insertGrants(_ tx: TenantTransaction, _ grants: [GrantRecord]) async throws {
        _ = try await insert(
            tx,
            into:
                "grant_decision (id, tenant_id, case_id, case_key, help_type, unit, volume_per_month, starts_on, ends_on, out_of_area_reason)",
            columns: 10,
            rows: grants.map {
                [
                    $0.id, $0.provider.uuid, $0.caseID, $0.caseKey, $0.helpType, $0.unit.rawValue,
                    $0.volumePerMonth.hundredths, $0.startsOn, $0.endsOn, $0.outOfAreaReason,
                ]
            })
    }

    /// Commitments of new grants (rule 7), one row per grant, month and Sozialraum.
    public static func insertCommitments(
        _ tx: TenantTransaction,
        _ commitments: [(
            provider: TenantID, grantID: UUID, month: YearMonth, socialSpace: SocialSpaceCode, amount: Money
        )]
    ) async throws {
        _ = try await insert(
            tx, into: "commitment (tenant_id, grant_id, month, social_space, amount)", columns: 5,
            rows: commitments.map {
                [$0.provider.uuid, $0.grantID, $0.month, $0.socialSpace.rawValue, $0.amount.cents]
            })
    }
}
