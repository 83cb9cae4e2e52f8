import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Setup-time registration of the county tenant. Runs as the owner role (the runtime role may not
/// write the county designation), with tenant context set to the new county so that the forced
/// policy's WITH CHECK accepts the row.
public enum TenantRegistry {
    /// Registers the county once; returns the existing county when there is one already.
    @discardableResult
    public static func ensureCounty(
        name: String, ownerConninfo: String, roles: DatabaseRoles.Names = .standard
    ) async throws -> TenantID {
        let connection = try await PostgresConnection.connect(
            conninfo: ownerConninfo, sessionParameters: DatabaseRoles.sessionParameters)
        try await connection.query(PostgresQuery("SELECT set_config('role', \(roles.owner), false)"))
        let existing = try await connection.query(PostgresQuery("SELECT tenant_id FROM county"))
        if let row = existing.first { return TenantID(try row.value(as: UUID.self)) }
        let county = TenantID(UUID())
        try await connection.runScript(unsafeSQL: "BEGIN")
        do {
            try await connection.query(
                PostgresQuery("SELECT set_config(\(Store.tenantSetting), \(county.description), true)"))
            try await connection.query(
                PostgresQuery("INSERT INTO tenant (id, kind, name) VALUES (\(county.uuid), 'county', \(name))"))
            try await connection.query(PostgresQuery("INSERT INTO county (tenant_id) VALUES (\(county.uuid))"))
            try await connection.runScript(unsafeSQL: "COMMIT")
        } catch {
            _ = try? await connection.runScript(unsafeSQL: "ROLLBACK")
            throw error
        }
        return county
    }
}

extension Store {
    /// Registers a provider (freier Träger). Only the county may do this; the policy on `tenant`
    /// refuses the insert for anyone else.
    public func registerProvider(name: String, by county: TenantID) async throws -> TenantID {
        try await withTenant(county) { tx in try await TenantRegistry.registerProvider(tx, name: name) }
    }

    /// The tenants the acting tenant may see: the county sees all, a provider only itself.
    public func visibleTenants(as tenant: TenantID) async throws -> [TenantRecord] {
        try await withTenant(tenant, readOnly: true) { tx in
            try await tx.query("SELECT id, kind, name FROM tenant ORDER BY kind, name").map { row in
                TenantRecord(
                    id: TenantID(try row.decode("id", as: UUID.self)),
                    kind: try row.decode("kind", as: TenantKind.self),
                    name: try row.decode("name", as: String.self))
            }
        }
    }
}

extension TenantRegistry {
    /// Registers a provider inside the caller's transaction (with its audit event, say); returns its id.
    public static func registerProvider(_ tx: TenantTransaction, name: String) async throws -> TenantID {
        let provider = TenantID(UUID())
        try await tx.execute("INSERT INTO tenant (id, kind, name) VALUES (\(provider.uuid), 'provider', \(name))")
        return provider
    }
}
