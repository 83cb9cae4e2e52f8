/// The months a reconciliation run covers (rule 13): one month, a quarter, or a fiscal year to a
/// month. Always inside one fiscal year.
public struct ReconciliationScope: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case month, quarter, year
    }

    public let kind: Kind
    public let first: YearMonth
    public let last: YearMonth

    public var year: Int { first.year }
    public var months: [YearMonth] { first.through(last) }

    public static func month(_ month: YearMonth) -> Self { Self(kind: .month, first: month, last: month) }

    /// The quarter that contains `month`.
    public static func quarter(containing month: YearMonth) -> Self {
        let first = YearMonth(unchecked: month.year, (month.month - 1) / 3 * 3 + 1)
        return Self(kind: .quarter, first: first, last: YearMonth(unchecked: month.year, first.month + 2))
    }

    /// January through `through` (a year to date), or the whole year.
    public static func year(_ year: Int, through: YearMonth? = nil) -> Self {
        Self(kind: .year, first: YearMonth(unchecked: year, 1), last: through ?? YearMonth(unchecked: year, 12))
    }

    /// `2026-03` (month), `2026-Q1` (quarter), `2026` (year), `2026..2026-11` (year to a month).
    public init?(parsing text: some StringProtocol) {
        let text = String(text)
        if let month = YearMonth(iso: text) {
            self = .month(month)
        } else if text.count == 7, text.dropFirst(4).hasPrefix("-Q"), let year = Int(text.prefix(4)),
            let quarter = Int(text.suffix(1)),
            (1...4).contains(quarter), let month = YearMonth(year: year, month: quarter * 3)
        {
            self = .quarter(containing: month)
        } else if text.count == 4, let year = Int(text), (2000...2199).contains(year) {
            self = .year(year)
        } else if text.count == 13, text.dropFirst(4).hasPrefix(".."), let year = Int(text.prefix(4)),
            (2000...2199).contains(year),
            let last = YearMonth(iso: text.suffix(7)), last.year == year
        {
            self = .year(year, through: last)
        } else {
            return nil
        }
    }

    init(kind: Kind, first: YearMonth, last: YearMonth) {
        self.kind = kind
        self.first = first
        self.last = last
    }

    public init?(kind: Kind, first: YearMonth, last: YearMonth, validating: Void = ()) {
        guard first.year == last.year, first <= last else { return nil }
        switch kind {
        case .month: guard first == last else { return nil }
        case .quarter: guard (first.month - 1) % 3 == 0, last.month == first.month + 2 else { return nil }
        case .year: guard first.month == 1 else { return nil }
        }
        self.init(kind: kind, first: first, last: last)
    }

    public var description: String {
        switch kind {
        case .month: first.description
        case .quarter: "\(year)-Q\((first.month - 1) / 3 + 1)"
        case .year: last.month == 12 ? "\(year)" : "\(year)..\(last)"
        }
    }
}

/// One budget line's figures for a fiscal year as of a ledger position: the money it has and its
/// commitments and actuals per month (rule 3).
public struct LineLedger: Hashable, Sendable {
    public var appropriation: Money
    public var carryIn: Money
    public var commitments: [YearMonth: Money]
    public var actuals: [YearMonth: Money]

    public init(
        appropriation: Money = .zero, carryIn: Money = .zero, commitments: [YearMonth: Money] = [:],
        actuals: [YearMonth: Money] = [:]
    ) {
        self.appropriation = appropriation
        self.carryIn = carryIn
        self.commitments = commitments
        self.actuals = actuals
    }

    func funds() throws(Money.Overflow) -> LineFunds {
        try LineFunds(
            appropriation: appropriation, carryIn: carryIn, commitments: Money.total(commitments.values),
            actuals: Money.total(actuals.values))
    }
}

/// The reconciliation of one Sozialraum for a scope (rule 13): per line and month, per line as of the
/// scope's end, per cover pool, with the cover transfers that explain it. Pure arithmetic on exact
/// cents; equal inputs give equal results, whatever order the bookings behind them came in.
public struct SocialSpaceReconciliation: Hashable, Sendable {
    /// One line in one month of the scope.
    public struct Month: Hashable, Sendable {
        public let month: YearMonth
        public let component: BudgetComponent
        /// The month's share of appropriation + carry-in (twelve parts that sum to the whole, rule 2).
        public let plan: Money
        public let commitments: Money
        public let actuals: Money
        /// Sums from January through this month: what the chart shows as budget burn.
        public let cumulativePlan: Money
        public let cumulativeActualsAndCommitments: Money
    }

