/// A volume of service in hundredths of its unit (hours or days), exact like money: 12.5 hours are
/// 1250. Fachleistungsstunden are billed in quarter hours or finer, so two decimals suffice.
public struct Quantity: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let hundredths: Int64

    public init(hundredths: Int64) { self.hundredths = hundredths }

    public static let zero = Quantity(hundredths: 0)
    /// One unit: one hour, one day, or a flat month delivered.
    public static let one = Quantity(hundredths: 100)

    /// The most accepted for one grant and month: more than 744 hours (31 × 24) is never real.
    public static let maximum = Quantity(hundredths: 744_00)

    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case malformed, negative, tooManyDecimals, tooLarge
        public var description: String {
            switch self {
            case .malformed: "not a quantity (expected e.g. 12.5)"
            case .negative: "quantity must not be negative"
            case .tooManyDecimals: "more than 2 decimals"
            case .tooLarge: "quantity too large (at most 744 per month)"
            }
        }
    }

    /// Parses `12`, `12.5`, `12.25` (and `12,5` with `decimalComma`).
    public init(parsing text: String, decimalComma: Bool = false) throws(ParseError) {
        if text.hasPrefix("-") { throw .negative }
        let money: Money
        do { money = try Money(parsing: text, decimalComma: decimalComma) } catch {
            switch error {
            case .tooManyDecimals: throw .tooManyDecimals
            case .outOfRange: throw .tooLarge
            default: throw .malformed
            }
        }
        guard !text.hasPrefix("+") else { throw .malformed }
        guard money.cents <= Self.maximum.hundredths else { throw .tooLarge }
        hundredths = money.cents
    }

    public static func < (lhs: Quantity, rhs: Quantity) -> Bool { lhs.hundredths < rhs.hundredths }
    public static func + (lhs: Quantity, rhs: Quantity) -> Quantity {
        Quantity(hundredths: lhs.hundredths + rhs.hundredths)
    }
    public static func - (lhs: Quantity, rhs: Quantity) -> Quantity {
        Quantity(hundredths: lhs.hundredths - rhs.hundredths)
    }

    public var description: String { Money(cents: hundredths).description }
}
