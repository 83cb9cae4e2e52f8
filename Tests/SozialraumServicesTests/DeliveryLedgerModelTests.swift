import Foundation
import PostgresClient
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// The ledger against a model (issue 15's invariants): for every unit type, any seeded sequence of
/// deliver / retry / reverse / re-deliver / accept / reject leaves each month's cost equal to the cost
/// of the last active delivery plus its accepted excess, split between the Sozialräume the case lived
/// in on the days paid for; paid never exceeds what the grant allows plus accepted excess; a retried
/// request books once; a superseded finding cannot be accepted.
@Suite struct DeliveryLedgerModelTests {
    struct Subject {
        var grant: UUID
        var terms: GrantTerms
        var residence: ResidenceHistory
        var quantities: @Sendable (inout SeededGenerator, YearMonth) -> Quantity
    }

    /// What the ledger of one grant month should hold.
    struct MonthModel {
        var active: (id: UUID, priced: PricedDelivery, finding: UUID?, status: String?)?
        var superseded: [UUID] = []
        var lastRequest: (key: String, quantity: Quantity, id: UUID)?

        func expected(
            residence: ResidenceHistory, terms: GrantTerms, month: YearMonth
        ) throws -> [SocialSpaceCode: Int64] {
            guard let active else { return [:] }
            var shares: [SocialSpaceCode: Int64] = [:]
            for share in active.priced.bookings { shares[share.socialSpace, default: 0] += share.amount.cents }
            if active.status == "accepted" {
                for share in try PricedDelivery.excessBookings(
                    amount: active.priced.excessCost, month: month, terms: terms, residence: residence)!
                {
                    shares[share.socialSpace, default: 0] += share.amount.cents
                }
            }
            return shares.filter { $0.value != 0 }
        }
    }

