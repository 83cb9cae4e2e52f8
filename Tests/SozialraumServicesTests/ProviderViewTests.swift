import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 17 (sql/0014): what a provider sees of a Sozialraum it shares is one rule for every command,
/// the county's choice: the Sozialraum's totals (default), or its own figures only.
@Suite struct ProviderViewTests {
    /// Alpha and beta both serve nord. Alpha delivers 8 h in March at 60.00 (480.00), beta 5 h at 60.00
    /// (300.00): nord's case actuals are 780.00.
    func sharedSozialraum() async throws -> BudgetWorld {
        let world = try await BudgetWorld.make()
        try await world.service.assignProvider(
            world.county, provider: world.beta.tenant, socialSpace: world.nord, lead: false,
            from: Day(iso: "2020-01-01")!)
        _ = try await world.deliveredInMarch()
        let betaGrant = try await world.openCase("VER-2026-0002", from: "2025-06-01")
            .granted(perMonth: "10", provider: world.beta, key: "grant-beta-nord")
        try await betaGrant.delivered("2026-03", "5", key: "delivery-beta-march")
        return world
    }

    @Test func byDefaultProvidersSeeTheSozialraumsTotalsEverywhere() async throws {
        let world = try await sharedSozialraum()
        #expect(try await world.service.providerView(world.beta) == .sozialraumTotals)
        let county = try await world.funds(world.nord).line(.case).funds
        #expect(county.actuals == Money(cents: 780_00))
        for provider in [world.alpha, world.beta] {
            let seen = try await world.funds(world.nord, as: provider).line(.case).funds
            #expect(seen.actuals == county.actuals)
            #expect(seen.commitments == county.commitments)
        }
        // The run's lines agree with funds.
        let reconciliation = ReconciliationService(
            store: world.store, logger: Logger(label: "t"), today: { BudgetWorld.today })
        let run = try await reconciliation.run(world.county, scope: .year(2026))
        guard case .lines(let lines) = try await reconciliation.runResult(world.beta, runID: run.runID, part: .lines)
        else {
            Issue.record("no lines")
            return
        }
        #expect(lines.first { $0.socialSpace == "nord" && $0.line == "case" }?.figures[3] == 780_00)
    }

    @Test func underOwnFiguresAProviderSeesItsOwnSpendingAndNoSozialraumResults() async throws {
        let world = try await sharedSozialraum()
        let reconciliation = ReconciliationService(
            store: world.store, logger: Logger(label: "t"), today: { BudgetWorld.today })
        let run = try await reconciliation.run(world.county, scope: .year(2026))
        try await world.service.setProviderView(world.county, .ownFigures)
        #expect(try await world.funds(world.nord, as: world.alpha).line(.case).funds.actuals == Money(cents: 480_00))
        #expect(try await world.funds(world.nord, as: world.beta).line(.case).funds.actuals == Money(cents: 300_00))
        #expect(try await world.funds(world.nord).line(.case).funds.actuals == Money(cents: 780_00))
        let refusal = ServiceError.forbidden("Sozialraum totals (the county shows providers their own figures only)")
        await #expect(throws: refusal) {
            _ = try await reconciliation.runResult(world.beta, runID: run.runID, part: .months)
        }
        await #expect(throws: refusal) {
            _ = try await reconciliation.burnChart(world.beta, socialSpace: world.nord, year: 2026, runID: run.runID)
        }
        // The database hides the results too, whatever the daemon asks.
        let rows = try await world.store.withTenant(world.beta.tenant, readOnly: true) { tx in
            try await tx.query(unsafeSQL: "SELECT count(*)::int FROM reconciliation_line").single().decode(
                0, as: Int.self)
        }
        #expect(rows == 0)
        // The county still sees them.
        guard case .lines(let lines) = try await reconciliation.runResult(world.county, runID: run.runID, part: .lines)
        else {
            Issue.record("no lines")
            return
        }
        #expect(!lines.isEmpty)
    }

    @Test func onlyTheCountyChooses() async throws {
        let world = try await BudgetWorld.make()
        await #expect(throws: ServiceError.forbidden("choosing what providers see")) {
            try await world.service.setProviderView(world.beta, .ownFigures)
        }
        let error = await #expect(throws: PostgresError.self) {
            try await world.store.withTenant(world.beta.tenant) { tx in
                try await tx.execute(unsafeSQL: "UPDATE county SET provider_view = 'own'")
            }
        }
        #expect(error?.sqlState == .insufficientPrivilege)
        #expect(try await world.service.providerView(world.county) == .sozialraumTotals)
    }
}
