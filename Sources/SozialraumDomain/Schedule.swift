/// An instant as whole seconds since 1970-01-01T00:00:00Z. The domain has no clock: the scheduler
/// passes the time in.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let seconds: Int64

    public init(seconds: Int64) { self.seconds = seconds }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.seconds < rhs.seconds }

    public func adding(seconds: Int64) -> Instant { Instant(seconds: self.seconds + seconds) }

    /// `2026-03-29T01:00:00Z`
    public var description: String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let rest = seconds - days * 86_400
        return
            "\(Day(ordinal: Int32(days)))T\(Day.pad(Int(rest / 3600))):\(Day.pad(Int(rest % 3600 / 60))):\(Day.pad(Int(rest % 60)))Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM[:SS]Z`.
    public init?(iso text: some StringProtocol) {
        let text = String(text)
        guard text.hasSuffix("Z"), text.count == 17 || text.count == 20 else { return nil }
        let utf8 = Array(text.utf8)
        guard let day = Day(iso: text.prefix(10)), utf8[10] == UInt8(ascii: "T"), utf8[13] == UInt8(ascii: ":"),
            let hour = Day.number(utf8[11..<13]), let minute = Day.number(utf8[14..<16]), hour < 24, minute < 60
        else { return nil }
        var second = 0
        if text.count == 20 {
            guard utf8[16] == UInt8(ascii: ":"), let value = Day.number(utf8[17..<19]), value < 60 else { return nil }
            second = value
        }
        self.init(seconds: Int64(day.ordinal) * 86_400 + Int64(hour * 3600 + minute * 60 + second))
    }
}

/// A wall-clock time in some zone, to the minute.
public struct LocalDateTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let day: Day
    /// Minutes after midnight, 0..<1440.
    public let minuteOfDay: Int

    public init(day: Day, hour: Int, minute: Int) {
        self.day = day
        self.minuteOfDay = hour * 60 + minute
    }

    public var hour: Int { minuteOfDay / 60 }
    public var minute: Int { minuteOfDay % 60 }

    /// Seconds of this wall-clock time as if it were UTC.
    var nominalSeconds: Int64 { Int64(day.ordinal) * 86_400 + Int64(minuteOfDay) * 60 }

    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.day, lhs.minuteOfDay) < (rhs.day, rhs.minuteOfDay) }

    public var description: String { "\(day) \(Day.pad(hour)):\(Day.pad(minute))" }
}

/// The offset rules of a time zone. Europe/Berlin follows the EU rule (since 1996): CEST (UTC+2) from
/// the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC, CET (UTC+1) otherwise.
public struct ZoneRules: Hashable, Sendable, CustomStringConvertible {
    public let identifier: String
    let standardOffset: Int64
    let summerTime: Bool

    public static let utc = ZoneRules(identifier: "UTC", standardOffset: 0, summerTime: false)
    public static let europeBerlin = ZoneRules(identifier: "Europe/Berlin", standardOffset: 3600, summerTime: true)

    /// The zones schedules may name.
    public static let supported: [ZoneRules] = [.europeBerlin, .utc]

    public init?(identifier: String) {
        guard let zone = Self.supported.first(where: { $0.identifier == identifier }) else { return nil }
        self = zone
    }

    init(identifier: String, standardOffset: Int64, summerTime: Bool) {
        self.identifier = identifier
        self.standardOffset = standardOffset
        self.summerTime = summerTime
    }

    public var description: String { identifier }

    /// Start and end of summer time in `year`, as instants (01:00 UTC on the last Sundays of March and October).
    func summerTime(in year: Int) -> (start: Instant, end: Instant) {
        func lastSunday(month: Int) -> Day {
            let last = YearMonth(year: year, month: month)!.lastDay
            return last.adding(days: -Int(last.weekday))
        }
        return (
            Instant(seconds: Int64(lastSunday(month: 3).ordinal) * 86_400 + 3600),
            Instant(seconds: Int64(lastSunday(month: 10).ordinal) * 86_400 + 3600)
        )
    }

    /// Seconds east of UTC at `instant`.
    public func offset(at instant: Instant) -> Int64 {
        guard summerTime else { return standardOffset }
        let year = Day(
            ordinal: Int32(instant.seconds >= 0 ? instant.seconds / 86_400 : (instant.seconds - 86_399) / 86_400)
        ).year
        let period = summerTime(in: year)
        return instant >= period.start && instant < period.end ? standardOffset + 3600 : standardOffset
    }

