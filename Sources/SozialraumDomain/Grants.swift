/// A pseudonymous case key (rule 14): the only identifier of a case stored here. Upper-case letters,
/// digits and hyphens, 4 to 32 characters, with at least one digit, so that no name can pass as a key;
/// never starting with `ERASED-`, the tombstone an erased case's key becomes (rule 19, sql/0034).
public struct CaseKey: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// What an erased case's key starts with; no live key does.
    public static let tombstonePrefix = "ERASED-"

    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard (4...32).contains(bytes.count),
            bytes.allSatisfy({ (65...90).contains($0) || (48...57).contains($0) || $0 == 45 }),
            bytes.contains(where: { (48...57).contains($0) }),
            !text.hasPrefix(Self.tombstonePrefix)
        else { return nil }
        rawValue = String(text)
    }

    public var description: String { rawValue }
}

/// Where a case lives, over time (rule 9). From a move date the new Sozialraum's case budget pays.
public struct ResidenceHistory: Hashable, Sendable {
    public struct Entry: Hashable, Sendable {
        public let from: Day
        public let socialSpace: SocialSpaceCode
        public init(from: Day, socialSpace: SocialSpaceCode) {
            self.from = from
            self.socialSpace = socialSpace
        }
    }

    public let entries: [Entry]

    public init(_ entries: [Entry]) { self.entries = entries.sorted { $0.from < $1.from } }

    /// The Sozialraum the case lives in on `day`, or nil before the first entry.
    public func socialSpace(on day: Day) -> SocialSpaceCode? {
        entries.last { $0.from <= day }?.socialSpace
    }

    /// The days `first...last` split by residence, for splitting a month's cost between Sozialräume.
    public func split(first: Day, last: Day) -> [(socialSpace: SocialSpaceCode?, first: Day, last: Day)] {
        var parts: [(SocialSpaceCode?, Day, Day)] = []
        var day = first
        while day <= last {
            let space = socialSpace(on: day)
            let nextMove = entries.first { $0.from > day }?.from
            let end = nextMove.map { min($0.adding(days: -1), last) } ?? last
            parts.append((space, day, end))
            day = end.adding(days: 1)
        }
        return parts
    }
}

/// A grant (Bewilligung) as the budget rules see it.
public struct GrantTerms: Hashable, Sendable {
    public let period: DayRange
    /// Granted volume per full month, in the rate's unit (ignored for flat monthly rates).
    public let volumePerMonth: Quantity
    public let unit: RateUnit
    public let rates: [Rate]
    /// An early end (Beendigung) before the planned end.
    public let endedOn: Day?

    public init(period: DayRange, volumePerMonth: Quantity, unit: RateUnit, rates: [Rate], endedOn: Day? = nil) {
        self.period = period
        self.volumePerMonth = volumePerMonth
        self.unit = unit
        self.rates = rates
        self.endedOn = endedOn
    }

    /// The period as it stands: an early end shortens it.
    public var effectivePeriod: DayRange {
        guard let endedOn else { return period }
        let end = period.end.map { min($0, endedOn) } ?? endedOn
        return DayRange(start: period.start, end: max(end, period.start.adding(days: -1))) ?? period
    }

    /// The granted volume for `month`, pro rata for a month the grant covers partly (rounded down to
    /// the hundredth), nil when the grant does not cover the month. (The statements compute the same
    /// in SQL, `ReconciliationStore.computeStatementItems`.)
    public func grantedVolume(in month: YearMonth) -> Quantity? {
        guard let days = effectivePeriod.clipped(to: month) else { return nil }
        let covered = Int64(days.last.ordinal - days.first.ordinal + 1)
        return Quantity(hundredths: volumePerMonth.hundredths * covered / Int64(month.dayCount))
    }

    /// The most that can be delivered in `month` (rule 6): for days, the days of the month inside the
    /// grant's period; for a flat monthly unit, 1; for hours, the protocol's monthly maximum.
    public func deliverableLimit(in month: YearMonth) -> Quantity? {
        guard let days = effectivePeriod.clipped(to: month) else { return nil }
        switch unit {
        case .flatMonth: return .one
        case .day: return Quantity(hundredths: Int64(days.last.ordinal - days.first.ordinal + 1) * 100)
        case .hour: return .maximum
        }
    }

