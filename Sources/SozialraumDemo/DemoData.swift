import Logging
import SozialraumDomain
import SozialraumServices

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A realistic Landkreis Verden year, planned without I/O: Sozialräume over the 8 municipalities,
/// providers with rates, about 650 cases (× `scale`) with moves and grants, deliveries, projects with
/// expenses, instalments. Names of providers are invented; case keys are pseudonyms.
public struct DemoPlan: Sendable {
    public struct SocialSpace: Sendable {
        public var code: SocialSpaceCode
        public var name: String
        public var municipalities: [(code: SocialSpaceCode, name: String)]
    }
    public struct Provider: Sendable {
        public var name: String
        public var home: Int
        public var rates: [(helpType: String, unit: RateUnit, amount: Money)]
    }
    public struct Case: Sendable {
        public var key: String
        public var space: Int
        public var opened: Day
        public var move: (day: Day, space: Int)?
    }
    public struct Grant: Sendable {
        public var caseIndex: Int
        public var provider: Int
        public var helpType: String
        public var unit: RateUnit
        public var volume: Quantity
        public var start: Day
        public var end: Day
        /// Delivered volume per month of the year (absent: not yet delivered).
        public var deliveries: [(month: YearMonth, quantity: Quantity)]
    }
    public struct Project: Sendable {
        public var provider: Int
        public var space: Int
        public var title: String
        public var component: BudgetComponent
        public var budget: Money
        public var volunteers: Int
        public var professionals: Int
        public var expenses: [(day: Day, amount: Money)]
    }

    public let year: Int
    public let socialSpaces: [SocialSpace]
    public let providers: [Provider]
    public let appropriations: [(space: Int, component: BudgetComponent, amount: Money)]
    public let cases: [Case]
    public let grants: [Grant]
    public let projects: [Project]
    /// Quarterly instalments per provider and its home Sozialraum.
    public let instalments: [(provider: Int, month: YearMonth, amount: Money)]
    /// Cases, projects and the population are multiplied by it.
    public let scale: Int

