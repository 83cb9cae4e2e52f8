import Foundation
import PostgresClient
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

@Suite struct GrantAndDeliveryTests {
    let march = YearMonth(iso: "2026-03")!

    @Test func aGrantCommitsItsPlannedCostForTheYear() async throws {
        let world = try await BudgetWorld.make()
        let before = try await world.funds(world.nord)
        _ = try await world.grantedCase()
        let after = try await world.funds(world.nord)
        #expect(after.line(.case).funds.commitments.cents - before.line(.case).funds.commitments.cents == 12 * 600_00)
        #expect(after.line(.case).funds.available == Money(cents: 100_000_00 - 12 * 600_00))
        #expect(after.line(.milieu).funds.commitments == .zero)
    }

    @Test func aDeliveryTurnsItsMonthsCommitmentIntoAnActual() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        let outcome = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: march, quantity: Quantity(hundredths: 8_00),
            idempotencyKey: world.key("delivery-0001"))
        #expect(outcome.cost == Money(cents: 480_00))
        #expect(outcome.excess == .zero)
        let funds = try await world.funds(world.nord)
        #expect(funds.line(.case).funds.actuals == Money(cents: 480_00))
        #expect(funds.line(.case).funds.commitments == Money(cents: 11 * 600_00))
    }

    @Test func aGrantIsNeverRefusedForLackOfMoneyButTheOverrunIsFlagged() async throws {
        let world = try await BudgetWorld.make(policy: .refuse)
        // §34 residential, 31 days a month at 200.00: 74,400.00 for the year. Twice exceeds case + milieu.
        let first = try #require(
            try await world.openCase("VER-2026-0002").granted(help: "34", unit: .day, perMonth: "31").outcome)
        #expect(first.overruns.isEmpty)
        let second = try #require(
            try await world.openCase("VER-2026-0003").granted(help: "34", unit: .day, perMonth: "31").outcome)
        let committed = first.committed[2026]!.cents + second.committed[2026]!.cents
        #expect(second.overruns["2026/nord"] == Money(cents: committed - 120_000_00))
        let funds = try await world.funds(world.nord)
        #expect(funds.pool(of: .case).overrun.cents > 0)
        #expect(funds.transfers.first?.from == .milieu)
    }

    @Test func deliveriesAboveTheGrantBecomeAFindingThatBlocksTheMonthsClose() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        let outcome = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: march, quantity: Quantity(hundredths: 12_50),
            idempotencyKey: world.key("delivery-over"))
        #expect(outcome.excess == Quantity(hundredths: 2_50))
        #expect(outcome.cost == Money(cents: 600_00))
        #expect(try await world.count("finding") == 1)

        let refused = await #expect(throws: ServiceError.self) {
            try await world.service.closeMonth(world.county, month: march)
        }
        #expect(refused?.description.contains("open findings") == true)
        try await world.service.closeMonth(world.county, month: march, forceReason: "Prüfung im April")
        let closed = try await world.store.withTenant(world.county.tenant, readOnly: true) { tx in
            try await tx.query(unsafeSQL: "SELECT forced_reason FROM period WHERE month = '2026-03-01'").single()
                .decode(
                    0, as: String?.self)
        }
        #expect(closed == "Prüfung im April")
    }

    @Test func anAcceptedFindingIsPaidAndARejectedOneIsNot() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        _ = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: march, quantity: Quantity(hundredths: 12_00),
            idempotencyKey: world.key("delivery-over"))
        let finding = try await world.store.withTenant(world.county.tenant, readOnly: true) { tx in
            try await tx.query(unsafeSQL: "SELECT id FROM finding").single().decode(0, as: UUID.self)
        }
        let refused = await #expect(throws: ServiceError.self) {
            try await world.grants.resolveFinding(world.alpha, findingID: finding, accept: true, reason: "ok")
        }
        #expect(refused == .forbidden("resolving findings"))
        // Certified, the excess is not yet spent: 10 h × 60.00 = 600.00; ordered, 12 h × 60.00 = 720.00.
        let certified = try #require(
            try await world.grants.resolveFinding(
                world.county, findingID: finding, accept: true, reason: "Krisenwoche, mit ASD abgestimmt"))
        #expect(try await world.funds(world.nord).line(.case).funds.actuals == Money(cents: 600_00))
        _ = try await world.orders.approve(world.orderer, orderID: certified.orderID)
        #expect(try await world.funds(world.nord).line(.case).funds.actuals == Money(cents: 720_00))
        let again = await #expect(throws: ServiceError.self) {
            try await world.grants.resolveFinding(
                world.county, findingID: finding, accept: false, reason: "doch nicht")
        }
        #expect(again == .duplicate("finding already resolved"))
    }

    @Test func fromAMoveOnTheNewSozialraumCarriesTheCommitments() async throws {
        let world = try await BudgetWorld.make()
        _ = try await world.grantedCase()
        try await world.existingCase("VER-2026-0001").moves(to: world.sued, on: "2026-07-01")
        #expect(try await world.funds(world.nord).line(.case).funds.commitments == Money(cents: 6 * 600_00))
        #expect(try await world.funds(world.sued).line(.case).funds.commitments == Money(cents: 6 * 600_00))
    }

    @Test func anEarlyEndReleasesTheRestOfTheCommitment() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        try await world.grants.endGrant(world.county, grantID: grant, on: Day(iso: "2026-04-30")!)
        #expect(try await world.funds(world.nord).line(.case).funds.commitments == Money(cents: 4 * 600_00))
    }

    @Test func aProviderServingOutsideItsSozialraumMustGiveAReason() async throws {
        let world = try await BudgetWorld.make()
        try await world.grants.openCase(
            world.county, key: "VER-2026-0009", socialSpace: world.sued, from: Day(iso: "2026-01-01")!)
        var request = GrantService.GrantRequest(
            caseKey: "VER-2026-0009", provider: world.alpha.tenant, helpType: "31", unit: .hour,
            volumePerMonth: Quantity(hundredths: 5_00),
            startsOn: Day(iso: "2026-02-01")!, endsOn: Day(iso: "2026-06-30")!)
        let before = try await world.snapshot()
        let error = await #expect(throws: ServiceError.self) {
            try await world.grants.grant(world.county, request, idempotencyKey: world.key("grant-0009-a"))
        }
        guard case .invalid(field: "reason", _) = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(try await world.snapshot() == before)
        request.outOfAreaReason = "gewachsene Beziehung zur Familie"
        let outcome = try await world.grants.grant(world.county, request, idempotencyKey: world.key("grant-0009-b"))
        let reason = try await world.store.withTenant(world.alpha.tenant, readOnly: true) { tx in
            try await tx.query(
                unsafeSQL: "SELECT out_of_area_reason FROM grant_decision WHERE id = $1", [outcome.grantID]
            )
            .single().decode(0, as: String?.self)
        }
        #expect(reason == "gewachsene Beziehung zur Familie")
    }

    @Test func milieuSpendingFollowsTheYearsPolicy() async throws {
        let refusing = try await BudgetWorld.make(policy: .refuse)
        let project = try await refusing.payments.createProject(
            refusing.county, provider: refusing.alpha.tenant, title: "Stadtteilcafé Achim", socialSpace: refusing.nord,
            component: .milieu, startsOn: Day(iso: "2026-01-01")!, endsOn: Day(iso: "2026-12-31")!,
            budget: Money(cents: 5_000_00),
            volunteers: 12, professionals: 2)
        let fine = try await refusing.payments.bookProjectExpense(
            refusing.alpha, projectID: project, day: Day(iso: "2026-05-04")!, amount: Money(cents: 1_000_00),
            idempotencyKey: refusing.key("expense-0001"))
        #expect(fine.overrun == nil)
        let before = try await refusing.snapshot()
        let error = await #expect(throws: ServiceError.self) {
            try await refusing.payments.bookProjectExpense(
                refusing.alpha, projectID: project, day: Day(iso: "2026-05-05")!, amount: Money(cents: 200_000_00),
                idempotencyKey: refusing.key("expense-0002"))
        }
        guard case .refusedOverrun(.milieu, _) = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(try await refusing.snapshot() == before)
    }
}