    /// One line for the year, as of the run's ledger position.
    public struct Line: Hashable, Sendable {
        public let component: BudgetComponent
        public let funds: LineFunds
        public var available: Money { funds.available }
        /// Received (+) from or given (−) to other lines of its pool.
        public let coverTransfer: Money
        public let availableAfterCover: Money
        /// Expected cost of the year: actuals + open commitments, plus for milieu and structure the run
        /// rate of the scope's months over the rest of the year.
        public let forecast: Money
        /// Appropriation + carry-in − forecast.
        public let forecastAvailable: Money
        /// Überplanmäßig: what the line is overspent by after cover (zero if none).
        public let overrun: Money

        init(
            component: BudgetComponent, funds: LineFunds, availableAfterCover: Money, forecast: Money
        )
            throws(Money.Overflow)
        {
            self.component = component
            self.funds = funds
            self.coverTransfer = try availableAfterCover - funds.available
            self.availableAfterCover = availableAfterCover
            self.forecast = forecast
            self.forecastAvailable = try funds.appropriation + funds.carryIn - forecast
            self.overrun = try availableAfterCover.shortfall()
        }
    }

    public struct Pool: Hashable, Sendable {
        public let components: [BudgetComponent]
        public let funds: LineFunds
        public let forecast: Money
        public var available: Money { funds.available }
        /// Appropriation + carry-in − forecast.
        public let forecastAvailable: Money
        public let overrun: Money

        init(components: [BudgetComponent], funds: LineFunds, forecast: Money) throws(Money.Overflow) {
            self.components = components
            self.funds = funds
            self.forecast = forecast
            self.forecastAvailable = try funds.appropriation + funds.carryIn - forecast
            self.overrun = try funds.available.shortfall()
        }
        /// "case+milieu", "structure".
        public var name: String { components.map(\.rawValue).joined(separator: "+") }
    }

    public let socialSpace: SocialSpaceCode
    public let months: [Month]
    public let lines: [Line]
    public let pools: [Pool]
    public let transfers: [CoverTransfer]

    public init(
        socialSpace: SocialSpaceCode, scope: ReconciliationScope, ledger: [BudgetComponent: LineLedger],
        coverPools: CoverPools
    ) throws(Money.Overflow) {
        self.socialSpace = socialSpace
        let year = YearMonth.months(of: scope.year)
        var months: [Month] = []
        var forecasts: [BudgetComponent: Money] = [:]
        for component in BudgetComponent.allCases {
            let line = ledger[component, default: LineLedger()]
            let plan = try (line.appropriation + line.carryIn).split(into: 12)
            var cumulativePlan = Money.zero
            var cumulativeBurn = Money.zero
            for (index, month) in year.enumerated() {
                let commitments = line.commitments[month, default: .zero]
                let actuals = line.actuals[month, default: .zero]
                cumulativePlan = try cumulativePlan + plan[index]
                cumulativeBurn = try cumulativeBurn + commitments + actuals
                if month >= scope.first, month <= scope.last {
                    months.append(
                        Month(
                            month: month, component: component, plan: plan[index], commitments: commitments,
                            actuals: actuals, cumulativePlan: cumulativePlan,
                            cumulativeActualsAndCommitments: cumulativeBurn))
                }
            }
            forecasts[component] = try Self.forecast(component: component, line: line, through: scope.last)
        }
        var funds: [BudgetComponent: LineFunds] = [:]
        for component in BudgetComponent.allCases {
            funds[component] = try ledger[component, default: LineLedger()].funds()
        }
        let report = try FundsReport(funds: funds, coverPools: coverPools)
        self.months = months
        self.lines = try report.lines.map { line throws(Money.Overflow) in
            try Line(
                component: line.component, funds: line.funds, availableAfterCover: line.availableAfterCover,
                forecast: forecasts[line.component]!)
        }
        self.pools = try report.pools.map { pool throws(Money.Overflow) in
            let members = pool.components.map { funds[$0]! }
            return try Pool(
                components: pool.components,
                funds: LineFunds(
                    appropriation: Money.total(members.map(\.appropriation)),
                    carryIn: Money.total(members.map(\.carryIn)),
                    commitments: Money.total(members.map(\.commitments)),
                    actuals: Money.total(members.map(\.actuals))),
                forecast: Money.total(pool.components.map { forecasts[$0]! }))
        }
        self.transfers = report.transfers
    }

