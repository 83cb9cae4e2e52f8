import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Rule 12 and rule 18 at the year end: what is carried and what the lead provider is paid.
@Suite struct YearEndTests {
    /// Whether a year may receive carry-forwards is that year's setting, for the year end as for a manual
    /// `carry-forward`. 2026 allows carrying (the default) but 2027 is opened with carry-forward=no: the
    /// year end carries nothing into 2027 (nord's case line alone would carry 100,000.00). The other way
    /// round (2026 no, 2027 yes) it carries.
    @Test(arguments: [(false, 0 as Int64), (true, 100_000_00)])
    func theReceivingYearDecidesWhetherToCarry(receivingAllows: Bool, carriedNordCase: Int64) async throws {
        let world = try await BudgetWorld.make()
        _ = try await world.store.withTenant(world.county.tenant) { tx in
            try await tx.execute(
                unsafeSQL: "UPDATE fiscal_year SET carry_forward_allowed = $1 WHERE year = 2026", [!receivingAllows])
        }
        try await world.service.openYear(
            world.county, year: 2027, overrunPolicy: .warn, carryForwardAllowed: receivingAllows)
        let service = world.reconciler()
        for month in YearMonth.months(of: 2026) {
            try await world.service.closeMonth(world.county, month: month, forceReason: "Jahresabschluss")
        }
        let preview = try await YearEndService(reconciliation: service).previewYearEnd(world.county, year: 2026)
        #expect(
            preview.proposals[world.nord]?.lines.first { $0.component == .case }?.carryForward
                == Money(cents: carriedNordCase))
        try await world.confirmYearEnd(service, year: 2026, runID: preview.runID)
        let nord2027 = try await world.service.availableFunds(world.county, socialSpace: world.nord, year: 2027)
        #expect(nord2027.line(.case).funds.carryIn == Money(cents: carriedNordCase))
        // The manual path reads the same setting.
        if !receivingAllows {
            let manual = BudgetLine(year: 2027, socialSpace: world.sued, component: .milieu)
            await #expect(throws: ServiceError.conflict("carry-forward is not allowed into 2027")) {
                try await world.service.carryForward(
                    world.county, into: manual, amount: Money(cents: 1_00), reason: "Haushaltsrest")
            }
        }
    }

    /// Rule 12 / 18: the lead provider's share is money owed to it, paid through the four-eyes path. Nord's
    /// lines are set to 1,000.00 (case), 300.00 (milieu) and 100.00 (structure), nothing is spent, and 2026
    /// keeps 25 % for the lead provider: 250.00 + 75.00 + 25.00 = 350.00 to alpha; 750.00 + 225.00 +
    /// 75.00 = 1,050.00 carried into 2027. Süd has no appropriation, so no savings and no share.
    @Test func theProvidersShareIsOrderedAndPaidOnce() async throws {
        let world = try await BudgetWorld.make()
        _ = try await world.store.withTenant(world.county.tenant) { tx in
            try await tx.execute(unsafeSQL: "UPDATE fiscal_year SET provider_surplus_share = 2500 WHERE year = 2026")
            try await tx.execute(
                unsafeSQL: """
                    UPDATE appropriation SET amount = CASE component WHEN 'case' THEN 100000 WHEN 'milieu' THEN 30000
                                                                     ELSE 10000 END
                    WHERE year = 2026 AND social_space = 'nord'
                    """)
            return try await tx.execute(
                unsafeSQL: "UPDATE appropriation SET amount = 0 WHERE year = 2026 AND social_space = 'sued'")
        }
        try await world.service.openYear(world.county, year: 2027, overrunPolicy: .warn)
        for month in YearMonth.months(of: 2026) {
            try await world.service.closeMonth(world.county, month: month, forceReason: "Jahresabschluss")
        }
        let service = world.reconciler()
        let yearEnd = YearEndService(reconciliation: service)
        let preview = try await yearEnd.previewYearEnd(world.county, year: 2026)
        #expect(
            preview.proposals[world.nord]?.shares == [.init(provider: world.alpha.tenant, amount: Money(cents: 350_00))]
        )
        #expect(preview.proposals[world.sued]?.shares == [])
        let certified = try await yearEnd.confirmYearEnd(world.county, year: 2026, runID: preview.runID)
        let applied = try await world.orders.approve(world.orderer, orderID: certified.orderID)
        let shareOrder = certified.orderID + 1
        #expect(
            applied.applied
                == "year end 2026 applied: carried 1050.00 into 2027; provider shares certified: order \(shareOrder) (350.00)"
        )

        // Owed and visible: the county's and alpha's funds of 2026, alpha's orders; nothing paid yet.
        #expect(try await world.funds(world.nord).providerShares == Money(cents: 350_00))
        #expect(try await world.funds(world.nord, as: world.alpha).providerShares == Money(cents: 350_00))
        let seen = try await world.orders.orders(world.alpha).map { "\($0.kind.rawValue) \($0.amount) \($0.state)" }
        #expect(seen == ["surplus_share 350.00 pending"])
        #expect(try await yearEnd.certifyShares(world.county, year: 2026).isEmpty)

        // The second signature pays it through the Kasse, booked per line in January 2027 for December 2026.
        try await world.mapFinance(year: 2027)
        for component in BudgetComponent.allCases {
            try await world.orders.setFinanceMapping(
                world.county, year: 2027, socialSpace: world.nord, component: component, kind: .surplusShare,
                mapping: FinanceMapping(product: "36300", account: "53180000", costCentre: "SR1-\(component.rawValue)"))
        }
        let ordered = try await world.orders.approve(world.orderer, orderID: shareOrder)
        #expect(ordered.amount == Money(cents: 350_00) && ordered.kassenzeichen == "SR2026000002")
        #expect(ordered.bookingIDs.count == 3)
        #expect(try await world.orders.approve(world.orderer, orderID: shareOrder).bookingIDs == ordered.bookingIDs)
        #expect(try await shareBookings(world) == [350_00, 3])
        // Cash, not spending: 2026's actuals stay 0.00 and its carry-forwards as they were.
        #expect(try await world.funds(world.nord).line(.case).funds.actuals == .zero)

        // The Kasse pays it; the same confirmations again pay nothing more.
        let batch = try await world.orders.export(world.county)
        #expect(batch.orders == 1 && batch.total == Money(cents: 350_00))
        let csv = "Kassenzeichen;Betrag;Valuta\nSR2026000002;350,00;15.01.2027\n"
        _ = try await world.orders.importConfirmations(
            world.orderer, csv: csv, idempotencyKey: world.key("share-ist-1"))
        await #expect(throws: ServiceError.self) {
            try await world.orders.importConfirmations(
                world.orderer, csv: csv, idempotencyKey: world.key("share-ist-2"))
        }
        let paid = try await world.orders.orders(world.county).first { $0.id == shareOrder }
        #expect(paid?.status == .paid && paid?.paid == Money(cents: 350_00))
        // A second confirmation of the year end is refused: the share is ordered once.
        await #expect(throws: ServiceError.duplicate("year end 2026")) {
            _ = try await yearEnd.confirmYearEnd(world.county, year: 2026, runID: preview.runID)
        }
        #expect(try await shareBookings(world) == [350_00, 3])
    }

    /// The sum and number of the ledger's share bookings, as the county sees them.
    private func shareBookings(_ world: BudgetWorld) async throws -> [Int64] {
        try await world.store.withTenant(world.county.tenant, readOnly: true) { tx in
            let row = try await tx.query(
                unsafeSQL: "SELECT coalesce(sum(amount), 0)::bigint, count(*) FROM booking WHERE kind = 'surplus_share'"
            ).single()
            return [try row.decode(0, as: Int64.self), try row.decode(1, as: Int64.self)]
        }
    }
}