    /// The planned cost of `month` (rule 7), nil when the grant does not cover it.
    public func plannedCost(in month: YearMonth) throws(Pricing.Failure) -> Money? {
        guard let days = effectivePeriod.clipped(to: month), let volume = grantedVolume(in: month) else { return nil }
        return try Pricing.cost(quantity: volume, unit: unit, rates: rates, first: days.first, last: days.last)
    }

    /// Commitments (Mittelbindung) of fiscal year `year`, per month (rule 7): the planned cost of every
    /// month of the grant within the year (capped at the year's end) for which no delivery was booked
    /// yet. An early end releases the rest, because `effectivePeriod` ends there.
    public func commitments(year: Int, deliveredMonths: Set<YearMonth>) throws(Pricing.Failure) -> [YearMonth: Money] {
        var result: [YearMonth: Money] = [:]
        for month in YearMonth.months(of: year) where !deliveredMonths.contains(month) {
            if let cost = try plannedCost(in: month) { result[month] = cost }
        }
        return result
    }
}

/// Something the county must look at (rule 8, rule 13).
public enum FindingKind: String, Sendable, CaseIterable {
    /// Delivered more than granted in a month: not paid silently.
    case deliveryOverGrant = "delivery_over_grant"
    case bookingOutsideGrantPeriod = "booking_outside_grant_period"
    case duplicateDelivery = "duplicate_delivery"
    case missingDelivery = "missing_delivery"
    case rateMissing = "rate_missing"
    /// A provider serving a case outside its Sozialraum without a recorded reason (rule 9).
    case outOfAreaWithoutReason = "out_of_area_without_reason"
    /// A line overspent beyond what its cover pool can cover (überplanmäßig).
    case uncoveredOverrun = "uncovered_overrun"
    /// The Kasse paid an order partly, more than ordered, or returned it (IST differs from SOLL).
    case paymentDifference = "payment_difference"
    /// The Kasse confirmed a payment for a Kassenzeichen the daemon never ordered.
    case paymentUnknown = "payment_unknown"
}

/// Checks a month's delivery against its grant (rules 5, 6, 8).
public enum DeliveryCheck {
    public struct Outcome: Hashable, Sendable {
        /// The volume paid now: at most the granted volume.
        public let payable: Quantity
        /// The volume above the grant, held back as a finding for the county; zero if none.
        public let excess: Quantity
    }

    /// Input that cannot be true; refused with what would have been possible.
    public enum Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        case outsideGrantPeriod
        /// More days than the month has inside the grant's period.
        case moreDaysThanCovered(limit: Quantity, month: YearMonth)
        /// A flat monthly unit is delivered (1) or not (0).
        case flatMonthNotZeroOrOne
        public var description: String {
            switch self {
            case .outsideGrantPeriod: "the month is outside the grant period"
            case .moreDaysThanCovered(let limit, let month): "at most \(limit) days in \(month) inside the grant period"
            case .flatMonthNotZeroOrOne: "a flat monthly unit is 1 (delivered) or 0 (not delivered)"
            }
        }
    }

    public static func check(delivered: Quantity, month: YearMonth, terms: GrantTerms) throws(Refusal) -> Outcome {
        guard let granted = terms.grantedVolume(in: month), let limit = terms.deliverableLimit(in: month) else {
            throw .outsideGrantPeriod
        }
        switch terms.unit {
        case .flatMonth:
            // Never an excess: a delivered flat month is paid once, pro rata by its covered days (the
            // granted share of the month); one not delivered costs nothing.
            guard delivered == .zero || delivered == .one else { throw .flatMonthNotZeroOrOne }
            return Outcome(payable: delivered == .zero ? .zero : granted, excess: .zero)
        case .day:
            guard delivered <= limit else { throw .moreDaysThanCovered(limit: limit, month: month) }
        case .hour:
            break
        }
        if delivered <= granted { return Outcome(payable: delivered, excess: .zero) }
        return Outcome(payable: granted, excess: delivered - granted)
    }
}
