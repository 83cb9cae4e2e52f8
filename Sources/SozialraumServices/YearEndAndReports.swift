import Logging
import SozialraumDomain
import SozialraumProtocol
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The year end (rule 12), population figures, the cost development and cross-area reports, and the
/// budget-burn chart.
extension ReconciliationService {
    // MARK: Year end (rule 12)

    public struct YearEndPreview: Sendable {
        public var runID: Int64
        public var proposals: [SocialSpaceCode: YearEndProposal]
        public var table: ResultTable
    }

    /// Runs the whole year and proposes carry-forwards and provider shares. Nothing is applied.
    public func previewYearEnd(_ caller: Caller, year: Int) async throws -> YearEndPreview {
        try caller.require(.county, for: "year-end closing")
        let (summary, results) = try await runWithResults(caller, scope: .year(year), socialSpace: nil, slot: nil)
        let proposals = try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await Self.proposals(
                tx, year: year,
                results: results.reduce(into: [:]) { all, result in
                    all[result.socialSpace] = result.lines.reduce(into: [:]) {
                        $0[$1.component] = $1.availableAfterCover
                    }
                })
        }
        return YearEndPreview(runID: summary.runID, proposals: proposals, table: Self.table(proposals))
    }

    static func proposals(
        _ tx: TenantTransaction, year: Int, results: [SocialSpaceCode: [BudgetComponent: Money]]
    ) async throws -> [SocialSpaceCode: YearEndProposal] {
        let policy = try await ReconciliationReportStore.yearEndPolicy(tx, year: year)
        let (basisPoints, carryAllowed) = (policy.shareBasisPoints, policy.carryForwardAllowed)
        let leads = try await ReconciliationReportStore.leadProviders(tx, year: year)
        return results.reduce(into: [:]) { all, entry in
            all[entry.key] = YearEndProposal(
                resultsAfterCover: entry.value, carryForwardAllowed: carryAllowed,
                providerShareBasisPoints: basisPoints,
                leadProviders: leads[entry.key, default: []])
        }
    }

    static func table(_ proposals: [SocialSpaceCode: YearEndProposal]) -> ResultTable {
        var rows: [[ResultTable.Cell]] = []
        for space in proposals.keys.sorted() {
            let proposal = proposals[space]!
            for line in proposal.lines {
                rows.append([
                    .text(space.rawValue), .text(line.component.rawValue), .amount(line.result.cents),
                    .amount(line.surplus.cents),
                    .amount(line.deficit.cents), .amount(line.providerShare.cents), .amount(line.carryForward.cents),
                    .null,
                ])
            }
            for share in proposal.shares {
                rows.append([
                    .text(space.rawValue), .text("share"), .null, .null, .null, .amount(share.amount.cents), .null,
                    .text(share.provider.description),
                ])
            }
        }
        return ResultTable(
            columns: [
                "sozialraum", "line", "result", "surplus", "deficit", "provider_share", "carry_forward", "provider",
            ], rows: rows)
    }

    /// Applies the year end of a previewed run, once: carry-forwards into the next year and the lead
    /// providers' shares. Refused unless every month of the year is closed and the ledger has not
    /// moved since the run (preview again then).
    public func confirmYearEnd(_ caller: Caller, year: Int, runID: Int64) async throws -> ResultTable {
        try caller.require(.county, for: "year-end closing")
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                try await ReconciliationStore.closeLedgerGate(tx)
                guard !(try await ReconciliationReportStore.yearEndConfirmed(tx, year: year)) else {
                    throw ServiceError.duplicate("year end \(year)")
                }
                guard let run = try await ReconciliationReportStore.runForYearEnd(tx, id: runID) else {
                    throw ServiceError.notFound("run")
                }
                guard run.year == year, run.scope == "year", run.lastMonth.month == 12, run.allSocialSpaces else {
                    throw ServiceError.invalid(
                        field: "run", reason: "not a whole-year run of \(year) over all Sozialräume")
                }
                let open = try await ReconciliationReportStore.openMonths(tx, year: year)
                guard open.isEmpty else {
                    throw ServiceError.conflict("months still open: \(open.map(\.description).joined(separator: ", "))")
                }
                guard try await ReconciliationStore.ledgerPosition(tx) == run.position else {
                    throw ServiceError.conflict("the ledger moved since run \(runID); preview the year end again")
                }
                let results = try await ReconciliationReportStore.resultsAfterCover(tx, runID: runID)
                let proposals = try await Self.proposals(tx, year: year, results: results)
                let carried = proposals.values.contains { $0.lines.contains { $0.carryForward.cents > 0 } }
                if carried, !(try await ReferenceDataStore.yearExists(tx, year + 1)) {
                    throw ServiceError.conflict(
                        "open the fiscal year \(year + 1) first: it receives the carry-forwards")
                }
                try await ReconciliationReportStore.recordYearEnd(tx, year: year, runID: runID, by: caller.name)
                for (space, proposal) in proposals {
                    for line in proposal.lines where line.carryForward.cents > 0 {
                        guard
                            try await ReconciliationReportStore.insertCarryForward(
                                tx, line: BudgetLine(year: year + 1, socialSpace: space, component: line.component),
                                amount: line.carryForward,
                                reason: "Haushaltsrest \(year) (run \(runID))")
                        else {
                            throw ServiceError.conflict(
                                "a carry-forward into \(year + 1) for \(space)/\(line.component.rawValue) exists already"
                            )
                        }
                    }
                    for share in proposal.shares {
                        try await ReconciliationReportStore.insertSurplusShare(
                            tx, year: year, socialSpace: space, provider: share.provider, amount: share.amount)
                    }
                }
                try await tx.audit(caller, "year_end.confirm", "fiscal_year", String(year))
                return Self.table(proposals)
            }
        }
    }

    // MARK: Population and cost development

    /// Young inhabitants (under 21) of a Sozialraum at the end of a year, for figures per 1,000.
    public func setPopulation(
        _ caller: Caller, year: Int, socialSpace: SocialSpaceCode, youngInhabitants: Int
    ) async throws {
        try caller.require(.county, for: "loading population figures")
        guard (0...10_000_000).contains(youngInhabitants) else {
            throw ServiceError.invalid(field: "inhabitants", reason: "0 to 10000000")
        }
        try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                guard try await ReferenceDataStore.socialSpaceExists(tx, socialSpace) else {
                    throw ServiceError.notFound("Sozialraum \(socialSpace)")
                }
                try await ReferenceDataStore.setPopulation(
                    tx, year: year, socialSpace: socialSpace, youngInhabitants: youngInhabitants)
                try await tx.audit(caller, "population.set", "social_space", socialSpace.rawValue)
            }
        }
    }

    /// Cross-area grants of a year (rule 9): grants whose provider serves outside the Sozialraum the case
    /// lives in, with the recorded reason, per Sozialraum of the case (where it lives on the grant's first
    /// day in the year). Providers see their own grants only (row-level security).
    public func crossAreaGrants(_ caller: Caller, year: Int, socialSpace: SocialSpaceCode?) async throws -> ResultTable
    {
        try caller.require(.county, .auditor, .provider, for: "reading cross-area grants")
        let grants = try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await CostReportStore.crossAreaGrants(tx, year: year, socialSpace: socialSpace)
        }
        return ResultTable(
            columns: ["sozialraum", "provider", "grant", "case", "help_type", "from", "to", "reason"],
            rows: grants.map {
                [
                    .text($0.socialSpace), .text($0.providerName), .text($0.grant.uuidString.lowercased()),
                    .text($0.caseKey),
                    .text($0.helpType), .text($0.from.description), .text($0.to.description), .text($0.reason),
                ]
            })
    }

    /// Cost development per Sozialraum over the years (the figures the 2003 decision asked for):
    /// case cost in total and per setting, per 1,000 young inhabitants where population is loaded,
    /// the share of milieu and structure spending, grants and their average duration. With
    /// `byHelpType`, one row per help type instead.
    public func costDevelopment(_ caller: Caller, years: ClosedRange<Int>, byHelpType: Bool) async throws -> ResultTable
    {
        try caller.require(.county, .auditor, for: "reading cost reports")
        let rows = try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await CostReportStore.costDevelopment(tx, years: years, byHelpType: byHelpType)
        }
        return ResultTable(
            columns: [
                "year", "sozialraum", "help_type", "setting", "case_cost", "ambulant", "day", "residential", "milieu",
                "structure",
                "milieu_structure_share", "young_inhabitants", "case_cost_per_1000", "grants", "average_days",
            ],
            rows: rows.map {
                [
                    .integer($0.year), .text($0.socialSpace), .text($0.helpType), .text($0.setting),
                    .amount($0.caseCost.cents),
                    .amount($0.ambulant.cents), .amount($0.day.cents), .amount($0.residential.cents),
                    .amount($0.milieu.cents),
                    .amount($0.structure.cents),
                    $0.milieuStructureShare.map { .text(Self.percent(basisPoints: $0)) } ?? .null,
                    $0.youngInhabitants.map { .integer($0) } ?? .null,
                    $0.caseCostPer1000.map { .amount($0.cents) } ?? .null,
                    .integer($0.grants), $0.averageDays.map { .integer($0) } ?? .null,
                ]
            })
    }

    /// 1234 basis points → "12.34%" (rounded down).
    static func percent(basisPoints: Int64) -> String {
        let whole = basisPoints / 100, rest = basisPoints % 100
        return "\(whole).\(rest < 10 ? "0" : "")\(rest)%"
    }

    // MARK: Chart

    /// The budget-burn chart of a Sozialraum from a run (the latest whole-year run when `runID` is nil).
    public func burnChart(
        _ caller: Caller, socialSpace: SocialSpaceCode, year: Int, runID: Int64?
    ) async throws -> String {
        try caller.require(.county, .auditor, .provider, for: "reading reconciliations")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            guard let id = try await CostReportStore.chartRun(tx, runID: runID, year: year, socialSpace: socialSpace)
            else {
                throw ServiceError.notFound("run")
            }
            let months = try await CostReportStore.chartMonths(tx, runID: id, socialSpace: socialSpace)
            guard !months.isEmpty else { throw ServiceError.notFound("budget") }
            let total = try await CostReportStore.chartBudget(tx, runID: id, socialSpace: socialSpace)
            return BurnChart(
                title: "\(socialSpace) \(year): Ansatz vs. Ist + Obligo (run \(id))", appropriation: total,
                months: months.map {
                    BurnChart.Month(month: $0.month, plan: $0.plan, actuals: $0.actuals, commitments: $0.commitments)
                }
            ).svg()
        }
    }
}