    public func local(_ instant: Instant) -> LocalDateTime {
        let seconds = instant.seconds + offset(at: instant)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let minute = Int((seconds - days * 86_400) / 60)
        return LocalDateTime(day: Day(ordinal: Int32(days)), hour: minute / 60, minute: minute % 60)
    }

    /// A moment as replies show it: local ISO 8601 with its offset and seconds (`2026-11-25T14:03:07+01:00`),
    /// as `local_time` in SQL (sql/0028) presents stored moments.
    public func iso8601(_ instant: Instant) -> String {
        let offset = offset(at: instant)
        let seconds = instant.seconds + offset
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let ofDay = Int(seconds - days * 86_400)
        let sign = offset < 0 ? "-" : "+"
        let magnitude = Int(abs(offset)) / 60
        let time = "\(Day.pad(ofDay / 3600)):\(Day.pad(ofDay / 60 % 60)):\(Day.pad(ofDay % 60))"
        return "\(Day(ordinal: Int32(days)))T\(time)\(sign)\(Day.pad(magnitude / 60)):\(Day.pad(magnitude % 60))"
    }

    /// The instant of a wall-clock time. A time that occurs twice (the night summer time ends) is its
    /// first occurrence; a time that does not occur (the night it starts) moves to the end of the gap,
    /// 03:00 in Berlin.
    public func instant(of local: LocalDateTime) -> Instant {
        let nominal = local.nominalSeconds
        // Candidates with each possible offset, earliest first; keep those that map back.
        let offsets = summerTime ? [standardOffset + 3600, standardOffset] : [standardOffset]
        for offset in offsets {
            let candidate = Instant(seconds: nominal - offset)
            if self.offset(at: candidate) == offset { return candidate }
        }
        // In the gap: the first instant after it, where the new (summer) offset begins.
        let gapEnd = Instant(seconds: nominal - standardOffset)
        return summerTime(in: local.day.year).start.seconds <= gapEnd.seconds
            ? summerTime(in: local.day.year).start : gapEnd
    }
}

extension Day {
    /// 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday).
    public var weekday: Int32 { ((ordinal % 7) + 7 + 4) % 7 }
}

/// A cron expression: five fields (minute hour day-of-month month day-of-week) with lists, ranges,
/// steps and names (`jan`, `mon`), `L` for the last day of the month, and the shorthands `@hourly`,
/// `@daily`, `@weekly`, `@monthly`, `@yearly`. As Quartz does, `LW` is the month's last working day
/// (Monday to Friday) and `nW` the working day nearest to day n within its month (`1W`: the first
/// working day; a Saturday moves to Friday, a Sunday to Monday, never into another month; no fire in a
/// month shorter than n). As in Vixie cron, when both day fields are restricted a day matches either
/// (`0 6 L * mon-fri` fires on every weekday and on the last day: write `0 6 LW * *` instead).
public struct CronSchedule: Hashable, Sendable, CustomStringConvertible {
    public let expression: String
    let minutes: UInt64
    let hours: UInt32
    let daysOfMonth: UInt32
    let lastDayOfMonth: Bool
    /// `LW`: the last working day of the month.
    let lastWorkingDay: Bool
    /// `nW`: the working day nearest to day n (0: not used).
    let nearestWorkingDayTo: Int
    let months: UInt16
    let daysOfWeek: UInt8
    let daysOfMonthRestricted: Bool
    let daysOfWeekRestricted: Bool
    /// Whose public holidays `LW` and `nW` skip.
    public let land: Land

    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case fieldCount(Int)
        case invalid(field: String, text: String)

