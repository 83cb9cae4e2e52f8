import Foundation
import Logging
import SozialraumDomain
import SozialraumServices

/// A case whose year is closed, for the erasure suites (issue 31): 2025 opened besides 2026; case
/// VER-2025-0001 lives in nord from 2025-01-01 and gets a §31 grant to beta (which serves süd: out of area,
/// with a reason naming a person) of 10 hours a month from February to April 2025. Beta delivers 10, 12 and
/// 10 hours at 60.00: 600.00 + 600.00 (10 of 12 payable, 2 hours held back as a finding, rejected with a
/// reason naming a person) + 600.00 = 1,800.00. A run of 2025 issues beta's statement; the year 2025 is
/// closed and its year end confirmed. Case VER-2026-0007 (a 2026 grant to alpha) is not due.
public struct ClosedYearCase: Sendable {
    public let grant: UUID
    public let run: Int64
    public let statement: Int64
}

extension BudgetWorld {
    public func closedYearCase() async throws -> ClosedYearCase {
        try await service.openYear(county, year: 2025, overrunPolicy: .warn)
        try await service.setAppropriation(
            county, line: BudgetLine(year: 2025, socialSpace: nord, component: .case), amount: Money(cents: 50_000_00))
        let grant = try await openCase("VER-2025-0001", from: "2025-01-01")
            .granted(
                perMonth: "10", from: "2025-02-01", to: "2025-04-30", provider: beta,
                reason: "Geschwisterkind von Frau M. bei Beta")
        try await grant.delivered("2025-02", "10")
        try await grant.delivered("2025-03", "12")
        try await grant.delivered("2025-04", "10")
        guard let finding = try await grants.findings(county, all: true).first(where: { $0.grantID == grant.id })
        else { throw ScenarioError(description: "the March excess made no finding") }
        _ = try await grants.resolveFinding(
            county, findingID: finding.id, accept: false, reason: "Frau M. war im März krank")
        _ = try await openCase("VER-2026-0007").granted(perMonth: "5", key: "grant-stays")

        let reconciliation = reconciler()
        let run = try await reconciliation.run(county, scope: .year(2025))
        let statement = try await reconciliation.issueStatement(county, runID: run.runID, provider: beta.tenant)
        for month in YearMonth.months(of: 2025) {
            try await service.closeMonth(county, month: month, forceReason: "Jahresabschluss")
        }
        let preview = try await YearEndService(reconciliation: reconciliation).previewYearEnd(county, year: 2025)
        try await confirmYearEnd(reconciliation, year: 2025, runID: preview.runID)
        return ClosedYearCase(grant: grant.id, run: run.runID, statement: statement.id)
    }
}
