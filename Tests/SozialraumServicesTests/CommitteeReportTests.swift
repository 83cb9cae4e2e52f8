import Foundation
import Logging
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// The report to the Jugendhilfeausschuss (issue 33, items 1–2) on a small county computed by hand: every
/// figure it shows equals what `funds`, the run (`run … lines`/`transfers`), `cost-report`, `overruns` and the
/// run's `statements` give; small groups are shown as "< 3"; the quarter report stands on the run to the
/// quarter's end.
@Suite struct CommitteeReportTests {
    /// Nord: alpha's §31 case (10 h a month at 60.00) delivered 10 h in March (600.00) and 8 h in April
    /// (480.00); its §34 cases (31 and 15 days a month at 200.00) 10 days in March (2,000.00); a milieu project
    /// with 1,500.00 spent in March. Süd: beta's §31 case 5 h in March (300.00). Young inhabitants 2026: nord
    /// 1,000, süd 500.
    /// By hand: nord case Ist 600 + 480 + 2,000 = 3,080.00, nord milieu Ist 1,500.00, süd case Ist 300.00;
    /// county case Ist 3,380.00. Case cost per 1,000: nord 3,080.00, süd 300 × 1,000 / 500 = 600.00, county
    /// 3,380 × 1,000 / 1,500 = 2,253.33. Ansatz per line as BudgetWorld sets it: 100,000 / 20,000 / 10,000, the
    /// county twice that. Every group of a help type has fewer than 3 cases: "< 3", no cost of its own.
    @Test(.timeLimit(.minutes(3))) func everyFigureEqualsTheOtherReports() async throws {
        let world = try await BudgetWorld.make()
        let spfh = try await world.openCase("VER-2026-0201").granted(perMonth: "10")
        try await spfh.delivered("2026-03", "10", key: "delivery-0201-03")
        try await spfh.delivered("2026-04", "8", key: "delivery-0201-04")
        try await world.openCase("VER-2026-0202").granted(help: "34", unit: .day, perMonth: "31")
            .delivered("2026-03", "10", key: "delivery-0202-03")
        _ = try await world.openCase("VER-2026-0203").granted(help: "34", unit: .day, perMonth: "15")
        try await world.openCase("VER-2026-0204", in: world.sued).granted(perMonth: "10", provider: world.beta)
            .delivered("2026-03", "5", key: "delivery-0204-03")
        let project = try await world.payments.createProject(
            world.county, provider: world.alpha.tenant, title: "Stadtteilcafé", socialSpace: world.nord,
            component: .milieu, startsOn: Day(iso: "2026-01-01")!, endsOn: Day(iso: "2026-12-31")!,
            budget: Money(cents: 5_000_00), volunteers: 4, professionals: 1)
        _ = try await world.payments.bookProjectExpense(
            world.alpha, projectID: project, day: Day(iso: "2026-03-15")!, amount: Money(cents: 1_500_00),
            idempotencyKey: world.key("expense-cafe-03"))
        let reports = world.reconciler()
        try await reports.setPopulation(world.county, year: 2026, socialSpace: world.nord, youngInhabitants: 1_000)
        try await reports.setPopulation(world.county, year: 2026, socialSpace: world.sued, youngInhabitants: 500)

        // Without a run over the whole year there is nothing to report on: the run to make is named.
        await #expect(throws: ServiceError.notFound("run over all Sozialräume for 2026 (reconcile 2026)")) {
            try await reports.committeeReport(world.county, year: 2026, quarter: nil, minimumGroup: 3)
        }
        let run = try await reports.run(world.county, scope: .year(2026))
        let report = try await reports.committeeReport(world.auditor, year: 2026, quarter: nil, minimumGroup: 3)
        #expect(report.runID == run.runID && report.runMonths == "2026-01..2026-12")

