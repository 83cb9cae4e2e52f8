import Foundation
import PostgresClient
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 18, sql/0015: the register's rules hold in the database too. Each write is made in SQL as the
/// runtime role with the county's context, past the services' checks (as a bug in the daemon could).
@Suite struct MasterDataRulesTests {
    func sqlState<T>(_ body: () async throws -> T) async -> String? {
        do {
            _ = try await body()
            return nil
        } catch {
            return DatabaseFailure.sqlState(of: error)
        }
    }

    @Test func noGrantOrProjectRunsPastTheEndOfACooperation() async throws {
        let world = try await BudgetWorld.make()
        try await world.service.endCooperation(world.county, world.beta.tenant, after: Day(iso: "2026-06-30")!)
        try await world.grants.openCase(
            world.county, key: "VER-2026-0500", socialSpace: world.sued, from: Day(iso: "2025-01-01")!)
        // Through the service: refused with the reason.
        await #expect(
            throws: ServiceError.conflict(
                "the provider's cooperation ends 2026-06-30; nothing of it may run past that day")
        ) {
            _ = try await world.grants.grant(
                world.county,
                .init(
                    caseKey: "VER-2026-0500", provider: world.beta.tenant, helpType: "31", unit: .hour,
                    volumePerMonth: Quantity(hundredths: 5_00), startsOn: Day(iso: "2026-03-01")!,
                    endsOn: Day(iso: "2026-12-31")!),
                idempotencyKey: world.key("grant-past-end"))
        }
        // In SQL: the trigger refuses a grant and a project alike (SZ003).
        let grant = await sqlState {
            try await world.store.withTenant(world.county.tenant) { tx in
                try await tx.execute(
                    unsafeSQL: """
                        INSERT INTO grant_decision (id, tenant_id, case_id, case_key, help_type, unit, volume_per_month, starts_on, ends_on)
                        SELECT gen_random_uuid(), $1, id, case_key, '31', 'hour', 500, '2026-03-01', '2026-07-01' FROM case_file LIMIT 1
                        """, [world.beta.tenant.uuid])
            }
        }
        #expect(grant == "SZ003")
        let project = await sqlState {
            try await world.store.withTenant(world.county.tenant) { tx in
                try await tx.execute(
                    unsafeSQL: """
                        INSERT INTO project (id, tenant_id, title, social_space, component, starts_on, ends_on, budget)
                        VALUES (gen_random_uuid(), $1, 'Nach dem Ende', 'sued', 'structure', '2026-01-01', '2026-12-31', 100)
                        """, [world.beta.tenant.uuid])
            }
        }
        #expect(project == "SZ003")
        // Within the cooperation it is fine: to 30 June.
        _ = try await world.grants.grant(
            world.county,
            .init(
                caseKey: "VER-2026-0500", provider: world.beta.tenant, helpType: "31", unit: .hour,
                volumePerMonth: Quantity(hundredths: 5_00), startsOn: Day(iso: "2026-03-01")!,
                endsOn: Day(iso: "2026-06-30")!),
            idempotencyKey: world.key("grant-within-end"))
    }

    @Test func noRateTakesEffectInOrBeforeAClosedMonth() async throws {
        let world = try await BudgetWorld.make()
        try await world.service.closeMonth(world.county, month: YearMonth(iso: "2026-03")!)
        await #expect(throws: ServiceError.conflict("a rate cannot take effect in or before a closed month")) {
            try await world.service.addRate(
                world.county, provider: world.alpha.tenant, helpType: "31", unit: .hour,
                validFrom: Day(iso: "2026-03-20")!, amount: Money(cents: 65_00))
        }
        for day in ["2026-03-01", "2026-02-10", "2026-03-31"] {
            let state = await sqlState {
                try await world.store.withTenant(world.county.tenant) { tx in
                    try await tx.execute(
                        unsafeSQL: """
                            INSERT INTO rate_agreement (id, tenant_id, help_type, unit, valid_from, amount)
                            VALUES (gen_random_uuid(), $1, '31', 'hour', $2::date, 6500)
                            """, [world.alpha.tenant.uuid, day])
                }
            }
            #expect(state == "SZ004", "\(day)")
        }
        // From April, after the closed month, a new price is fine.
        try await world.service.addRate(
            world.county, provider: world.alpha.tenant, helpType: "31", unit: .hour,
            validFrom: Day(iso: "2026-04-01")!, amount: Money(cents: 65_00))
    }
}
