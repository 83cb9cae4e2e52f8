import SozialraumDomain
import Testing

@Suite struct MoneyParsingTests {
    @Test(
        arguments: [
            ("0", 0), ("12", 1200), ("12.5", 1250), ("12.50", 1250), ("-0.07", -7), ("+3.01", 301),
            ("999999999999.99", 99_999_999_999_999),
        ] as [(String, Int64)])
    func parsesCanonicalAmounts(text: String, cents: Int64) throws {
        #expect(try Money(parsing: text).cents == cents)
    }

    @Test func parsesGermanDecimalComma() throws {
        #expect(try Money(parsing: "1234,56", decimalComma: true).cents == 123_456)
        #expect(throws: Money.ParseError.malformed) { try Money(parsing: "1234.56", decimalComma: true) }
    }

    @Test(arguments: [
        ("", Money.ParseError.empty), ("abc", .malformed), ("1.2.3", .malformed), ("1.", .malformed),
        (".5", .malformed), ("1,000.00", .malformed), ("1e3", .malformed), (" 1", .malformed), ("--1", .malformed),
        ("1.234", .tooManyDecimals), ("0.001", .tooManyDecimals), ("1000000000000.00", .outOfRange),
        ("99999999999999999999999", .outOfRange),
    ])
    func refusesBadAmounts(text: String, error: Money.ParseError) {
        #expect(throws: error) { try Money(parsing: text) }
    }

    @Test func formatsBothNotations() {
        #expect(Money(cents: 123_456_789).description == "1234567.89")
        #expect(Money(cents: -5).description == "-0.05")
        #expect(Money(cents: 123_456_789).germanDescription == "1.234.567,89")
        #expect(Money(cents: -100).germanDescription == "-1,00")
        #expect(Money(cents: 99).germanDescription == "0,99")
    }

    @Test func descriptionRoundTrips() throws {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<2_000 {
            let cents = Int64.random(in: -Money.maximumInputCents...Money.maximumInputCents, using: &generator)
            #expect(try Money(parsing: Money(cents: cents).description).cents == cents)
            #expect(
                try Money(parsing: Money(cents: cents).germanDescription.replacingDots(), decimalComma: true).cents
                    == cents)
        }
    }

    @Test func arithmeticReportsOverflow() {
        #expect(Money(cents: .max).adding(Money(cents: 1)) == nil)
        #expect(Money(cents: .min).subtracting(Money(cents: 1)) == nil)
        #expect(Money(cents: 5).adding(Money(cents: -7)) == Money(cents: -2))
    }
}

@Suite struct MoneySplitTests {
    @Test func annualBudgetIntoTwelveMonths() {
        let parts = Money(cents: 10_000).split(into: 12)
        // 10000 / 12 = 833 remainder 4: the first four months get one cent more.
        #expect(parts.map(\.cents) == [834, 834, 834, 834, 833, 833, 833, 833, 833, 833, 833, 833])
    }

    @Test func weightedSplitByDays() {
        // A 100.00 cost across 10 and 21 days: 1000/31 = 32.258.. → 32.26, 67.74.
        #expect(Money(cents: 10_000).split(weights: [10, 21]).map(\.cents) == [3226, 6774])
    }

    @Test func negativeAmountsSplitSymmetrically() {
        #expect(Money(cents: -10_000).split(into: 3).map(\.cents) == [-3334, -3333, -3333])
    }

    @Test func zeroWeightsGetNothing() {
        #expect(Money(cents: 500).split(weights: [0, 1, 0]).map(\.cents) == [0, 500, 0])
        #expect(Money(cents: 500).split(weights: [0, 0]).map(\.cents) == [0, 0])
    }

    /// Property: parts always sum to the whole and differ from the exact share by less than a cent.
    @Test func partsSumToTheWhole() {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<5_000 {
            let cents = Int64.random(in: -10_000_000_000...10_000_000_000, using: &generator)
            let weights = (0..<Int.random(in: 1...31, using: &generator)).map { _ in
                Int64.random(in: 0...1_000, using: &generator)
            }
            let parts = Money(cents: cents).split(weights: weights)
            let total = weights.reduce(0, +)
            #expect(parts.count == weights.count)
            if total > 0 {
                #expect(parts.reduce(0) { $0 + $1.cents } == cents)
                for (part, weight) in zip(parts, weights) {
                    let exact = Double(cents) * Double(weight) / Double(total)
                    #expect(abs(Double(part.cents) - exact) < 1.0 + 1e-6 * abs(exact))
                }
            }
        }
    }
}

extension String {
    fileprivate func replacingDots() -> String { String(filter { $0 != "." }) }
}
