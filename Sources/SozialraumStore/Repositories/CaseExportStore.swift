import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Everything stored about one case (Auskunft, issue 31 item 7), in the county's context, in a transaction
/// that sees restricted cases. Each query names its columns; every value is read as text (amounts and volumes
/// as exact decimals, moments in the county's time).
public enum CaseExportStore {
    /// The kinds in the order they are given, each with its query's columns.
    static let kinds: [(kind: String, columns: [String])] = [
        ("case", ["id", "case_key", "created_at", "erased_at", "restricted"]),
        ("residence", ["valid_from", "sozialraum"]),
        (
            "grant",
            [
                "id", "provider", "help_type", "unit", "volume_per_month", "starts_on", "ends_on", "ended_on",
                "out_of_area_reason", "created_at",
            ]
        ),
        (
            "amendment",
            [
                "grant", "effective_on", "old_volume", "new_volume", "old_end", "new_end", "reason", "actor",
                "created_at",
            ]
        ),
        ("delivery", ["id", "grant", "provider", "month", "quantity", "payable", "cost", "created_at"]),
        (
            "booking",
            [
                "id", "grant", "delivery", "provider", "booking_kind", "booked_month", "service_month", "sozialraum",
                "component", "amount", "reverses", "actor", "created_at",
            ]
        ),
        (
            "finding",
            ["id", "grant", "finding_kind", "month", "quantity", "amount", "status", "resolution", "created_at"]
        ),
        (
            "statement_item",
            [
                "statement", "provider", "grant", "case_key", "help_type", "unit", "sozialraum", "granted", "delivered",
                "payable", "cost", "item_sha256",
            ]
        ),
        ("hold", ["reference", "placed_by", "placed_at", "lifted_by", "lifted_at"]),
        ("restriction", ["ground", "reference", "placed_by", "placed_at", "lifted_by", "lifted_at"]),
        ("access", ["accessed_at", "tenant", "account", "command", "cases"]),
    ]

    public static func export(_ tx: TenantTransaction, caseID: UUID) async throws -> [CaseExportRecord] {
        var records: [CaseExportRecord] = []
        for (kind, columns) in kinds {
            for row in try await query(tx, kind: kind, caseID: caseID) {
                records.append(
                    CaseExportRecord(
                        kind: kind,
                        fields: try columns.map { .init($0, try row.decode($0, as: String?.self)) }))
            }
        }
        return records
    }

