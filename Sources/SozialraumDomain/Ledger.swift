/// Kinds of booking in the append-only ledger (rule 10).
public enum BookingKind: String, Sendable, CaseIterable {
    /// The cost of a month's delivery for a grant (actual, case component).
    case delivery
    /// An expense of a milieu or structure project.
    case projectExpense = "project_expense"
    /// An instalment (Abschlag) paid to a provider.
    case instalment
    /// Settles instalments against accrued cost (Abrechnung).
    case settlement
    /// Cancels an earlier booking (Storno); a correction is a reversal plus a new entry.
    case reversal
    /// Year end: unspent appropriation carried forward.
    case carryForward = "carry_forward"
    /// Spending of the year before go-live, booked once by the migration (Datenübernahme, sql/0018).
    case opening
    /// A lead provider's share of a closed year's savings, paid under its order (rule 12, sql/0028): cash,
    /// not spending (the share was kept out of the carry-forward).
    case surplusShare = "surplus_share"
}

/// Where a booking goes (rule 11).
public enum BookingPeriod {
    public enum Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        case closed(YearMonth)
        case noOpenMonth
        public var description: String {
            switch self {
            case .closed(let month): "period \(month) is closed"
            case .noOpenMonth: "no open period to book into"
            }
        }
    }

    /// The month a booking for `serviceMonth` is booked into. A new booking into a closed month is
    /// refused; a correction (reversal or replacement) of a closed month goes into the earliest open
    /// month at or after `today`'s month and refers to the original.
    public static func target(
        serviceMonth: YearMonth, isCorrection: Bool, closedMonths: Set<YearMonth>, today: YearMonth
    ) throws(Refusal) -> YearMonth {
        if !closedMonths.contains(serviceMonth) { return serviceMonth }
        guard isCorrection else { throw .closed(serviceMonth) }
        var month = max(today, serviceMonth)
        for _ in 0..<36 {
            if !closedMonths.contains(month) { return month }
            month = month.next
        }
        throw .noOpenMonth
    }
}

/// An idempotency key (rule 10): chosen by the client, unique per tenant.
public struct IdempotencyKey: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public static let maximumLength = 64
    /// 8 to 64 characters of letters, digits, `-`, `_`, `.`, `:`.
    public init?(_ text: some StringProtocol) {
        guard (8...Self.maximumLength).contains(text.utf8.count),
            text.utf8.allSatisfy({
                (65...90).contains($0) || (97...122).contains($0) || (48...57).contains($0)
                    || [45, 95, 46, 58].contains($0)
            })
        else { return nil }
        rawValue = String(text)
    }
    public var description: String { rawValue }
}
