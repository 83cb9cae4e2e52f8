/// The three components of a Sozialraumbudget.
public enum BudgetComponent: String, Sendable, CaseIterable, Comparable {
    /// Fallarbeit / Fallbudget: help on individual legal claims (SGB VIII §27 ff).
    case `case`
    /// Milieuarbeit / Milieubudget: targeted community work.
    case milieu
    /// Strukturarbeit / Strukturbudget: preventive projects; covered by nothing.
    case structure

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Spending on this component rests on an individual legal claim and is never refused (rule 4).
    public var isLegalClaim: Bool { self == .case }
}

/// A short, stable code of a Sozialraum (e.g. `achim`), chosen by the county.
public struct SocialSpaceCode: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init?(rawValue: String) { self.init(rawValue) }
    /// Lower-case letters, digits and hyphens, 2 to 40 characters.
    public init?(_ text: some StringProtocol) {
        guard (2...40).contains(text.count),
            text.utf8.allSatisfy({ (97...122).contains($0) || (48...57).contains($0) || $0 == 45 }),
            text.first != "-"
        else { return nil }
        rawValue = String(text)
    }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }
}

/// One budget line (rule 1): year × Sozialraum × component.
public struct BudgetLine: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let socialSpace: SocialSpaceCode
    public let component: BudgetComponent

    public init(year: Int, socialSpace: SocialSpaceCode, component: BudgetComponent) {
        self.year = year
        self.socialSpace = socialSpace
        self.component = component
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.year, lhs.socialSpace, lhs.component) < (rhs.year, rhs.socialSpace, rhs.component)
    }

    public var description: String { "\(year)/\(socialSpace)/\(component.rawValue)" }
}

/// Which components may cover each other in a year (deckungsfähig). Data, per year (rule 1).
public struct CoverPools: Hashable, Sendable {
    /// Disjoint sets of components; a component in no set stands alone.
    public let pools: [Set<BudgetComponent>]

    public init?(_ pools: [Set<BudgetComponent>]) {
        var seen = Set<BudgetComponent>()
        for pool in pools {
            guard pool.count >= 2, seen.isDisjoint(with: pool) else { return nil }
            seen.formUnion(pool)
        }
        self.pools = pools
    }

    /// Pools as stored (`cover_pool_member`): a pool number per component. Single-member pools stand
    /// alone; unusable data falls back to the standard pools.
    public init(numbered members: [(pool: Int, component: BudgetComponent)]) {
        var grouped: [Int: Set<BudgetComponent>] = [:]
        for member in members { grouped[member.pool, default: []].insert(member.component) }
        self = CoverPools(grouped.keys.sorted().map { grouped[$0]! }.filter { $0.count >= 2 }) ?? .standard
    }

    /// Milieubudget und Fallbudget sind gegenseitig deckungsfähig; structure stands alone.
    public static let standard = CoverPools([[.case, .milieu]])!

    /// The components that share funds with `component` (itself included).
    public func pool(of component: BudgetComponent) -> Set<BudgetComponent> {
        pools.first { $0.contains(component) } ?? [component]
    }
}

/// What happens when milieu or structure spending exceeds the funds (rule 4), per year.
public enum OverrunPolicy: String, Sendable, CaseIterable {
    case warn
    case refuse
}

/// The money of one line as of a moment (rule 3).
public struct LineFunds: Hashable, Sendable {
    public let appropriation: Money
    /// Haushaltsrest carried in from the previous year.
    public let carryIn: Money
    public let commitments: Money
    public let actuals: Money
    /// `appropriation + carry-in − commitments − actuals`.
    public let available: Money

    public init(
        appropriation: Money = .zero, carryIn: Money = .zero, commitments: Money = .zero, actuals: Money = .zero
    ) throws(Money.Overflow) {
        self.appropriation = appropriation
        self.carryIn = carryIn
        self.commitments = commitments
        self.actuals = actuals
        self.available = try appropriation + carryIn - commitments - actuals
    }

    private init() {
        (appropriation, carryIn, commitments, actuals, available) = (.zero, .zero, .zero, .zero, .zero)
    }

    /// A line with no money at all.
    public static let zero = LineFunds()
}

/// Savings of one line covering the overspend of another line of the same pool.
public struct CoverTransfer: Hashable, Sendable {
    public let from: BudgetComponent
    public let to: BudgetComponent
    public let amount: Money

