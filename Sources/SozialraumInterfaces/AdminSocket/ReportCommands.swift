import SozialraumDomain
import SozialraumProtocol
import SozialraumServices

/// The reports the county owes (issue 33): the KJH-Statistik Teil IV, with the mapping of help types and
/// project kinds to the survey's positions.
extension AdminCommands {
    static let reportCommands: [AdminCommand] = [
        AdminCommand(
            "report", roles: [.county, .auditor],
            "kjh-teil4 <year>: the KJH-Statistik Teil IV (what the Kasse paid in the year by the survey's positions, whole euros); with html the working paper",
            changes: .nothing, Arg.choice("report", ["kjh-teil4"]), Arg.year, Argument.word("html", ["html"])
        ) { invocation, _, year, html in
            if html != nil {
                let paper = try await invocation.commands.reconciliation.cashStatisticsPaper(
                    invocation.caller, year: year)
                return .ok(
                    invocation.say(AdminText.reportDocument("kjh-teil4", year)),
                    data: paper.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init))
            }
            let report = try await invocation.commands.reconciliation.cashStatistics(invocation.caller, year: year)
            return .ok(
                invocation.say(
                    AdminText.cashStatistics(
                        year, positions: report.totals.count, paid: report.paid, findings: report.findings.count)),
                data: invocation.lines(ReportTables.cashStatistics(report)))
        },
        AdminCommand(
            "report-mapping", roles: [.county, .auditor],
            "a year's mapping of help types and project kinds to the KJH-Statistik's positions", changes: .nothing,
            Arg.year
        ) { invocation, year in
            let mapping = try await invocation.commands.reconciliation.statisticsMapping(invocation.caller, year: year)
            let table = ResultTable(
                columns: ["key", "part", "position", "title"],
                rows: mapping.map {
                    [
                        .text($0.key), .integer(Int64($0.position.part)), .text($0.position.code),
                        .text($0.position.title),
                    ]
                })
            return .ok(
                invocation.say(AdminText.counted(mapping.count, "statistics mappings")), data: invocation.lines(table))
        },
        AdminCommand(
            "report-mapping-import", roles: [.county], right: .controller,
            "replace a year's KJH-Statistik mapping from a CSV block (key;position;title); all or nothing (right controller)",
            changes: .naturally("the same file again leaves the same mapping"), upload: true, Arg.year
        ) { invocation, year in
            let count = try await invocation.commands.reconciliation.importStatisticsMapping(
                invocation.caller, year: year, csv: try await invocation.upload().text())
            return .ok(invocation.say(AdminText.mappingImported(year, keys: count)))
        },
    ]
}

/// The reports as tables.
enum ReportTables {
    /// One row per position in the survey's order: whole euros to type in, and exact amounts.
    static func cashStatistics(_ report: CashStatistics.Report) -> ResultTable {
        ResultTable(
            columns: ["part", "position", "title", "expenditure_eur", "income_eur", "expenditure", "income"],
            rows: report.totals.map {
                [
                    .integer(Int64($0.position.part)), .text($0.position.code), .text($0.position.title),
                    .integer($0.expenditureEuros), .integer($0.incomeEuros), .amount($0.expenditure.cents),
                    .amount($0.income.cents),
                ]
            })
    }
}