        // By hand.
        func line(_ space: String, _ component: BudgetComponent) -> CommitteeReport.Line {
            report.lines.first { $0.socialSpace == space && $0.component == component }!
        }
        #expect(line("nord", .case).actuals.cents == 3_080_00 && line("nord", .milieu).actuals.cents == 1_500_00)
        #expect(line("sued", .case).actuals.cents == 300_00)
        #expect(try report.countyLine(.case).actuals.cents == 3_380_00)
        #expect(try report.countyLine(.case).appropriation.cents == 200_000_00)
        let county2026 = try #require(try report.countyDevelopment(2026))
        #expect(county2026.caseCostPer1000?.cents == 2_253_33 && county2026.youngInhabitants == 1_500)
        #expect(
            report.development.first { $0.year == 2026 && $0.socialSpace == "nord" }?.caseCostPer1000?.cents == 3_080_00
        )
        #expect(
            report.development.first { $0.year == 2026 && $0.socialSpace == "sued" }?.caseCostPer1000?.cents == 600_00)
        #expect(report.helpTypes.allSatisfy { report.withheld($0) && report.shown($0.cases) == "< 3" })

        // Equal to `funds`: Ansatz, Haushaltsrest, Obligo, Ist of every line (the run is at today's position).
        for space in [world.nord, world.sued] {
            let funds = try await world.funds(space)
            for fundsLine in funds.lines {
                let mine = line(space.rawValue, fundsLine.component)
                #expect(mine.appropriation == fundsLine.funds.appropriation, "\(space) \(fundsLine.component)")
                #expect(mine.carryIn == fundsLine.funds.carryIn && mine.actuals == fundsLine.funds.actuals)
                #expect(mine.commitments == fundsLine.funds.commitments)
                #expect(mine.availableAfterCover == fundsLine.availableAfterCover)
            }
        }
        // Equal to the run's lines and transfers.
        let linesResult = try await reports.runResult(world.county, runID: run.runID, part: .lines)
        let transfersResult = try await reports.runResult(world.county, runID: run.runID, part: .transfers)
        guard case .lines(let runLines) = linesResult, case .transfers(let runTransfers) = transfersResult else {
            Issue.record("the run has no lines or transfers")
            return
        }
        #expect(report.lines == runLines.compactMap(CommitteeReport.Line.init))
        #expect(report.lines.count == 6 && report.transfers == runTransfers)
        // 31 + 15 days a month of §34 in nord exceed its case line: milieu covers (rule 3).
        #expect(report.transfers.map { "\($0.socialSpace) \($0.from)>\($0.to)" } == ["nord milieu>case"])
        #expect(line("nord", .case).coverTransfer == report.transfers[0].amount)
        // Equal to `cost-report` (by Sozialraum for five years; by help type for the year) and `overruns`.
        #expect(
            report.development
                == (try await reports.costDevelopment(world.county, years: 2022...2026, byHelpType: false)))
        let byHelpType = try await reports.costDevelopment(world.county, years: 2026...2026, byHelpType: true)
        #expect(
            report.helpTypes.map { "\($0.socialSpace) \($0.helpType) \($0.grants) \($0.caseCost.cents)" }
                == byHelpType.map { "\($0.socialSpace) \($0.helpType) \($0.grants) \($0.caseCost.cents)" })
        // Cases with case cost in the year, as the cost report counts grants: VER-2026-0203 delivered nothing yet.
        #expect(report.helpTypes.map(\.cases) == [1, 1, 1], "nord §31, nord §34, süd §31")
        #expect(report.decisions == (try await world.orders.overrunDecisions(world.county, year: 2026)).decisions)
        #expect(report.providers == (try await reports.statements(world.county, runID: run.runID)))

        // The document: German, self-contained, accessible, no case key.
        let html = try CommitteeReportPaper(report: report).html()
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"de\">"))
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("href="))
        #expect(!html.contains("VER-2026"), "no case key")
        #expect(html.contains("role=\"img\" aria-labelledby=\"mittel-titel mittel-text\""))
        #expect(
            html.contains("<caption>Landkreis: Mittel Jahr 2026 nach Budgetbereich</caption>")
                || html.contains("Mittel Jahr 2026"))
        #expect(html.contains("<td class=\"zahl\">3.380,00 €</td>"))
        #expect(html.contains("<td class=\"zahl\">&lt; 3</td>"))

        // The first quarter's report stands on the run to March, with that run's forecast.
        let quarterRun = try await reports.run(world.county, scope: .year(2026, through: YearMonth(iso: "2026-03")!))
        let quarter = try await reports.committeeReport(world.county, year: 2026, quarter: 1, minimumGroup: 3)
        #expect(quarter.runID == quarterRun.runID && quarter.runMonths == "2026-01..2026-03")
        let quarterLines = try await reports.runResult(world.county, runID: quarterRun.runID, part: .lines)
        guard case .lines(let quarterRunLines) = quarterLines else {
            Issue.record("the quarter's run has no lines")
            return
        }
        #expect(quarter.lines == quarterRunLines.compactMap(CommitteeReport.Line.init) && !quarter.lines.isEmpty)
        // A minimum of 1 shows every group with its cost.
        let open = try await reports.committeeReport(world.county, year: 2026, quarter: nil, minimumGroup: 1)
        #expect(open.helpTypes.allSatisfy { !open.withheld($0) } && open.shown(1) == "1")
        await #expect(throws: ServiceError.forbidden("reading cost reports")) {
            try await reports.committeeReport(world.alpha, year: 2026, quarter: nil, minimumGroup: 3)
        }
    }
}