    /// Case lines are forecast by their grants: every running grant's planned cost is committed to the
    /// year's end (rule 7). Milieu and structure rest on no grant: their average monthly actuals of
    /// January through `through` continue for the remaining months (rounded down to the cent).
    static func forecast(
        component: BudgetComponent, line: LineLedger, through: YearMonth
    ) throws(Money.Overflow)
        -> Money
    {
        let funds = try line.funds()
        let known = try funds.actuals + funds.commitments
        guard component != .case else { return known }
        let elapsed = Int64(through.month)
        let remaining = 12 - elapsed
        let spentSoFar = try Money.total(line.actuals.filter { $0.key <= through }.values)
        let runRate = spentSoFar.divided(by: elapsed)
        // Spending already booked for later months counts against the projection for those months.
        let booked = try Money.total(line.actuals.filter { $0.key > through }.values)
        return try known + (runRate.times(remaining) - booked).positivePart
    }

    public func line(_ component: BudgetComponent) -> Line { lines.first { $0.component == component }! }
}

/// Year end (rule 12): what each line of a Sozialraum leaves, what may be carried into next year,
/// what the lead provider keeps of the savings.
public struct YearEndProposal: Hashable, Sendable {
    public struct Line: Hashable, Sendable {
        public let component: BudgetComponent
        /// Available after cover at year end: positive is a surplus, negative a deficit.
        public let result: Money
        public var surplus: Money { result.positivePart }
        public let deficit: Money
        public let providerShare: Money
        public let carryForward: Money
    }

    public struct Share: Hashable, Sendable {
        public let provider: TenantID
        public let amount: Money

        public init(provider: TenantID, amount: Money) {
            self.provider = provider
            self.amount = amount
        }
    }

    /// One lead provider's part of one line's share: what its payment books (the Kontierung is per line).
    public struct LineShare: Hashable, Sendable {
        public let provider: TenantID
        public let component: BudgetComponent
        public let amount: Money
    }

    public let lines: [Line]
    /// Each line's share split among the lead providers (equally; the remainder cent goes to the first).
    public let lineShares: [LineShare]
    /// Providers' shares by lead provider: the sum of its line shares.
    public let shares: [Share]

    /// Surpluses are the lines' available funds after cover transfers. The provider share applies to
    /// each surplus; only the rest may be carried forward, and only when the year allows it.
    public init(
        reconciliation: SocialSpaceReconciliation, carryForwardAllowed: Bool, providerShareBasisPoints: Int,
        leadProviders: [TenantID]
    ) throws(Money.Overflow) {
        try self.init(
            resultsAfterCover: reconciliation.lines.reduce(into: [:]) { $0[$1.component] = $1.availableAfterCover },
            carryForwardAllowed: carryForwardAllowed, providerShareBasisPoints: providerShareBasisPoints,
            leadProviders: leadProviders)
    }

    /// `resultsAfterCover`: each line's available funds after cover at year end (missing lines: zero).
    public init(
        resultsAfterCover: [BudgetComponent: Money], carryForwardAllowed: Bool, providerShareBasisPoints: Int,
        leadProviders: [TenantID]
    ) throws(Money.Overflow) {
        let basisPoints = leadProviders.isEmpty ? 0 : providerShareBasisPoints
        self.lines = try BudgetComponent.allCases.map { component throws(Money.Overflow) in
            let result = resultsAfterCover[component, default: .zero]
            let share = YearEnd.providerShare(of: result.positivePart, basisPoints: basisPoints)
            return Line(
                component: component, result: result, deficit: try result.shortfall(), providerShare: share,
                carryForward: carryForwardAllowed ? try result.positivePart - share : .zero)
        }
        let leads = leadProviders.sorted { $0.description < $1.description }
        let lineShares: [LineShare] = lines.filter { $0.providerShare.isPositive }.flatMap { line -> [LineShare] in
            zip(leads, line.providerShare.split(into: leads.count)).filter { $0.1.isPositive }.map {
                LineShare(provider: $0.0, component: line.component, amount: $0.1)
            }
        }
        self.lineShares = lineShares
        var shares: [Share] = []
        for lead in leads {
            let amount = try Money.total(lineShares.filter { $0.provider == lead }.map(\.amount))
            if amount.isPositive { shares.append(Share(provider: lead, amount: amount)) }
        }
        self.shares = shares
    }
}
