import Foundation
import Logging
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// The KJH-Statistik Teil IV on the real store (issue 33, items 3 and 4): the Kasse's confirmations by value
/// date, split by the providers' delivered cost per help type, in the county's mapping of the year; the
/// working paper shows the same figures.
@Suite struct CashStatisticsReportTests {
    let march = YearMonth(iso: "2026-03")!

    /// Alpha delivers in nord in March 2026: §31 10 h × 60.00 = 600.00 and §34 10 days × 200.00 = 2,000.00.
    /// Three instalments are ordered and sent to the Kasse: alpha nord case 1,300.00, alpha nord milieu 500.00,
    /// beta süd case 400.00. The Kasse pays the first on 02.04.2026, 250.00 of the second on 03.04.2026 and the
    /// third on 04.01.2027. The 2026 mapping names §31 and milieu projects, not §34.
    /// 2026 by hand: 1,300 × 600/2,600 = 300.00 (§31 → HzE-31) and 1,000.00 (§34 → ohne, a finding);
    /// 250.00 milieu → 20. Paid 1,550.00 = 300 + 250 + 1,000.
    /// 2027: beta's 400.00, a case line with no deliveries of beta in süd 2026 to split by → ohne, a finding.
    @Test(.timeLimit(.minutes(2))) func theKassesPaymentsOfAYearByTheSurveysPositions() async throws {
        let world = try await BudgetWorld.make()
        try await world.mapFinance(year: 2026)
        try await world.openCase("VER-2026-0101").granted(perMonth: "10").delivered(
            "2026-03", "10", key: "delivery-31-march")
        try await world.openCase("VER-2026-0102").granted(help: "34", unit: .day, perMonth: "31")
            .delivered("2026-03", "10", key: "delivery-34-march")
        let first = try await world.payInstalment(
            provider: world.alpha.tenant, socialSpace: world.nord, month: march, amount: Money(cents: 1_300_00),
            key: "instalment-1")
        let second = try await world.payInstalment(
            provider: world.alpha.tenant, socialSpace: world.nord, component: .milieu, month: march,
            amount: Money(cents: 500_00), key: "instalment-2")
        let third = try await world.payInstalment(
            provider: world.beta.tenant, socialSpace: world.sued, month: march, amount: Money(cents: 400_00),
            key: "instalment-3")
        _ = try await world.orders.export(world.county)
        let orders = try await world.orders.orders(world.county)
        func kassenzeichen(_ id: Int64) -> String { orders.first { $0.id == id }!.kassenzeichen! }
        let confirmations = """
            Kassenzeichen;Betrag;Valuta
            \(kassenzeichen(first.orderID));1300,00;02.04.2026
            \(kassenzeichen(second.orderID));250,00;03.04.2026
            \(kassenzeichen(third.orderID));400,00;04.01.2027

            """
        _ = try await world.orders.importConfirmations(
            world.orderer, csv: confirmations, idempotencyKey: world.key("kasse-2026"))

        let reports = world.reconciler()
        let controller = Caller(
            tenant: world.county.tenant, role: .county, name: "controlling", requestID: "t", rights: [.controller])
        // The mapping: all or nothing; a bad key and a taken position code are named by line.
        await #expect(
            throws: ServiceError.rejectedRows([
                RowError(line: 3, field: "key", reason: "not a help type code or projekt-milieu / projekt-struktur"),
                RowError(line: 4, field: "position", reason: "1 to 20 letters, digits, '.' or '-', not ohne"),
            ])
        ) {
            try await reports.importStatisticsMapping(
                controller, year: 2026,
                csv: "key;position;title\n31;HzE-31;SPFH\n99;X;Unbekannt\n34;ohne;Heim\n")
        }
        #expect(try await reports.statisticsMapping(world.auditor, year: 2026).isEmpty)
        await #expect(throws: ServiceError.forbidden("setting the statistics mapping needs the right controller")) {
            try await reports.importStatisticsMapping(world.orderer, year: 2026, csv: "key;position;title\n31;A;B\n")
        }
        let mapping =
            "key;position;title\n31;HzE-31;Sozialpädagogische Familienhilfe (§ 31)\n"
            + "projekt-milieu;20;Einrichtungen der Familienförderung, Gemeinwesenarbeit\n"
        #expect(try await reports.importStatisticsMapping(controller, year: 2026, csv: mapping) == 2)
        let before = try await reports.statisticsMapping(world.auditor, year: 2026)
        // A retry of the same file: the same mapping.
        #expect(try await reports.importStatisticsMapping(controller, year: 2026, csv: mapping) == 2)
        let after = try await reports.statisticsMapping(world.auditor, year: 2026)
        #expect(before.map(\.key) == ["31", "projekt-milieu"] && after.map(\.key) == before.map(\.key))
        #expect(after.map(\.position) == before.map(\.position))

        let report = try await reports.cashStatistics(world.auditor, year: 2026)
        #expect(report.totals.map(\.position.code) == ["HzE-31", "20", "ohne"])
        #expect(report.totals.map(\.expenditure.cents) == [300_00, 250_00, 1_000_00])
        #expect(report.totals.map(\.expenditureEuros) == [300, 250, 1_000])
        #expect(report.paid.cents == 1_550_00 && report.received == .zero)
        #expect(
            report.findings.map { "\($0.kind.rawValue) \($0.subject) \($0.amount.cents)" } == ["unmapped 34 100000"])
        // The title keeps the comma it was given (the rest of the line is the title).
        #expect(report.totals[1].position.title == "Einrichtungen der Familienförderung, Gemeinwesenarbeit")

        let next = try await reports.cashStatistics(world.county, year: 2027)
        #expect(next.totals.map(\.position.code) == ["ohne"] && next.paid.cents == 400_00)
        #expect(next.findings.map { "\($0.kind.rawValue) \($0.subject)" } == ["no-basis sued case 2026"])

        let paper = try await reports.cashStatisticsPaper(world.county, year: 2026)
        #expect(paper.hasPrefix("<!DOCTYPE html>\n<html lang=\"de\">"))
        #expect(!paper.contains("<script") && !paper.contains("http://") && !paper.contains("https://"))
        #expect(
            paper.contains(
                "<th scope=\"row\">HzE-31</th><td>Sozialpädagogische Familienhilfe (§ 31)</td><td class=\"zahl\">300</td>"
            ))
        #expect(paper.contains("<td class=\"zahl\">1.550,00 €</td>"))
        #expect(paper.contains("<td>02.04.2026</td><td>\(kassenzeichen(first.orderID))</td>"))
        #expect(paper.contains("<td>§ 34</td><td>ohne</td><td class=\"zahl\">1.000,00 €</td>"))
        // The suggested mapping (docs/reports.md, the demo's) is accepted whole: 13 help types, 2 project kinds.
        #expect(
            try await reports.importStatisticsMapping(controller, year: 2027, csv: CashStatistics.suggestedMappingFile)
                == 15)
        // Providers do not read it.
        await #expect(throws: ServiceError.forbidden("reading cost reports")) {
            try await reports.cashStatistics(world.alpha, year: 2026)
        }
    }
}
