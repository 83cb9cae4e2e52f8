import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Findings (rules 8 and 13): what the county must look at. Resolved once (open → accepted, rejected or
/// superseded), enforced by a trigger (sql/0010).
public enum FindingStore {
    /// The volume delivered above the grant, held back for the county (rule 8).
    public static func insertExcess(
        _ tx: TenantTransaction, provider: TenantID, grantID: UUID, deliveryID: UUID, month: YearMonth,
        excess: Quantity, cost: Money
    ) async throws {
        try await tx.execute(
            """
            INSERT INTO finding (id, tenant_id, kind, month, grant_id, delivery_id, quantity, amount)
            VALUES (\(UUID()), \(provider.uuid), 'delivery_over_grant', \(month), \(grantID), \(deliveryID), \(excess.hundredths), \(cost.cents))
            """)
    }

    public static func openCount(_ tx: TenantTransaction, month: YearMonth) async throws -> Int {
        try await tx.query("SELECT count(*)::int FROM finding WHERE month = \(month) AND status = 'open'").single()
            .value(as: Int.self)
    }

    /// A finding as the county resolves it, locked until the transaction ends.
    public struct Resolvable: Sendable {
        public var status: String
        public var kind: FindingKind
        public var grantID: UUID?
        public var deliveryID: UUID?
        public var month: YearMonth
        public var amount: Money?
    }

    public static func forResolution(_ tx: TenantTransaction, id: UUID) async throws -> Resolvable? {
        try await tx.query(
            "SELECT status, kind, grant_id, delivery_id, month, amount FROM finding WHERE id = \(id) FOR UPDATE"
        ).first.map { row in
            Resolvable(
                status: try row.decode("status", as: String.self), kind: try row.decode("kind", as: FindingKind.self),
                grantID: try row.decode("grant_id", as: UUID?.self),
                deliveryID: try row.decode("delivery_id", as: UUID?.self),
                month: try row.day("month").yearMonth,
                amount: try row.decode("amount", as: Int64?.self).map(Money.init(cents:)))
        }
    }

    public static func resolve(_ tx: TenantTransaction, id: UUID, accepted: Bool, reason: String) async throws {
        try await tx.execute(
            "UPDATE finding SET status = \(accepted ? "accepted" : "rejected"), resolved_at = now(), resolution = \(reason) WHERE id = \(id)"
        )
    }

    /// Closes the open findings of a reversed delivery (rule 8); the database refuses it for a delivery
    /// that still counts.
    public static func supersede(_ tx: TenantTransaction, deliveryID: UUID, reason: String) async throws {
        try await tx.execute(
            "UPDATE finding SET status = 'superseded', resolved_at = now(), resolution = \(reason) WHERE delivery_id = \(deliveryID) AND status = 'open'"
        )
    }

    /// The findings the caller may see: the open ones, or all.
    public static func list(_ tx: TenantTransaction, all: Bool, limit: Int = 100_000) async throws -> [FindingListing] {
        try await tx.query(
            """
            SELECT f.id, f.kind, f.month, f.grant_id, f.quantity, f.amount, f.status, t.name, f.resolution,
                   f.social_space || '/' || f.component AS line
            FROM finding f JOIN tenant t ON t.id = f.tenant_id WHERE \(all) OR f.status = 'open' ORDER BY f.month, f.created_at LIMIT \(limit)
            """
        ).map { row in
            var finding = FindingListing(
                id: try row.decode("id", as: UUID.self), kind: try row.decode("kind", as: String.self),
                month: try row.day("month").yearMonth,
                grantID: try row.decode("grant_id", as: UUID?.self),
                quantity: try row.decode("quantity", as: Int64?.self).map(Quantity.init(hundredths:)),
                amount: try row.decode("amount", as: Int64?.self).map(Money.init(cents:)),
                status: try row.decode("status", as: String.self),
                provider: try row.decode("name", as: String.self),
                resolution: try row.decode("resolution", as: String?.self))
            finding.line = try row.decode("line", as: String?.self)
            return finding
        }
    }
}
