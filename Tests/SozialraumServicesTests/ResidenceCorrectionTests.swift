import Foundation
import PostgresClient
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 31 (item 7): a residence entered with the wrong Sozialraum is corrected; its deliveries are reversed
/// and booked again under the right one, the ledger append-only, each grant's cost unchanged, and the draft
/// of a run made before the correction the same as it was.
@Suite struct ResidenceCorrectionTests {
    /// VER-2026-0011 was recorded in nord from 2026-01-01 but lives in süd. Alpha's grant of 10 hours a month
    /// at 60.00 was delivered in March (then closed) and April: 600.00 + 600.00 = 1,200.00 booked to nord.
    /// Corrected, nord's case actuals fall by 1,200.00 and süd's rise by 1,200.00; the grant still costs
    /// 1,200.00; March's reversal and new booking go into the open month (November), naming the original.
    @Test func aCorrectedResidenceMovesItsCostToTheRightSozialraum() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.openCase("VER-2026-0011").granted(perMonth: "10")
        try await grant.delivered("2026-03", "10")
        try await grant.delivered("2026-04", "10")
        try await world.service.closeMonth(
            world.county, month: YearMonth(iso: "2026-03")!, forceReason: "Monatsabschluss")
        let reconciliation = world.reconciler()
        let run = try await reconciliation.run(world.county, scope: .year(2026))
        let draftBefore = try await reconciliation.statementItems(
            world.county, runID: run.runID, provider: world.alpha.tenant)
        func actuals(_ space: SocialSpaceCode) async throws -> Money {
            let report = try await world.service.availableFunds(world.county, socialSpace: space, year: 2026)
            return try #require(report.lines.first { $0.component == .case }).funds.actuals
        }
        let (nordBefore, suedBefore) = (try await actuals(world.nord), try await actuals(world.sued))
        let bookingsBefore = try await world.count("sozialraum.booking")

        let moved = try await world.grants.correctResidence(
            world.county, key: "VER-2026-0011", from: Day(iso: "2026-01-01")!, to: world.sued)
        #expect(moved == GrantService.ResidenceCorrection(deliveries: 2, rebooked: Money(cents: 1_200_00)))
        #expect(try await actuals(world.nord) == (try nordBefore - Money(cents: 1_200_00)))
        #expect(try await actuals(world.sued) == (try suedBefore + Money(cents: 1_200_00)))
        // Two reversals and two new bookings; nothing changed or deleted.
        #expect(try await world.count("sozialraum.booking") == bookingsBefore + 4)
        let admin = try await world.database.superuserConnection()
        let ledger = try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT sum(amount)::bigint AS cost,
                           string_agg(to_char(booked_month, 'YYYY-MM') || ' ' || social_space || ' ' || amount, ', '
                                      ORDER BY id) AS lines
                    FROM sozialraum.booking WHERE grant_id = $1
                    """, [grant.id])
        ).single()
        #expect(try ledger.decode("cost", as: Int64.self) == 1_200_00)
        #expect(
            try ledger.decode("lines", as: String.self)
                == "2026-03 nord 60000, 2026-04 nord 60000, 2026-11 nord -60000, 2026-11 sued 60000, "
                + "2026-04 nord -60000, 2026-04 sued 60000")
        // The earlier run's draft is read as the run read the residence.
        #expect(
            try await reconciliation.statementItems(world.county, runID: run.runID, provider: world.alpha.tenant)
                == draftBefore)
        let after = try await reconciliation.run(world.county, scope: .year(2026))
        let draftAfter = try await reconciliation.statementItems(
            world.county, runID: after.runID, provider: world.alpha.tenant)
        #expect(draftAfter.map(\.socialSpace) == ["sued"] && draftBefore.map(\.socialSpace) == ["nord"])
        // The same correction again changes nothing.
        await #expect(
            throws: ServiceError.conflict("the case has no residence from 2026-01-01, or it is sued already")
        ) {
            _ = try await world.grants.correctResidence(
                world.county, key: "VER-2026-0011", from: Day(iso: "2026-01-01")!, to: world.sued)
        }
    }

    /// The residence corrected, then the process died before the money moved: sent again, the correction
    /// finishes the deliveries recorded before it (600.00 of March) and then says it is done.
    @Test func aCorrectionCutShortIsFinishedBySendingItAgain() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.openCase("VER-2026-0012").granted(perMonth: "10")
        try await grant.delivered("2026-03", "10")
        let caseID = try #require(
            try await world.store.withTenant(world.county.tenant) { tx in
                try await CaseStore.caseID(tx, key: "VER-2026-0012")
            })
        let corrected = try await world.store.withTenant(world.county.tenant) { tx in
            try await CaseStore.correctResidence(
                tx, caseID: caseID, from: Day(iso: "2026-01-01")!, to: world.sued, by: world.county.name)
        }
        #expect(corrected)
        let finished = try await world.grants.correctResidence(
            world.county, key: "VER-2026-0012", from: Day(iso: "2026-01-01")!, to: world.sued)
        #expect(finished == GrantService.ResidenceCorrection(deliveries: 1, rebooked: Money(cents: 600_00)))
        await #expect(
            throws: ServiceError.conflict("the case has no residence from 2026-01-01, or it is sued already")
        ) {
            _ = try await world.grants.correctResidence(
                world.county, key: "VER-2026-0012", from: Day(iso: "2026-01-01")!, to: world.sued)
        }
    }
}
