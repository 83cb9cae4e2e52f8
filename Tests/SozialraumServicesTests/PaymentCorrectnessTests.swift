import Foundation
import PostgresClient
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 15 ("Every euro right"): each wrong payment found when the demo county was tried, fixed at its
/// root. Figures are computed by hand in the comments.
@Suite struct PaymentCorrectnessTests {
    let march = YearMonth(iso: "2026-03")!

    /// A §33 flat monthly grant (Pflegegeld, 1,240.00 a month) to alpha for a case in nord from `start`.
    func flatGrant(_ world: BudgetWorld, from start: String = "2026-01-01") async throws -> UUID {
        try await world.service.addRate(
            world.county, provider: world.alpha.tenant, helpType: "33", unit: .flatMonth,
            validFrom: Day(iso: "2020-01-01")!,
            amount: Money(cents: 1_240_00))
        return try await world.openCase("VER-2026-0033", from: "2025-01-01")
            .granted(help: "33", unit: .flatMonth, perMonth: "1", from: start, key: "grant-flat-0033").id
    }

    /// A §34 day grant (200.00 a day) to alpha for a case in nord, 31 days a month for 2026.
    func dayGrant(_ world: BudgetWorld) async throws -> UUID {
        try await world.openCase("VER-2026-0034", from: "2025-01-01")
            .granted(help: "34", unit: .day, perMonth: "31", key: "grant-days-0034").id
    }

    func caseActuals(_ world: BudgetWorld, _ space: SocialSpaceCode) async throws -> Money {
        try await world.funds(space).line(.case).funds.actuals
    }

    // MARK: 1. Flat monthly units

