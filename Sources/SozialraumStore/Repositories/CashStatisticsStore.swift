import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the KJH-Statistik Teil IV is made of (issue 33): the Kasse's confirmations of a calendar year, the
/// lines of the orders they pay, the providers' case cost by help type to split by, and the county's mapping
/// to the survey's positions (sql/0041). In the county's context: it sees every tenant's rows.
public enum CashStatisticsStore {
    /// The receipts with a value date in `year`, with the payee's name.
    public static func receipts(_ tx: TenantTransaction, year: Int) async throws -> [CashStatistics.Receipt] {
        // One-off report statements: no JIT (see `turnOffJIT`).
        try await tx.turnOffJIT()
        return try await tx.query(
            """
            SELECT r.id, r.kassenzeichen, r.value_date, r.amount, r.order_id, coalesce(t.name, '') AS provider
            FROM payment_receipt r
            LEFT JOIN payment_order o ON o.id = r.order_id
            LEFT JOIN tenant t ON t.id = o.tenant_id
            WHERE r.value_date BETWEEN make_date(\(year), 1, 1) AND make_date(\(year), 12, 31)
            ORDER BY r.value_date, r.id
            """
        ).map { row in
            CashStatistics.Receipt(
                id: try row.decode("id", as: Int64.self),
                kassenzeichen: try row.decode("kassenzeichen", as: String.self),
                valueDate: try row.day("value_date"), amount: Money(cents: try row.decode("amount", as: Int64.self)),
                order: try row.decode("order_id", as: Int64?.self),
                provider: try row.decode("provider", as: String.self))
        }
    }

    /// The lines of the orders paid by a receipt of `year`, by order, with the year of the month each pays for.
    public static func orderLines(
        _ tx: TenantTransaction, year: Int
    ) async throws -> [Int64: [CashStatistics.OrderLine]] {
        let lines = try await tx.query(
            """
            SELECT l.order_id, l.tenant_id, l.social_space, l.component, l.amount,
                   extract(year FROM b.service_month)::int AS service_year
            FROM payment_order_line l JOIN booking b ON b.id = l.booking_id
            WHERE l.order_id IN (SELECT r.order_id FROM payment_receipt r
                                 WHERE r.value_date BETWEEN make_date(\(year), 1, 1) AND make_date(\(year), 12, 31))
            ORDER BY l.order_id, l.social_space, l.component, l.booking_id
            """
        ).map { row in
            CashStatistics.OrderLine(
                order: try row.decode("order_id", as: Int64.self),
                provider: try row.decode("tenant_id", as: UUID.self).uuidString.lowercased(),
                socialSpace: try row.decode("social_space", as: String.self),
                component: BudgetComponent(rawValue: try row.decode("component", as: String.self)) ?? .case,
                amount: Money(cents: try row.decode("amount", as: Int64.self)),
                serviceYear: try row.decode("service_year", as: Int.self))
        }
        return Dictionary(grouping: lines, by: \.order)
    }

    /// The providers' net case cost (deliveries and their reversals) by Sozialraum, service year and help type,
    /// for the service years `years`.
    public static func caseCostBasis(
        _ tx: TenantTransaction, years: [Int]
    ) async throws -> [CashStatistics.BasisKey: [(helpType: String, cost: Money)]] {
        guard let first = years.min(), let last = years.max() else { return [:] }
        var basis: [CashStatistics.BasisKey: [(helpType: String, cost: Money)]] = [:]
        for row in try await tx.query(
            """
            SELECT b.tenant_id, b.social_space, extract(year FROM b.service_month)::int AS year, g.help_type,
                   sum(b.amount)::bigint AS cost
            FROM booking b JOIN grant_decision g ON g.id = b.grant_id
            WHERE b.component = 'case' AND b.kind IN ('delivery', 'reversal')
              AND b.service_month BETWEEN make_date(\(first), 1, 1) AND make_date(\(last), 12, 1)
            GROUP BY 1, 2, 3, 4
            ORDER BY 1, 2, 3, 4
            """
        ) {
            let key = CashStatistics.BasisKey(
                provider: try row.decode("tenant_id", as: UUID.self).uuidString.lowercased(),
                socialSpace: try row.decode("social_space", as: String.self), year: try row.decode("year", as: Int.self)
            )
            basis[key, default: []].append(
                (try row.decode("help_type", as: String.self), Money(cents: try row.decode("cost", as: Int64.self))))
        }
        return basis
    }

    /// The county's mapping of `year`: key → position.
    public static func mapping(_ tx: TenantTransaction, year: Int) async throws -> [String: CashStatistics.Position] {
        var mapping: [String: CashStatistics.Position] = [:]
        for row in try await tx.query(
            "SELECT key, position, title FROM statistics_mapping WHERE year = \(year) ORDER BY key")
        {
            let key = try row.decode("key", as: String.self)
            mapping[key] = CashStatistics.Position(
                part: CashStatistics.Position.part(ofKey: key), code: try row.decode("position", as: String.self),
                title: try row.decode("title", as: String.self))
        }
        return mapping
    }

    /// Replaces the mapping of `year` with `entries` (key → position).
    public static func replaceMapping(
        _ tx: TenantTransaction, year: Int, entries: [(key: String, position: CashStatistics.Position)]
    ) async throws {
        _ = try await tx.execute("DELETE FROM statistics_mapping WHERE year = \(year)")
        for entry in entries {
            _ = try await tx.execute(
                """
                INSERT INTO statistics_mapping (tenant_id, year, key, position, title)
                VALUES (\(tx.tenant.uuid), \(year), \(entry.key), \(entry.position.code), \(entry.position.title))
                """)
        }
    }
}
