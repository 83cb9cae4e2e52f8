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

    // MARK: Arithmetic that reports overflow instead of trapping.

    public func adding(_ other: Money) -> Money? {
        let (sum, overflow) = cents.addingReportingOverflow(other.cents)
        return overflow ? nil : Money(cents: sum)
    }

    /// The total of `amounts`; nil when it leaves the range of cents (never traps).
    public static func sum(_ amounts: some Sequence<Money>) -> Money? {
        var total = Money.zero
        for amount in amounts {
            guard let next = total.adding(amount) else { return nil }
            total = next
        }
        return total
    }

    public func subtracting(_ other: Money) -> Money? {
        let (difference, overflow) = cents.subtractingReportingOverflow(other.cents)
        return overflow ? nil : Money(cents: difference)
    }

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
        return parts.map { Money(cents: cents < 0 ? -Int64($0) : Int64($0)) }
    }

    /// Splits into `count` equal parts (remainder cents to the first parts).
    public func split(into count: Int) -> [Money] {
        split(weights: Array(repeating: 1, count: count))
    }
}