@Suite struct LedgerTests {
    let march = YearMonth(iso: "2026-03")!

    @Test func theSameIdempotencyKeyReturnsTheFirstResultAndBooksOnce() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        let first = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: march, quantity: Quantity(hundredths: 8_00),
            idempotencyKey: world.key("delivery-retry"))
        let bookings = try await world.count("booking")
        let again = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: march, quantity: Quantity(hundredths: 8_00),
            idempotencyKey: world.key("delivery-retry"))
        #expect(again == first)
        #expect(try await world.count("booking") == bookings)

        let before = try await world.snapshot()
        let conflict = await #expect(throws: ServiceError.self) {
            try await world.grants.recordDelivery(
                world.alpha, grantID: grant, month: march, quantity: Quantity(hundredths: 9_00),
                idempotencyKey: world.key("delivery-retry"))
        }
        #expect(conflict == .idempotencyConflict)
        #expect(try await world.snapshot() == before)
    }

    @Test func concurrentRetriesWithOneKeyBookOnce() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        let outcomes = try await withThrowingTaskGroup(of: GrantService.DeliveryOutcome.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await world.grants.recordDelivery(
                        world.alpha, grantID: grant, month: march, quantity: Quantity(hundredths: 8_00),
                        idempotencyKey: world.key("delivery-race"))
                }
            }
            return try await group.reduce(into: [GrantService.DeliveryOutcome]()) { $0.append($1) }
        }
        #expect(Set(outcomes.map(\.deliveryID)).count == 1)
        #expect(try await world.count("delivery") == 1)
    }

    @Test func nothingIsBookedIntoAClosedMonth() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        try await world.service.closeMonth(world.county, month: march)
        let before = try await world.snapshot()
        let error = await #expect(throws: ServiceError.self) {
            try await world.grants.recordDelivery(
                world.alpha, grantID: grant, month: march, quantity: Quantity(hundredths: 8_00),
                idempotencyKey: world.key("delivery-late"))
        }
        #expect(error == .periodClosed(march))
        #expect(try await world.snapshot() == before)
    }

    @Test func theDatabaseItselfRefusesABookingIntoAClosedMonth() async throws {
        let world = try await BudgetWorld.make()
        try await world.service.closeMonth(world.county, month: march)
        let error = await #expect(throws: PostgresError.self) {
            try await world.store.withTenant(world.county.tenant) { tx in
                try await LedgerStore.book(
                    tx,
                    .init(
                        tenant: world.alpha.tenant, kind: .carryForward, bookedMonth: march, serviceMonth: march,
                        socialSpace: world.nord, component: .case, amount: Money(cents: 1)),
                    actor: "test", requestID: nil)
            }
        }
        #expect(error?.sqlState?.rawValue == "SZ001")
    }

    @Test func aLateCorrectionGoesIntoTheCurrentMonthAndRefersToTheOriginal() async throws {
        let world = try await BudgetWorld.make()
        let (_, original) = try await world.deliveredInMarch(closingMarch: true)
        let reversal = try await world.payments.reverse(
            world.alpha, bookingID: original, idempotencyKey: world.key("reverse-0001"))
        let stored = try await world.store.withTenant(world.alpha.tenant, readOnly: true) { tx in
            try await LedgerStore.booking(tx, id: reversal.bookingID)
        }
        #expect(stored?.bookedMonth == YearMonth(iso: "2026-11")!)
        #expect(stored?.serviceMonth == march)
        #expect(stored?.reverses == original)
        #expect(stored?.corrects == original)
        #expect(stored?.amount == Money(cents: -480_00))
        #expect(try await world.funds(world.nord).line(.case).funds.actuals == .zero)
        let twice = await #expect(throws: ServiceError.self) {
            try await world.payments.reverse(
                world.alpha, bookingID: original, idempotencyKey: world.key("reverse-0002"))
        }
        #expect(twice == .duplicate("reversal of booking \(original)"))
    }

    @Test func theCorrectedDeliveryOfAClosedMonthIsBookedInTheCurrentMonth() async throws {
        let world = try await BudgetWorld.make()
        let (grant, original) = try await world.deliveredInMarch(closingMarch: true)
        _ = try await world.payments.reverse(
            world.alpha, bookingID: original, idempotencyKey: world.key("reverse-0001"))
        let corrected = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: march, quantity: Quantity(hundredths: 6_00),
            idempotencyKey: world.key("delivery-0002"))
        #expect(corrected.cost == Money(cents: 360_00))
        let booking = try await world.store.withTenant(world.alpha.tenant, readOnly: true) { tx in
            let id = try await tx.query(unsafeSQL: "SELECT max(id) FROM booking WHERE kind = 'delivery'").single()
                .decode(
                    0, as: Int64.self)
            return try await LedgerStore.booking(tx, id: id)
        }
        #expect(booking?.bookedMonth == YearMonth(iso: "2026-11")!)
        #expect(booking?.serviceMonth == march)
        #expect(booking?.corrects == original)
        let line = try await world.funds(world.nord).line(.case).funds
        #expect(line.actuals == Money(cents: 360_00))
        #expect(line.commitments == Money(cents: 11 * 600_00))
        // (A first delivery into a closed month stays refused: nothingIsBookedIntoAClosedMonth.)
    }

    @Test func onlyTheCountyReversesAPayment() async throws {
        let world = try await BudgetWorld.make()
        let instalment = try await world.payInstalment(
            provider: world.alpha.tenant, socialSpace: world.nord, component: .case, month: march,
            amount: Money(cents: 1_000_00), key: "instalment-march")
        let before = try await world.snapshot()
        let refused = await #expect(throws: ServiceError.self) {
            try await world.payments.reverse(
                world.alpha, bookingID: instalment.bookingID, idempotencyKey: world.key("reverse-by-alpha"))
        }
        #expect(refused == .forbidden("reversing payments"))
        #expect(try await world.snapshot() == before)
        let reversal = try await world.payments.reverse(
            world.county, bookingID: instalment.bookingID, idempotencyKey: world.key("reverse-by-county"))
        #expect(reversal.bookingID > instalment.bookingID)
    }

    @Test func theRuntimeRoleCanNeitherUpdateNorDeleteTheLedger() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        _ = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: march, quantity: Quantity(hundredths: 8_00),
            idempotencyKey: world.key("delivery-0001"))
        for sql in [
            "UPDATE booking SET amount = 0", "DELETE FROM booking", "UPDATE delivery SET quantity = 0",
            "DELETE FROM audit_event",
            "UPDATE ledger_total SET amount = 0", "UPDATE commitment_total SET amount = 0", "DELETE FROM idempotency",
        ] {
            for caller in [world.alpha, world.county] {
                let error = await #expect(throws: PostgresError.self, "\(sql)") {
                    try await world.store.withTenant(caller.tenant) { tx in try await tx.execute(unsafeSQL: sql) }
                }
                #expect(error?.sqlState == .insufficientPrivilege, "\(sql)")
            }
        }
        #expect(try await world.funds(world.nord).line(.case).funds.actuals == Money(cents: 480_00))
    }

    @Test func everyWriteLeavesAnAuditEventWithoutCaseKeys() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        _ = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: march, quantity: Quantity(hundredths: 8_00),
            idempotencyKey: world.key("delivery-0001"))
        let admin = try await world.database.superuserConnection()
        let events = try await admin.query(
            PostgresQuery(unsafeSQL: "SELECT action, actor, coalesce(object_id, '') FROM audit_event ORDER BY id"))
        let actions = try events.map { try $0.decode(0, as: String.self) }
        #expect(actions.contains("grant.create"))
        #expect(actions.contains("delivery.record"))
        #expect(try events.allSatisfy { try !$0.decode(2, as: String.self).contains("VER-2026") })
    }
}

