import Foundation
import Logging
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 29: the Kasse's confirmations (IST) are known by their content, pay only what the Kasse was sent,
/// and a simultaneous second import of one file is a duplicate.
@Suite struct KasseConfirmationTests {
    let march = YearMonth(iso: "2026-03")!

    /// An instalment certified by the county and ordered by the second signer; its order id.
    func ordered(_ world: BudgetWorld, cents: Int64, key: String) async throws -> Int64 {
        let certified = try await world.payments.certifyInstalment(
            world.county, provider: world.alpha.tenant, socialSpace: world.nord, component: .case, month: march,
            amount: Money(cents: cents), idempotencyKey: world.key(key))
        _ = try await world.orders.approve(world.orderer, orderID: certified.orderID)
        return certified.orderID
    }

    func paid(_ world: BudgetWorld, order: Int64) async throws -> (PaymentStatus, Money)? {
        try await world.orders.orders(world.county).first { $0.id == order }.map { ($0.status, $0.paid) }
    }

    /// Order 1 (100.00) is paid by one line. The same line saved by Excel (byte-order mark, CRLF) with a
    /// blank line more is the same file: `DUPLICATE`, and the order stays paid 100.00, not overpaid.
    @Test func theSameConfirmationsInOtherBytesAreImportedOnce() async throws {
        let world = try await BudgetWorld.make()
        try await world.mapFinance(year: 2026)
        let order = try await ordered(world, cents: 100_00, key: "ist-order-1")
        _ = try await world.orders.export(world.county)
        let csv = "Kassenzeichen;Betrag;Valuta\nSR2026000001;100,00;30.11.2026\n"
        let first = try await world.orders.importConfirmations(
            world.orderer, csv: csv, idempotencyKey: world.key("kasse-ist-a"))
        #expect(first.lines == 1 && first.paid == 1)
        for (variant, key) in [
            ("\u{FEFF}Kassenzeichen;Betrag;Valuta\r\nSR2026000001;100,00;30.11.2026\r\n", "kasse-ist-b"),
            ("Kassenzeichen;Betrag;Valuta\n\nSR2026000001;100,00;30.11.2026\n\n", "kasse-ist-c"),
        ] {
            await #expect(throws: ServiceError.duplicate("this confirmation file (imported under another key)")) {
                try await world.orders.importConfirmations(world.orderer, csv: variant, idempotencyKey: world.key(key))
            }
        }
        #expect(try await world.count("sozialraum.payment_receipt") == 1)
        #expect(try await paid(world, order: order)! == (.paid, Money(cents: 100_00)))
    }

    /// Order 1 was ordered but never exported: the Kasse cannot have paid it. Its confirmation line is
    /// refused with the reason, nothing is recorded, and the order still goes out with the next export.
    @Test func aConfirmationOfAnOrderNeverSentIsRefused() async throws {
        let world = try await BudgetWorld.make()
        try await world.mapFinance(year: 2026)
        let order = try await ordered(world, cents: 100_00, key: "ist-order-1")
        await #expect(
            throws: ServiceError.rejectedRows([
                RowError(
                    line: 2, field: "Kassenzeichen",
                    reason: "order \(order) was never sent to the Kasse (payment-export first)")
            ])
        ) {
            try await world.orders.importConfirmations(
                world.orderer, csv: "Kassenzeichen;Betrag;Valuta\nSR2026000001;100,00;30.11.2026\n",
                idempotencyKey: world.key("kasse-ist-early"))
        }
        #expect(try await world.count("sozialraum.payment_receipt") == 0)
        #expect(try await paid(world, order: order)! == (.open, .zero))
        #expect(try await world.orders.export(world.county).orders == 1)
    }

    /// A Kassenzeichen with a control character (BEL) or a bidi override is a bad line, not an unknown order.
    @Test(arguments: ["SR2026\u{07}000001", "SR2026\u{202E}100000"])
    func aKassenzeichenWithControlCharactersIsABadLine(kassenzeichen: String) async throws {
        let world = try await BudgetWorld.make()
        await #expect(
            throws: ServiceError.rejectedRows([
                RowError(
                    line: 2, field: "Kassenzeichen", reason: "1 to 30 characters, no spaces or control characters")
            ])
        ) {
            try await world.orders.importConfirmations(
                world.orderer, csv: "Kassenzeichen;Betrag;Valuta\n\(kassenzeichen);1,00;30.11.2026\n",
                idempotencyKey: world.key("kasse-ist-control"))
        }
        #expect(try await world.count("sozialraum.payment_receipt") == 0)
    }

    /// Two imports of one file at the same moment under different keys: one imports, the other is
    /// `DUPLICATE` (never `INTERNAL`), and the order is paid once.
    @Test func twoSimultaneousImportsOfOneFileImportOnce() async throws {
        let world = try await BudgetWorld.make()
        try await world.mapFinance(year: 2026)
        let order = try await ordered(world, cents: 250_00, key: "ist-order-1")
        _ = try await world.orders.export(world.county)
        let csv = "Kassenzeichen;Betrag;Valuta\nSR2026000001;250,00;30.11.2026\n"
        let outcomes = await withTaskGroup(of: String.self) { group in
            for key in ["kasse-ist-left", "kasse-ist-right"] {
                group.addTask {
                    do {
                        _ = try await world.orders.importConfirmations(
                            world.orderer, csv: csv, idempotencyKey: world.key(key))
                        return "imported"
                    } catch let error as ServiceError {
                        return "\(error)"
                    } catch {
                        return "other: \(error)"
                    }
                }
            }
            var all: [String] = []
            for await outcome in group { all.append(outcome) }
            return all.sorted()
        }
        #expect(outcomes.count == 2 && outcomes.contains("imported"))
        let duplicate = ServiceError.duplicate("this confirmation file (imported under another key)")
        #expect(outcomes == ["\(duplicate)", "imported"].sorted())
        #expect(try await world.count("sozialraum.payment_receipt") == 1)
        #expect(try await paid(world, order: order)! == (.paid, Money(cents: 250_00)))
    }
}