    @Test func everySequenceLeavesTheCostOfTheLastActiveDeliveryPlusItsAcceptedExcess() async throws {
        let world = try await BudgetWorld.make()
        try await world.service.addRate(
            world.county, provider: world.alpha.tenant, helpType: "33", unit: .flatMonth,
            validFrom: Day(iso: "2020-01-01")!,
            amount: Money(cents: 1_240_00))
        let since = Day(iso: "2025-01-01")!
        func grant(
            _ key: String, _ type: String, _ unit: RateUnit, _ volume: Quantity, from start: String, rate: Int64
        ) async throws -> (UUID, GrantTerms) {
            try await world.grants.openCase(world.county, key: key, socialSpace: world.nord, from: since)
            let request = GrantService.GrantRequest(
                caseKey: key, provider: world.alpha.tenant, helpType: type, unit: unit, volumePerMonth: volume,
                startsOn: Day(iso: start)!, endsOn: Day(iso: "2026-12-31")!)
            let id = try await world.grants.grant(world.county, request, idempotencyKey: world.key("grant-\(key)"))
                .grantID
            let terms = GrantTerms(
                period: DayRange(start: request.startsOn, end: request.endsOn)!, volumePerMonth: volume, unit: unit,
                rates: [Rate(validFrom: Day(iso: "2020-01-01")!, amount: Money(cents: rate))])
            return (id, terms)
        }
        // Hours: 10 h a month at 60.00; the case moves to süd on 16 June (June's cost is split 15/15).
        let hours = try await grant(
            "VER-2026-1001", "31", .hour, Quantity(hundredths: 10_00), from: "2026-01-01", rate: 60_00)
        try await world.existingCase("VER-2026-1001").moves(to: world.sued, on: "2026-06-16")
        let moved = ResidenceHistory([
            .init(from: since, socialSpace: world.nord), .init(from: Day(iso: "2026-06-16")!, socialSpace: world.sued),
        ])
        // Days: 20 a month at 200.00. Flat: 1,240.00 a month from 10 February (a part month).
        let days = try await grant(
            "VER-2026-1002", "34", .day, Quantity(hundredths: 20_00), from: "2026-01-01", rate: 200_00)
        let flat = try await grant("VER-2026-1003", "33", .flatMonth, .one, from: "2026-02-10", rate: 1_240_00)
        let inNord = ResidenceHistory([.init(from: since, socialSpace: world.nord)])
        let subjects = [
            Subject(grant: hours.0, terms: hours.1, residence: moved) { random, _ in
                Quantity(hundredths: Int64.random(in: 0...60, using: &random) * 25)
            },
            Subject(grant: days.0, terms: days.1, residence: inNord) { random, month in
                Quantity(hundredths: Int64.random(in: 0...Int64(month.dayCount) + 1, using: &random) * 100)
            },
            Subject(grant: flat.0, terms: flat.1, residence: inNord) { random, _ in
                Quantity(hundredths: [0, 100, 100, 200][Int.random(in: 0...3, using: &random)])
            },
        ]

        var random = SeededGenerator(seed: 20_261_126)
        var requests = 0
        for subject in subjects {
            for monthNumber in 2...10 {
                let month = YearMonth(year: 2026, month: monthNumber)!
                var model = MonthModel()
                for _ in 0..<Int.random(in: 3...7, using: &random) {
                    requests += 1
                    let key = "model-request-\(requests)"
                    switch Int.random(in: 0...5, using: &random) {
                    case 0, 1:
                        // Deliver (or re-deliver after a reversal).
                        let quantity = subject.quantities(&random, month)
                        let expected = Result {
                            try PricedDelivery.price(
                                delivered: quantity, month: month, terms: subject.terms, residence: subject.residence)
                        }
                        do {
                            let outcome = try await world.grants.recordDelivery(
                                world.alpha, grantID: subject.grant, month: month, quantity: quantity,
                                idempotencyKey: world.key(key))
                            let priced = try expected.get()
                            #expect(model.active == nil, "a second delivery for \(month) was accepted")
                            #expect(outcome.cost == priced.cost && outcome.excess == priced.excess)
                            let finding = try await findingOf(world, delivery: outcome.deliveryID)
                            #expect((finding != nil) == (priced.excess != .zero))
                            model.active = (outcome.deliveryID, priced, finding, finding == nil ? nil : "open")
                            model.lastRequest = (key, quantity, outcome.deliveryID)
                        } catch let error as ServiceError {
                            switch error {
                            case .duplicate:
                                #expect(model.active != nil, "\(month): refused as duplicate without a delivery")
                            case .invalid(field: "quantity", _):
                                #expect(throws: PricedDelivery.Refusal.self) { try expected.get() }
                            default: Issue.record("\(month) deliver \(quantity): \(error)")
                            }
                        }
                    case 2:
                        // A retry of the last delivery request books nothing more.
                        guard let last = model.lastRequest else { continue }
                        let before = try await world.count("booking")
                        let again = try await world.grants.recordDelivery(
                            world.alpha, grantID: subject.grant, month: month, quantity: last.quantity,
                            idempotencyKey: world.key(last.key))
                        #expect(again.deliveryID == last.id)
                        #expect(try await world.count("booking") == before)
                    case 3:
                        // Reverse any booking of the active delivery: the whole delivery goes.
                        guard let active = model.active else { continue }
                        let bookings = try await bookingsOf(world, delivery: active.id)
                        let pick = bookings[Int.random(in: 0..<bookings.count, using: &random)]
                        _ = try await world.payments.reverse(
                            world.alpha, bookingID: pick, idempotencyKey: world.key(key))
                        if let finding = active.finding, active.status == "open" { model.superseded.append(finding) }
                        model.active = nil
                    default:
                        // Accept or reject the open finding; a superseded one cannot be accepted.
                        let accept = Bool.random(using: &random)
                        if let active = model.active, let finding = active.finding, active.status == "open" {
                            if accept {
                                try await world.acceptFinding(finding, reason: "Modell")
                            } else {
                                try await world.grants.resolveFinding(
                                    world.county, findingID: finding, accept: false, reason: "Modell")
                            }
                            model.active?.status = accept ? "accepted" : "rejected"
                        } else if let finding = model.superseded.last {
                            let error = await #expect(throws: ServiceError.self) {
                                try await world.grants.resolveFinding(
                                    world.county, findingID: finding, accept: accept, reason: "Modell")
                            }
                            #expect(error == .conflict("the finding is superseded: its delivery was reversed"))
                        }
                    }
                    let ledger = try await ledgerOf(world, grant: subject.grant, month: month)
                    let expected = try model.expected(residence: subject.residence, terms: subject.terms, month: month)
                    #expect(ledger == expected, "\(subject.terms.unit) \(month) after request \(requests)")
                    // Paid ≤ what the grant allows for the covered days, plus the accepted excess.
                    let paid = ledger.values.reduce(0, +)
                    let allowed =
                        try subject.terms.plannedCost(in: month)!.cents
                        + (model.active?.status == "accepted" ? model.active!.priced.excessCost.cents : 0)
                    #expect(paid <= allowed, "\(subject.terms.unit) \(month): paid \(paid) > \(allowed)")
                }
            }
        }
    }

    func findingOf(_ world: BudgetWorld, delivery: UUID) async throws -> UUID? {
        try await world.store.withTenant(world.county.tenant, readOnly: true) { tx in
            try await tx.query(unsafeSQL: "SELECT id FROM finding WHERE delivery_id = $1", [delivery]).first?.decode(
                0, as: UUID.self)
        }
    }

    func bookingsOf(_ world: BudgetWorld, delivery: UUID) async throws -> [Int64] {
        try await world.store.withTenant(world.alpha.tenant, readOnly: true) { tx in
            try await tx.query(
                unsafeSQL:
                    "SELECT id FROM booking WHERE delivery_id = $1 AND kind = 'delivery' ORDER BY id", [delivery]
            )
            .map { try $0.decode(0, as: Int64.self) }
        }
    }

    /// The month's cost in the ledger per Sozialraum (deliveries, accepted excess, reversals), non-zero only.
    func ledgerOf(_ world: BudgetWorld, grant: UUID, month: YearMonth) async throws -> [SocialSpaceCode: Int64] {
        try await world.store.withTenant(world.county.tenant, readOnly: true) { tx in
            var result: [SocialSpaceCode: Int64] = [:]
            for row in try await tx.query(
                unsafeSQL:
                    "SELECT social_space, sum(amount)::bigint FROM booking WHERE grant_id = $1 AND service_month = $2 GROUP BY 1",
                [grant, month])
            {
                let amount = try row.decode(1, as: Int64.self)
                if amount != 0 { result[SocialSpaceCode(try row.decode(0, as: String.self))!] = amount }
            }
            return result
        }
    }
}
