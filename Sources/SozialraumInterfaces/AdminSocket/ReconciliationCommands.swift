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
            "reconcile", roles: [.county], right: .controller,
            "run a reconciliation over the ledger as it stands; results are stored",
            changes: .naturally("a run on the same ledger position says which earlier run it equals"), Arg.scope,
            Arg.socialSpace.optional
        ) { invocation, scope, space in
            let run = try await invocation.commands.reconciliation.run(
                invocation.caller, scope: scope, socialSpace: space)
            let overruns = run.overruns.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            return .ok(
                "run \(run.runID) \(run.scope) position \(run.ledgerPosition) digest \(run.digest.prefix(16)) findings \(run.newFindings)"
                    + (run.sameAs.map { " same as run \($0)" } ?? "")
                    + (run.undecidedOverruns > 0 ? " undecided overruns \(run.undecidedOverruns)" : "")
                    + (overruns.isEmpty ? "" : " OVERRUN \(overruns.joined(separator: ", "))"))
        },
        AdminCommand(
            "runs", roles: [.county, .auditor, .provider], "stored reconciliation runs", changes: .nothing,
            Arg.year.optional
        ) { invocation, year in
            let table = ReconciliationTables.runs(
                try await invocation.commands.reconciliation.runs(invocation.caller, year: year))
            return .ok(invocation.say(AdminText.counted(table.rows.count, "runs")), data: invocation.lines(table))
        },
        AdminCommand(
            "run", roles: [.county, .auditor, .provider], "a run's results (lines and pools, months, cover transfers)",
            changes: .nothing, Arg.run,
            Arg.oneOf("part", as: ReconciliationService.RunPart.self).defaulting(to: .lines),
            Arg.socialSpace.optional
        ) { invocation, id, part, space in
            let table = ReconciliationTables.runResult(
                try await invocation.commands.reconciliation.runResult(
                    invocation.caller, runID: id, part: part, socialSpace: space))
            return .ok("run \(id) \(part.rawValue)", data: invocation.lines(table))
        },
        AdminCommand(
            "run-diff", roles: [.county, .auditor, .provider], "what changed between two runs", changes: .nothing,
            Arg.run.named("earlier-run"), Arg.run.named("later-run")
        ) { invocation, earlier, later in
            let table = ReconciliationTables.diff(
                try await invocation.commands.reconciliation.diff(invocation.caller, from: earlier, to: later))
            return .ok(invocation.say(AdminText.counted(table.rows.count, "changes")), data: invocation.lines(table))
        },
        AdminCommand(
            "statement", roles: [.county, .auditor, .provider],
            "statements (Abrechnung) of a run; with items the draft payment advice, derived at the run's positions",
            changes: .nothing, Arg.run, Argument.word("items", ["items"]), Arg.tenant().optional
        ) { invocation, id, items, provider in
            let reconciliation = invocation.commands.reconciliation
            let table: ResultTable
            if items != nil {
                var tenant: TenantID?
                if let provider { tenant = try await invocation.tenant(provider) }
                let statementItems = try await reconciliation.statementItems(
                    invocation.caller, runID: id, provider: tenant)
                try await invocation.showingCases(keys: statementItems.map(\.caseKey), command: "statement")
                table = ReconciliationTables.statementItems(statementItems)
            } else {
                guard provider == nil else { throw ArgumentError(name: "items", reason: "a provider only with items") }
                table = ReconciliationTables.statements(
                    try await reconciliation.statements(invocation.caller, runID: id))
            }
            return .ok("run \(id) \(table.rows.count) rows", data: invocation.lines(table))
        },
        AdminCommand(
            "settle", roles: [.county], right: .certify,
            "certify a statement's balance for settlement: a payment order for a second signature", changes: .withKey,
            Arg.run, Arg.tenant(), Arg.key
        ) { invocation, run, reference, key in
            let certified = try await invocation.commands.reconciliation.certifySettlement(
                invocation.caller, runID: run, provider: try await invocation.tenant(reference), idempotencyKey: key)
            let due = certified.amount.isPositive ? "county pays" : "provider repays"
            return .ok(
                invocation.say(AdminText.settlement(certified.amount, due: "\(due)") + AdminText.certified(certified)))
        },
        AdminCommand(
            "year-end", roles: [.county], right: .controller,
            "preview the year end: surplus, deficit, carry-forward, provider share (applies nothing)",
            changes: .naturally("a preview is a run; it applies nothing"), Arg.year
        ) { invocation, year in
            let preview = try await invocation.commands.yearEnd.previewYearEnd(invocation.caller, year: year)
            return .ok(
                invocation.say(AdminText.yearEndPreview(preview.runID, sameAs: preview.sameAs, year: year)),
                data: invocation.lines(ReconciliationTables.yearEnd(preview.proposals)))
        },
        AdminCommand(
            "year-end-confirm", roles: [.county], right: .controller,
            "confirm a previewed year end: applied once when a second account orders it",
            changes: .naturally("a year end with an open or applied order is DUPLICATE"), Arg.year, Arg.run
        ) { invocation, year, run in
            let certified = try await invocation.commands.yearEnd.confirmYearEnd(
                invocation.caller, year: year, runID: run)
            return .ok(invocation.say(AdminText.yearEnd(year) + AdminText.certified(certified)))
        },
        AdminCommand(
            "year-end-shares", roles: [.county], right: .controller,
            "certify the lead providers' shares of an applied year end that no order pays (right controller)",
            changes: .naturally("certifies only shares that no live order pays"), Arg.year
        ) { invocation, year in
            let certified = try await invocation.commands.yearEnd.certifyShares(invocation.caller, year: year)
            return .ok(
                invocation.say(
                    certified.isEmpty
                        ? AdminText.sharesOrdered(year)
                        : AdminText.sharesCertified(year, certified.map { ($0.orderID, $0.amount) })))
        },
        AdminCommand(
            "population", roles: [.county], right: .caseWork,
            "inhabitants under 21 of a Sozialraum, for figures per 1,000",
            changes: .naturally("sets the figure"), Arg.year, Arg.socialSpace,
            Arg.integer("young-inhabitants", in: 0...10_000_000)
        ) { invocation, year, space, count in
            try await invocation.commands.reconciliation.setPopulation(
                invocation.caller, year: year, socialSpace: space, youngInhabitants: count)
            return .ok(invocation.say(AdminText.populationSet(year, "\(space)", count)))
        },
        AdminCommand(
            "cost-report", roles: [.county, .auditor], "cost development per Sozialraum over the years",
            changes: .nothing, Arg.integer("from-year", in: 2000...2199),
            Arg.integer("to-year", in: 2000...2199).optional,
            Argument<Bool>.keyword("by", "sozialraum|help-type", reason: "sozialraum or help-type") {
                ["sozialraum": false, "help-type": true][$0]
            }.defaulting(to: false)
        ) { invocation, from, to, byHelpType in
            let to = to ?? from
            guard to >= from else { throw ArgumentError(name: "to-year", reason: "a whole number \(from)...2199") }
            guard to - from < 30 else { throw ArgumentError(name: "to-year", reason: "at most 30 years") }
            let table = ReconciliationTables.costDevelopment(
                try await invocation.commands.reconciliation.costDevelopment(
                    invocation.caller, years: from...to, byHelpType: byHelpType))
            return .ok(invocation.say(AdminText.counted(table.rows.count, "rows")), data: invocation.lines(table))
        },
        AdminCommand(
            "cross-area", roles: [.county, .auditor, .provider],
            "grants served outside the case's Sozialraum, with their reasons (rule 9)", changes: .nothing, Arg.year,
            Arg.socialSpace.optional
        ) { invocation, year, space in
            let grants = try await invocation.commands.reconciliation.crossAreaGrants(
                invocation.caller, year: year, socialSpace: space)
            try await invocation.showingCases(keys: grants.map(\.caseKey), command: "cross-area")
            let table = ReconciliationTables.crossAreaGrants(grants)
            return .ok(
                invocation.say(AdminText.counted(table.rows.count, "cross-area grants")), data: invocation.lines(table))
        },
        AdminCommand(
            "chart", roles: [.county, .auditor, .provider],
            "budget burn as SVG (appropriation vs actual + committed by month)", changes: .nothing, Arg.socialSpace,
            Arg.year, Arg.runKeyword.optional
        ) { invocation, space, year, run in
            let svg = try await invocation.commands.reconciliation.burnChart(
                invocation.caller, socialSpace: space, year: year, runID: run)
            return .ok(
                "chart \(space) \(year) (SVG)",
                data: ReportTables.lines(svg))
        },
    ]
}

extension Arg {
    /// `YYYY-MM`, `YYYY-Qn`, `YYYY` or `YYYY..YYYY-MM`.
    static var scope: Argument<ReconciliationScope> {
        Argument<ReconciliationScope>.required(
            "scope", "<YYYY-MM|YYYY-Qn|YYYY|YYYY..YYYY-MM>", reason: "YYYY-MM, YYYY-Qn, YYYY or YYYY..YYYY-MM"
        ) { ReconciliationScope(parsing: $0) }
    }

    static var run: Argument<Int64> { number("run", reason: "a run number") }

    /// `run=<run>`: a run to read from instead of the latest.
    static var runKeyword: Argument<Int64> {
        Argument<Int64>.keyword("run", "<run>", reason: "a run number") { Int64($0).flatMap { $0 > 0 ? $0 : nil } }
    }
}