    private static func query(_ tx: TenantTransaction, kind: String, caseID: UUID) async throws -> PostgresRows {
        switch kind {
        case "case":
            return try await tx.query(
                """
                SELECT id::text, case_key, local_time(created_at) AS created_at, local_time(erased_at) AS erased_at,
                       restricted::text
                FROM case_file WHERE id = \(caseID)
                """)
        case "residence":
            return try await tx.query(
                "SELECT valid_from::text, social_space::text AS sozialraum FROM residence WHERE case_id = \(caseID) ORDER BY valid_from"
            )
        case "grant":
            return try await tx.query(
                """
                SELECT g.id::text, t.name AS provider, g.help_type, g.unit, round(g.volume_per_month / 100.0, 2)::text AS volume_per_month,
                       g.starts_on::text, g.ends_on::text, g.ended_on::text, g.out_of_area_reason, local_time(g.created_at) AS created_at
                FROM grant_decision g JOIN tenant t ON t.id = g.tenant_id WHERE g.case_id = \(caseID) ORDER BY g.starts_on, g.id
                """)
        case "amendment":
            return try await tx.query(
                """
                SELECT a.grant_id::text AS grant, a.effective_on::text, round(a.old_volume / 100.0, 2)::text AS old_volume,
                       round(a.new_volume / 100.0, 2)::text AS new_volume, a.old_end::text, a.new_end::text, a.reason, a.actor,
                       local_time(a.created_at) AS created_at
                FROM grant_amendment a JOIN grant_decision g ON g.id = a.grant_id WHERE g.case_id = \(caseID) ORDER BY a.id
                """)
        case "delivery":
            return try await tx.query(
                """
                SELECT d.id::text, d.grant_id::text AS grant, t.name AS provider, to_char(d.month, 'YYYY-MM') AS month,
                       round(d.quantity / 100.0, 2)::text AS quantity, round(d.payable / 100.0, 2)::text AS payable,
                       round(d.cost / 100.0, 2)::text AS cost, local_time(d.created_at) AS created_at
                FROM delivery d JOIN grant_decision g ON g.id = d.grant_id JOIN tenant t ON t.id = d.tenant_id
                WHERE g.case_id = \(caseID) ORDER BY d.month, d.created_at
                """)
        case "booking":
            return try await tx.query(
                """
                SELECT b.id::text, b.grant_id::text AS grant, b.delivery_id::text AS delivery, t.name AS provider, b.kind AS booking_kind,
                       to_char(b.booked_month, 'YYYY-MM') AS booked_month, to_char(b.service_month, 'YYYY-MM') AS service_month,
                       b.social_space::text AS sozialraum, b.component::text, round(b.amount / 100.0, 2)::text AS amount,
                       b.reverses::text, b.actor, local_time(b.created_at) AS created_at
                FROM booking b JOIN grant_decision g ON g.id = b.grant_id JOIN tenant t ON t.id = b.tenant_id
                WHERE g.case_id = \(caseID) ORDER BY b.id
                """)
        case "finding":
            return try await tx.query(
                """
                SELECT f.id::text, f.grant_id::text AS grant, f.kind AS finding_kind, to_char(f.month, 'YYYY-MM') AS month,
                       round(f.quantity / 100.0, 2)::text AS quantity, round(f.amount / 100.0, 2)::text AS amount, f.status,
                       f.resolution, local_time(f.created_at) AS created_at
                FROM finding f JOIN grant_decision g ON g.id = f.grant_id WHERE g.case_id = \(caseID) ORDER BY f.created_at, f.id
                """)
        case "statement_item":
            return try await tx.query(
                """
                SELECT i.statement_id::text AS statement, t.name AS provider, i.item_id::text AS grant, i.case_key, i.help_type,
                       i.unit, i.social_space::text AS sozialraum, round(i.granted / 100.0, 2)::text AS granted,
                       round(i.delivered / 100.0, 2)::text AS delivered, round(i.payable / 100.0, 2)::text AS payable,
                       round(i.cost / 100.0, 2)::text AS cost, i.item_hash AS item_sha256
                FROM statement_document_item_listing i JOIN grant_decision g ON g.id = i.item_id
                JOIN tenant t ON t.id = i.tenant_id
                WHERE i.item = 'grant' AND g.case_id = \(caseID) ORDER BY i.statement_id
                """)
        case "hold":
            return try await tx.query(
                """
                SELECT reference, placed_by, local_time(placed_at) AS placed_at, lifted_by, local_time(lifted_at) AS lifted_at
                FROM case_hold WHERE case_id = \(caseID) ORDER BY id
                """)
        case "restriction":
            return try await tx.query(
                """
                SELECT ground, reference, placed_by, local_time(placed_at) AS placed_at, lifted_by, local_time(lifted_at) AS lifted_at
                FROM case_restriction WHERE case_id = \(caseID) ORDER BY id
                """)
        default:
            return try await tx.query(
                """
                SELECT local_time(a.accessed_at) AS accessed_at, t.name AS tenant, a.account, a.command, a.cases::text
                FROM case_access a JOIN tenant t ON t.id = a.tenant_id WHERE a.case_id = \(caseID) ORDER BY a.id
                """)
        }
    }

    /// Corrects a case's key (sql/0036: the owner's function, for an account holding `case`); false when the
    /// case is erased. A key in use by another case fails with a unique violation.
    public static func correctKey(
        _ tx: TenantTransaction, caseID: UUID, to key: CaseKey, by account: String
    ) async throws -> Bool {
        try await tx.query("SELECT correct_case_key(\(caseID), \(key.rawValue), \(account)) AS corrected").single()
            .decode("corrected", as: Bool.self)
    }
}
