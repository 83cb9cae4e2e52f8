import Foundation
import Logging
import PostgresClient
import SozialraumDemo
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

@Suite struct DemoPlanTests {
    let through = YearMonth(iso: "2026-10")!

    @Test func theSameSeedGivesTheSamePlanAndAnotherSeedAnother() {
        let a = DemoPlan(seed: 7, deliveredThrough: through)
        let b = DemoPlan(seed: 7, deliveredThrough: through)
        let c = DemoPlan(seed: 8, deliveredThrough: through)
        func fingerprint(_ plan: DemoPlan) -> [String] {
            plan.grants.map {
                "\($0.caseIndex)|\($0.provider)|\($0.helpType)|\($0.volume)|\($0.start)|\($0.end)|\($0.deliveries.map { "\($0.month)=\($0.quantity)" })"
            }
        }
        #expect(fingerprint(a) == fingerprint(b))
        #expect(fingerprint(a) != fingerprint(c))
    }

    @Test func aNormalYearHasVerdensSize() {
        let plan = DemoPlan(deliveredThrough: through)
        #expect(plan.cases.count == 650)
        #expect((600...1000).contains(plan.grants.count))
        #expect((5...8).contains(plan.providers.count))
        #expect(Set(plan.socialSpaces.flatMap { $0.municipalities.map(\.code) }).count == 8)
        #expect(plan.cases.contains { $0.move != nil })
        #expect(plan.cases.allSatisfy { CaseKey($0.key) != nil })
        // Some deliveries exceed their grant, so the county has findings to look at.
        #expect(
            plan.grants.contains { grant in
                let terms = GrantTerms(
                    period: DayRange(start: grant.start, end: grant.end)!, volumePerMonth: grant.volume,
                    unit: grant.unit, rates: [])
                return grant.deliveries.contains { $0.quantity > terms.grantedVolume(in: $0.month)! }
            })
    }

    /// Issue 15, item 2: the generator books only what can be true (no 30.69 days in February).
    @Test func everyPlannedDeliveryIsPossible() {
        for seed in [1, 7, 42] as [UInt64] {
            let plan = DemoPlan(seed: seed, deliveredThrough: through)
            for grant in plan.grants {
                let terms = GrantTerms(
                    period: DayRange(start: grant.start, end: grant.end)!, volumePerMonth: grant.volume,
                    unit: grant.unit, rates: [])
                for delivery in grant.deliveries {
                    #expect(throws: Never.self, "\(grant.unit) \(delivery.month) \(delivery.quantity)") {
                        try DeliveryCheck.check(delivered: delivery.quantity, month: delivery.month, terms: terms)
                    }
                    if grant.unit != .hour {
                        #expect(delivery.quantity.hundredths % 100 == 0, "whole days or flat months")
                    }
                }
            }
        }
    }

    @Test func theScaleFactorMultipliesTheYear() {
        let plan = DemoPlan(scale: 3, deliveredThrough: through)
        #expect(plan.cases.count == 1950)
        #expect(plan.projects.count == 210)
    }
}

