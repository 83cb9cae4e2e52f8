import PropertyBased
import SozialraumDomain
import Testing

/// Issue 15, items 1, 2 and 4: what a delivery may cost, by unit, and who pays which part.
@Suite struct DeliveryPricingTests {
    let nord = SocialSpaceCode("nord")!
    let sued = SocialSpaceCode("sued")!
    func day(_ text: String) -> Day { Day(iso: text)! }
    func month(_ text: String) -> YearMonth { YearMonth(iso: text)! }
    func terms(_ unit: RateUnit, _ volume: Int64, from: String, to: String, rate: Int64) -> GrantTerms {
        GrantTerms(
            period: DayRange(start: day(from), end: day(to))!, volumePerMonth: Quantity(hundredths: volume), unit: unit,
            rates: [Rate(validFrom: day("2020-01-01"), amount: Money(cents: rate))])
    }
    var inNord: ResidenceHistory { ResidenceHistory([.init(from: day("2020-01-01"), socialSpace: nord)]) }

    // MARK: Flat monthly units (item 1)

    @Test func aFlatMonthNotDeliveredCostsNothingAndStandsInTheLedgerAsZero() throws {
        let flat = terms(.flatMonth, 1_00, from: "2026-01-01", to: "2026-12-31", rate: 3_100_00)
        let none = try PricedDelivery.price(delivered: .zero, month: month("2026-03"), terms: flat, residence: inNord)
        #expect(none.cost == .zero)
        #expect(none.bookings == [CostShare(socialSpace: nord, amount: .zero)])
        let delivered = try PricedDelivery.price(
            delivered: .one, month: month("2026-03"), terms: flat, residence: inNord)
        #expect(delivered.cost == Money(cents: 3_100_00))
    }

    @Test func aPartFlatMonthIsPaidProRataAndNeverHasAnExcess() throws {
        // Grant from 17 March: 15 of March's 31 days → 3,100.00 × 15 / 31 = 1,500.00.
        let flat = terms(.flatMonth, 1_00, from: "2026-03-17", to: "2026-12-31", rate: 3_100_00)
        let priced = try PricedDelivery.price(delivered: .one, month: month("2026-03"), terms: flat, residence: inNord)
        #expect(priced.cost == Money(cents: 1_500_00))
        #expect(priced.excess == .zero)
        #expect(priced.excessCost == .zero)
    }

