import Foundation
import PostgresClient
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 31 (item 8): the daemon's role cannot remove or rewrite personal data about a case: no DELETE or
/// UPDATE of the case, its residences, the case link of its grant, its deliveries or its bookings, in the
/// county's own context. (The erasure function that will do it under control is still to be built.)
@Suite struct CaseDataProtectionTests {
    @Test(arguments: [
        "DELETE FROM case_file",
        "UPDATE case_file SET case_key = 'VER-2026-9999'",
        "DELETE FROM residence",
        "UPDATE residence SET valid_from = valid_from + 1",
        "UPDATE grant_decision SET case_key = 'VER-2026-9999'",
        "UPDATE grant_decision SET case_id = (SELECT id FROM case_file LIMIT 1 OFFSET 1)",
        "DELETE FROM grant_decision",
        "DELETE FROM delivery",
        "UPDATE delivery SET quantity = quantity + 1",
        "DELETE FROM booking",
        "UPDATE booking SET grant_id = NULL",
    ])
    func theRuntimeRoleCannotChangeOrDeleteCaseData(statement: String) async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        _ = try await world.grantedCase("VER-2026-0002")
        _ = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: YearMonth(iso: "2026-03")!, quantity: Quantity(hundredths: 8_00),
            idempotencyKey: world.key("delivery-march"))
        for tenant in [world.county.tenant, world.alpha.tenant] {
            await #expect(
                throws: PostgresError.self, "\(statement) as \(tenant == world.county.tenant ? "county" : "provider")"
            ) {
                try await world.store.withTenant(tenant) { tx in
                    let changed = try await tx.execute(unsafeSQL: statement)
                    // A statement the policies let through but that touched nothing is no protection either.
                    if changed == 0 {
                        throw PostgresError(code: .invalidUsage, operation: "nothing matched: \(statement)")
                    }
                }
            }
        }
        let left = try await world.database.superuserConnection().query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT (SELECT count(*) FROM sozialraum.case_file)::int AS cases,
                           (SELECT count(*) FROM sozialraum.booking)::int AS bookings
                    """)
        ).single()
        #expect(try left.decode("cases", as: Int.self) == 2)
        #expect(try left.decode("bookings", as: Int.self) == 1)
    }
}