        public var description: String {
            switch self {
            case .fieldCount(let count): "a cron expression has 5 fields (minute hour day month weekday), not \(count)"
            case .invalid(let field, let text): "invalid \(field) field '\(text)'"
            }
        }
    }

    static let shorthands = [
        "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0",
        "@monthly": "0 0 1 * *",
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
    ]
    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    public init(parsing text: String, land: Land = .niedersachsen) throws(ParseError) {
        self.land = land
        let trimmed = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
        let expanded = Self.shorthands[trimmed.lowercased()] ?? trimmed
        let fields = expanded.split(separator: " ").map { String($0).lowercased() }
        guard fields.count == 5 else { throw .fieldCount(fields.count) }
        expression = trimmed
        minutes = try Self.field(fields[0], name: "minute", range: 0...59, names: [])
        hours = UInt32(try Self.field(fields[1], name: "hour", range: 0...23, names: []))
        lastWorkingDay = fields[2] == "lw"
        if fields[2] == "l" || fields[2] == "lw" {
            daysOfMonth = 0
            lastDayOfMonth = fields[2] == "l"
            nearestWorkingDayTo = 0
        } else if fields[2].hasSuffix("w") {
            guard let day = Int(fields[2].dropLast()), (1...31).contains(day) else {
                throw .invalid(field: "day-of-month", text: fields[2])
            }
            daysOfMonth = 0
            lastDayOfMonth = false
            nearestWorkingDayTo = day
        } else {
            daysOfMonth = UInt32(try Self.field(fields[2], name: "day-of-month", range: 1...31, names: []))
            lastDayOfMonth = false
            nearestWorkingDayTo = 0
        }
        months = UInt16(try Self.field(fields[3], name: "month", range: 1...12, names: Self.monthNames, firstName: 1))
        // 7 is Sunday too.
        let weekdays = try Self.field(fields[4], name: "day-of-week", range: 0...7, names: Self.dayNames, firstName: 0)
        daysOfWeek = UInt8((weekdays | (weekdays >> 7)) & 0x7f)
        daysOfMonthRestricted = fields[2] != "*"
        daysOfWeekRestricted = fields[4] != "*"
        if !lastDayOfMonth, !lastWorkingDay, nearestWorkingDayTo == 0, months != 0, daysOfMonth != 0,
            !daysOfWeekRestricted
        {
            // A day that never exists (30 February) would never fire: refuse it.
            let longest = (1...12).filter { months & (1 << $0) != 0 }.map { YearMonth.daysIn(year: 2024, month: $0) }
                .max()!
            guard UInt64(daysOfMonth) & ((UInt64(1) << UInt64(longest + 1)) - 2) != 0 else {
                throw .invalid(field: "day-of-month", text: fields[2])
            }
        }
    }

    /// A comma list of `*`, `n`, `a-b`, each with an optional `/step`, as a bit set over `range`.
    static func field(
        _ text: String, name: String, range: ClosedRange<Int>, names: [String], firstName: Int = 0
    ) throws(ParseError) -> UInt64 {
        var bits: UInt64 = 0
        func value(_ part: Substring) throws(ParseError) -> Int {
            if let number = Int(part), range.contains(number) { return number }
            if let index = names.firstIndex(of: String(part)) { return index + firstName }
            throw .invalid(field: name, text: text)
        }
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let stepParts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(stepParts.count) else { throw .invalid(field: name, text: text) }
            var step = 1
            if stepParts.count == 2 {
                guard let parsed = Int(stepParts[1]), parsed >= 1, parsed <= range.upperBound else {
                    throw .invalid(field: name, text: text)
                }
                step = parsed
            }
            let base = stepParts[0]
            var low = range.lowerBound, high = range.upperBound
            if base != "*" {
                let bounds = base.split(separator: "-", omittingEmptySubsequences: false)
                guard (1...2).contains(bounds.count) else { throw .invalid(field: name, text: text) }
                low = try value(bounds[0])
                high = bounds.count == 2 ? try value(bounds[1]) : (stepParts.count == 2 ? range.upperBound : low)
                guard low <= high else { throw .invalid(field: name, text: text) }
            }
            for number in stride(from: low, through: high, by: step) { bits |= 1 << UInt64(number) }
        }
        return bits
    }

    public var description: String { expression }

    /// The last working day of the month (`LW`): Monday to Friday and no public holiday of `land`.
    static func lastWorkingDay(year: Int, month: Int, in land: Land = .niedersachsen) -> Int {
        var day = YearMonth(year: year, month: month)!.lastDay
        while !PublicHolidays.isWorkingDay(day, in: land) { day = day.adding(days: -1) }
        return day.components.day
    }

    /// The working day nearest to day `target` within its month (`nW`): as Quartz for weekends (a Saturday
    /// moves back to Friday, a Sunday on to Monday, never out of the month), and also past public holidays
    /// of `land`; of two equally near days the earlier. nil when the month has no day `target`.
    static func workingDay(nearest target: Int, year: Int, month: Int, in land: Land = .niedersachsen) -> Int? {
        let days = YearMonth.daysIn(year: year, month: month)
        guard target <= days, let day = Day(year: year, month: month, day: target) else { return nil }
        if PublicHolidays.isWorkingDay(day, in: land) { return target }
        for distance in 1..<days {
            for candidate in [target - distance, target + distance] where (1...days).contains(candidate) {
                // A Sunday's Monday is nearer than its Friday (Quartz): the weekend itself counts as one step.
                if PublicHolidays.isWorkingDay(day.adding(days: candidate - target), in: land) { return candidate }
            }
        }
        return nil
    }

    /// True when `day` is a firing day.
    public func matches(day: Day) -> Bool {
        let (year, month, dayOfMonth) = day.components
        guard months & (1 << month) != 0 else { return false }
        let domMatch: Bool
        if lastDayOfMonth {
            domMatch = dayOfMonth == YearMonth.daysIn(year: year, month: month)
        } else if lastWorkingDay {
            domMatch = Int(dayOfMonth) == Self.lastWorkingDay(year: Int(year), month: Int(month), in: land)
        } else if nearestWorkingDayTo > 0 {
            domMatch =
                Int(dayOfMonth)
                == Self.workingDay(nearest: nearestWorkingDayTo, year: Int(year), month: Int(month), in: land)
        } else {
            domMatch = daysOfMonth & (1 << dayOfMonth) != 0
        }
        let dowMatch = daysOfWeek & (1 << UInt8(day.weekday)) != 0
        switch (daysOfMonthRestricted, daysOfWeekRestricted) {
        case (true, true): return domMatch || dowMatch
        case (true, false): return domMatch
        case (false, true): return dowMatch
        case (false, false): return true
        }
    }

    /// The first firing instant strictly after `after`, in `zone`. Each matching wall-clock time fires
    /// once: a time that occurs twice fires at its first occurrence; times inside the spring gap fire
    /// once at the gap's end. nil if none within eight years (an impossible date such as 31 February
    /// is refused when parsing; `L` and weekdays always occur).
    public func nextFire(after: Instant, in zone: ZoneRules) -> Instant? {
        let start = zone.local(after)
        // Look from the local day before: a gap-moved time of the day may still lie ahead.
        var day = start.day.adding(days: -1)
        let limit = start.day.adding(days: 366 * 8)
        while day <= limit {
            if matches(day: day) {
                for minuteOfDay in 0..<1440
                where hours & (1 << UInt32(minuteOfDay / 60)) != 0 && minutes & (1 << UInt64(minuteOfDay % 60)) != 0 {
                    let instant = zone.instant(
                        of: LocalDateTime(day: day, hour: minuteOfDay / 60, minute: minuteOfDay % 60))
                    if instant > after { return instant }
                }
            }
            day = day.adding(days: 1)
        }
        return nil
    }

    /// Every firing instant in `(after, through]`, at most `limit` (oldest first), each once.
    public func fires(after: Instant, through: Instant, in zone: ZoneRules, limit: Int = 10_000) -> [Instant] {
        var result: [Instant] = []
        var cursor = after
        while result.count < limit, let next = nextFire(after: cursor, in: zone), next <= through {
            result.append(next)
            cursor = next
        }
        return result
    }
}