    @Test(arguments: [2_00, 50, 1_01, 744_00])
    func aFlatMonthIsOneOrZero(_ hundredths: Int64) {
        let flat = terms(.flatMonth, 1_00, from: "2026-01-01", to: "2026-12-31", rate: 3_100_00)
        #expect(throws: PricedDelivery.Refusal.impossible(.flatMonthNotZeroOrOne)) {
            try PricedDelivery.price(
                delivered: Quantity(hundredths: hundredths), month: month("2026-03"), terms: flat, residence: inNord)
        }
    }

    // MARK: Day units (item 2)

    @Test func moreDaysThanTheMonthHasAreRefusedWithTheLimit() throws {
        let days = terms(.day, 31_00, from: "2026-01-01", to: "2026-12-31", rate: 200_00)
        let refusal = PricedDelivery.Refusal.impossible(
            .moreDaysThanCovered(limit: Quantity(hundredths: 30_00), month: month("2026-06")))
        #expect(throws: refusal) {
            try PricedDelivery.price(
                delivered: Quantity(hundredths: 31_00), month: month("2026-06"), terms: days, residence: inNord)
        }
        #expect(refusal.description == "at most 30.00 days in 2026-06 inside the grant period")
        // 30 days in June are possible: 30 × 200.00 = 6,000.00.
        let june = try PricedDelivery.price(
            delivered: Quantity(hundredths: 30_00), month: month("2026-06"), terms: days, residence: inNord)
        #expect(june.cost == Money(cents: 6_000_00))
    }

    @Test func theDayLimitIsTheDaysInsideTheGrantPeriod() {
        // From 11 June: 20 days of June are covered.
        let days = terms(.day, 30_00, from: "2026-06-11", to: "2026-12-31", rate: 200_00)
        #expect(
            throws: PricedDelivery.Refusal.impossible(
                .moreDaysThanCovered(limit: Quantity(hundredths: 20_00), month: month("2026-06")))
        ) {
            try PricedDelivery.price(
                delivered: Quantity(hundredths: 20_01), month: month("2026-06"), terms: days, residence: inNord)
        }
    }

    // MARK: Moves (item 4)

    @Test func theExcessIsSplitLikeItsDelivery() throws {
        // 10 h a month at 50.00, the case moves from nord to sued on 11 March: 10 days nord, 21 days sued.
        let hours = terms(.hour, 10_00, from: "2026-01-01", to: "2026-12-31", rate: 50_00)
        let moved = ResidenceHistory([
            .init(from: day("2025-01-01"), socialSpace: nord), .init(from: day("2026-03-11"), socialSpace: sued),
        ])
        let priced = try PricedDelivery.price(
            delivered: Quantity(hundredths: 12_00), month: month("2026-03"), terms: hours, residence: moved)
        // Payable 10 h = 50,000 cents: nord 50,000 × 10/31 = 16,129.03, sued × 21/31 = 33,870.97 → floors
        // 16,129 + 33,870 leave one cent, which goes to the larger remainder (sued, .97).
        #expect(
            priced.bookings == [
                CostShare(socialSpace: nord, amount: Money(cents: 161_29)),
                CostShare(socialSpace: sued, amount: Money(cents: 338_71)),
            ])
        // Excess 2 h = 10,000 cents: nord 10,000 × 10/31 = 3,225.81, sued × 21/31 = 6,774.19 → floors 3,225 +
        // 6,774 leave one cent, which goes to the larger remainder (nord, .81): 32.26 and 67.74.
        #expect(priced.excessCost == Money(cents: 100_00))
        let excess = try PricedDelivery.excessBookings(
            amount: priced.excessCost, month: month("2026-03"), terms: hours, residence: moved)
        #expect(
            excess == [
                CostShare(socialSpace: nord, amount: Money(cents: 32_26)),
                CostShare(socialSpace: sued, amount: Money(cents: 67_74)),
            ])
    }

    // MARK: Invariants over generated grants, deliveries and moves

    /// A generated case: unit, rate (changing mid-month or not), grant period in 2026, volume, the
    /// service month, a move or none, and the quantity reported.
    struct Scenario: CustomStringConvertible {
        var terms: GrantTerms
        var residence: ResidenceHistory
        var month: YearMonth
        var delivered: Quantity
        var description: String {
            "\(terms.unit) \(terms.period) vol \(terms.volumePerMonth) \(month) delivered \(delivered) moves \(residence.entries)"
        }
    }

    static let scenarios = zip(
        Gen.int(in: 0...2), Gen.int(in: 0...364), Gen.int(in: 0...400), Gen.int(in: 1...12), Gen.int(in: 0...31),
        Gen.int(in: 1_00...250_00),
        Gen.int(in: 0...31), Gen.int(in: 0...40_00), Gen.int(in: 0...50_00)
    ).map { Self.scenario($0.0, $0.1, $0.2, $0.3, $0.4, $0.5, $0.6, $0.7, $0.8) }

    static func scenario(
        _ unitIndex: Int, _ startOffset: Int, _ length: Int, _ monthNumber: Int, _ moveDay: Int, _ rateCents: Int,
        _ rateChangeDay: Int,
        _ volume: Int, _ delivered: Int
    ) -> Scenario {
        let unit = [RateUnit.hour, .day, .flatMonth][unitIndex]
        let start = Day(iso: "2026-01-01")!.adding(days: startOffset)
        let month = YearMonth(year: 2026, month: monthNumber)!
        var rates = [Rate(validFrom: Day(iso: "2020-01-01")!, amount: Money(cents: Int64(rateCents)))]
        if let change = Day(year: 2026, month: monthNumber, day: max(1, rateChangeDay)), rateChangeDay > 0 {
            rates.append(Rate(validFrom: change, amount: Money(cents: Int64(rateCents) * 11 / 10)))
        }
        var entries = [ResidenceHistory.Entry(from: Day(iso: "2025-01-01")!, socialSpace: SocialSpaceCode("nord")!)]
        if moveDay > 0, let move = Day(year: 2026, month: monthNumber, day: min(moveDay, month.dayCount)) {
            entries.append(.init(from: move, socialSpace: SocialSpaceCode("sued")!))
        }
        let quantity: Int64 =
            switch unit {
            case .flatMonth: Int64(delivered % 2) * 100
            case .day: Int64(delivered) / 100 * 100 % 3_200
            case .hour: Int64(delivered)
            }
        return Scenario(
            terms: GrantTerms(
                period: DayRange(start: start, end: start.adding(days: length))!,
                volumePerMonth: unit == .flatMonth ? .one : Quantity(hundredths: Int64(volume)), unit: unit,
                rates: rates),
            residence: ResidenceHistory(entries), month: month, delivered: Quantity(hundredths: quantity))
    }

    @Test func paidNeverExceedsWhatTheGrantAllowsAndTheSharesArePerResidenceDay() async {
        await propertyCheck(input: Self.scenarios) { scenario in
            guard let planned = try? scenario.terms.plannedCost(in: scenario.month) else {
                // The grant does not cover the month: every delivery is refused.
                #expect(throws: PricedDelivery.Refusal.impossible(.outsideGrantPeriod)) {
                    try PricedDelivery.price(
                        delivered: scenario.delivered, month: scenario.month, terms: scenario.terms,
                        residence: scenario.residence)
                }
                return
            }
            let days = scenario.terms.effectivePeriod.clipped(to: scenario.month)!
            let covered = Int64(days.last.ordinal - days.first.ordinal + 1)
            let priced: PricedDelivery
            do {
                priced = try PricedDelivery.price(
                    delivered: scenario.delivered, month: scenario.month, terms: scenario.terms,
                    residence: scenario.residence)
            } catch {
                // Only impossible input is refused: more days than covered.
                #expect(
                    scenario.terms.unit == .day && scenario.delivered.hundredths > covered * 100,
                    "\(scenario): \(error)")
                return
            }
            if scenario.terms.unit == .day { #expect(scenario.delivered.hundredths <= covered * 100) }
            // Paid ≤ what the grant's volume and the valid rates allow for the covered days.
            #expect(priced.cost <= planned, "\(scenario)")
            let granted = scenario.terms.grantedVolume(in: scenario.month)!
            switch scenario.terms.unit {
            case .flatMonth:
                #expect(priced.excess == .zero)
                #expect(priced.cost == (scenario.delivered == .zero ? .zero : planned), "\(scenario)")
            case .hour, .day:
                // Held back exactly what was delivered above the grant.
                #expect(priced.payable + priced.excess == scenario.delivered)
                #expect(priced.excess.hundredths == max(0, scenario.delivered.hundredths - granted.hundredths))
            }
            // The shares sum to the cost; each Sozialraum's share is its days' part (within the remainder cent).
            #expect(priced.bookings.reduce(0) { $0 + $1.amount.cents } == priced.cost.cents)
            var daysIn: [SocialSpaceCode: Int64] = [:]
            for part in scenario.residence.split(first: days.first, last: days.last) {
                daysIn[part.socialSpace ?? scenario.residence.entries[0].socialSpace, default: 0] += Int64(
                    part.last.ordinal - part.first.ordinal + 1)
            }
            for share in priced.bookings where share.amount != .zero {
                let exact = priced.cost.cents * daysIn[share.socialSpace, default: 0]
                #expect(abs(share.amount.cents * covered - exact) < covered, "\(scenario): \(share)")
            }
            // The accepted excess goes to the same Sozialräume by the same days.
            let excess = try PricedDelivery.excessBookings(
                amount: priced.excessCost, month: scenario.month, terms: scenario.terms, residence: scenario.residence)
            #expect(excess?.reduce(0) { $0 + $1.amount.cents } == priced.excessCost.cents)
            for share in excess ?? [] {
                let exact = priced.excessCost.cents * daysIn[share.socialSpace, default: 0]
                #expect(abs(share.amount.cents * covered - exact) < covered, "\(scenario): excess \(share)")
            }
        }
    }
}
