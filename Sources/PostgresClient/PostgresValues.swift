import UUIDText

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A PostgreSQL type OID, as reported for a result column.
public struct PostgresType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let bool = PostgresType(rawValue: 16)
    public static let bytea = PostgresType(rawValue: 17)
    public static let name = PostgresType(rawValue: 19)
    public static let int8 = PostgresType(rawValue: 20)
    public static let int2 = PostgresType(rawValue: 21)
    public static let int4 = PostgresType(rawValue: 23)
    public static let text = PostgresType(rawValue: 25)
    public static let oid = PostgresType(rawValue: 26)
    public static let json = PostgresType(rawValue: 114)
    public static let float4 = PostgresType(rawValue: 700)
    public static let float8 = PostgresType(rawValue: 701)
    public static let bpchar = PostgresType(rawValue: 1042)
    public static let varchar = PostgresType(rawValue: 1043)
    public static let date = PostgresType(rawValue: 1082)
    public static let timestamp = PostgresType(rawValue: 1114)
    public static let timestamptz = PostgresType(rawValue: 1184)
    public static let numeric = PostgresType(rawValue: 1700)
    public static let uuid = PostgresType(rawValue: 2950)
    public static let jsonb = PostgresType(rawValue: 3802)

    static let integers: Set<PostgresType> = [.int2, .int4, .int8, .oid]

    public var description: String {
        switch self {
        case .bool: "bool"
        case .bytea: "bytea"
        case .name: "name"
        case .int8: "int8"
        case .int2: "int2"
        case .int4: "int4"
        case .text: "text"
        case .oid: "oid"
        case .json: "json"
        case .float4: "float4"
        case .float8: "float8"
        case .bpchar: "bpchar"
        case .varchar: "varchar"
        case .date: "date"
        case .timestamp: "timestamp"
        case .timestamptz: "timestamptz"
        case .numeric: "numeric"
        case .uuid: "uuid"
        case .jsonb: "jsonb"
        default: "oid \(rawValue)"
        }
    }
}

// MARK: - Encoding (parameters travel in PostgreSQL's text format)

/// A Swift value that can be bound to a `$n` parameter.
public protocol PostgresEncodable: Sendable {
    /// The text form of the value, or nil for SQL NULL.
    var postgresText: String? { get }
}

extension String: PostgresEncodable { public var postgresText: String? { self } }
extension Substring: PostgresEncodable { public var postgresText: String? { String(self) } }
extension Int: PostgresEncodable { public var postgresText: String? { String(self) } }
extension Int64: PostgresEncodable { public var postgresText: String? { String(self) } }
extension Int32: PostgresEncodable { public var postgresText: String? { String(self) } }
extension Int16: PostgresEncodable { public var postgresText: String? { String(self) } }
extension Bool: PostgresEncodable { public var postgresText: String? { self ? "t" : "f" } }
extension UUID: PostgresEncodable { public var postgresText: String? { hyphenatedText } }
extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresText: String? { self.flatMap(\.postgresText) }
}

extension Date: PostgresEncodable {
    /// UTC with microseconds, which timestamptz stores exactly.
    public var postgresText: String? { PostgresTimestamp.format(self) }
}

/// Bytes for a `bytea` parameter or column.
public struct PostgresBytes: Hashable, Sendable, PostgresEncodable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var postgresText: String? {
        let digits: [Character] = Array("0123456789abcdef")
        var text = "\\x"
        text.reserveCapacity(2 + bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return text
    }
}

/// A JSON document for a `json`/`jsonb` parameter or column, kept as text.
public struct PostgresJSON: Hashable, Sendable, PostgresEncodable {
    public var text: String
    public init(text: String) { self.text = text }
    public var postgresText: String? { text }
}

/// A calendar date without time zone (`date`).
public struct PostgresDate: Hashable, Comparable, Sendable, PostgresEncodable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int
    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    public var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public var postgresText: String? { description }

    public static func < (lhs: PostgresDate, rhs: PostgresDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// Parses `YYYY-MM-DD` (the ISO DateStyle the client sets on every connection).
    public init?(isoText text: Substring) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count >= 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        self.init(year: year, month: month, day: day)
    }
}

/// An exact decimal as PostgreSQL printed it (`numeric`). Never goes through floating point.
public struct PostgresNumeric: Hashable, Sendable, PostgresEncodable, CustomStringConvertible {
    public let text: String

    /// Accepts an optional sign, digits and an optional fraction, e.g. `-12.50`.
    public init?(_ text: String) {
        var rest = Substring(text)
        if rest.first == "-" || rest.first == "+" { rest = rest.dropFirst() }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty,
            parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
            parts.count == 1 || !parts[1].isEmpty
        else { return nil }
        self.text = text
    }

