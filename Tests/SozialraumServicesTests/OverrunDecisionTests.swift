import Foundation
import Logging
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Rule 18: a § 117 NKomVG decision covers the amount it names, no more.
@Suite struct OverrunDecisionTests {
    /// Nord's structure line has 10,000.00 and nothing covers it. Spending 28,000.00 overruns it by
    /// 18,000.00; a decision of 18,000.00 settles that. Another 500.00 makes the overrun 18,500.00:
    /// 18,500.00 − 18,000.00 = 500.00 is open again, in the whole-year run as in a run to November; a decision of
    /// 500.00 (18,500.00 decided) settles it, and no run finds it again.
    @Test func anOverrunThatGrowsPastItsDecisionIsFoundAgain() async throws {
        let world = try await BudgetWorld.make()
        let project = try await world.payments.createProject(
            world.county, provider: world.alpha.tenant, title: "Stadtteiltreff", socialSpace: world.nord,
            component: .structure, startsOn: Day(iso: "2026-01-01")!, endsOn: Day(iso: "2026-12-31")!,
            budget: Money(cents: 30_000_00), volunteers: 2, professionals: 1)
        _ = try await world.payments.bookProjectExpense(
            world.alpha, projectID: project, day: Day(iso: "2026-04-15")!, amount: Money(cents: 28_000_00),
            idempotencyKey: world.key("expense-april"))
        let reconciliation = world.reconciler()
        #expect(try await reconciliation.run(world.county, scope: .year(2026)).undecidedOverruns == 1)
        let first = try await world.orders.decideOverrun(
            world.orderer, decision(world, cents: 18_000_00), idempotencyKey: world.key("overrun-decision-3"))
        #expect(first.settledFindings == 1)
        #expect(try await reconciliation.run(world.county, scope: .year(2026)).undecidedOverruns == 0)

        _ = try await world.payments.bookProjectExpense(
            world.alpha, projectID: project, day: Day(iso: "2026-11-02")!, amount: Money(cents: 500_00),
            idempotencyKey: world.key("expense-november"))
        let grown = try await reconciliation.run(world.county, scope: .year(2026))
        #expect(grown.undecidedOverruns == 1)
        let open = try await openOverruns(world)
        #expect(open.map(\.amount) == [Money(cents: 500_00)])
        #expect(open.map(\.line) == ["nord/structure"])
        // A run of the year to November (as the monthly schedule runs) finds the same 500.00 for November.
        _ = try await reconciliation.run(world.county, scope: .year(2026, through: YearMonth(iso: "2026-11")!))
        #expect(try await openOverruns(world).map(\.amount) == [Money(cents: 500_00), Money(cents: 500_00)])
        #expect(try await world.orders.overrunDecisions(world.auditor, year: 2026).undecided == 2)

        let second = try await world.orders.decideOverrun(
            world.orderer, decision(world, cents: 500_00), idempotencyKey: world.key("overrun-decision-4"))
        #expect(second.settledFindings == 2)
        #expect(try await openOverruns(world).isEmpty)
        #expect(try await reconciliation.run(world.county, scope: .year(2026)).undecidedOverruns == 0)
    }

    /// A decision adds to its line's decided sum: sent twice with its key it is recorded once (the retry
    /// answers the same), so a doubled sum cannot hide a real overrun; other content under the key is
    /// `IDEMPOTENCY_CONFLICT`.
    @Test func aRetriedDecisionIsRecordedOnce() async throws {
        let world = try await BudgetWorld.make()
        let key = world.key("overrun-retry-1")
        let first = try await world.orders.decideOverrun(
            world.orderer, decision(world, cents: 18_000_00), idempotencyKey: key)
        let again = try await world.orders.decideOverrun(
            world.orderer, decision(world, cents: 18_000_00), idempotencyKey: key)
        #expect(again == first)
        await #expect(throws: ServiceError.idempotencyConflict) {
            _ = try await world.orders.decideOverrun(
                world.orderer, decision(world, cents: 18_500_00), idempotencyKey: key)
        }
        let decisions = try await world.orders.overrunDecisions(world.auditor, year: 2026).decisions
        #expect(decisions.map(\.amount) == [Money(cents: 18_000_00)])
    }

    private func decision(_ world: BudgetWorld, cents: Int64) -> OverrunDecision {
        OverrunDecision(
            year: 2026, socialSpace: world.nord, component: .structure, kind: .overPlan, amount: Money(cents: cents),
            reason: "Stadtteiltreff: Mehrbedarf", cover: nil, councilInformedOn: nil, decidedBy: "ignored")
    }

    private func openOverruns(_ world: BudgetWorld) async throws -> [FindingListing] {
        try await world.grants.findings(world.county, all: false).filter { $0.kind == "uncovered_overrun" }
            .sorted { $0.month < $1.month }
    }
}
