import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// sql/0023: a run whose scope an earlier complete run covered checks out-of-area facts only for grants
/// touched since; it must find exactly what a full check finds.
@Suite struct IncrementalFindingsTests {
    func month(_ text: String) -> YearMonth { YearMonth(iso: text)! }
    func day(_ text: String) -> Day { Day(iso: text)! }

    /// The out-of-area findings: (Sozialraum, month, case key), sorted.
    func outOfArea(_ world: BudgetWorld) async throws -> [String] {
        let admin = try await world.database.superuserConnection()
        return try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT f.social_space || ' ' || to_char(f.month, 'YYYY-MM') || ' ' || g.case_key
                    FROM sozialraum.finding f JOIN sozialraum.grant_decision g ON g.id = f.grant_id
                    WHERE f.kind = 'out_of_area_without_reason' ORDER BY 1
                    """)
        ).map { try $0.decode(0, as: String.self) }
    }

    /// Alpha serves nord only, beta sued. After a complete run of 2026, VER-1 moves to sued in July and a
    /// new case VER-2 of alpha's is granted in nord: the next run finds VER-1 in sued. Then alpha's nord
    /// assignment is ended before 2026, which makes a fact of every alpha grant in nord — VER-3 among them,
    /// though nothing of it changed. Each run finds what a full check finds, nothing more, nothing less.
    @Test func aRunSinceACompleteOneFindsWhatAFullCheckFinds() async throws {
        let world = try await BudgetWorld.make()
        let service = world.reconciler(label: "test.incremental")
        _ = try await world.grantedCase("VER-1")
        _ = try await world.grantedCase("VER-3")
        let base = try await service.run(world.county, scope: .year(2026))
        #expect(try await outOfArea(world).isEmpty)
        // The base run is complete as of its change position.
        let admin = try await world.database.superuserConnection()
        let positions = try await admin.query(
            PostgresQuery(
                unsafeSQL:
                    "SELECT findings_position = change_position FROM sozialraum.reconciliation_run WHERE id = $1",
                [base.runID])
        ).single().decode(0, as: Bool.self)
        #expect(positions)
        func fullCheckFindsNothingMore(after runID: Int64) async throws -> Int {
            try await world.store.withTenant(world.county.tenant) { tx in
                // The check as a run makes it, over every grant: the scope's costs first.
                try await ReconciliationStore.computeStatementFigures(
                    tx, scope: .year(2026), position: try await ReconciliationStore.ledgerPosition(tx))
                return try await ReconciliationStore.findFacts(
                    tx, runID: runID, scope: .year(2026), runDay: BudgetWorld.today, since: nil,
                    logger: Logger(label: "test.incremental"))
            }
        }

        try await world.existingCase("VER-1").moves(to: world.sued, on: "2026-07-01")
        _ = try await world.grantedCase("VER-2")
        let second = try await service.run(world.county, scope: .year(2026))
        // By hand: VER-1 lives in sued from July, where alpha has no assignment.
        #expect(try await outOfArea(world) == ["sued 2026-07 VER-1"])
        #expect(try await fullCheckFindsNothingMore(after: second.runID) == 0)

        _ = try await world.store.withTenant(world.county.tenant) { tx in
            try await tx.execute(
                unsafeSQL:
                    "UPDATE provider_assignment SET valid_from = '2025-01-01', valid_to = '2025-12-31' WHERE tenant_id = $1",
                [world.alpha.tenant.uuid])
        }
        let next = try await service.run(world.county, scope: .year(2026))
        // By hand: with no assignment of alpha's in 2026, VER-1 in nord January–June, VER-2 and VER-3 in
        // nord all year are facts too.
        #expect(next.newFindings >= 3)
        #expect(
            try await outOfArea(world) == [
                "nord 2026-01 VER-1", "nord 2026-01 VER-2", "nord 2026-01 VER-3", "sued 2026-07 VER-1",
            ])
        #expect(try await fullCheckFindsNothingMore(after: next.runID) == 0)
    }

    /// The first run of a scope (no complete run before it) checks every grant in one pass over the
    /// stays (its own statement, sql/0025's policy): the same facts as the incremental path found above.
    @Test func aFirstRunChecksEveryGrant() async throws {
        let world = try await BudgetWorld.make()
        let service = world.reconciler(label: "test.incremental")
        _ = try await world.grantedCase("VER-1")
        _ = try await world.grantedCase("VER-3")
        try await world.existingCase("VER-1").moves(to: world.sued, on: "2026-07-01")
        let first = try await service.run(world.county, scope: .year(2026))
        // By hand: VER-1 lives in sued from July, where alpha (nord only) has no assignment; VER-3 stays in
        // nord. One fact.
        #expect(first.newFindings >= 1)
        #expect(try await outOfArea(world) == ["sued 2026-07 VER-1"])
        // The first run of August, a full check of that month: by hand, VER-1's stay in sued covers
        // August, whose first day is the fact's month. One new fact, VER-3 still none.
        let august = try await service.run(world.county, scope: .month(month("2026-08")))
        #expect(try await outOfArea(world) == ["sued 2026-07 VER-1", "sued 2026-08 VER-1"])
        let admin = try await world.database.superuserConnection()
        let found = try await admin.query(
            PostgresQuery(
                unsafeSQL:
                    "SELECT count(*)::int FROM sozialraum.finding WHERE run_id = $1 AND kind = 'out_of_area_without_reason'",
                [august.runID])
        ).single().decode(0, as: Int.self)
        #expect(found == 1)
    }

    /// Assignments are ended, never deleted (their changes carry positions); runs of one Sozialraum do not
    /// count as complete.
    @Test func assignmentsAreNotDeletedAndPartialRunsAreNoBase() async throws {
        let world = try await BudgetWorld.make()
        let service = world.reconciler(label: "test.incremental")
        let deleted = await #expect(throws: PostgresError.self) {
            try await world.store.withTenant(world.county.tenant) { tx in
                try await tx.execute(
                    unsafeSQL: "DELETE FROM provider_assignment WHERE tenant_id = $1", [world.alpha.tenant.uuid])
            }
        }
        #expect(deleted?.sqlState == .insufficientPrivilege)
        let partial = try await service.run(world.county, scope: .year(2026), socialSpace: world.nord)
        let admin = try await world.database.superuserConnection()
        let base = try await admin.query(
            PostgresQuery(
                unsafeSQL: "SELECT findings_position FROM sozialraum.reconciliation_run WHERE id = $1", [partial.runID])
        ).single().decode(0, as: Int64?.self)
        #expect(base == nil)
    }
}
