/// How a help is delivered: ambulant (hours), day care or residential (days).
public enum HelpSetting: String, Sendable, CaseIterable {
    case ambulant
    case day
    case residential
}

/// A help type (Hilfeart) by its SGB VIII paragraph, e.g. `30` (Erziehungsbeistand), `35a`, `27.2`.
public struct HelpType: Hashable, Sendable {
    public let code: String
    public let title: String
    public let setting: HelpSetting
    /// Direct-access help (§28, §20) may be booked under a standing agreement, without a grant (rule 5).
    public let directAccess: Bool
    /// The unit its rates are usually agreed in: Fachleistungsstunden for ambulant help, days for day
    /// care and homes, a flat month for foster care (Pflegegeld). A rate may use another unit.
    public let usualUnit: RateUnit

    public init(
        code: String, title: String, setting: HelpSetting, directAccess: Bool = false, usualUnit: RateUnit? = nil
    ) {
        self.code = code
        self.title = title
        self.setting = setting
        self.directAccess = directAccess
        self.usualUnit = usualUnit ?? (setting == .ambulant ? .hour : .day)
    }

    /// The help types of SGB VIII this office grants.
    public static let catalogue: [HelpType] = [
        HelpType(code: "27.2", title: "Hilfe zur Erziehung, flexibel", setting: .ambulant),
        HelpType(code: "28", title: "Erziehungsberatung", setting: .ambulant, directAccess: true),
        HelpType(code: "29", title: "Soziale Gruppenarbeit", setting: .ambulant),
        HelpType(code: "30", title: "Erziehungsbeistand, Betreuungshelfer", setting: .ambulant),
        HelpType(code: "31", title: "Sozialpädagogische Familienhilfe", setting: .ambulant),
        HelpType(code: "32", title: "Erziehung in einer Tagesgruppe", setting: .day),
        HelpType(code: "33", title: "Vollzeitpflege", setting: .residential, usualUnit: .flatMonth),
        HelpType(code: "34", title: "Heimerziehung, betreutes Wohnen", setting: .residential),
        HelpType(code: "35", title: "Intensive sozialpädagogische Einzelbetreuung", setting: .ambulant),
        HelpType(code: "35a", title: "Eingliederungshilfe bei seelischer Behinderung", setting: .ambulant),
        HelpType(code: "41", title: "Hilfe für junge Volljährige", setting: .ambulant),
        HelpType(code: "19", title: "Gemeinsame Wohnformen für Mütter/Väter und Kinder", setting: .residential),
        HelpType(code: "20", title: "Betreuung in Notsituationen", setting: .ambulant, directAccess: true),
    ]

    public static func named(_ code: String) -> HelpType? { catalogue.first { $0.code == code } }
}

/// What a rate is charged per.
public enum RateUnit: String, Sendable, CaseIterable {
    /// Fachleistungsstunde.
    case hour
    /// Tagessatz.
    case day
    /// A flat amount per month.
    case flatMonth = "flat_month"
}

/// One price of a rate agreement (Entgeltvereinbarung), valid from a date until the next one.
public struct Rate: Hashable, Sendable {
    public let validFrom: Day
    /// Per hour, per day or per month, by the agreement's unit.
    public let amount: Money

    public init(validFrom: Day, amount: Money) {
        self.validFrom = validFrom
        self.amount = amount
    }
}

/// Pricing (rule 6): prices come from the rate valid on the service date; a change mid-month splits by
/// date. The volume of a month is spread over its service days in proportion to their number.
public enum Pricing {
    public enum Failure: Error, Hashable, Sendable, CustomStringConvertible {
        /// No rate is valid on `day` (a finding: rate missing).
        case rateMissing(day: Day)
        case overflow
        public var description: String {
            switch self {
            case .rateMissing(let day): "no rate valid on \(day)"
            case .overflow: "amount out of range"
            }
        }
    }

    /// The cost of `quantity` (in the agreement's unit) delivered on the days `first...last` of one
    /// month. For flat monthly rates the quantity says whether the month was delivered (0 costs
    /// nothing) and the share of the month's days counts: never more than one flat amount a month.
    /// Rounded half up to the cent once, then split over rate segments so the parts sum to the whole.
    public static func cost(
        quantity: Quantity, unit: RateUnit, rates: [Rate], first: Day, last: Day
    ) throws(Failure) -> Money {
        precondition(first <= last && first.yearMonth == last.yearMonth)
        let sorted = rates.sorted { $0.validFrom < $1.validFrom }
        // Segments of days with one rate each.
        var segments: [(days: Int64, rate: Money)] = []
        var day = first
        while day <= last {
            guard let rate = sorted.last(where: { $0.validFrom <= day }) else { throw .rateMissing(day: day) }
            let nextChange = sorted.first { $0.validFrom > day }?.validFrom
            let segmentEnd = nextChange.map { min($0.adding(days: -1), last) } ?? last
            segments.append((Int64(segmentEnd.ordinal - day.ordinal + 1), rate.amount))
            day = segmentEnd.adding(days: 1)
        }
        let serviceDays = Int64(last.ordinal - first.ordinal + 1)
        do {
            // Σ rate × days (money × days); dividing by the days turns it into money.
            var weighted = Money.zero
            for segment in segments { weighted = try weighted + segment.rate.times(segment.days) }
            switch unit {
            case .hour, .day:
                return try weighted.scaled(by: quantity.hundredths, over: 100 * serviceDays)
            case .flatMonth:
                guard quantity.hundredths > 0 else { return .zero }
                return try weighted.scaled(by: 1, over: Int64(first.yearMonth.dayCount))
            }
        } catch {
            throw .overflow
        }
    }
}