    /// The plan for `year`, delivered through `deliveredThrough` (the last month with deliveries).
    public init(seed: UInt64 = 2005, scale: Int = 1, year: Int = 2026, deliveredThrough: YearMonth) {
        precondition(scale >= 1)
        var random = SeededGenerator(seed: seed)
        self.year = year
        self.scale = scale
        func code(_ text: String) -> SocialSpaceCode { SocialSpaceCode(text)! }
        let socialSpaces = [
            SocialSpace(
                code: code("achim-oyten"), name: "Achim / Oyten",
                municipalities: [(code("achim"), "Achim"), (code("oyten"), "Oyten")]),
            SocialSpace(
                code: code("verden-mitte"), name: "Verden Mitte",
                municipalities: [
                    (code("verden"), "Verden (Aller)"), (code("kirchlinteln"), "Kirchlinteln"),
                    (code("langwedel"), "Langwedel"),
                ]),
            SocialSpace(
                code: code("weser-sued"), name: "Weser Süd",
                municipalities: [
                    (code("doerverden"), "Dörverden"), (code("thedinghausen"), "SG Thedinghausen"),
                    (code("ottersberg"), "Ottersberg"),
                ]),
        ]
        let names = [
            "Jugendhilfe Aller-Weser e.V.", "Familienwerk Achim gGmbH", "Kinder- und Jugendhilfe Verden e.V.",
            "Lebensräume Weser-Süd gGmbH", "Ambulante Hilfen Oyten e.V.", "Jugendwerk Kirchlinteln gGmbH",
        ]
        self.socialSpaces = socialSpaces
        let providers = names.enumerated().map { index, name in
            var rates: [(String, RateUnit, Money)] = []
            for type in ["27.2", "29", "30", "31", "35", "35a", "41", "28", "20"] {
                rates.append((type, .hour, Money(cents: Int64.random(in: 55_00...72_00, using: &random) / 10 * 10)))
            }
            rates.append(("32", .day, Money(cents: Int64.random(in: 120_00...165_00, using: &random))))
            rates.append(("34", .day, Money(cents: Int64.random(in: 185_00...265_00, using: &random))))
            rates.append(
                ("33", .flatMonth, Money(cents: Int64.random(in: 900_00...1_250_00, using: &random) / 100 * 100)))
            return Provider(name: name, home: index % 3, rates: rates)
        }
        self.providers = providers
        let start = Day(year: year, month: 1, day: 1)!
        let end = Day(year: year, month: 12, day: 31)!
        // About 650 cases a year (Verden), spread over the Sozialräume by population.
        let weights = [45, 35, 20]
        var cases: [Case] = []
        var grants: [Grant] = []
        let helpMix: [(String, RateUnit, Int)] = [
            ("31", .hour, 30), ("30", .hour, 18), ("27.2", .hour, 12), ("35a", .hour, 8), ("29", .hour, 5),
            ("41", .hour, 5),
            ("32", .day, 7), ("34", .day, 10), ("33", .flatMonth, 5),
        ]
        let totalMix = helpMix.reduce(0) { $0 + $1.2 }
        for index in 0..<(650 * scale) {
            let roll = Int.random(in: 0..<100, using: &random)
            let space = roll < weights[0] ? 0 : roll < weights[0] + weights[1] ? 1 : 2
            let opened = start.adding(days: Int.random(in: -400...300, using: &random))
            var move: (Day, Int)?
            let moveDay = max(opened, start).adding(days: Int.random(in: 30...330, using: &random))
            if Int.random(in: 0..<100, using: &random) < 8, moveDay <= end {
                move = (moveDay, (space + Int.random(in: 1...2, using: &random)) % 3)
            }
            cases.append(
                Case(
                    key: "VER-\(year)-\(String(index + 1).leftPadded(to: 6))", space: space, opened: opened, move: move)
            )
            let grantCount = Int.random(in: 0..<100, using: &random) < 20 ? 2 : 1
            for _ in 0..<grantCount {
                var pick = Int.random(in: 0..<totalMix, using: &random)
                var type = helpMix[0]
                for entry in helpMix {
                    if pick < entry.2 {
                        type = entry
                        break
                    }
                    pick -= entry.2
                }
                // Mostly a provider of the home Sozialraum; sometimes one from elsewhere (rule 9).
                let local = providers.indices.filter { providers[$0].home == space }
                let provider =
                    Int.random(in: 0..<100, using: &random) < 90
                    ? local[Int.random(in: 0..<local.count, using: &random)]
                    : Int.random(in: 0..<providers.count, using: &random)
                let grantStart = max(start, opened).adding(days: Int.random(in: 0...60, using: &random))
                guard grantStart <= end else { continue }
                let grantEnd = min(end, grantStart.adding(days: Int.random(in: 90...540, using: &random)))
                let volume: Quantity =
                    switch type.1 {
                    case .hour: Quantity(hundredths: Int64.random(in: 4...20, using: &random) * 100)
                    case .day: Quantity(hundredths: Int64.random(in: 18...31, using: &random) * 100)
                    case .flatMonth: Quantity(hundredths: 100)
                    }
                var deliveries: [(YearMonth, Quantity)] = []
                let terms = GrantTerms(
                    period: DayRange(start: grantStart, end: grantEnd)!, volumePerMonth: volume, unit: type.1, rates: []
                )
                for month in grantStart.yearMonth.through(min(grantEnd.yearMonth, deliveredThrough)) {
                    guard let granted = terms.grantedVolume(in: month), let limit = terms.deliverableLimit(in: month)
                    else { continue }
                    let roll = Int.random(in: 0..<100, using: &random)
                    if roll < 2 { continue }  // a missing Leistungsnachweis
                    let share = Int64.random(in: 80...100, using: &random)
                    let over = Int64.random(in: 1...6, using: &random)
                    // Only what can be true (rule 6): hours in quarters, whole days within the month's
                    // covered days, a flat month delivered (1) or, rarely, not (0).
                    let delivered: Int64
                    switch type.1 {
                    case .hour:
                        delivered =
                            roll >= 97 ? granted.hundredths + over * 50 : granted.hundredths * share / 100 / 25 * 25
                    case .day:
                        let days = roll >= 97 ? granted.hundredths / 100 + over : granted.hundredths * share / 100 / 100
                        delivered = min(days * 100, limit.hundredths)
                    case .flatMonth:
                        delivered = roll < 4 ? 0 : 100
                    }
                    deliveries.append((month, Quantity(hundredths: min(delivered, Quantity.maximum.hundredths))))
                }
                grants.append(
                    Grant(
                        caseIndex: index, provider: provider, helpType: type.0, unit: type.1, volume: volume,
                        start: grantStart,
                        end: grantEnd, deliveries: deliveries))
            }
        }
        self.cases = cases
        self.grants = grants
        // Projektlandschaft: about 70 projects a year.
        let topics = [
            "Stadtteilcafé", "Elterntreff", "Hausaufgabenhilfe", "Jugendtreff", "Sportangebot", "Lernwerkstatt",
            "Familienfrühstück",
        ]
        var projects: [Project] = []
        for index in 0..<(70 * scale) {
            let space = index % 3
            let provider = providers.indices.filter { providers[$0].home == space }[index % 2]
            let component: BudgetComponent = Int.random(in: 0..<100, using: &random) < 60 ? .structure : .milieu
            let budget = Money(cents: Int64.random(in: 20...150, using: &random) * 100_00)
            var expenses: [(Day, Money)] = []
            for month in YearMonth(year: year, month: 1)!.through(deliveredThrough)
            where Int.random(in: 0..<100, using: &random) < 60 {
                expenses.append(
                    (
                        Day(year: year, month: month.month, day: Int.random(in: 1...28, using: &random))!,
                        budget.divided(by: 14)
                    ))
            }
            projects.append(
                Project(
                    provider: provider, space: space,
                    title: "\(topics[index % topics.count]) \(socialSpaces[space].name) \(index / topics.count + 1)",
                    component: component, budget: budget, volunteers: Int.random(in: 0...25, using: &random),
                    professionals: Int.random(in: 1...4, using: &random), expenses: expenses))
        }
        self.projects = projects
        // Appropriations sized to the plan, with some lines tight so that cover transfers show.
        var appropriations: [(Int, BudgetComponent, Money)] = []
        for space in socialSpaces.indices {
            let share = Int64(weights[space]) * Int64(scale)
            appropriations.append((space, .case, Money(cents: share * 160_000_00)))
            appropriations.append((space, .milieu, Money(cents: share * 9_000_00)))
            appropriations.append((space, .structure, Money(cents: share * 6_000_00)))
        }
        self.appropriations = appropriations
        var instalments: [(Int, YearMonth, Money)] = []
        for provider in providers.indices {
            for quarter in [1, 4, 7, 10] where YearMonth(year: year, month: quarter)! <= deliveredThrough {
                instalments.append(
                    (provider, YearMonth(year: year, month: quarter)!, Money(cents: Int64(scale) * 90_000_00)))
            }
        }
        self.instalments = instalments
    }

