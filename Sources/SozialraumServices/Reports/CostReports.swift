import Logging
import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Population figures, the cost development and cross-area reports, and the budget-burn chart.
extension ReconciliationService {
    // MARK: Population and cost development

    /// Young inhabitants (under 21) of a Sozialraum at the end of a year, for figures per 1,000.
    /// With `keepExisting`, a figure already loaded stays (the demo loader).
    public func setPopulation(
        _ caller: Caller, year: Int, socialSpace: SocialSpaceCode, youngInhabitants: Int, keepExisting: Bool = false
    ) async throws {
        try caller.require(.caseWork, for: "loading population figures")
        guard (0...10_000_000).contains(youngInhabitants) else {
            throw ServiceError.invalid(field: "inhabitants", reason: "0 to 10000000")
        }
        try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                guard try await ReferenceDataStore.socialSpaceExists(tx, socialSpace) else {
                    throw ServiceError.notFound("Sozialraum \(socialSpace)")
                }
                try await ReferenceDataStore.setPopulation(
                    tx, year: year, socialSpace: socialSpace, youngInhabitants: youngInhabitants,
                    keepExisting: keepExisting)
                try await tx.audit(caller, "population.set", "social_space", socialSpace.rawValue)
            }
        }
    }

    /// Cross-area grants of a year (rule 9): grants whose provider serves outside the Sozialraum the case
    /// lives in, with the recorded reason, per Sozialraum of the case (where it lives on the grant's first
    /// day in the year). Providers see their own grants only (row-level security).
    public func crossAreaGrants(
        _ caller: Caller, year: Int, socialSpace: SocialSpaceCode?
    ) async throws -> [CrossAreaGrant] {
        try caller.require(.county, .auditor, .provider, for: "reading cross-area grants")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await CostReportStore.crossAreaGrants(tx, year: year, socialSpace: socialSpace)
        }
    }

    /// Cost development per Sozialraum over the years (the figures the 2003 decision asked for):
    /// case cost in total and per setting, per 1,000 young inhabitants where population is loaded,
    /// the share of milieu and structure spending, grants and their average duration. With
    /// `byHelpType`, one row per help type instead.
    public func costDevelopment(
        _ caller: Caller, years: ClosedRange<Int>, byHelpType: Bool
    ) async throws -> [CostDevelopmentRow] {
        try caller.require(.county, .auditor, for: "reading cost reports")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await CostReportStore.costDevelopment(tx, years: years, byHelpType: byHelpType)
        }
    }

    // MARK: Chart

    /// The budget-burn chart of a Sozialraum from a run (the latest whole-year run when `runID` is nil).
    public func burnChart(
        _ caller: Caller, socialSpace: SocialSpaceCode, year: Int, runID: Int64?
    ) async throws -> String {
        try caller.require(.county, .auditor, .provider, for: "reading reconciliations")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await requireSozialraumTotals(caller, tx)
            guard let id = try await CostReportStore.chartRun(tx, runID: runID, year: year, socialSpace: socialSpace)
            else {
                throw ServiceError.notFound("run")
            }
            let months = try await CostReportStore.chartMonths(tx, runID: id, socialSpace: socialSpace)
            guard !months.isEmpty else { throw ServiceError.notFound("budget") }
            let total = try await CostReportStore.chartBudget(tx, runID: id, socialSpace: socialSpace)
            return try BurnChart(
                title: "\(socialSpace) \(year): Ansatz vs. Ist + Obligo (run \(id))", appropriation: total,
                months: months.map {
                    BurnChart.Month(month: $0.month, plan: $0.plan, actuals: $0.actuals, commitments: $0.commitments)
                }
            ).svg()
        }
    }
}