    public init(from: BudgetComponent, to: BudgetComponent, amount: Money) {
        self.from = from
        self.to = to
        self.amount = amount
    }
}

/// Available funds of one Sozialraum and year, by line and by cover pool, with the cover transfers
/// that explain a negative line whose pool is not negative (rule 3).
public struct FundsReport: Hashable, Sendable {
    public struct Line: Hashable, Sendable {
        public let component: BudgetComponent
        public let funds: LineFunds
        /// Available after cover transfers (never below zero unless the whole pool is).
        public let availableAfterCover: Money
    }

    public struct Pool: Hashable, Sendable {
        public let components: [BudgetComponent]
        public let available: Money
        /// Überplanmäßig: the amount by which the pool as a whole is overspent (zero if none).
        public let overrun: Money
    }

    public let lines: [Line]
    public let pools: [Pool]
    public let transfers: [CoverTransfer]
    /// What the lead providers keep of the year's savings (rule 12), paid through their orders; zero until
    /// the year end is applied.
    public var providerShares: Money = .zero

    /// Lines missing from `funds` count as zero. Transfers are deterministic: deficits in component
    /// order are covered from surpluses in component order.
    public init(funds: [BudgetComponent: LineFunds], coverPools: CoverPools) throws(Money.Overflow) {
        var transfers: [CoverTransfer] = []
        var after: [BudgetComponent: Money] = [:]
        for component in BudgetComponent.allCases {
            after[component] = funds[component, default: .zero].available
        }
        var pools: [Pool] = []
        var handled = Set<BudgetComponent>()
        for component in BudgetComponent.allCases where !handled.contains(component) {
            let members = coverPools.pool(of: component).sorted()
            handled.formUnion(members)
            for deficit in members where after[deficit]!.isNegative {
                for surplus in members
                where surplus != deficit && after[surplus]!.isPositive && after[deficit]!.isNegative {
                    let amount = min(after[surplus]!, try after[deficit]!.shortfall())
                    after[surplus] = try after[surplus]! - amount
                    after[deficit] = try after[deficit]! + amount
                    transfers.append(CoverTransfer(from: surplus, to: deficit, amount: amount))
                }
            }
            let total = try Money.total(members.map { funds[$0, default: .zero].available })
            pools.append(Pool(components: members, available: total, overrun: try total.shortfall()))
        }
        self.lines = BudgetComponent.allCases.map {
            Line(component: $0, funds: funds[$0, default: .zero], availableAfterCover: after[$0]!)
        }
        self.pools = pools
        self.transfers = transfers
    }

    public func pool(of component: BudgetComponent) -> Pool { pools.first { $0.components.contains(component) }! }
}

/// The decision on new spending against the funds (rule 4).
public enum SpendingDecision: Hashable, Sendable {
    case accept
    /// Accepted, but the pool is overspent by `overrun` afterwards (überplanmäßig): flag it loudly.
    case acceptWithOverrun(overrun: Money)
    /// Refused: milieu/structure spending beyond the funds in a `refuse` year.
    case refuse(shortfall: Money)

    /// `report` is the state before the spending of `amount` on `component`.
    public static func decide(
        spending amount: Money, on component: BudgetComponent, report: FundsReport, policy: OverrunPolicy
    ) throws(Money.Overflow) -> SpendingDecision {
        guard amount.isPositive else { return .accept }
        let shortfall = try (amount - report.pool(of: component).available).positivePart
        return decide(shortfall: shortfall, on: component, policy: policy)
    }

    /// The decision from the part of the spending its pool cannot cover (0: all covered), as the
    /// database computes it over the whole pool for whoever asks.
    public static func decide(
        shortfall: Money, on component: BudgetComponent, policy: OverrunPolicy
    ) -> SpendingDecision {
        guard shortfall.isPositive else { return .accept }
        if component.isLegalClaim || policy == .warn { return .acceptWithOverrun(overrun: shortfall) }
        return .refuse(shortfall: shortfall)
    }
}

/// Year end (rule 12): what a line may carry forward and what a provider keeps of its savings.
public enum YearEnd {
    /// A provider's share of savings, in basis points (0...10000; 2500 = 25 %).
    public static func providerShare(of savings: Money, basisPoints: Int) -> Money {
        // Rounded down: the provider never receives a cent more than its share.
        savings.positivePart.share(basisPoints: basisPoints)
    }
}