    /// Delivery lines in the plan (billing lines of the year).
    public var deliveryCount: Int { grants.reduce(0) { $0 + $1.deliveries.count } }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// Loads a `DemoPlan` through the services, as the county and the providers would enter it.
public struct DemoLoader: Sendable {
    let services: UseCases
    let logger: Logger

    public init(services: UseCases, logger: Logger) {
        self.services = services
        self.logger = logger
    }

    public struct Summary: Sendable, Equatable {
        public var providers: Int
        public var cases: Int
        public var grants: Int
        public var deliveries: Int
        public var projects: Int
    }

    /// Loads the plan; `county` acts for the county. Returns what was loaded.
    @discardableResult
    public func load(_ plan: DemoPlan, county: TenantID) async throws -> Summary {
        let countyCaller = Caller(tenant: county, role: .county, name: "demo")
        try await services.budget.loadHelpTypes(countyCaller)
        try await services.budget.openYear(countyCaller, year: plan.year, overrunPolicy: .warn)
        // The register, the cases and their grants and the projects go in as a migration would bring
        // them (docs/migration.md), going live on 1 January: the migration is tested on a whole year.
        let goLive = Day(year: plan.year, month: 1, day: 1)!
        _ = try await services.migration.migrate(
            countyCaller, goLive: goLive, bundle: Self.bundle(plan), dryRun: false,
            idempotencyKey: IdempotencyKey("demo-migration-\(plan.year)")!)
        // Inhabitants under 21 (about 30,000 in the county), so that the cost report shows figures per 1,000.
        let young = [12_400, 10_100, 7_800]
        for (index, space) in plan.socialSpaces.enumerated() {
            try await services.reconciliation.setPopulation(
                countyCaller, year: plan.year, socialSpace: space.code,
                youngInhabitants: young[index % young.count] * plan.scale, keepExisting: true)
        }
        // The KJH-Statistik's mapping of the year (docs/reports.md), as a controller would import it.
        _ = try await services.reconciliation.importStatisticsMapping(
            Caller(tenant: county, role: .county, name: "demo", rights: [.controller]), year: plan.year,
            csv: CashStatistics.suggestedMappingFile)
        var providerIDs: [TenantID] = []
        for index in plan.providers.indices {
            providerIDs.append(try await services.budget.provider(countyCaller, idOrCode: Self.providerCode(index)))
        }
        // The grants' ids, found by case, provider, help type and start (a case's history lists them).
        var grantIDs: [UUID] = []
        var histories: [String: [CaseHistoryLine]] = [:]
        for grant in plan.grants {
            let key = plan.cases[grant.caseIndex].key
            if histories[key] == nil { histories[key] = try await services.grants.caseHistory(countyCaller, key: key) }
            let line = histories[key]!.first {
                $0.kind == .grant && $0.day == grant.start && $0.provider == providerIDs[grant.provider]
                    && $0.detail.hasPrefix("§\(grant.helpType) ")
            }
            guard let id = line?.reference.flatMap(UUID.init(uuidString:)) else {
                throw ServiceError.conflict("demo grant of \(key) not found after the migration")
            }
            grantIDs.append(id)
        }
        var deliveries = 0
        for (providerIndex, provider) in providerIDs.enumerated() {
            var csv = "grant_id,month,quantity\n"
            var lines = 0
            for (grant, id) in zip(plan.grants, grantIDs) where grant.provider == providerIndex {
                for delivery in grant.deliveries {
                    csv += "\(id),\(delivery.month),\(delivery.quantity)\n"
                    lines += 1
                }
            }
            guard lines > 0 else { continue }
            let caller = Caller(tenant: provider, role: .provider, name: "demo")
            deliveries += try await services.grants.importDeliveries(
                caller, csv: csv, idempotencyKey: IdempotencyKey("demo-deliveries-\(plan.year)-\(providerIndex)")!
            ).deliveries
        }
        let projectIDs = Dictionary(
            try await services.budget.projects(countyCaller, year: plan.year).map {
                ("\($0.provider)|\($0.title)", $0.id)
            },
            uniquingKeysWith: { first, _ in first })
        for (index, project) in plan.projects.enumerated() {
            guard let id = projectIDs["\(providerIDs[project.provider])|\(project.title)"] else {
                throw ServiceError.conflict("demo project \(project.title) not found after the migration")
            }
            let caller = Caller(tenant: providerIDs[project.provider], role: .provider, name: "demo")
            for (number, expense) in project.expenses.enumerated() {
                _ = try await services.payments.bookProjectExpense(
                    caller, projectID: id, day: expense.day, amount: expense.amount,
                    idempotencyKey: IdempotencyKey("demo-expense-\(plan.year)-\(index)-\(number)")!)
            }
        }
        let (certifier, orderer) = try await preparePayments(
            plan, county: county, countyCaller: countyCaller, providers: providerIDs)
        for (index, instalment) in plan.instalments.enumerated() {
            let provider = plan.providers[instalment.provider]
            let certified = try await services.payments.certifyInstalment(
                certifier, provider: providerIDs[instalment.provider],
                socialSpace: plan.socialSpaces[provider.home].code, component: .case,
                month: instalment.month, amount: instalment.amount,
                idempotencyKey: IdempotencyKey("demo-instalment-\(plan.year)-\(index)")!)
            _ = try await services.paymentOrders.approve(orderer, orderID: certified.orderID)
        }
        return Summary(
            providers: providerIDs.count, cases: plan.cases.count, grants: grantIDs.count, deliveries: deliveries,
            projects: plan.projects.count)
    }

