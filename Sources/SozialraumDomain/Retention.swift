/// The kinds of data this system keeps (Datenarten in the sense of DIN 66398), each with one deletion rule
/// (Löschregel): a start event and a period. The figures stay; the link to a person ends (rule 19).
public enum DataKind: String, CaseIterable, Sendable, Hashable {
    /// Fallbezug: the pseudonymous case key, the residences, the link of grants, deliveries, bookings and
    /// findings to the case, and free-text reasons that may name people. Social data (SGB X § 67).
    case caseLink = "case-link"
    /// Buchung: amounts, months, Sozialraum, component, help type, provider, Kassenzeichen; the books and
    /// vouchers of the county's accounting, including issued statements without their case keys.
    case accounting
    /// Who read case-level data, when, and what (the access log): social data about the staff and the cases.
    case accessLog = "access-log"
}

/// When the data of a kind is due for erasure: `years` after the end of the year of its start event
/// (the Regellöschfrist counts whole years from the 1 January that follows, as retention rules for
/// municipal books do).
public struct RetentionRule: Sendable, Hashable {
    public let kind: DataKind
    public let years: Int

    public init(kind: DataKind, years: Int) {
        self.kind = kind
        self.years = years
    }

    /// The first day on which data whose start event fell in `startYear` is due: 1 January of
    /// `startYear + 1 + years`.
    public func dueOn(startYear: Int) -> Day {
        Day(year: startYear + 1 + years, month: 1, day: 1)!
    }

    /// Whether data whose start event fell in `startYear` is due on `day`.
    public func isDue(startYear: Int, on day: Day) -> Bool { day >= dueOn(startYear: startYear) }
}

/// The county's deletion rules (Löschregeln), one per kind. Defaults and their sources in
/// docs/data-protection.md; the county's data-protection officer confirms or changes them
/// (`retention.*` in the configuration).
public struct RetentionRules: Sendable, Hashable {
    /// Fallbezug: years after the end of the year of the case's last booking (whose year must be closed).
    public var caseLinkYears: Int
    /// Buchung: years after the end of the year whose accounts (Jahresabschluss) the booking belongs to.
    public var accountingYears: Int
    /// Access log: years after the end of the year of the entry.
    public var accessLogYears: Int

    public init(caseLinkYears: Int = 10, accountingYears: Int = 10, accessLogYears: Int = 1) {
        self.caseLinkYears = caseLinkYears
        self.accountingYears = accountingYears
        self.accessLogYears = accessLogYears
    }

    public func rule(for kind: DataKind) -> RetentionRule {
        switch kind {
        case .caseLink: RetentionRule(kind: kind, years: caseLinkYears)
        case .accounting: RetentionRule(kind: kind, years: accountingYears)
        case .accessLog: RetentionRule(kind: kind, years: accessLogYears)
        }
    }

    /// Whether a case's link to a person may end on `day`: its last booking fell in `lastBookingYear`, that
    /// year is closed (`lastYearClosed`), its rule's period has passed, and no legal hold stops it.
    /// Without bookings the case's opening year counts as the start.
    public func caseLinkIsDue(
        lastBookingYear: Int, lastYearClosed: Bool, legalHold: Bool, on day: Day
    ) -> Bool {
        !legalHold && lastYearClosed && rule(for: .caseLink).isDue(startYear: lastBookingYear, on: day)
    }
}
