import Foundation
import PostgresClient
import SozialraumDomain
import SozialraumStore
import SozialraumTestSupport
import Testing

/// The portal's second factor (sql/0038) is its account's alone: not its tenant's other accounts, not another
/// tenant, not the county; only a county holder of `accounts`, as the transaction's account, removes one. In
/// place of the tenant matrix, whose checks assume a tenant sees its own rows.
@Suite struct SecondFactorPolicyTests {
    /// `sozialraum.account` as the daemon's context statement sets it for a request's account.
    static func asAccount(_ tx: TenantTransaction, _ name: String) async throws {
        try await tx.execute(unsafeSQL: "SELECT set_config('sozialraum.account', $1, true)", [name])
    }

    static func visible(_ tx: TenantTransaction) async throws -> Int {
        try await tx.query(unsafeSQL: "SELECT count(*)::int FROM second_factor").single().decode(0, as: Int.self)
    }

    @Test func onlyItsAccountSeesOrWritesASecondFactor() async throws {
        let world = try await TenancyWorld.make()
        let store = world.database.runtimeStore()
        // The fixture gave alpha's and beta's seed account a factor each.
        let holder = try await world.admin.query(
            PostgresQuery(unsafeSQL: "SELECT account_name FROM second_factor WHERE tenant_id = $1", [world.alpha.uuid])
        ).single().decode(0, as: String.self)

        let seen = try await store.withTenant(world.alpha, readOnly: true) { tx in
            let withoutAccount = try await Self.visible(tx)
            try await Self.asAccount(tx, "alpha-kollege")
            let asColleague = try await Self.visible(tx)
            try await Self.asAccount(tx, holder)
            return (withoutAccount, asColleague, try await Self.visible(tx))
        }
        #expect(seen.0 == 0 && seen.1 == 0)
        #expect(seen.2 == 1)
        // Beta's context with alpha's account name, and the county's: nothing.
        let elsewhere = try await store.withTenant(world.beta, readOnly: true) { tx in
            try await Self.asAccount(tx, holder)
            return try await Self.visible(tx)
        }
        let county = try await store.withTenant(world.county, readOnly: true) { tx in try await Self.visible(tx) }
        #expect(elsewhere == 0 && county == 0)

        // A colleague cannot overwrite the holder's secret, nor set one up in the holder's name.
        let overwritten = try await store.withTenant(world.alpha) { tx in
            try await Self.asAccount(tx, "alpha-kollege")
            return try await tx.execute(unsafeSQL: "UPDATE second_factor SET last_step = 0, secret = secret")
        }
        #expect(overwritten == 0)
        let forged = await #expect(throws: PostgresError.self) {
            try await store.withTenant(world.alpha) { tx in
                try await Self.asAccount(tx, "alpha-kollege")
                try await tx.execute(
                    unsafeSQL: """
                        INSERT INTO second_factor (account_name, tenant_id, secret, last_step)
                        VALUES ($1, $2, decode(repeat('11', 20), 'hex'), 0)
                        """, [holder + "x", world.alpha.uuid])
            }
        }
        #expect(forged?.sqlState == .insufficientPrivilege)
    }

    /// The reset: refused to a county account without `accounts` and to a provider; done for a holder of it.
    @Test func onlyAnAccountAdministratorResetsAFactor() async throws {
        let world = try await TenancyWorld.make()
        let store = world.database.runtimeStore()
        let holder = try await world.admin.query(
            PostgresQuery(unsafeSQL: "SELECT account_name FROM second_factor WHERE tenant_id = $1", [world.alpha.uuid])
        ).single().decode(0, as: String.self)
        try await world.admin.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO account (name, tenant_id, role, secret_hash, salt, scrypt_n, rights) VALUES
                      ('kasse-sachbearbeitung', $1, 'county', '\\x00', '\\x00', 1024, '{certify}'),
                      ('benutzerverwaltung', $1, 'county', '\\x00', '\\x00', 1024, '{accounts}')
                    """, [world.county.uuid]))
        func reset(in tenant: TenantID, as account: String) async throws -> Bool {
            try await store.withTenant(tenant) { tx in
                try await Self.asAccount(tx, account)
                return try await SecondFactorStore.reset(tx, account: holder)
            }
        }
        for (tenant, account) in [(world.county, "kasse-sachbearbeitung"), (world.alpha, holder)] {
            let refused = await #expect(throws: PostgresError.self) { try await reset(in: tenant, as: account) }
            #expect(refused?.sqlState == .insufficientPrivilege)
        }
        #expect(try await world.trueCount("second_factor", tenant: world.alpha) == 1)
        #expect(try await reset(in: world.county, as: "benutzerverwaltung"))
        #expect(try await world.trueCount("second_factor", tenant: world.alpha) == 0)
        #expect(try await reset(in: world.county, as: "benutzerverwaltung") == false)
    }
}