    static func providerCode(_ index: Int) -> String { "traeger-\(index + 1)" }

    /// The plan's register, cases, grants and projects as a migration bundle (docs/migration.md).
    static func bundle(_ plan: DemoPlan) -> String {
        let planStart = Day(year: plan.year - 2, month: 1, day: 1)!
        var text = "#file providers\ncode,name\n"
        for (index, provider) in plan.providers.enumerated() { text += "\(providerCode(index)),\(provider.name)\n" }
        text += "#file sozialraeume\nsozialraum,name,municipality,municipality_name,valid_from\n"
        for space in plan.socialSpaces {
            for municipality in space.municipalities {
                text += "\(space.code),\(space.name),\(municipality.code),\(municipality.name),\(planStart)\n"
            }
        }
        text += "#file assignments\nprovider,sozialraum,lead,valid_from,valid_to\n"
        for (index, provider) in plan.providers.enumerated() {
            text +=
                "\(providerCode(index)),\(plan.socialSpaces[provider.home].code),\(index < 3 ? "yes" : "no"),\(planStart),\n"
        }
        text += "#file rates\nprovider,help_type,unit,valid_from,amount\n"
        for (index, provider) in plan.providers.enumerated() {
            for rate in provider.rates {
                text += "\(providerCode(index)),\(rate.helpType),\(rate.unit.rawValue),\(planStart),\(rate.amount)\n"
            }
        }
        text += "#file appropriations\nsozialraum,component,amount\n"
        for entry in plan.appropriations {
            text += "\(plan.socialSpaces[entry.space].code),\(entry.component.rawValue),\(entry.amount)\n"
        }
        text += "#file cases\ncase_key,sozialraum,valid_from\n"
        for demoCase in plan.cases {
            text += "\(demoCase.key),\(plan.socialSpaces[demoCase.space].code),\(demoCase.opened)\n"
            if let move = demoCase.move {
                text += "\(demoCase.key),\(plan.socialSpaces[move.space].code),\(move.day)\n"
            }
        }
        text += "#file grants\ncase_key,provider,help_type,unit,volume,starts_on,ends_on,paid_this_year,reason\n"
        for grant in plan.grants {
            let demoCase = plan.cases[grant.caseIndex]
            // Recorded only where the provider does not serve the case's Sozialraum (rule 9).
            let reason = "gewachsene Beziehung (Fall lebt in \(plan.socialSpaces[demoCase.space].code))"
            text +=
                "\(demoCase.key),\(providerCode(grant.provider)),\(grant.helpType),\(grant.unit.rawValue),\(grant.volume),"
                + "\(grant.start),\(grant.end),0,\(reason)\n"
        }
        text +=
            "#file projects\nprovider,sozialraum,component,title,starts_on,ends_on,budget,spent_this_year,volunteers,professionals\n"
        for project in plan.projects {
            text +=
                "\(providerCode(project.provider)),\(plan.socialSpaces[project.space].code),\(project.component.rawValue),"
                + "\(project.title),\(plan.year)-01-01,\(plan.year)-12-31,\(project.budget),0,\(project.volunteers),"
                + "\(project.professionals)\n"
        }
        return text
    }
}
