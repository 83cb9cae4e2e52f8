/// A calendar day (proleptic Gregorian), without time or time zone: service dates, grant periods,
/// move dates. Kept free of Foundation so the domain has no clock and no locale.
public struct Day: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Days since 1970-01-01.
    public let ordinal: Int32

    public init(ordinal: Int32) { self.ordinal = ordinal }

    /// nil when the date does not exist (2026-02-30) or is outside 1900...2199.
    public init?(year: Int, month: Int, day: Int) {
        guard (1900...2199).contains(year), (1...12).contains(month),
            (1...YearMonth.daysIn(year: year, month: month)).contains(day)
        else { return nil }
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        ordinal = Int32(era * 146097 + dayOfEra - 719468)
    }

    /// Strict ISO form `YYYY-MM-DD`.
    public init?(iso text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 10, utf8[4] == UInt8(ascii: "-"), utf8[7] == UInt8(ascii: "-"),
            let year = Self.number(utf8[0..<4]), let month = Self.number(utf8[5..<7]),
            let day = Self.number(utf8[8..<10])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for digit in digits {
            guard (48...57).contains(digit) else { return nil }
            value = value * 10 + Int(digit - 48)
        }
        return value
    }

    public var components: (year: Int, month: Int, day: Int) {
        // civil_from_days.
        let z = Int(ordinal) + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let dayOfEra = z - era * 146097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    public var yearMonth: YearMonth {
        let parts = components
        return YearMonth(unchecked: parts.year, parts.month)
    }

    public var year: Int { components.year }

    public func adding(days: Int) -> Day { Day(ordinal: ordinal + Int32(days)) }

    public static func < (lhs: Day, rhs: Day) -> Bool { lhs.ordinal < rhs.ordinal }

    public var description: String {
        let parts = components
        return "\(parts.year)-\(Self.pad(parts.month))-\(Self.pad(parts.day))"
    }

    static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}

/// A month of a fiscal year (the fiscal year is the calendar year): the unit of periods, deliveries and
/// reconciliation.
public struct YearMonth: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    public init?(year: Int, month: Int) {
        guard (1900...2199).contains(year), (1...12).contains(month) else { return nil }
        self.year = year
        self.month = month
    }

    init(unchecked year: Int, _ month: Int) {
        self.year = year
        self.month = month
    }

    /// Strict `YYYY-MM`.
    public init?(iso text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 7, utf8[4] == UInt8(ascii: "-"), let year = Day.number(utf8[0..<4]),
            let month = Day.number(utf8[5..<7])
        else { return nil }
        self.init(year: year, month: month)
    }

    public static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public var dayCount: Int { Self.daysIn(year: year, month: month) }
    public var firstDay: Day { Day(year: year, month: month, day: 1)! }
    public var lastDay: Day { Day(year: year, month: month, day: dayCount)! }
    public var next: YearMonth {
        month == 12 ? YearMonth(unchecked: year + 1, 1) : YearMonth(unchecked: year, month + 1)
    }
    public var previous: YearMonth {
        month == 1 ? YearMonth(unchecked: year - 1, 12) : YearMonth(unchecked: year, month - 1)
    }

    /// The months of a fiscal year, January to December.
    public static func months(of year: Int) -> [YearMonth] { (1...12).map { YearMonth(unchecked: year, $0) } }

    /// Months from `self` through `last`, inclusive.
    public func through(_ last: YearMonth) -> [YearMonth] {
        var months: [YearMonth] = []
        var month = self
        while month <= last {
            months.append(month)
            month = month.next
        }
        return months
    }

    public static func < (lhs: YearMonth, rhs: YearMonth) -> Bool { (lhs.year, lhs.month) < (rhs.year, rhs.month) }

    public var description: String { "\(year)-\(Day.pad(month))" }
}

/// An inclusive range of days; `end` nil means open-ended.
public struct DayRange: Hashable, Sendable {
    public let start: Day
    public let end: Day?

    public init?(start: Day, end: Day?) {
        if let end, end < start { return nil }
        self.start = start
        self.end = end
    }

    public func contains(_ day: Day) -> Bool { day >= start && (end.map { day <= $0 } ?? true) }

    /// The days of `month` inside the range, or nil when none.
    public func clipped(to month: YearMonth) -> (first: Day, last: Day)? {
        let first = max(start, month.firstDay)
        let last = min(end ?? month.lastDay, month.lastDay)
        return first <= last ? (first, last) : nil
    }
}
