import SozialraumDomain
import SozialraumProtocol
import SozialraumServices

/// The reports the county owes (issue 33): the KJH-Statistik Teil IV, with the mapping of help types and
/// project kinds to the survey's positions.
extension AdminCommands {
    static let reportCommands: [AdminCommand] = [
        AdminCommand(
            "report", roles: [.county, .auditor],
            "jha <year> [quarter=<n>]: the report to the Jugendhilfeausschuss; kjh-teil4 <year>: the KJH-Statistik Teil IV (what the Kasse paid in the year by the survey's positions); with html the document",
            changes: .nothing, Arg.choice("report", ["jha", "kjh-teil4"]), Arg.year,
            Arg.integerKeyword("quarter", "<1-4>", in: 1...4).optional, Argument.word("html", ["html"])
        ) { invocation, kind, year, quarter, html in
            let reports = invocation.commands.reconciliation
            if kind == "kjh-teil4" {
                guard quarter == nil else {
                    throw ArgumentError(name: "quarter", reason: "a quarter is for the jha report only")
                }
                if html != nil {
                    return .ok(
                        invocation.say(AdminText.reportDocument(kind, year)),
                        data: ReportTables.lines(try await reports.cashStatisticsPaper(invocation.caller, year: year)))
                }
                let report = try await reports.cashStatistics(invocation.caller, year: year)
                return .ok(
                    invocation.say(
                        AdminText.cashStatistics(
                            year, positions: report.totals.count, paid: report.paid, findings: report.findings.count)),
                    data: invocation.lines(ReportTables.cashStatistics(report)))
            }
            let report = try await reports.committeeReport(
                invocation.caller, year: year, quarter: quarter, minimumGroup: invocation.commands.reportMinimumGroup)
            if html != nil {
                return .ok(
                    invocation.say(AdminText.reportDocument(kind, year)),
                    data: ReportTables.lines(try CommitteeReportPaper(report: report).html()))
            }
            let table = try ReportTables.committee(report)
            return .ok(
                invocation.say(
                    AdminText.committeeReport(year, quarter: quarter, run: report.runID, rows: table.rows.count)),
                data: invocation.lines(table))
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
    /// A document as data lines (its last newline ends the last line).
    static func lines(_ document: String) -> [String] {
        document.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    /// The committee report's figures, one per row: section, Sozialraum (or Landkreis), subject, measure, and
    /// an amount or a count ("< n" for a small group).
    static func committee(_ report: CommitteeReport) throws(Money.Overflow) -> ResultTable {
        var rows: [[ResultTable.Cell]] = []
        func amount(_ section: String, _ space: String, _ subject: String, _ measure: String, _ money: Money) {
            rows.append([.text(section), .text(space), .text(subject), .text(measure), .amount(money.cents), .null])
        }
        func count(_ section: String, _ space: String, _ subject: String, _ measure: String, _ text: String) {
            rows.append([.text(section), .text(space), .text(subject), .text(measure), .null, .text(text)])
        }
        func line(_ line: CommitteeReport.Line, _ space: String) {
            let subject = line.component.rawValue
            amount("mittel", space, subject, "ansatz", line.appropriation)
            amount("mittel", space, subject, "haushaltsrest", line.carryIn)
            amount("mittel", space, subject, "ist", line.actuals)
            amount("mittel", space, subject, "obligo", line.commitments)
            amount("mittel", space, subject, "prognose", line.forecast)
            amount("mittel", space, subject, "deckung", line.coverTransfer)
            amount("mittel", space, subject, "verfuegbar", line.availableAfterCover)
        }
        for space in report.socialSpaces {
            for entry in report.lines where entry.socialSpace == space { line(entry, space) }
        }
        for component in BudgetComponent.allCases { line(try report.countyLine(component), "Landkreis") }
        for transfer in report.transfers {
            amount("deckung", transfer.socialSpace, "\(transfer.from)>\(transfer.to)", "betrag", transfer.amount)
        }
        for decision in report.decisions {
            amount(
                "paragraph117", decision.socialSpace, "\(decision.component) \(decision.kind.rawValue)", "betrag",
                decision.amount)
        }
        var development = report.development
        for year in Set(report.development.map(\.year)).sorted() {
            if let total = try report.countyDevelopment(year) { development.append(total) }
        }
        for row in development {
            let subject = String(row.year)
            amount("entwicklung", row.socialSpace, subject, "fallkosten", row.caseCost)
            amount("entwicklung", row.socialSpace, subject, "milieu", row.milieu)
            amount("entwicklung", row.socialSpace, subject, "struktur", row.structure)
            if let per1000 = row.caseCostPer1000 { amount("entwicklung", row.socialSpace, subject, "je-1000", per1000) }
            if let young = row.youngInhabitants {
                count("entwicklung", row.socialSpace, subject, "junge-einwohner", String(young))
            }
            count("entwicklung", row.socialSpace, subject, "bewilligungen", String(row.grants))
        }
        for group in report.helpTypes {
            let opening = group.helpType == "opening"
            if !opening {
                count("hilfearten", group.socialSpace, group.helpType, "faelle", report.shown(group.cases))
                count("hilfearten", group.socialSpace, group.helpType, "bewilligungen", report.shown(group.grants))
            }
            if !report.withheld(group) {
                amount("hilfearten", group.socialSpace, group.helpType, "fallkosten", group.caseCost)
                if let days = group.averageDays {
                    count("hilfearten", group.socialSpace, group.helpType, "dauer-tage", String(days))
                }
            }
        }
        for provider in report.providers {
            amount("traeger", "", provider.providerName, "leistungen", provider.accrued)
        }
        return ResultTable(columns: ["section", "sozialraum", "subject", "measure", "amount", "count"], rows: rows)
    }

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