@Suite struct BadInputTests {
    let march = YearMonth(iso: "2026-03")!

    @Test func anotherProvidersGrantIsIndistinguishableFromAnUnknownOne() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        let before = try await world.snapshot()
        let foreign = await #expect(throws: ServiceError.self) {
            try await world.grants.recordDelivery(
                world.beta, grantID: grant, month: march, quantity: Quantity(hundredths: 1_00),
                idempotencyKey: world.key("beta-0001"))
        }
        let unknown = await #expect(throws: ServiceError.self) {
            try await world.grants.recordDelivery(
                world.beta, grantID: UUID(), month: march, quantity: Quantity(hundredths: 1_00),
                idempotencyKey: world.key("beta-0002"))
        }
        #expect(foreign == .notFound("grant"))
        #expect(foreign == unknown)
        #expect(try await world.snapshot() == before)
    }

    @Test func aSecondDeliveryForTheSameGrantAndMonthIsRefused() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        _ = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: march, quantity: Quantity(hundredths: 8_00),
            idempotencyKey: world.key("delivery-0001"))
        let before = try await world.snapshot()
        let error = await #expect(throws: ServiceError.self) {
            try await world.grants.recordDelivery(
                world.alpha, grantID: grant, month: march, quantity: Quantity(hundredths: 2_00),
                idempotencyKey: world.key("delivery-0002"))
        }
        #expect(error == .duplicate("delivery for this grant and month"))
        #expect(try await world.snapshot() == before)
    }

    @Test func aReversedDeliveryFreesItsMonthForTheCorrection() async throws {
        let world = try await BudgetWorld.make()
        let (grant, wrong) = try await world.deliveredInMarch()
        _ = try await world.payments.reverse(world.alpha, bookingID: wrong, idempotencyKey: world.key("reverse-0001"))
        // Reversed: no actual, and March is committed again (600 € a month, twelve months).
        var line = try await world.funds(world.nord).line(.case).funds
        #expect(line.actuals == .zero)
        #expect(line.commitments == Money(cents: 12 * 600_00))
        // The corrected delivery is accepted: 6 h × 60 € = 360 €.
        let corrected = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: march, quantity: Quantity(hundredths: 6_00),
            idempotencyKey: world.key("delivery-0002"))
        #expect(corrected.cost == Money(cents: 360_00))
        line = try await world.funds(world.nord).line(.case).funds
        #expect(line.actuals == Money(cents: 360_00))
        #expect(line.commitments == Money(cents: 11 * 600_00))
        // … and it counts again: a third delivery for March is refused and writes nothing.
        let before = try await world.snapshot()
        let error = await #expect(throws: ServiceError.self) {
            try await world.grants.recordDelivery(
                world.alpha, grantID: grant, month: march, quantity: Quantity(hundredths: 1_00),
                idempotencyKey: world.key("delivery-0003"))
        }
        #expect(error == .duplicate("delivery for this grant and month"))
        #expect(try await world.snapshot() == before)
        // The import sees it the same way: the month is taken.
        let imported = await #expect(throws: ServiceError.self) {
            try await world.grants.importDeliveries(
                world.alpha, csv: "grant_id,month,quantity\n\(grant),2026-03,2\n",
                idempotencyKey: world.key("import-0001"))
        }
        guard case .rejectedRows(let rows) = imported else {
            Issue.record("expected row errors")
            return
        }
        #expect(rows.first?.field == "month")
    }

    @Test func reversingOneBookingOfASplitDeliveryReversesTheWholeDelivery() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        // Moved on 16 March: March's cost is split between nord and süd (two bookings).
        try await world.existingCase("VER-2026-0001").moves(to: world.sued, on: "2026-03-16")
        _ = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: march, quantity: Quantity(hundredths: 8_00),
            idempotencyKey: world.key("delivery-0001"))
        let parts = try await world.deliveryBookings()
        #expect(parts.count == 2)
        _ = try await world.payments.reverse(
            world.alpha, bookingID: parts[1], idempotencyKey: world.key("reverse-0001"))
        #expect(try await world.funds(world.nord).line(.case).funds.actuals == .zero)
        #expect(try await world.funds(world.sued).line(.case).funds.actuals == .zero)
        // Both parts are reversed: neither can be reversed again, and the month takes a corrected delivery.
        for (index, part) in parts.enumerated() {
            let again = await #expect(throws: ServiceError.self) {
                try await world.payments.reverse(
                    world.alpha, bookingID: part, idempotencyKey: world.key("reverse-010\(index)"))
            }
            #expect(again == .duplicate("reversal of booking \(part)"))
        }
        let outcome = try await world.grants.importDeliveries(
            world.alpha, csv: "grant_id,month,quantity\n\(grant),2026-03,6\n", idempotencyKey: world.key("import-0001"))
        #expect(outcome.deliveries == 1)
        let generations = try await world.store.withTenant(world.alpha.tenant, readOnly: true) { tx in
            try await tx.query(unsafeSQL: "SELECT generation FROM delivery ORDER BY generation").map {
                try $0.decode(0, as: Int.self)
            }
        }
        #expect(generations == [0, 1])
    }

    @Test func aGrantEndsEarlyOnceItsLaterDeliveriesAreReversed() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        _ = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: YearMonth(iso: "2026-06")!, quantity: Quantity(hundredths: 8_00),
            idempotencyKey: world.key("delivery-0001"))
        let end = Day(iso: "2026-04-30")!
        let refused = await #expect(throws: ServiceError.self) {
            try await world.grants.endGrant(world.county, grantID: grant, on: end)
        }
        #expect(refused == .conflict("deliveries exist after 2026-04-30; reverse them first"))
        let june = try #require(try await world.deliveryBookings().first)
        _ = try await world.payments.reverse(world.alpha, bookingID: june, idempotencyKey: world.key("reverse-0001"))
        try await world.grants.endGrant(world.county, grantID: grant, on: end)
        #expect(try await world.funds(world.nord).line(.case).funds.commitments == Money(cents: 4 * 600_00))
    }

    @Test func aDeliveryOutsideTheGrantOrTheYearIsRefused() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        let before = try await world.snapshot()
        for month in ["2025-12", "2027-01"] {
            let error = await #expect(throws: ServiceError.self) {
                try await world.grants.recordDelivery(
                    world.alpha, grantID: grant, month: YearMonth(iso: month)!, quantity: Quantity(hundredths: 1_00),
                    idempotencyKey: world.key("delivery-\(month)"))
            }
            #expect(error == .invalid(field: "month", reason: "outside the grant period"))
        }
        #expect(try await world.snapshot() == before)
    }

    @Test func providersCannotDoTheCountysWork() async throws {
        let world = try await BudgetWorld.make()
        let before = try await world.snapshot()
        await #expect(throws: ServiceError.forbidden("granting help")) {
            try await world.grants.grant(
                world.alpha,
                .init(
                    caseKey: "VER-2026-0001", provider: world.alpha.tenant, helpType: "31", unit: .hour,
                    volumePerMonth: Quantity(hundredths: 1_00),
                    startsOn: Day(iso: "2026-01-01")!, endsOn: Day(iso: "2026-01-31")!),
                idempotencyKey: world.key("grant-self"))
        }
        await #expect(throws: ServiceError.forbidden("closing periods")) {
            try await world.service.closeMonth(world.alpha, month: march)
        }
        await #expect(throws: ServiceError.forbidden("setting appropriations")) {
            try await world.service.setAppropriation(
                world.alpha, line: BudgetLine(year: 2026, socialSpace: world.nord, component: .case),
                amount: Money(cents: 1))
        }
        await #expect(throws: ServiceError.forbidden("recording deliveries")) {
            try await world.grants.recordDelivery(
                world.auditor, grantID: UUID(), month: march, quantity: .zero, idempotencyKey: world.key("audit-0001"))
        }
        #expect(try await world.snapshot() == before)
    }

    @Test func personalDataCannotPassAsACaseKey() async throws {
        let world = try await BudgetWorld.make()
        for key in ["Max Mustermann", "MUELLER", "mueller-1"] {
            await #expect(throws: ServiceError.self) {
                try await world.grants.openCase(
                    world.county, key: key, socialSpace: world.nord, from: Day(iso: "2026-01-01")!)
            }
        }
        #expect(try await world.count("case_file") == 0)
    }

    @Test func unknownReferencesAreNamed() async throws {
        let world = try await BudgetWorld.make()
        await #expect(throws: ServiceError.notFound("Sozialraum nowhere")) {
            try await world.grants.openCase(
                world.county, key: "VER-2026-0100", socialSpace: SocialSpaceCode("nowhere")!,
                from: Day(iso: "2026-01-01")!)
        }
        await #expect(throws: ServiceError.notFound("fiscal year 2031")) {
            try await world.service.setAppropriation(
                world.county, line: BudgetLine(year: 2031, socialSpace: world.nord, component: .case),
                amount: Money(cents: 1))
        }
        await #expect(throws: ServiceError.notFound("case")) {
            try await world.grants.recordMove(
                world.county, key: "VER-0000-0000", to: world.sued, on: Day(iso: "2026-01-01")!)
        }
        await #expect(throws: ServiceError.invalid(field: "amount", reason: "must not be negative")) {
            try await world.service.setAppropriation(
                world.county, line: BudgetLine(year: 2026, socialSpace: world.nord, component: .case),
                amount: Money(cents: -1))
        }
    }

    @Test func aProviderSeesOnlyBudgetsOfSozialraeumeItServes() async throws {
        let world = try await BudgetWorld.make()
        let own = try await world.funds(world.nord, as: world.alpha)
        #expect(own.line(.case).funds.appropriation == Money(cents: 100_000_00))
        await #expect(throws: ServiceError.notFound("budget")) { try await world.funds(world.sued, as: world.alpha) }
    }
}

