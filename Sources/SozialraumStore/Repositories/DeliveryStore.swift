import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Deliveries (Leistungsnachweise, rules 5–8, 10, 11): append-only; a correction is the next generation
/// of the same grant and month once every earlier one is reversed (`active_delivery`).
public enum DeliveryStore {
    /// What stands for a grant and month already: how many deliveries (the next one's generation),
    /// whether one still counts, and the first booking of the latest (what a correction refers to).
    public struct Earlier: Sendable, Equatable {
        public var count: Int
        public var active: Bool
        public var latestBooking: Int64?
    }

    public static func earlier(_ tx: TenantTransaction, grantID: UUID, month: YearMonth) async throws -> Earlier {
        let row = try await tx.query(
            """
            SELECT count(*)::int AS deliveries,
                   (SELECT count(*)::int FROM active_delivery a WHERE a.grant_id = \(grantID) AND a.month = \(month)) AS active,
                   (SELECT min(b.id) FROM booking b WHERE b.grant_id = \(grantID) AND b.kind = 'delivery'
                       AND b.delivery_id = (SELECT l.id FROM delivery l WHERE l.grant_id = \(grantID) AND l.month = \(month)
                                            ORDER BY l.generation DESC LIMIT 1)) AS latest_booking
            FROM delivery d WHERE d.grant_id = \(grantID) AND d.month = \(month)
            """
        ).single()
        return Earlier(
            count: try row.decode("deliveries", as: Int.self), active: try row.decode("active", as: Int.self) > 0,
            latestBooking: try row.decode("latest_booking", as: Int64?.self))
    }

    /// The same per grant and month for every delivery of `provider` in `first...last` (bulk import).
    public static func earlier(
        _ tx: TenantTransaction, provider: TenantID, from first: YearMonth, through last: YearMonth
    ) async throws -> [GrantMonth: Earlier] {
        var result: [GrantMonth: Earlier] = [:]
        for row in try await tx.query(
            """
            SELECT d.grant_id, d.month, count(*)::int AS deliveries, count(a.id) > 0 AS active,
                   (SELECT min(b.id) FROM booking b WHERE b.grant_id = d.grant_id AND b.kind = 'delivery'
                       AND b.delivery_id = (array_agg(d.id ORDER BY d.generation DESC))[1]) AS latest_booking
            FROM delivery d LEFT JOIN active_delivery a ON a.id = d.id
            WHERE d.tenant_id = \(provider.uuid) AND d.month BETWEEN \(first) AND \(last)
            GROUP BY d.grant_id, d.month
            """)
        {
            result[
                GrantMonth(grant: try row.decode("grant_id", as: UUID.self), month: try row.day("month").yearMonth)] =
                Earlier(
                    count: try row.decode("deliveries", as: Int.self), active: try row.decode("active", as: Bool.self),
                    latestBooking: try row.decode("latest_booking", as: Int64?.self))
        }
        return result
    }

    /// A delivery that still counts, with its first booking (what a reversal names).
    public struct Active: Sendable, Equatable {
        public var grantID: UUID
        public var month: YearMonth
        public var quantity: Quantity
        public var firstBooking: Int64
    }

    /// The deliveries of a case's grants from `month` on that still count and were recorded before `position`
    /// (a change position), in grant and month order (those the caller sees: a provider its own).
    public static func active(
        _ tx: TenantTransaction, caseID: UUID, from month: YearMonth, recordedBefore position: Int64
    ) async throws -> [Active] {
        try await tx.query(
            """
            SELECT a.grant_id, a.month, a.quantity,
                   (SELECT min(b.id) FROM booking b WHERE b.delivery_id = a.id AND b.kind = 'delivery') AS first_booking
            FROM active_delivery a JOIN delivery d ON d.id = a.id JOIN grant_decision g ON g.id = a.grant_id
            WHERE g.case_id = \(caseID) AND a.month >= \(month) AND d.change_position < \(position)
            ORDER BY a.grant_id, a.month
            """
        ).map { row in
            Active(
                grantID: try row.decode("grant_id", as: UUID.self), month: try row.day("month").yearMonth,
                quantity: Quantity(hundredths: try row.decode("quantity", as: Int64.self)),
                firstBooking: try row.decode("first_booking", as: Int64.self))
        }
    }

    /// A grant and a month: the key of a delivery.
    public struct GrantMonth: Hashable, Sendable {
        public var grant: UUID
        public var month: YearMonth
        public init(grant: UUID, month: YearMonth) {
            self.grant = grant
            self.month = month
        }
    }

    public static func insert(
        _ tx: TenantTransaction, id: UUID, grant: GrantRecord, month: YearMonth, quantity: Quantity,
        priced: PricedDelivery, generation: Int
    ) async throws {
        try await tx.execute(
            """
            INSERT INTO delivery (id, tenant_id, grant_id, month, quantity, payable, cost, generation)
            VALUES (\(id), \(grant.provider.uuid), \(grant.id), \(month), \(quantity.hundredths), \(priced.payable.hundredths), \(priced.cost.cents), \(generation))
            """)
    }

    /// A stored delivery's quantity, payable volume and cost (replaying a request).
    public static func figures(
        _ tx: TenantTransaction, id: UUID
    ) async throws -> (quantity: Quantity, payable: Quantity, cost: Money)? {
        try await tx.query("SELECT quantity, payable, cost FROM delivery WHERE id = \(id)").first.map { row in
            (
                Quantity(hundredths: try row.decode("quantity", as: Int64.self)),
                Quantity(hundredths: try row.decode("payable", as: Int64.self)),
                Money(cents: try row.decode("cost", as: Int64.self))
            )
        }
    }
}
