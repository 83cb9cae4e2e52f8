import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 35, item 5: the bookings under a payment order are what it ordered, once — enforced by PostgreSQL
/// for the runtime role, whatever the daemon sends.
@Suite struct OrderBookingBindingTests {
    /// A booking under `order` written directly as the runtime role in the county's context.
    func book(_ world: BudgetWorld, order: Int64, kind: String, cents: Int64) async throws {
        _ = try await world.store.withTenant(world.county.tenant) { tx in
            try await tx.execute(
                unsafeSQL: """
                    INSERT INTO booking (tenant_id, kind, booked_month, service_month, social_space, component, amount,
                                         actor, payment_order_id)
                    VALUES ($1, $2, '2026-11-01', '2026-11-01', 'nord', 'case', $3, 'direct', $4)
                    """, [world.alpha.tenant.uuid, kind, cents, order])
        }
    }

    /// An instalment of 90,000.00 ordered and booked: a second instalment of 1,000,000.00 and a settlement of
    /// 500,000.00 under the same order are refused, and the ledger keeps the one booking of 90,000.00.
    @Test func aBookedOrderTakesNoFurtherBooking() async throws {
        let world = try await BudgetWorld.make()
        let (_, order) = try await world.payInstalment(
            provider: world.alpha.tenant, socialSpace: world.nord, month: YearMonth(iso: "2026-11")!,
            amount: Money(cents: 90_000_00), key: "binding-abschlag-1")
        let before = try await world.count("sozialraum.booking")
        for (kind, cents) in [("instalment", 1_000_000_00 as Int64), ("settlement", 500_000_00)] {
            let refused = await #expect(throws: (any Error).self) {
                try await book(world, order: order, kind: kind, cents: cents)
            }
            #expect(
                (refused as? PostgresError)?.sqlState?.rawValue == "SZ006", "\(kind): \(String(describing: refused))")
        }
        #expect(try await world.count("sozialraum.booking") == before)
        #expect(try await world.count("sozialraum.booking WHERE payment_order_id IS NOT NULL") == 1)
    }

    /// In the transaction that orders it, a booking of another amount than the order's (100.00 ordered,
    /// 100.01 booked) is refused too: the order stays pending.
    @Test func theOrderingTransactionBooksExactlyTheOrder() async throws {
        let world = try await BudgetWorld.make()
        try await world.mapFinance(year: 2026)
        let certified = try await world.payments.certifyInstalment(
            world.county, provider: world.alpha.tenant, socialSpace: world.nord, component: .case,
            month: YearMonth(iso: "2026-11")!, amount: Money(cents: 100_00), idempotencyKey: world.key("binding-2"))
        let refused = await #expect(throws: (any Error).self) {
            _ = try await world.store.withTenant(world.county.tenant) { tx in
                try await tx.execute(
                    unsafeSQL: """
                        UPDATE payment_order SET state = 'approved', decided_by = 'anordnung', decided_at = now(),
                               kassenzeichen = 'DIRECT1', due_on = '2026-12-01'
                        WHERE id = $1
                        """, [certified.orderID])
                return try await tx.execute(
                    unsafeSQL: """
                        INSERT INTO booking (tenant_id, kind, booked_month, service_month, social_space, component,
                                             amount, actor, payment_order_id)
                        VALUES ($1, 'instalment', '2026-11-01', '2026-11-01', 'nord', 'case', 10001, 'direct', $2)
                        """, [world.alpha.tenant.uuid, certified.orderID])
            }
        }
        #expect((refused as? PostgresError)?.sqlState?.rawValue == "SZ006", "\(String(describing: refused))")
        #expect(try await world.orders.orders(world.county).map(\.state) == [.pending])
        // The daemon's own path books it.
        #expect(try await world.orders.approve(world.orderer, orderID: certified.orderID).bookingIDs.count == 1)
    }
}
