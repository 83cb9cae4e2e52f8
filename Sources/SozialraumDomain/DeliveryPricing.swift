/// The part of a cost that one Sozialraum's case budget pays (rule 9).
public struct CostShare: Hashable, Sendable {
    public let socialSpace: SocialSpaceCode
    public let amount: Money

    public init(socialSpace: SocialSpaceCode, amount: Money) {
        self.socialSpace = socialSpace
        self.amount = amount
    }
}

extension ResidenceHistory {
    /// Splits a cost of the days `first...last` between the Sozialräume the case lived in on those
    /// days, by the number of days (rule 9), with `Money.split`'s remainder-cent rule (rule 2), so the
    /// shares always sum to the cost. Days before the first known residence go to the first Sozialraum.
    /// One share per Sozialraum, in the order of the days.
    public func apportion(_ cost: Money, first: Day, last: Day) throws(Money.Overflow) -> [CostShare] {
        precondition(!entries.isEmpty, "a case has a residence")
        let parts = split(first: first, last: last)
        let fallback = entries[0].socialSpace
        let amounts = cost.split(weights: parts.map { Int64($0.last.ordinal - $0.first.ordinal + 1) })
        var merged: [CostShare] = []
        for (part, amount) in zip(parts, amounts) {
            let space = part.socialSpace ?? fallback
            if let index = merged.firstIndex(where: { $0.socialSpace == space }) {
                // Parts of one split have one sign and sum to the cost, so this sum cannot overflow.
                merged[index] = CostShare(socialSpace: space, amount: try merged[index].amount + amount)
            } else {
                merged.append(CostShare(socialSpace: space, amount: amount))
            }
        }
        return merged
    }

    /// The ledger entries of a cost: its non-zero shares, or one zero entry in the first Sozialraum when
    /// the cost is nothing (a delivery of 0, or a flat month not delivered), so that every delivery
    /// stands in the ledger and can be reversed like any other.
    public func bookings(of cost: Money, first: Day, last: Day) throws(Money.Overflow) -> [CostShare] {
        let shares = try apportion(cost, first: first, last: last).filter { $0.amount != .zero }
        if !shares.isEmpty { return shares }
        return [CostShare(socialSpace: socialSpace(on: first) ?? entries[0].socialSpace, amount: .zero)]
    }
}

/// A month's delivery (Leistungsnachweis) priced against its grant (rules 5, 6, 8, 9): what is paid now,
/// what is held back as excess, and which Sozialraum pays which part. The single delivery, the import
/// and the acceptance of a finding all price through here.
public struct PricedDelivery: Hashable, Sendable {
    public let payable: Quantity
    public let excess: Quantity
    /// The days of the month the grant covers: the days the cost is spread over.
    public let first: Day
    public let last: Day
    /// The cost of the payable volume, booked now.
    public let cost: Money
    /// The cost of the excess, booked only when the county accepts the finding.
    public let excessCost: Money
    /// The ledger entries of `cost`, per Sozialraum.
    public let bookings: [CostShare]

    public enum Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        case impossible(DeliveryCheck.Refusal)
        case pricing(Pricing.Failure)
        public var description: String {
            switch self {
            case .impossible(let refusal): refusal.description
            case .pricing(let failure): failure.description
            }
        }
    }

    public static func price(
        delivered: Quantity, month: YearMonth, terms: GrantTerms, residence: ResidenceHistory
    ) throws(Refusal) -> PricedDelivery {
        let check: DeliveryCheck.Outcome
        do { check = try DeliveryCheck.check(delivered: delivered, month: month, terms: terms) } catch {
            throw .impossible(error)
        }
        // The check passed, so the grant covers some days of the month.
        let days = terms.effectivePeriod.clipped(to: month)!
        do throws(Pricing.Failure) {
            let cost = try Pricing.cost(
                quantity: check.payable, unit: terms.unit, rates: terms.rates, first: days.first, last: days.last)
            let excessCost =
                check.excess == .zero
                ? Money.zero
                : try Pricing.cost(
                    quantity: check.excess, unit: terms.unit, rates: terms.rates, first: days.first, last: days.last)
            let bookings: [CostShare]
            do { bookings = try residence.bookings(of: cost, first: days.first, last: days.last) } catch {
                throw .overflow
            }
            return PricedDelivery(
                payable: check.payable, excess: check.excess, first: days.first, last: days.last, cost: cost,
                excessCost: excessCost, bookings: bookings)
        } catch { throw .pricing(error) }
    }

    /// The ledger entries of an accepted excess of `amount` (rule 8): split exactly like the delivery
    /// of `month` (the days the grant covers, the same remainder-cent rule); nil when the grant no
    /// longer covers the month.
    public static func excessBookings(
        amount: Money, month: YearMonth, terms: GrantTerms, residence: ResidenceHistory
    ) throws(Money.Overflow) -> [CostShare]? {
        guard let days = terms.effectivePeriod.clipped(to: month) else { return nil }
        return try residence.apportion(amount, first: days.first, last: days.last).filter { $0.amount != .zero }
    }
}

extension GrantTerms {
    /// The commitments of the grant from `month` on (rule 7): each month's planned cost, except the
    /// months in `excluding` (delivered ones), split between the Sozialräume the case lives in over the
    /// month's days (rule 9). What a new or changed grant writes.
    public func commitments(
        from month: YearMonth, residence: ResidenceHistory, excluding: Set<YearMonth> = []
    ) throws(Pricing.Failure) -> [(month: YearMonth, cost: Money, shares: [CostShare])] {
        let period = effectivePeriod
        guard let lastDay = period.end, lastDay >= period.start else { return [] }
        var result: [(month: YearMonth, cost: Money, shares: [CostShare])] = []
        for month in max(month, period.start.yearMonth).through(lastDay.yearMonth) where !excluding.contains(month) {
            guard let days = period.clipped(to: month), let cost = try plannedCost(in: month) else { continue }
            do { result.append((month, cost, try residence.apportion(cost, first: days.first, last: days.last))) } catch
            {
                throw .overflow
            }
        }
        return result
    }
}
