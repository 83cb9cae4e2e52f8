import SozialraumDomain
import SozialraumStore

/// The report to the Jugendhilfeausschuss (issue 33, items 1–2): assembled from a stored run, the cost
/// report, the § 117 decisions and the run's statements — the same figures those reports give, in one
/// document.
extension ReconciliationService {
    /// The report of `year`, or of `year` to the end of `quarter`: it stands on the newest run over all
    /// Sozialräume from January through the last month (`reconcile <year>` or `reconcile <year>..<year>-MM`);
    /// without one, NOT_FOUND names the run to make.
    public func committeeReport(
        _ caller: Caller, year: Int, quarter: Int?, minimumGroup: Int
    ) async throws -> CommitteeReport {
        try caller.require(.county, .auditor, for: "reading cost reports")
        guard (2000...2199).contains(year) else { throw ServiceError.invalid(field: "year", reason: "out of range") }
        let lastMonth = quarter.map { $0 * 3 } ?? 12
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            guard let run = try await CommitteeReportStore.run(tx, year: year, lastMonth: lastMonth) else {
                let scope = lastMonth == 12 ? "\(year)" : "\(year)..\(year)-\(lastMonth < 10 ? "0" : "")\(lastMonth)"
                throw ServiceError.notFound("run over all Sozialräume for \(scope) (reconcile \(scope))")
            }
            let lines = try await ReconciliationReportStore.lines(tx, runID: run.id, socialSpace: nil)
                .compactMap(CommitteeReport.Line.init)
            let transfers = try await ReconciliationReportStore.transfers(tx, runID: run.id, socialSpace: nil)
            let decisions = try await OverrunDecisionStore.decisions(tx, year: year)
            let development = try await CostReportStore.costDevelopment(tx, years: (year - 4)...year, byHelpType: false)
            let byHelpType = try await CostReportStore.costDevelopment(tx, years: year...year, byHelpType: true)
            let counts = try await CommitteeReportStore.casesByHelpType(tx, year: year, lastMonth: 12)
            let groups = byHelpType.filter { $0.helpType != "*" }.map { row in
                let count = counts.first { $0.socialSpace == row.socialSpace && $0.helpType == row.helpType }
                return CommitteeReport.HelpTypeGroup(
                    socialSpace: row.socialSpace, helpType: row.helpType, cases: count?.cases ?? 0,
                    grants: Int(row.grants), caseCost: row.caseCost, averageDays: row.averageDays)
            }
            let providers = try await ReconciliationReportStore.statements(tx, runID: run.id)
            return CommitteeReport(
                county: try await ReferenceDataStore.countyName(tx), year: year, quarter: quarter, runID: run.id,
                runMonths: run.months, ledgerPosition: run.position, minimumGroup: minimumGroup, lines: lines,
                transfers: transfers, decisions: decisions, development: development, helpTypes: groups,
                providers: providers)
        }
    }
}