@Suite struct ReferenceDataTests {
    @Test func regroupingAMunicipalityEndsItsPreviousMembership() async throws {
        let world = try await BudgetWorld.make()
        try await world.service.defineSocialSpace(
            world.county, code: SocialSpaceCode("sued-ost")!, name: "Süd-Ost",
            municipalities: [(SocialSpaceCode("verden")!, "Verden (Aller)")],
            validFrom: Day(iso: "2027-01-01")!)
        let rows = try await world.store.withTenant(world.alpha.tenant, readOnly: true) { tx in
            try await tx.query(
                unsafeSQL:
                    "SELECT social_space, valid_from::text, coalesce(valid_to::text, '') FROM social_space_member WHERE municipality = 'verden' ORDER BY valid_from"
            ).map {
                "\(try $0.decode(0, as: String.self)) \(try $0.decode(1, as: String.self))..\(try $0.decode(2, as: String.self))"
            }
        }
        #expect(rows == ["sued 2020-01-01..2026-12-31", "sued-ost 2027-01-01.."])
    }

    @Test func aCarryForwardAddsToTheLineAndNeedsAReason() async throws {
        let world = try await BudgetWorld.make()
        let line = BudgetLine(year: 2026, socialSpace: world.nord, component: .milieu)
        await #expect(throws: ServiceError.invalid(field: "reason", reason: "1 to 500 characters")) {
            try await world.service.carryForward(world.county, into: line, amount: Money(cents: 5_000_00), reason: "")
        }
        try await world.service.carryForward(
            world.county, into: line, amount: Money(cents: 5_000_00), reason: "Haushaltsrest 2025 Stadtteilarbeit")
        let funds = try await world.funds(world.nord)
        #expect(funds.line(.milieu).funds.carryIn == Money(cents: 5_000_00))
        #expect(funds.line(.milieu).funds.available == Money(cents: 25_000_00))
    }
}
