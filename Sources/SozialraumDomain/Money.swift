/// An exact amount of euros, held as integer cents (rule 2: never floating point).
public struct Money: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The amount in cents. Negative amounts are refunds/reversals.
    public let cents: Int64

    public init(cents: Int64) { self.cents = cents }

    public static let zero = Money(cents: 0)

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.cents < rhs.cents }

    /// `1234.5` → "1234.50", `-0.07` → "-0.07". The canonical, machine-readable form.
    public var description: String {
        let magnitude = cents.magnitude
        let euros = magnitude / 100
        let rest = magnitude % 100
        return (cents < 0 ? "-" : "") + "\(euros)." + (rest < 10 ? "0" : "") + "\(rest)"
    }

    /// Why a text is not an amount.
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case malformed
        case tooManyDecimals
        case outOfRange

        public var description: String {
            switch self {
            case .empty: "empty amount"
            case .malformed: "not an amount (expected e.g. 1234.56)"
            case .tooManyDecimals: "more than 2 decimals"
            case .outOfRange: "amount out of range"
            }
        }
    }

    /// The largest magnitude accepted from input: 999,999,999,999.99 EUR fits `numeric(14,2)`.
    public static let maximumInputCents: Int64 = 99_999_999_999_999

    /// Parses `1234.56`, `-12`, `0.5` and, with `decimalComma`, `1234,56` (German input).
    /// Thousands separators are refused rather than guessed.
    public init(parsing text: String, decimalComma: Bool = false) throws(ParseError) {
        var rest = Substring(text)
        guard !rest.isEmpty else { throw .empty }
        var negative = false
        if rest.first == "-" {
            negative = true
            rest = rest.dropFirst()
        } else if rest.first == "+" {
            rest = rest.dropFirst()
        }
        let separator: Character = decimalComma ? "," : "."
        let parts = rest.split(separator: separator, maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count == 2 ? parts[1] : ""
        let isDigits: (Substring) -> Bool = { $0.utf8.allSatisfy { (48...57).contains($0) } }
        guard !whole.isEmpty, isDigits(whole), isDigits(fraction), parts.count == 1 || !fraction.isEmpty else {
            throw .malformed
        }
        guard fraction.count <= 2 else { throw .tooManyDecimals }
        guard whole.count <= 15 else { throw .outOfRange }
        let wholeValue = Int64(whole)!
        let fractionValue = fraction.isEmpty ? 0 : Int64(fraction)! * (fraction.count == 1 ? 10 : 1)
        let magnitude = wholeValue * 100 + fractionValue
        guard magnitude <= Self.maximumInputCents else { throw .outOfRange }
        self.cents = negative ? -magnitude : magnitude
    }

    /// German notation for people: `1.234,56`.
    public var germanDescription: String {
        let plain = description
        let sign = plain.hasPrefix("-") ? "-" : ""
        let unsigned = plain.drop(while: { $0 == "-" })
        let parts = unsigned.split(separator: ".")
        var grouped = ""
        for (index, digit) in parts[0].reversed().enumerated() {
            if index > 0, index % 3 == 0 { grouped.append(".") }
            grouped.append(digit)
        }
        return sign + String(grouped.reversed()) + "," + parts[1]
    }

    // MARK: Arithmetic: one overflow policy, a thrown `Overflow`, never a trap.

    /// A sum, difference or product of amounts left the range of cents. The daemon answers `INVALID`
    /// ("amount out of range"); nothing in it ends the process.
    public struct Overflow: Error, Hashable, Sendable, CustomStringConvertible {
        public init() {}
        public var description: String { "amount out of range" }
    }

    public static func + (lhs: Money, rhs: Money) throws(Overflow) -> Money {
        let (sum, overflow) = lhs.cents.addingReportingOverflow(rhs.cents)
        guard !overflow else { throw Overflow() }
        return Money(cents: sum)
    }

    public static func - (lhs: Money, rhs: Money) throws(Overflow) -> Money {
        let (difference, overflow) = lhs.cents.subtractingReportingOverflow(rhs.cents)
        guard !overflow else { throw Overflow() }
        return Money(cents: difference)
    }

    public static prefix func - (amount: Money) throws(Overflow) -> Money { try .zero - amount }

    public static func += (lhs: inout Money, rhs: Money) throws(Overflow) { lhs = try lhs + rhs }

    public static func -= (lhs: inout Money, rhs: Money) throws(Overflow) { lhs = try lhs - rhs }

    /// The total of `amounts`.
    public static func total(_ amounts: some Sequence<Money>) throws(Overflow) -> Money {
        var total = Money.zero
        for amount in amounts { total = try total + amount }
        return total
    }

    /// The amount `factor` times, e.g. a rate times whole days.
    public func times(_ factor: Int64) throws(Overflow) -> Money {
        let (product, overflow) = cents.multipliedReportingOverflow(by: factor)
        guard !overflow else { throw Overflow() }
        return Money(cents: product)
    }

    /// The amount divided by `divisor` (> 0), rounded toward zero: a monthly run rate never rounds up.
    public func divided(by divisor: Int64) -> Money {
        precondition(divisor > 0, "divisor must be positive")
        return Money(cents: cents / divisor)
    }

    /// `basisPoints`/10,000 of the amount (0...10,000), rounded toward zero: a share never exceeds its part.
    /// Computed in 128 bits, so it cannot overflow.
    public func share(basisPoints: Int) -> Money {
        precondition((0...10_000).contains(basisPoints), "basis points must be 0...10000")
        let product = cents.magnitude.multipliedFullWidth(by: UInt64(basisPoints))
        let (quotient, _) = UInt64(10_000).dividingFullWidth(product)
        return Money(signed: quotient, negative: cents < 0)
    }

    /// The amount × `numerator` / `denominator`, rounded half away from zero to the cent (a price of a
    /// volume or of part of a month is rounded once). Computed in 128 bits.
    public func scaled(by numerator: Int64, over denominator: Int64) throws(Overflow) -> Money {
        precondition(numerator >= 0 && denominator > 0, "scale by a non-negative fraction")
        let product = cents.magnitude.multipliedFullWidth(by: UInt64(numerator))
        let (low, carry) = product.low.addingReportingOverflow(UInt64(denominator / 2))
        // The product of two 64-bit numbers is below 2^128 − 2^65, so the carry cannot overflow `high`.
        let high = product.high + (carry ? 1 : 0)
        guard high < UInt64(denominator) else { throw Overflow() }
        let (quotient, _) = UInt64(denominator).dividingFullWidth((high, low))
        guard quotient <= UInt64(Int64.max) else { throw Overflow() }
        return Money(signed: quotient, negative: cents < 0)
    }

    /// A magnitude no larger than that of a valid amount, with its sign (2^63 only as −2^63).
    private init(signed magnitude: UInt64, negative: Bool) {
        self.cents = negative ? Int64(bitPattern: 0 &- magnitude) : Int64(magnitude)
    }

    /// The amount in euros as floating point: for drawing a chart only, never for a figure.
    public var approximateEuros: Double { Double(cents) / 100 }

    public var isPositive: Bool { cents > 0 }
    public var isNegative: Bool { cents < 0 }
    /// The amount if positive, else zero: a surplus of a result.
    public var positivePart: Money { isPositive ? self : .zero }
    /// What a negative amount falls short by (zero if not negative): an overrun of an available amount.
    public func shortfall() throws(Overflow) -> Money { isNegative ? try -self : .zero }
    /// The amount without its sign: how far it is from zero.
    public func magnitude() throws(Overflow) -> Money { isNegative ? try -self : self }

    /// Splits the amount into parts proportional to `weights`, distributing remainder cents by the
    /// largest-remainder method (ties to the earlier part), so the parts always sum to the whole.
    /// Equal weights split an annual amount into 12 months: 100.00 → 8.34 × 4, 8.33 × 8.
    public func split(weights: [Int64]) -> [Money] {
        precondition(!weights.isEmpty && weights.allSatisfy { $0 >= 0 }, "weights must be non-negative")
        let total = weights.reduce(0, +)
        guard total > 0 else { return weights.map { _ in .zero } }
        let magnitude = cents.magnitude
        var parts: [UInt64] = []
        var remainders: [(index: Int, remainder: UInt64)] = []
        for (index, weight) in weights.enumerated() {
            // 128-bit intermediate so that large amounts × weights cannot overflow.
            let product = magnitude.multipliedFullWidth(by: UInt64(weight))
            let (quotient, remainder) = UInt64(total).dividingFullWidth(product)
            parts.append(quotient)
            remainders.append((index, remainder))
        }
        var missing = magnitude - parts.reduce(0, +)
        for entry in remainders.sorted(by: { ($0.remainder, -$0.index) > ($1.remainder, -$1.index) }) where missing > 0
        {
            parts[entry.index] += 1
            missing -= 1
        }
        return parts.map { Money(signed: $0, negative: cents < 0) }
    }

    /// Amounts (not negative) in whole euros that add up to their total rounded half up: each rounded down,
    /// the euros missing then to the largest remainders (ties to the earlier) — for a form that takes whole
    /// euros and must add up (the KJH-Statistik).
    public static func wholeEuros(_ amounts: [Money]) throws(Overflow) -> [Int64] {
        precondition(amounts.allSatisfy { !$0.isNegative }, "whole euros of amounts that are not negative")
        let total = try Money.total(amounts)
        var euros = amounts.map { $0.cents / 100 }
        var missing = (total.cents / 100 + (total.cents % 100 >= 50 ? 1 : 0)) - euros.reduce(0, +)
        let byRemainder = amounts.indices.sorted {
            (amounts[$0].cents % 100, -$0) > (amounts[$1].cents % 100, -$1)
        }
        for index in byRemainder where missing > 0 {
            euros[index] += 1
            missing -= 1
        }
        return euros
    }

    /// Splits into `count` equal parts (remainder cents to the first parts).
    public func split(into count: Int) -> [Money] {
        split(weights: Array(repeating: 1, count: count))
    }
}
