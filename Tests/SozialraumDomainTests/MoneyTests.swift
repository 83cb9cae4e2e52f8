import Foundation
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

    @Test func arithmeticThrowsOverflowInsteadOfTrapping() throws {
        // 0.05 + (−0.07) = −0.02; 0.05 − 0.07 = −0.02; −(−0.02) = 0.02; 0.07 × 3 = 0.21.
        #expect(try Money(cents: 5) + Money(cents: -7) == Money(cents: -2))
        #expect(try Money(cents: 5) - Money(cents: 7) == Money(cents: -2))
        #expect(try -Money(cents: -2) == Money(cents: 2))
        #expect(try Money(cents: 7).times(3) == Money(cents: 21))
        #expect(throws: Money.Overflow.self) { try Money(cents: .max) + Money(cents: 1) }
        #expect(throws: Money.Overflow.self) { try Money(cents: .min) - Money(cents: 1) }
        #expect(throws: Money.Overflow.self) { try -Money(cents: .min) }
        #expect(throws: Money.Overflow.self) { try Money(cents: .min).magnitude() }
        #expect(throws: Money.Overflow.self) { try Money(cents: .max / 2 + 1).times(2) }
        #expect(throws: Money.Overflow.self) {
            try Money.total([Money(cents: .max), Money(cents: 1), Money(cents: -1)])
        }
    }

    @Test func sharesAndScalingAreExactAndCannotOverflow() throws {
        // 25 % of 10.01 = 2.5025 → 2.50 (down); of −10.01 → −2.50 (toward zero).
        #expect(Money(cents: 1001).share(basisPoints: 2500) == Money(cents: 250))
        #expect(Money(cents: -1001).share(basisPoints: 2500) == Money(cents: -250))
        // 100 % of the smallest amount is itself (128-bit, no trap at −2^63).
        #expect(Money(cents: .min).share(basisPoints: 10_000) == Money(cents: .min))
        // 10.00 × 3/8 = 3.75 exactly; 10.00 × 1/3 = 3.333… → 3.33; 0.05 × 1/2 = 0.025 → 0.03 (half up).
        #expect(try Money(cents: 1000).scaled(by: 3, over: 8) == Money(cents: 375))
        #expect(try Money(cents: 1000).scaled(by: 1, over: 3) == Money(cents: 333))
        #expect(try Money(cents: 5).scaled(by: 1, over: 2) == Money(cents: 3))
        #expect(try Money(cents: -5).scaled(by: 1, over: 2) == Money(cents: -3))
        #expect(throws: Money.Overflow.self) { try Money(cents: .max).scaled(by: 2, over: 1) }
        // Int64.max × 2 / 2 needs 65 bits in between and fits at the end.
        #expect(try Money(cents: .max).scaled(by: 2, over: 2) == Money(cents: .max))
        // The whole of −2^63 in one part stays −2^63.
        #expect(Money(cents: .min).split(into: 1) == [Money(cents: .min)])
    }

    @Test func noArithmeticOnCentsOutsideMoney() throws {
        // One overflow policy (issue 34): sums, differences and products of money go through `Money`.
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../Sources")
        let arithmetic = try Regex(
            #"\.cents\s*([-+*/%]|[-+*/]=|\.magnitude)|([-+*/%]=?)\s*[A-Za-z0-9_$.()!\[\]]*\.cents\b"#)
        var offending: [String] = []
        let files = FileManager.default.enumerator(atPath: sources.path)!.compactMap { $0 as? String }
        for file in files where file.hasSuffix(".swift") && !file.hasSuffix("/Money.swift") {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where line.contains(arithmetic) {
                offending.append("\(file):\(number + 1)")
            }
        }
        #expect(files.count > 100, "the sources were found")
        #expect(offending == [], "arithmetic on .cents outside Money")
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
