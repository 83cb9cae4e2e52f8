import Foundation
import Logging
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Rule 12 and rule 18 at the year end: what is carried and what the lead provider is paid.
@Suite struct YearEndTests {
    /// Whether a year may receive carry-forwards is that year's setting, for the year end as for a manual
    /// `carry-forward`. 2026 allows carrying (the default) but 2027 is opened with carry-forward=no: the
    /// year end carries nothing into 2027 (nord's case line alone would carry 100,000.00). The other way
    /// round (2026 no, 2027 yes) it carries.
    @Test(arguments: [(false, 0 as Int64), (true, 100_000_00)])
    func theReceivingYearDecidesWhetherToCarry(receivingAllows: Bool, carriedNordCase: Int64) async throws {
        let world = try await BudgetWorld.make()
        _ = try await world.store.withTenant(world.county.tenant) { tx in
            try await tx.execute(
                unsafeSQL: "UPDATE fiscal_year SET carry_forward_allowed = $1 WHERE year = 2026", [!receivingAllows])
        }
        try await world.service.openYear(
            world.county, year: 2027, overrunPolicy: .warn, carryForwardAllowed: receivingAllows)
        let service = world.reconciler()
        for month in YearMonth.months(of: 2026) {
            try await world.service.closeMonth(world.county, month: month, forceReason: "Jahresabschluss")
        }
        let preview = try await YearEndService(reconciliation: service).previewYearEnd(world.county, year: 2026)
        #expect(
            preview.proposals[world.nord]?.lines.first { $0.component == .case }?.carryForward
                == Money(cents: carriedNordCase))
        try await world.confirmYearEnd(service, year: 2026, runID: preview.runID)
        let nord2027 = try await world.service.availableFunds(world.county, socialSpace: world.nord, year: 2027)
        #expect(nord2027.line(.case).funds.carryIn == Money(cents: carriedNordCase))
        // The manual path reads the same setting.
        if !receivingAllows {
            let manual = BudgetLine(year: 2027, socialSpace: world.sued, component: .milieu)
            await #expect(throws: ServiceError.conflict("carry-forward is not allowed into 2027")) {
                try await world.service.carryForward(
                    world.county, into: manual, amount: Money(cents: 1_00), reason: "Haushaltsrest")
            }
        }
    }
}
