import PropertyBased
import SozialraumDomain
import Testing

@Suite struct PricingTests {
    let march = YearMonth(iso: "2026-03")!
    func day(_ text: String) -> Day { Day(iso: text)! }
    func rate(_ from: String, _ cents: Int64) -> Rate { Rate(validFrom: day(from), amount: Money(cents: cents)) }

    @Test func hoursTimesTheHourlyRate() throws {
        let cost = try Pricing.cost(
            quantity: Quantity(hundredths: 12_50), unit: .hour, rates: [rate("2025-01-01", 65_40)],
            first: march.firstDay, last: march.lastDay)
        #expect(cost == Money(cents: 817_50))
    }

    @Test func aRateChangeMidMonthSplitsByDate() throws {
        // 31 days in March, 10 hours spread evenly: 14 days at 60.00, 17 days at 70.00.
        let cost = try Pricing.cost(
            quantity: Quantity(hundredths: 10_00), unit: .hour,
            rates: [rate("2025-01-01", 60_00), rate("2026-03-15", 70_00)], first: march.firstDay, last: march.lastDay)
        // (14 × 60 + 17 × 70) / 31 × 10 = 654.8387 → 654.84
        #expect(cost == Money(cents: 654_84))
    }

    @Test func daysAtADailyRateForAPartMonth() throws {
        let cost = try Pricing.cost(
            quantity: Quantity(hundredths: 17_00), unit: .day, rates: [rate("2026-01-01", 189_95)],
            first: day("2026-03-15"), last: day("2026-03-31"))
        #expect(cost == Money(cents: 17 * 189_95))
    }

    @Test func aFlatMonthlyAmountIsProRataByDays() throws {
        let full = try Pricing.cost(
            quantity: .one, unit: .flatMonth, rates: [rate("2026-01-01", 3_100_00)], first: march.firstDay,
            last: march.lastDay)
        // 15 of 31 days: 3,100.00 × 15 / 31 = 1,500.00.
        let half = try Pricing.cost(
            quantity: .one, unit: .flatMonth, rates: [rate("2026-01-01", 3_100_00)], first: day("2026-03-17"),
            last: march.lastDay)
        #expect(full == Money(cents: 3_100_00))
        #expect(half == Money(cents: 1_500_00))
    }

    @Test func aFlatMonthNotDeliveredCostsNothing() throws {
        let none = try Pricing.cost(
            quantity: .zero, unit: .flatMonth, rates: [rate("2026-01-01", 3_100_00)], first: march.firstDay,
            last: march.lastDay)
        #expect(none == .zero)
    }

    @Test func aMissingRateIsReportedWithTheDay() {
        #expect(throws: Pricing.Failure.rateMissing(day: day("2026-03-01"))) {
            try Pricing.cost(
                quantity: Quantity(hundredths: 100), unit: .hour, rates: [rate("2026-03-10", 50_00)],
                first: march.firstDay, last: march.lastDay)
        }
    }

    @Test func aSingleRateCostsExactlyQuantityTimesRate() async {
        await propertyCheck(input: Gen.int(in: 0...74_400), Gen.int(in: 0...500_000)) { hundredths, cents in
            let cost = try? Pricing.cost(
                quantity: Quantity(hundredths: Int64(hundredths)), unit: .hour,
                rates: [rate("2020-01-01", Int64(cents))],
                first: march.firstDay, last: march.lastDay)
            let exact = Int64(hundredths) * Int64(cents)
            #expect(cost == Money(cents: (exact + 50) / 100))
        }
    }

    @Test func splittingARateChangeNeverCostsMoreThanTheDearerRate() async {
        await propertyCheck(
            input: Gen.int(in: 1...74_400), Gen.int(in: 1...31), Gen.int(in: 0...50_000), Gen.int(in: 0...50_000)
        ) { q, changeDay, a, b in
            let rates = [
                rate("2020-01-01", Int64(a)),
                Rate(validFrom: Day(year: 2026, month: 3, day: changeDay)!, amount: Money(cents: Int64(b))),
            ]
            let cost =
                (try? Pricing.cost(
                    quantity: Quantity(hundredths: Int64(q)), unit: .hour, rates: rates, first: march.firstDay,
                    last: march.lastDay))!
            let low = Int64(q) * Int64(min(a, b)) / 100
            let high = (Int64(q) * Int64(max(a, b)) + 99) / 100
            #expect(cost.cents >= low && cost.cents <= high)
        }
    }

    @Test(arguments: [("12", 12_00), ("12.5", 12_50), ("0.25", 25), ("744", 744_00)])
    func quantitiesParse(_ text: String, _ hundredths: Int64) throws {
        #expect(try Quantity(parsing: text).hundredths == hundredths)
    }

    @Test(arguments: [
        ("-1", Quantity.ParseError.negative), ("1.234", .tooManyDecimals), ("745", .tooLarge), ("abc", .malformed),
        ("", .malformed), ("+3", .malformed),
    ])
    func badQuantitiesAreRefused(_ text: String, _ error: Quantity.ParseError) {
        #expect(throws: error) { try Quantity(parsing: text) }
    }
}