/// What the scheduler does with slots that fell due while no instance ran (missed-run policy).
public enum MissedRunPolicy: String, Sendable, CaseIterable {
    /// Run every missed slot, oldest first (month-end reconciliations).
    case all
    /// Run only the most recent missed slot.
    case latest
    /// Run none of them; wait for the next slot.
    case skip

    /// The slots to run now of those that fell due in `(lastPlanned, now]` (oldest first). A slot at
    /// most `grace` seconds old is on time and always runs; older ones were missed.
    public func slotsToRun(_ due: [Instant], now: Instant, grace: Int64) -> [Instant] {
        switch self {
        case .all: due
        case .latest: due.last.map { [$0] } ?? []
        case .skip: due.filter { now.seconds - $0.seconds <= grace }
        }
    }
}

/// Retry backoff: `base × attempt⁴`, at most 6 hours, so that a month-end run's attempts span hours (an
/// outage of the database or the county's network is waited out): with 60 s, 1 min, 16 min, 81 min,
/// 4 h 16 min, then every 6 h.
public func retryDelay(attempt: Int, baseSeconds: Int64) -> Int64 {
    let n = Int64(min(max(attempt, 1), 100))
    let factor = n * n * n * n
    return min(baseSeconds.multipliedReportingOverflow(by: factor).overflow ? 21_600 : baseSeconds * factor, 21_600)
}