    public var description: String { text }
    public var postgresText: String? { text }

    /// The value times 10^scale as an integer (e.g. euros to cents with scale 2).
    /// Throws when digits beyond `scale` are not zero or the value does not fit: never rounds.
    public func scaledInteger(scale: Int) throws(PostgresDecodingFailure) -> Int64 {
        var rest = Substring(text)
        var negative = false
        if rest.first == "-" {
            negative = true
            rest = rest.dropFirst()
        } else if rest.first == "+" {
            rest = rest.dropFirst()
        }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        let whole = parts[0]
        var fraction = parts.count == 2 ? parts[1] : ""
        while fraction.count > scale, fraction.last == "0" { fraction = fraction.dropLast() }
        guard fraction.count <= scale else { throw .inexact(text, scale: scale) }
        let digits = whole + fraction + String(repeating: "0", count: scale - fraction.count)
        var value: Int64 = 0
        for digit in digits.utf8 {
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (added, overflow2) = shifted.addingReportingOverflow(Int64(digit - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw .outOfRange(text) }
            value = added
        }
        return negative ? -value : value
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

enum PostgresTimestamp {
    static func format(_ date: Date) -> String {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        let totalMicros = Int64(micros)
        var seconds = totalMicros / 1_000_000
        var fraction = totalMicros % 1_000_000
        if fraction < 0 {
            fraction += 1_000_000
            seconds -= 1
        }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (y, m, d) = civil(fromDays: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2)) \(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(fraction, 6))+00"
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff]±HH[:MM[:SS]]` as timestamptz prints with DateStyle ISO.
    static func parse(_ text: Substring) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 22, bytes[10] == UInt8(ascii: " ") else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= bytes.count else { return nil }
            var value: Int64 = 0
            for i in range {
                guard (48...57).contains(bytes[i]) else { return nil }
                value = value * 10 + Int64(bytes[i] - 48)
            }
            return value
        }
        guard let year = number(0..<4), bytes[4] == 45, let month = number(5..<7), bytes[7] == 45,
            let day = number(8..<10), let hour = number(11..<13), bytes[13] == 58,
            let minute = number(14..<16), bytes[16] == 58, let second = number(17..<19)
        else { return nil }
        var index = 19
        var micros: Int64 = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, (48...57).contains(bytes[index]) {
                if digits < 6 { micros = micros * 10 + Int64(bytes[index] - 48) }
                digits += 1
                index += 1
            }
            for _ in digits..<6 where digits < 6 { micros *= 10 }
        }
        guard index < bytes.count, bytes[index] == 43 || bytes[index] == 45 else { return nil }
        let sign: Int64 = bytes[index] == 43 ? 1 : -1
        index += 1
        var offsetSeconds: Int64 = 0
        var multiplier: Int64 = 3600
        while index < bytes.count {
            guard let part = number(index..<index + 2) else { return nil }
            offsetSeconds += part * multiplier
            multiplier /= 60
            index += 2
            if index < bytes.count {
                guard bytes[index] == 58 else { return nil }
                index += 1
            }
        }
        let days = days(fromCivil: year, month, day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - sign * offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }

    // Howard Hinnant's civil-from-days algorithms (proleptic Gregorian).
    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

// MARK: - Decoding

/// Why a column value could not be decoded. Carries no value text except for numbers.
public enum PostgresDecodingFailure: Error, Sendable, Equatable {
    case unexpectedNull
    case unsupportedType(PostgresType, swiftType: String)
    case malformed(PostgresType, swiftType: String)
    case inexact(String, scale: Int)
    case outOfRange(String)
}

/// A Swift type that can be read from a result column (text format).
public protocol PostgresDecodable: Sendable {
    /// Decodes the text form of a non-NULL value of the given column type.
    static func decode(_ text: Substring, type: PostgresType) throws(PostgresDecodingFailure) -> Self
    /// The value for SQL NULL; throws `unexpectedNull` unless the type is optional.
    static func decodeNull() throws(PostgresDecodingFailure) -> Self
}

extension PostgresDecodable {
    public static func decodeNull() throws(PostgresDecodingFailure) -> Self { throw .unexpectedNull }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(_ text: Substring, type: PostgresType) throws(PostgresDecodingFailure) -> Self {
        try Wrapped.decode(text, type: type)
    }
    public static func decodeNull() throws(PostgresDecodingFailure) -> Self { nil }
}

extension String: PostgresDecodable {
    /// Any column reads as its text form; `bytea` does not, as its text form is an encoding.
    public static func decode(_ text: Substring, type: PostgresType) throws(PostgresDecodingFailure) -> String {
        guard type != .bytea else { throw .unsupportedType(type, swiftType: "String") }
        return String(text)
    }
}

extension Bool: PostgresDecodable {
    public static func decode(_ text: Substring, type: PostgresType) throws(PostgresDecodingFailure) -> Bool {
        guard type == .bool else { throw .unsupportedType(type, swiftType: "Bool") }
        switch text {
        case "t": return true
        case "f": return false
        default: throw .malformed(type, swiftType: "Bool")
        }
    }
}

private func decodeInteger<T: FixedWidthInteger>(
    _ text: Substring, type: PostgresType, as: T.Type
) throws(PostgresDecodingFailure) -> T {
    guard PostgresType.integers.contains(type) else { throw .unsupportedType(type, swiftType: "\(T.self)") }
    guard let value = T(text) else { throw .outOfRange(String(text)) }
    return value
}

extension Int: PostgresDecodable {
    public static func decode(_ text: Substring, type: PostgresType) throws(PostgresDecodingFailure) -> Int {
        try decodeInteger(text, type: type, as: Int.self)
    }
}
extension Int64: PostgresDecodable {
    public static func decode(_ text: Substring, type: PostgresType) throws(PostgresDecodingFailure) -> Int64 {
        try decodeInteger(text, type: type, as: Int64.self)
    }
}
extension Int32: PostgresDecodable {
    public static func decode(_ text: Substring, type: PostgresType) throws(PostgresDecodingFailure) -> Int32 {
        try decodeInteger(text, type: type, as: Int32.self)
    }
}
extension Int16: PostgresDecodable {
    public static func decode(_ text: Substring, type: PostgresType) throws(PostgresDecodingFailure) -> Int16 {
        try decodeInteger(text, type: type, as: Int16.self)
    }
}

extension Double: PostgresDecodable {
    /// Only for float columns: money is never read as a Double.
    public static func decode(_ text: Substring, type: PostgresType) throws(PostgresDecodingFailure) -> Double {
        guard type == .float4 || type == .float8 else { throw .unsupportedType(type, swiftType: "Double") }
        guard let value = Double(text) else { throw .malformed(type, swiftType: "Double") }
        return value
    }
}

extension PostgresNumeric: PostgresDecodable {
    public static func decode(
        _ text: Substring, type: PostgresType
    ) throws(PostgresDecodingFailure)
        -> PostgresNumeric
    {
        guard type == .numeric || PostgresType.integers.contains(type) else {
            throw .unsupportedType(type, swiftType: "PostgresNumeric")
        }
        guard let value = PostgresNumeric(String(text)) else { throw .malformed(type, swiftType: "PostgresNumeric") }
        return value
    }
}

extension PostgresDate: PostgresDecodable {
    public static func decode(_ text: Substring, type: PostgresType) throws(PostgresDecodingFailure) -> PostgresDate {
        guard type == .date else { throw .unsupportedType(type, swiftType: "PostgresDate") }
        guard let value = PostgresDate(isoText: text) else { throw .malformed(type, swiftType: "PostgresDate") }
        return value
    }
}

extension Date: PostgresDecodable {
    public static func decode(_ text: Substring, type: PostgresType) throws(PostgresDecodingFailure) -> Date {
        guard type == .timestamptz else { throw .unsupportedType(type, swiftType: "Date") }
        guard let value = PostgresTimestamp.parse(text) else { throw .malformed(type, swiftType: "Date") }
        return value
    }
}

extension UUID: PostgresDecodable {
    public static func decode(_ text: Substring, type: PostgresType) throws(PostgresDecodingFailure) -> UUID {
        guard type == .uuid else { throw .unsupportedType(type, swiftType: "UUID") }
        guard let value = UUID(hyphenated: text) else { throw .malformed(type, swiftType: "UUID") }
        return value
    }
}

extension PostgresBytes: PostgresDecodable {
    public static func decode(_ text: Substring, type: PostgresType) throws(PostgresDecodingFailure) -> PostgresBytes {
        guard type == .bytea else { throw .unsupportedType(type, swiftType: "PostgresBytes") }
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"), utf8.count % 2 == 0
        else { throw .malformed(type, swiftType: "PostgresBytes") }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            case 65...70: c - 55
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity((utf8.count - 2) / 2)
        var index = 2
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else {
                throw .malformed(type, swiftType: "PostgresBytes")
            }
            bytes.append(high << 4 | low)
            index += 2
        }
        return PostgresBytes(bytes)
    }
}

extension PostgresJSON: PostgresDecodable {
    public static func decode(_ text: Substring, type: PostgresType) throws(PostgresDecodingFailure) -> PostgresJSON {
        guard type == .json || type == .jsonb else { throw .unsupportedType(type, swiftType: "PostgresJSON") }
        return PostgresJSON(text: String(text))
    }
}