@Suite struct DemoLoaderTests {
    @Test func theDemoYearLoadsThroughTheServicesAndAddsUp() async throws {
        let database = try await TestCluster.shared.freshDatabase(prefix: "demo")
        let county = try await TenantRegistry.ensureCounty(
            name: "Landkreis Verden", ownerConninfo: database.superuserConninfo)
        let store = database.runtimeStore()
        let services = UseCases(
            store: store, logger: Logger(label: "test.demo"), today: { Day(iso: "2026-11-25")! },
            accounts: AccountService(store: store, logger: Logger(label: "test.demo"), scryptRounds: 1024))
        let (service, reconciliation) = (services.budget, services.reconciliation)
        let plan = DemoPlan(deliveredThrough: YearMonth(iso: "2026-10")!)
        let summary = try await DemoLoader(services: services, logger: Logger(label: "test.demo")).load(
            plan, county: county)
        #expect(summary.cases == 650)
        #expect(summary.deliveries == plan.deliveryCount)

        // The ledger and the funds agree: actuals of every Sozialraum sum to the delivery and expense bookings.
        let countyCaller = Caller(tenant: county, role: .county, name: "test")
        var actuals: Int64 = 0
        for space in plan.socialSpaces {
            let report = try await service.availableFunds(countyCaller, socialSpace: space.code, year: 2026)
            actuals += report.lines.reduce(0) { $0 + $1.funds.actuals.cents }
            #expect(report.line(.case).funds.commitments.cents > 0)
        }
        let admin = try await database.superuserConnection()
        let ledger = try await admin.query(
            PostgresQuery(
                unsafeSQL: "SELECT sum(amount)::bigint FROM booking WHERE kind IN ('delivery', 'project_expense')")
        ).single().decode(0, as: Int64.self)
        #expect(actuals == ledger)
        #expect(
            try await admin.query(PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM finding")).single().decode(
                0, as: Int.self)
                > 0)
        // The trigger-kept totals equal what they summarise.
        let totals = try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT (SELECT sum(amount) FROM commitment WHERE NOT released)::bigint, (SELECT sum(amount) FROM commitment_total)::bigint,
                           (SELECT sum(amount) FROM booking)::bigint, (SELECT sum(amount) FROM ledger_total)::bigint
                    """)
        ).single()
        #expect(try totals.decode(0, as: Int64.self) == totals.decode(1, as: Int64.self))
        #expect(try totals.decode(2, as: Int64.self) == totals.decode(3, as: Int64.self))

        // Reconciled, the demo year's reports are produced: statements account for every actual, the
        // cost report has a row per Sozialraum, each Sozialraum has its chart.
        let run = try await reconciliation.run(countyCaller, scope: .year(2026, through: YearMonth(iso: "2026-11")!))
        let statements = try await reconciliation.statements(countyCaller, runID: run.runID)
        let accrued = statements.reduce(Int64(0)) { $0 + $1.accrued.cents }
        #expect(accrued == actuals)
        #expect(statements.count == plan.providers.count)
        let report = try await reconciliation.costDevelopment(countyCaller, years: 2026...2026, byHelpType: false)
        #expect(report.count == plan.socialSpaces.count)
        // Population is loaded: every Sozialraum has its cost per 1,000 young inhabitants.
        #expect(report.allSatisfy { $0.caseCostPer1000 != nil })
        for space in plan.socialSpaces {
            let svg = try await reconciliation.burnChart(
                countyCaller, socialSpace: space.code, year: 2026, runID: run.runID)
            #expect(svg.contains("<polyline") && svg.contains(space.code.rawValue))
        }

        // The sample report to the Jugendhilfeausschuss in docs/ is this demo county's third quarter (issue 33):
        // regenerated here and compared byte for byte (SOZIALRAUM_WRITE_SAMPLES=1 writes it instead).
        let thirdQuarter = try await reconciliation.run(
            countyCaller, scope: .year(2026, through: YearMonth(iso: "2026-09")!))
        let committee = try await reconciliation.committeeReport(
            countyCaller, year: 2026, quarter: 3, minimumGroup: 3)
        #expect(committee.runID == thirdQuarter.runID)
        let html = try CommitteeReportPaper(report: committee).html()
        #expect(!html.contains("VER-2026"), "no case key in the committee's report")
        let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/beispiel-bericht-jugendhilfeausschuss.html")
        if ProcessInfo.processInfo.environment["SOZIALRAUM_WRITE_SAMPLES"] == "1" {
            try html.write(to: sample, atomically: true, encoding: .utf8)
        }
        #expect(
            try String(contentsOf: sample, encoding: .utf8) == html, "docs/beispiel-bericht-jugendhilfeausschuss.html")
    }
}
