import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumStore
import SozialraumTestSupport

/// How to put one row of a tenant table in place, for the RLS matrix. Every table that holds tenant
/// data must have an entry here; the catalogue test fails for a table that has none, so a new table
/// cannot escape the matrix.
struct TenantTableFixture: Sendable {
    /// The column naming the owning tenant.
    var tenantColumn: String
    /// True for `tenant` itself, whose key is the tenant id: rows for a new id use a fresh UUID.
    var identifiesTenant = false
    /// An INSERT for a row owned by `$1`; `$2` is a nonce that keeps keys unique.
    var insert: String

    static let all: [String: TenantTableFixture] = [
        "tenant": TenantTableFixture(
            tenantColumn: "id", identifiesTenant: true,
            insert: "INSERT INTO tenant (id, kind, name) VALUES ($1, 'provider', 'Fixture ' || $2)"),
        "tenant_setting": TenantTableFixture(
            tenantColumn: "tenant_id",
            insert: "INSERT INTO tenant_setting (tenant_id, key, value) VALUES ($1, 'fixture.k' || $2, 'v')"),
        "audit_event": TenantTableFixture(
            tenantColumn: "tenant_id",
            insert: "INSERT INTO audit_event (tenant_id, actor, action, result) VALUES ($1, 'test', 'fixture.' || $2, 'ok')"),
    ]
}

/// A fresh database with the county, two providers and one fixture row per provider in every
/// tenant table (inserted as the superuser, which RLS does not restrict).
struct TenancyWorld: Sendable {
    let database: TestDatabase
    let county: TenantID
    let alpha: TenantID
    let beta: TenantID

    static func make() async throws -> TenancyWorld {
        let database = try await TestCluster.shared.freshDatabase(prefix: "rls")
        let county = try await TenantRegistry.ensureCounty(name: "Landkreis Verden", ownerConninfo: database.superuserConninfo)
        let store = database.runtimeStore()
        let alpha = try await store.registerProvider(name: "Träger Alpha", by: county)
        let beta = try await store.registerProvider(name: "Träger Beta", by: county)
        let admin = try await database.superuserConnection()
        for (table, fixture) in TenantTableFixture.all where !fixture.identifiesTenant {
            for tenant in [alpha, beta] {
                try await admin.query(PostgresQuery(fixture.insert, [tenant.uuid, "seed"]))
                _ = table
            }
        }
        return TenancyWorld(database: database, county: county, alpha: alpha, beta: beta)
    }

    /// Rows of `tenant` in `table`, counted as the superuser (not subject to RLS).
    func trueCount(_ table: String, tenant: TenantID) async throws -> Int {
        let fixture = TenantTableFixture.all[table]!
        let admin = try await database.superuserConnection()
        return try await admin.query(
            PostgresQuery("SELECT count(*)::int FROM \(table) WHERE \(fixture.tenantColumn) = $1", [tenant.uuid])
        ).single().decode(0, as: Int.self)
    }
}
