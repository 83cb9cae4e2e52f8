import Foundation
import Logging
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 29, item 9: smaller wrong answers.
@Suite struct SmallerAnswersTests {
    /// Today is 2026-11-25: ordering an instalment due the day before is refused and the order stays
    /// pending; a Kreistag informed tomorrow has not been informed.
    @Test func aDueDayInThePastAndAKreistagInTheFutureAreRefused() async throws {
        let world = try await BudgetWorld.make()
        try await world.mapFinance(year: 2026)
        let certified = try await world.payments.certifyInstalment(
            world.county, provider: world.alpha.tenant, socialSpace: world.nord, component: .case,
            month: YearMonth(iso: "2026-11")!, amount: Money(cents: 100_00), idempotencyKey: world.key("due-past-1"))
        await #expect(
            throws: ServiceError.invalid(field: "due", reason: "in the past: the Kasse cannot pay before today")
        ) {
            _ = try await world.orders.approve(world.orderer, orderID: certified.orderID, due: Day(iso: "2026-11-24")!)
        }
        #expect(try await world.orders.orders(world.county).map(\.state) == [.pending])
        // Today itself is fine.
        #expect(
            try await world.orders.approve(world.orderer, orderID: certified.orderID, due: BudgetWorld.today).due
                == BudgetWorld.today)

        await #expect(
            throws: ServiceError.invalid(
                field: "kreistag", reason: "in the future: give the day the Kreistag was informed")
        ) {
            _ = try await world.orders.decideOverrun(
                world.orderer,
                OverrunDecision(
                    year: 2026, socialSpace: world.nord, component: .structure, kind: .overPlan,
                    amount: Money(cents: 60_000_00), reason: "Mehrbedarf", cover: nil,
                    councilInformedOn: Day(iso: "2026-11-26")!, decidedBy: "x"),
                idempotencyKey: world.key("overrun-decision-1"))
        }
        #expect(try await world.orders.overrunDecisions(world.auditor, year: 2026).decisions.isEmpty)
    }

    /// Ordering an Ansatz change moves no cash: the answer says what was applied (nord's case line,
    /// 100,000.00 → 120,000.00), and asking again for the same change while it waits answers its order.
    @Test func orderingAnAppropriationChangeSaysWhatItApplied() async throws {
        let world = try await BudgetWorld.make()
        let line = BudgetLine(year: 2026, socialSpace: world.nord, component: .case)
        let certified = try #require(
            try await world.service.setAppropriation(world.county, line: line, amount: Money(cents: 120_000_00)))
        let again = try #require(
            try await world.service.setAppropriation(world.county, line: line, amount: Money(cents: 120_000_00)))
        #expect(again.orderID == certified.orderID && again.alreadyPending && !certified.alreadyPending)
        let ordered = try await world.orders.approve(world.orderer, orderID: certified.orderID)
        #expect(ordered.applied == "appropriation nord 2026 case set to 120000.00")
        #expect(ordered.kassenzeichen == nil && ordered.bookingIDs.isEmpty)
    }

    /// Every moment a reply shows is Europe/Berlin, ISO 8601 with offset and seconds: the audit trail, the
    /// export batches and the overrun decisions alike.
    @Test func momentsAreShownInOneWay() async throws {
        let world = try await BudgetWorld.make()
        try await world.mapFinance(year: 2026)
        _ = try await world.payInstalment(
            provider: world.alpha.tenant, socialSpace: world.nord, month: YearMonth(iso: "2026-11")!,
            amount: Money(cents: 100_00), key: "moment-1")
        _ = try await world.orders.export(world.county)
        _ = try await world.orders.decideOverrun(
            world.orderer,
            OverrunDecision(
                year: 2026, socialSpace: world.nord, component: .structure, kind: .overPlan,
                amount: Money(cents: 100_00), reason: "Mehrbedarf", cover: nil, councilInformedOn: nil,
                decidedBy: "x"), idempotencyKey: world.key("overrun-decision-2"))
        let shown =
            try await world.service.auditTrail(world.county, AuditFilter(limit: 5)).map(\.at)
            + world.orders.batches(world.county).map(\.created)
            + world.orders.overrunDecisions(world.auditor, year: 2026).decisions.map(\.decidedAt)
        #expect(shown.count == 7)
        let pattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0[12]:00$/
        #expect(shown.filter { $0.wholeMatch(of: pattern) == nil } == [])
    }

    /// The same presentation for moments formatted in Swift (the scheduler's started/finished): 10:00:05 UTC
    /// on 1 July is 12:00:05 in Berlin (summer time, +02:00); 23:30 UTC on 6 December is 00:30 on the 7th
    /// (+01:00).
    @Test func swiftFormatsMomentsLikePostgreSQL() {
        #expect(ZoneRules.europeBerlin.iso8601(Instant(seconds: 1_782_900_005)) == "2026-07-01T12:00:05+02:00")
        #expect(ZoneRules.europeBerlin.iso8601(Instant(seconds: 1_796_599_800)) == "2026-12-07T00:30:00+01:00")
    }
}