    @Test func aFlatMonthReportedAsZeroCostsNothing() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await flatGrant(world)
        let none = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: march, quantity: .zero, idempotencyKey: world.key("flat-0001"))
        #expect(none.cost == .zero)
        #expect(try await caseActuals(world, world.nord) == .zero)
        // It stands in the ledger (one booking of 0.00) and can be reversed and corrected like any other.
        let bookings = try await world.deliveryBookings()
        #expect(bookings.count == 1)
        _ = try await world.payments.reverse(
            world.alpha, bookingID: bookings[0], idempotencyKey: world.key("flat-0002"))
        let corrected = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: march, quantity: .one, idempotencyKey: world.key("flat-0003"))
        #expect(corrected.cost == Money(cents: 1_240_00))
        #expect(try await caseActuals(world, world.nord) == Money(cents: 1_240_00))
    }

    @Test func aPartFlatMonthIsPaidProRataOnceAndMakesNoFinding() async throws {
        let world = try await BudgetWorld.make()
        // From 17 March: 15 of 31 days → 1,240.00 × 15 / 31 = 600.00.
        let grant = try await flatGrant(world, from: "2026-03-17")
        let outcome = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: march, quantity: .one, idempotencyKey: world.key("flat-0001"))
        #expect(outcome.cost == Money(cents: 600_00))
        #expect(outcome.excess == .zero)
        #expect(try await world.count("finding") == 0)
        #expect(try await caseActuals(world, world.nord) == Money(cents: 600_00))
    }

    @Test func aFlatMonthIsOneOrZeroAndItsGrantIsOneAMonth() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await flatGrant(world)
        let before = try await world.snapshot()
        let error = await #expect(throws: ServiceError.self) {
            try await world.grants.recordDelivery(
                world.alpha, grantID: grant, month: march, quantity: Quantity(hundredths: 2_00),
                idempotencyKey: world.key("flat-0001"))
        }
        #expect(
            error == .invalid(field: "quantity", reason: "a flat monthly unit is 1 (delivered) or 0 (not delivered)"))
        let rows = await #expect(throws: ServiceError.self) {
            try await world.grants.importDeliveries(
                world.alpha, csv: "grant_id,month,quantity\n\(grant),2026-03,0.5\n",
                idempotencyKey: world.key("flat-0002"))
        }
        #expect(
            rows
                == .rejectedRows([
                    RowError(
                        line: 2, field: "quantity", reason: "a flat monthly unit is 1 (delivered) or 0 (not delivered)")
                ]))
        let twice = await #expect(throws: ServiceError.self) {
            try await world.grants.grant(
                world.county,
                .init(
                    caseKey: "VER-2026-0033", provider: world.alpha.tenant, helpType: "33", unit: .flatMonth,
                    volumePerMonth: Quantity(hundredths: 2_00),
                    startsOn: Day(iso: "2026-01-01")!, endsOn: Day(iso: "2026-12-31")!),
                idempotencyKey: world.key("grant-flat-0099"))
        }
        #expect(twice == .invalid(field: "volume", reason: "a flat monthly unit is granted as 1 a month"))
        #expect(try await world.snapshot() == before)
    }

    // MARK: 2. Day units

    @Test func moreDaysThanTheMonthHasAreRefusedNamingTheLimit() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await dayGrant(world)
        let june = YearMonth(iso: "2026-06")!
        let before = try await world.snapshot()
        let error = await #expect(throws: ServiceError.self) {
            try await world.grants.recordDelivery(
                world.alpha, grantID: grant, month: june, quantity: Quantity(hundredths: 31_00),
                idempotencyKey: world.key("days-0001"))
        }
        #expect(error == .invalid(field: "quantity", reason: "at most 30.00 days in 2026-06 inside the grant period"))
        let rows = await #expect(throws: ServiceError.self) {
            try await world.grants.importDeliveries(
                world.alpha, csv: "grant_id,month,quantity\n\(grant),2026-05,31\n\(grant),2026-06,31\n",
                idempotencyKey: world.key("days-0002"))
        }
        #expect(
            rows
                == .rejectedRows([
                    RowError(
                        line: 3, field: "quantity", reason: "at most 30.00 days in 2026-06 inside the grant period")
                ]))
        #expect(try await world.snapshot() == before)
        // 30 days in June: 30 × 200.00 = 6,000.00, no finding.
        let outcome = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: june, quantity: Quantity(hundredths: 30_00),
            idempotencyKey: world.key("days-0003"))
        #expect(outcome.cost == Money(cents: 6_000_00))
        #expect(outcome.excess == .zero)
    }

    // MARK: 3. Findings of a reversed delivery

    @Test func reversingADeliverySupersedesItsFinding() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        // 12 h against 10 h granted: 600.00 paid, 2 h held back.
        _ = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: march, quantity: Quantity(hundredths: 12_00),
            idempotencyKey: world.key("over-0001"))
        let finding = try await world.store.withTenant(world.county.tenant, readOnly: true) { tx in
            try await tx.query(unsafeSQL: "SELECT id FROM finding").single().decode(0, as: UUID.self)
        }
        let booking = try await world.deliveryBookings()[0]
        _ = try await world.payments.reverse(world.alpha, bookingID: booking, idempotencyKey: world.key("over-0002"))
        _ = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: march, quantity: Quantity(hundredths: 9_00),
            idempotencyKey: world.key("over-0003"))
        let state = try await world.store.withTenant(world.county.tenant, readOnly: true) { tx in
            let row = try await tx.query(unsafeSQL: "SELECT status, resolution FROM finding WHERE id = $1", [finding])
                .single()
            return (try row.decode(0, as: String.self), try row.decode(1, as: String?.self))
        }
        #expect(state.0 == "superseded")
        #expect(state.1?.hasPrefix("superseded: the delivery was reversed") == true)
        let refused = await #expect(throws: ServiceError.self) {
            try await world.grants.resolveFinding(world.county, findingID: finding, accept: true, reason: "zu spät")
        }
        #expect(refused == .conflict("the finding is superseded: its delivery was reversed"))
        // March costs the corrected 9 h only: 9 × 60.00 = 540.00.
        #expect(try await caseActuals(world, world.nord) == Money(cents: 540_00))
    }

    @Test func theDatabaseRefusesToAcceptASupersededFindingOrToSupersedeALiveOne() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        _ = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: march, quantity: Quantity(hundredths: 12_00),
            idempotencyKey: world.key("over-0001"))
        // Alpha may not mark the finding of its live delivery as superseded (to hide it from the county).
        let hidden = await #expect(throws: PostgresError.self) {
            try await world.store.withTenant(world.alpha.tenant) { tx in
                try await tx.execute(
                    unsafeSQL: "UPDATE finding SET status = 'superseded', resolution = 'x', resolved_at = now()")
            }
        }
        #expect(hidden?.sqlState?.rawValue == "42501")
        _ = try await world.payments.reverse(
            world.alpha, bookingID: try await world.deliveryBookings()[0], idempotencyKey: world.key("over-0002"))
        // Even the county cannot accept it by hand once the delivery is reversed.
        let accepted = await #expect(throws: PostgresError.self) {
            try await world.store.withTenant(world.county.tenant) { tx in
                try await tx.execute(
                    unsafeSQL: "UPDATE finding SET status = 'accepted', resolution = 'x', resolved_at = now()")
            }
        }
        #expect(accepted?.sqlState?.rawValue == "SZ002")
    }

    @Test func reversingADeliveryAlsoReversesItsAcceptedExcess() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        _ = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: march, quantity: Quantity(hundredths: 12_00),
            idempotencyKey: world.key("over-0001"))
        let finding = try await world.store.withTenant(world.county.tenant, readOnly: true) { tx in
            try await tx.query(unsafeSQL: "SELECT id FROM finding").single().decode(0, as: UUID.self)
        }
        try await world.acceptFinding(finding, reason: "Krisenwoche")
        // 600.00 + 2 h × 60.00 = 720.00.
        #expect(try await caseActuals(world, world.nord) == Money(cents: 720_00))
        _ = try await world.payments.reverse(
            world.alpha, bookingID: try await world.deliveryBookings()[0], idempotencyKey: world.key("over-0002"))
        #expect(try await caseActuals(world, world.nord) == .zero)
    }

    // MARK: 4. Accepted excess after a move

    @Test func theAcceptedExcessIsSplitLikeTheDelivery() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        // Moved on 11 March: 10 days nord, 21 days süd.
        try await world.existingCase("VER-2026-0001").moves(to: world.sued, on: "2026-03-11")
        _ = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: march, quantity: Quantity(hundredths: 12_00),
            idempotencyKey: world.key("move-0001"))
        // Paid 10 h = 60,000 cents: nord × 10/31 = 19,354.84, süd × 21/31 = 40,645.16 → the spare cent to nord (.84):
        // nord 193.55, süd 406.45.
        #expect(try await caseActuals(world, world.nord) == Money(cents: 193_55))
        #expect(try await caseActuals(world, world.sued) == Money(cents: 406_45))
        let finding = try await world.store.withTenant(world.county.tenant, readOnly: true) { tx in
            try await tx.query(unsafeSQL: "SELECT id FROM finding").single().decode(0, as: UUID.self)
        }
        try await world.acceptFinding(finding, reason: "abgestimmt")
        // Excess 2 h = 12,000 cents: nord × 10/31 = 3,870.97, süd × 21/31 = 8,129.03 → the spare cent to nord (.97):
        // nord 38.71, süd 81.29; so nord 193.55 + 38.71 = 232.26, süd 406.45 + 81.29 = 487.74 (together 720.00).
        #expect(try await caseActuals(world, world.nord) == Money(cents: 232_26))
        #expect(try await caseActuals(world, world.sued) == Money(cents: 487_74))
    }

    // MARK: 5. The overrun rule for providers

    /// Alpha's and beta's structure projects in nord (structure: 10,000.00, in no cover pool); beta has
    /// spent 8,000.00 of it.
    func structureProjects(_ world: BudgetWorld) async throws -> (alpha: UUID, beta: UUID) {
        func project(_ provider: Caller, _ title: String) async throws -> UUID {
            try await world.payments.createProject(
                world.county, provider: provider.tenant, title: title, socialSpace: world.nord, component: .structure,
                startsOn: Day(iso: "2026-01-01")!, endsOn: Day(iso: "2026-12-31")!, budget: Money(cents: 10_000_00),
                volunteers: 5, professionals: 1)
        }
        let alphaProject = try await project(world.alpha, "Lesepaten Achim")
        let betaProject = try await project(world.beta, "Sportverein Achim")
        _ = try await world.payments.bookProjectExpense(
            world.beta, projectID: betaProject, day: Day(iso: "2026-04-01")!, amount: Money(cents: 8_000_00),
            idempotencyKey: world.key("beta-0001"))
        return (alphaProject, betaProject)
    }

    @Test func aProvidersSpendingIsRefusedOnTheWholePoolLikeTheCountys() async throws {
        let world = try await BudgetWorld.make(policy: .refuse)
        let projects = try await structureProjects(world)
        let before = try await world.snapshot()
        // 3,000.00 against 10,000.00 − 8,000.00 = 2,000.00 left: short by 1,000.00, whoever asks.
        for caller in [world.alpha, world.county] {
            let error = await #expect(throws: ServiceError.self) {
                try await world.payments.bookProjectExpense(
                    caller, projectID: projects.alpha, day: Day(iso: "2026-05-01")!, amount: Money(cents: 3_000_00),
                    idempotencyKey: world.key("alpha-0001-\(caller.name)"))
            }
            #expect(
                error == .refusedOverrun(component: .structure, shortfall: Money(cents: 1_000_00)), "as \(caller.name)")
        }
        #expect(try await world.snapshot() == before)
    }

    @Test func aProviderIsWarnedOfAnOverrunOnTheWholePool() async throws {
        let world = try await BudgetWorld.make(policy: .warn)
        let projects = try await structureProjects(world)
        let outcome = try await world.payments.bookProjectExpense(
            world.alpha, projectID: projects.alpha, day: Day(iso: "2026-05-01")!, amount: Money(cents: 3_000_00),
            idempotencyKey: world.key("alpha-0001"))
        #expect(outcome.overrun == Money(cents: 1_000_00))
        // Alpha serves nord: by default it sees nord's spending, its 3,000.00 and beta's 8,000.00 = 11,000.00;
        // where the county shows providers their own figures only, its 3,000.00.
        #expect(
            try await world.funds(world.nord, as: world.alpha).line(.structure).funds.actuals == Money(cents: 11_000_00)
        )
        try await world.service.setProviderView(world.county, .ownFigures)
        #expect(
            try await world.funds(world.nord, as: world.alpha).line(.structure).funds.actuals == Money(cents: 3_000_00))
    }

    @Test func aProviderCannotAskAboutAnotherProvidersProject() async throws {
        let world = try await BudgetWorld.make()
        let projects = try await structureProjects(world)
        let error = await #expect(throws: PostgresError.self) {
            try await world.store.withTenant(world.alpha.tenant, readOnly: true) { tx in
                try await LedgerStore.spendingShortfall(
                    tx, project: projects.beta, day: Day(iso: "2026-05-01")!, amount: Money(cents: 1))
            }
        }
        #expect(error?.sqlState?.rawValue == "42501")
    }

    /// The same request is decided the same whoever sends it: every decision equals the one the county's
    /// full view of the pool gives (generated amounts, senders and projects; seeded).
    @Test func theOverrunDecisionIsTheSameWhoeverSendsIt() async throws {
        for policy in [OverrunPolicy.refuse, .warn] {
            let world = try await BudgetWorld.make(policy: policy)
            let projects = try await structureProjects(world)
            var random = SeededGenerator(seed: policy == .refuse ? 15 : 51)
            for step in 0..<24 {
                let spender = [world.alpha, world.beta][Int.random(in: 0...1, using: &random)]
                let sender = Bool.random(using: &random) ? spender : world.county
                let project = spender.tenant == world.alpha.tenant ? projects.alpha : projects.beta
                let amount = Money(cents: Int64.random(in: 1...1_500_00, using: &random))
                let pool = try await world.funds(world.nord)
                let expected = try SpendingDecision.decide(
                    spending: amount, on: .structure, report: pool, policy: policy)
                let decided: SpendingDecision
                do {
                    let outcome = try await world.payments.bookProjectExpense(
                        sender, projectID: project, day: Day(iso: "2026-06-01")!, amount: amount,
                        idempotencyKey: world.key("step-\(step)-xx"))
                    decided = outcome.overrun.map { .acceptWithOverrun(overrun: $0) } ?? .accept
                } catch ServiceError.refusedOverrun(_, let shortfall) {
                    decided = .refuse(shortfall: shortfall)
                }
                #expect(decided == expected, "step \(step): \(amount) by \(sender.name)")
            }
        }
    }
}
