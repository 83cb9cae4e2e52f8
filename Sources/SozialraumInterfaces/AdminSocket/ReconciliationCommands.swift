import Foundation
import Logging
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices
import Synchronization

/// Reconciliation runs, statements and settlements, the year end, reports and the chart.
extension AdminCommands {
    static let reconciliation: [AdminCommand] = [
        AdminCommand(
            name: "reconcile", roles: [.county], usage: "reconcile <YYYY-MM|YYYY-Qn|YYYY|YYYY..YYYY-MM> [sozialraum]",
            summary: "run a reconciliation over the ledger as it stands; results are stored",
            changes: .naturally("a run on the same ledger position says which earlier run it equals")
        ) { commands, request, state, _ in
            let scope = try commands.scope(request, 0)
            let space = request.positional.count > 1 ? try commands.socialSpace(request, 1) : nil
            let run = try await commands.reconciliation.run(commands.caller(state), scope: scope, socialSpace: space)
            let overruns = run.overruns.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            return .ok(
                "run \(run.runID) \(run.scope) position \(run.ledgerPosition) digest \(run.digest.prefix(16)) findings \(run.newFindings)"
                    + (run.sameAs.map { " same as run \($0)" } ?? "")
                    + (run.undecidedOverruns > 0 ? " undecided overruns \(run.undecidedOverruns)" : "")
                    + (overruns.isEmpty ? "" : " OVERRUN \(overruns.joined(separator: ", "))"))
        },
        AdminCommand(
            name: "runs", roles: [.county, .auditor, .provider], usage: "runs [year]",
            summary: "stored reconciliation runs", changes: .nothing
        ) {
            commands, request, state, _ in
            let year =
                request.positional.isEmpty ? nil : try commands.integer(request, 0, name: "year", range: 2000...2199)
            let table = ReconciliationTables.runs(
                try await commands.reconciliation.runs(commands.caller(state), year: year))
            return .ok("\(table.rows.count) runs", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "run", roles: [.county, .auditor, .provider],
            usage: "run <run> [lines|months|transfers] [sozialraum]",
            summary: "a run's results (lines and pools, months, cover transfers)", changes: .nothing
        ) { commands, request, state, _ in
            let id = try commands.runID(request, 0)
            let part =
                request.positional.count > 1 ? ReconciliationService.RunPart(rawValue: request.positional[1]) : .lines
            guard let part else { throw ArgumentError(name: "part", reason: "lines, months or transfers") }
            let space = request.positional.count > 2 ? try commands.socialSpace(request, 2) : nil
            let table = ReconciliationTables.runResult(
                try await commands.reconciliation.runResult(
                    commands.caller(state), runID: id, part: part, socialSpace: space))
            return .ok("run \(id) \(part.rawValue)", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "run-diff", roles: [.county, .auditor, .provider], usage: "run-diff <earlier-run> <later-run>",
            summary: "what changed between two runs", changes: .nothing
        ) { commands, request, state, _ in
            let table = ReconciliationTables.diff(
                try await commands.reconciliation.diff(
                    commands.caller(state), from: try commands.runID(request, 0), to: try commands.runID(request, 1)))
            return .ok("\(table.rows.count) changes", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "statement", roles: [.county, .auditor, .provider], usage: "statement <run> [items] [provider]",
            summary:
                "statements (Abrechnung) of a run; with items the draft payment advice, derived at the run's positions",
            changes: .nothing
        ) { commands, request, state, _ in
            let id = try commands.runID(request, 0)
            let table: ResultTable
            if request.positional.count > 1 {
                guard request.positional[1] == "items" else {
                    throw ArgumentError(name: "items", reason: "the word items or nothing")
                }
                let provider =
                    request.positional.count > 2 ? try await commands.tenant(request, 2, state, name: "provider") : nil
                table = ReconciliationTables.statementItems(
                    try await commands.reconciliation.statementItems(
                        commands.caller(state), runID: id, provider: provider))
            } else {
                table = ReconciliationTables.statements(
                    try await commands.reconciliation.statements(commands.caller(state), runID: id))
            }
            return .ok(
                "run \(id) \(table.rows.count) rows", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "settle", roles: [.county], usage: "settle <run> <provider> key=<idempotency-key>",
            summary: "certify a statement's balance for settlement: a payment order for a second signature",
            changes: .withKey
        ) {
            commands, request, state, _ in
            let certified = try await commands.reconciliation.certifySettlement(
                commands.caller(state), runID: try commands.runID(request, 0),
                provider: try await commands.tenant(request, 1, state, name: "provider"),
                idempotencyKey: try commands.idempotencyKey(request))
            let due = certified.amount.cents > 0 ? "county pays" : "provider repays"
            return .ok("settlement \(certified.amount) (\(due)): " + certified.replyText)
        },
        AdminCommand(
            name: "year-end", roles: [.county], usage: "year-end <year>",
            summary: "preview the year end: surplus, deficit, carry-forward, provider share (applies nothing)",
            changes: .naturally("a preview is a run; it applies nothing")
        ) {
            commands, request, state, _ in
            let year = try commands.integer(request, 0, name: "year", range: 2000...2199)
            let preview = try await commands.yearEnd.previewYearEnd(commands.caller(state), year: year)
            return .ok(
                "run \(preview.runID)\(preview.sameAs.map { " (same as run \($0))" } ?? ""); "
                    + "apply with: year-end-confirm \(year) \(preview.runID)",
                data: ReconciliationTables.yearEnd(preview.proposals).lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "year-end-confirm", roles: [.county], usage: "year-end-confirm <year> <run>",
            summary: "confirm a previewed year end: applied once when a second account orders it",
            changes: .naturally("a year end with an open or applied order is DUPLICATE")
        ) { commands, request, state, _ in
            let year = try commands.integer(request, 0, name: "year", range: 2000...2199)
            let certified = try await commands.yearEnd.confirmYearEnd(
                commands.caller(state), year: year, runID: try commands.runID(request, 1))
            return .ok("year end \(year): " + certified.replyText)
        },
        AdminCommand(
            name: "year-end-shares", roles: [.county], usage: "year-end-shares <year>",
            summary: "certify the lead providers' shares of an applied year end that no order pays (right controller)",
            changes: .naturally("certifies only shares that no live order pays")
        ) { commands, request, state, _ in
            let year = try commands.integer(request, 0, name: "year", range: 2000...2199)
            let certified = try await commands.yearEnd.certifyShares(commands.caller(state), year: year)
            let orders = certified.map { "order \($0.orderID) (\($0.amount))" }
            return .ok(
                orders.isEmpty
                    ? "year end \(year): every share has its order"
                    : "year end \(year): shares certified: \(orders.joined(separator: ", ")), "
                        + "each waits for a second signature (order-approve)")
        },
        AdminCommand(
            name: "population", roles: [.county], usage: "population <year> <sozialraum> <young-inhabitants>",
            summary: "inhabitants under 21 of a Sozialraum, for figures per 1,000",
            changes: .naturally("sets the figure")
        ) { commands, request, state, _ in
            let year = try commands.integer(request, 0, name: "year", range: 2000...2199)
            let space = try commands.socialSpace(request, 1)
            let count = try commands.integer(request, 2, name: "young-inhabitants", range: 0...10_000_000)
            try await commands.reconciliation.setPopulation(
                commands.caller(state), year: year, socialSpace: space, youngInhabitants: count)
            return .ok("population \(year) \(space) \(count)")
        },
        AdminCommand(
            name: "cost-report", roles: [.county, .auditor], usage: "cost-report <from-year> [to-year] [by=help-type]",
            summary: "cost development per Sozialraum over the years", changes: .nothing
        ) { commands, request, state, _ in
            let from = try commands.integer(request, 0, name: "from-year", range: 2000...2199)
            let to =
                request.positional.count > 1
                ? try commands.integer(request, 1, name: "to-year", range: from...2199) : from
            guard to - from < 30 else { throw ArgumentError(name: "to-year", reason: "at most 30 years") }
            let byHelpType: Bool
            switch request.keywords["by"] {
            case nil, "sozialraum": byHelpType = false
            case "help-type": byHelpType = true
            default: throw ArgumentError(name: "by", reason: "sozialraum or help-type")
            }
            let table = ReconciliationTables.costDevelopment(
                try await commands.reconciliation.costDevelopment(
                    commands.caller(state), years: from...to, byHelpType: byHelpType))
            return .ok("\(table.rows.count) rows", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "cross-area", roles: [.county, .auditor, .provider], usage: "cross-area <year> [sozialraum]",
            summary: "grants served outside the case's Sozialraum, with their reasons (rule 9)", changes: .nothing
        ) {
            commands, request, state, _ in
            let year = try commands.integer(request, 0, name: "year", range: 2000...2199)
            let space = request.positional.count > 1 ? try commands.socialSpace(request, 1) : nil
            let table = ReconciliationTables.crossAreaGrants(
                try await commands.reconciliation.crossAreaGrants(
                    commands.caller(state), year: year, socialSpace: space))
            return .ok(
                "\(table.rows.count) cross-area grants", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "chart", roles: [.county, .auditor, .provider], usage: "chart <sozialraum> <year> [run=<run>]",
            summary: "budget burn as SVG (appropriation vs actual + committed by month)", changes: .nothing
        ) { commands, request, state, _ in
            let space = try commands.socialSpace(request, 0)
            let year = try commands.integer(request, 1, name: "year", range: 2000...2199)
            let svg = try await commands.reconciliation.burnChart(
                commands.caller(state), socialSpace: space, year: year, runID: try commands.runKeyword(request))
            return .ok(
                "chart \(space) \(year) (SVG)",
                data: svg.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init))
        },
    ]

    func scope(_ request: Request, _ index: Int) throws -> ReconciliationScope {
        guard let scope = ReconciliationScope(parsing: try positional(request, index, name: "scope")) else {
            throw ArgumentError(name: "scope", reason: "YYYY-MM, YYYY-Qn, YYYY or YYYY..YYYY-MM")
        }
        return scope
    }

    func runID(_ request: Request, _ index: Int) throws -> Int64 {
        try number(request, index, name: "run", reason: "a run number")
    }
}
