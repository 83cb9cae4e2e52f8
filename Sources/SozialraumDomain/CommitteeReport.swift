/// The report to the Jugendhilfeausschuss (Bericht für den Jugendhilfeausschuss, issue 33, items 1–2): the
/// Sozialraumbudget of a year or of a year to a quarter's end, per Sozialraum and for the county, from figures
/// the other reports give — a stored run (`run`: Ansatz, Haushaltsrest, Ist, Obligo, Prognose, Deckung), the
/// cost report (`cost-report`: development, cost per 1,000 young inhabitants, grants and their duration), the
/// § 117 decisions (`overruns`) and the run's statements (`statements`: the providers' shares). Pseudonymous:
/// no case key; a group of fewer cases than `minimumGroup` shows its counts as "< n" and no cost of its own.
public struct CommitteeReport: Sendable, Equatable {
    /// A budget line as the run has it.
    public struct Line: Sendable, Equatable {
        public var socialSpace: String
        public var component: BudgetComponent
        public var appropriation: Money
        public var carryIn: Money
        public var commitments: Money
        public var actuals: Money
        public var coverTransfer: Money
        public var availableAfterCover: Money
        public var forecast: Money

        public init(
            socialSpace: String, component: BudgetComponent, appropriation: Money, carryIn: Money,
            commitments: Money, actuals: Money, coverTransfer: Money, availableAfterCover: Money, forecast: Money
        ) {
            self.socialSpace = socialSpace
            self.component = component
            self.appropriation = appropriation
            self.carryIn = carryIn
            self.commitments = commitments
            self.actuals = actuals
            self.coverTransfer = coverTransfer
            self.availableAfterCover = availableAfterCover
            self.forecast = forecast
        }

        /// `lines` summed figure by figure (the county's line, a table's total).
        public static func sum(
            _ lines: [Line], socialSpace: String, component: BudgetComponent
        ) throws(Money.Overflow) -> Line {
            var total = Line(
                socialSpace: socialSpace, component: component, appropriation: .zero, carryIn: .zero,
                commitments: .zero, actuals: .zero, coverTransfer: .zero, availableAfterCover: .zero, forecast: .zero)
            for line in lines {
                try total.appropriation += line.appropriation
                try total.carryIn += line.carryIn
                try total.commitments += line.commitments
                try total.actuals += line.actuals
                try total.coverTransfer += line.coverTransfer
                try total.availableAfterCover += line.availableAfterCover
                try total.forecast += line.forecast
            }
            return total
        }

        /// A stored run line (`RunLineResult`, figures in its column order); nil for a pool.
        public init?(_ result: RunLineResult) {
            guard let component = BudgetComponent(rawValue: result.line), result.figures.count >= 8 else { return nil }
            func money(_ index: Int) -> Money { Money(cents: result.figures[index] ?? 0) }
            self.init(
                socialSpace: result.socialSpace, component: component, appropriation: money(0), carryIn: money(1),
                commitments: money(2), actuals: money(3), coverTransfer: money(5), availableAfterCover: money(6),
                forecast: money(7))
        }
    }

    /// Cases and grants of a help type in a Sozialraum, with their cost and duration from the cost report.
    public struct HelpTypeGroup: Sendable, Equatable {
        public var socialSpace: String
        public var helpType: String
        public var cases: Int
        public var grants: Int
        public var caseCost: Money
        public var averageDays: Int64?

        public init(
            socialSpace: String, helpType: String, cases: Int, grants: Int, caseCost: Money, averageDays: Int64?
        ) {
            self.socialSpace = socialSpace
            self.helpType = helpType
            self.cases = cases
            self.grants = grants
            self.caseCost = caseCost
            self.averageDays = averageDays
        }
    }

    public var county: String
    public var year: Int
    /// nil: the year's report; 1...4: the report to that quarter's end.
    public var quarter: Int?
    public var runID: Int64
    public var runMonths: String
    public var ledgerPosition: Int64
    public var minimumGroup: Int
    public var lines: [Line]
    public var transfers: [RunCoverTransfer]
    public var decisions: [OverrunDecisionListing]
    /// The cost report by Sozialraum for the last five years (this one included).
    public var development: [CostDevelopmentRow]
    public var helpTypes: [HelpTypeGroup]
    public var providers: [StatementSummary]

    public init(
        county: String, year: Int, quarter: Int?, runID: Int64, runMonths: String, ledgerPosition: Int64,
        minimumGroup: Int, lines: [Line], transfers: [RunCoverTransfer], decisions: [OverrunDecisionListing],
        development: [CostDevelopmentRow], helpTypes: [HelpTypeGroup], providers: [StatementSummary]
    ) {
        self.county = county
        self.year = year
        self.quarter = quarter
        self.runID = runID
        self.runMonths = runMonths
        self.ledgerPosition = ledgerPosition
        self.minimumGroup = minimumGroup
        self.lines = lines
        self.transfers = transfers
        self.decisions = decisions
        self.development = development
        self.helpTypes = helpTypes
        self.providers = providers
    }

    /// The Sozialräume of the report, in the run's order.
    public var socialSpaces: [String] {
        var seen: [String] = []
        for line in lines where !seen.contains(line.socialSpace) { seen.append(line.socialSpace) }
        return seen
    }

    /// The county's line of a component: the Sozialräume's summed.
    public func countyLine(_ component: BudgetComponent) throws(Money.Overflow) -> Line {
        try Line.sum(lines.filter { $0.component == component }, socialSpace: "Landkreis", component: component)
    }

    /// A count as the report shows it: the number, or "< n" under the minimum group size.
    public func shown(_ count: Int) -> String { count < minimumGroup ? "< \(minimumGroup)" : String(count) }

    /// Whether a group's own figures (cost, duration) are withheld: fewer cases than the minimum.
    /// (Spending before go-live, help type `opening`, belongs to no case: it is never withheld.)
    public func withheld(_ group: HelpTypeGroup) -> Bool {
        group.helpType != "opening" && group.cases < minimumGroup
    }

    /// The county's row of a year of the development: Sozialräume summed; cost per 1,000 young inhabitants
    /// from the sums, where every Sozialraum has its population loaded.
    public func countyDevelopment(_ year: Int64) throws(Money.Overflow) -> CostDevelopmentRow? {
        let rows = development.filter { $0.year == year }
        guard !rows.isEmpty else { return nil }
        var caseCost = Money.zero, milieu = Money.zero, structure = Money.zero
        var ambulant = Money.zero, day = Money.zero, residential = Money.zero
        var grants: Int64 = 0
        for row in rows {
            try caseCost += row.caseCost
            try milieu += row.milieu
            try structure += row.structure
            try ambulant += row.ambulant
            try day += row.day
            try residential += row.residential
            grants += row.grants
        }
        let young: Int64? =
            rows.allSatisfy { $0.youngInhabitants != nil } ? rows.reduce(0) { $0 + ($1.youngInhabitants ?? 0) } : nil
        let per1000 = try young.flatMap { young throws(Money.Overflow) in
            young > 0 ? try caseCost.scaled(by: 1000, over: young) : nil
        }
        let spending = try caseCost + milieu + structure
        let share: Int64? =
            spending.isPositive
            ? try (milieu + structure).scaled(by: 10_000, over: spending.cents).cents : nil
        return CostDevelopmentRow(
            year: year, socialSpace: "Landkreis", helpType: "", setting: "", caseCost: caseCost, ambulant: ambulant,
            day: day, residential: residential, milieu: milieu, structure: structure, milieuStructureShare: share,
            youngInhabitants: young, caseCostPer1000: per1000, grants: grants, averageDays: nil)
    }
}
