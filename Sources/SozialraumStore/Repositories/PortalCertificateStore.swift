import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The client certificates pinned to tenants for the portal (sql/0040): the county pins and unpins, a provider
/// reads its own.
public enum PortalCertificateStore {
    /// The pins the transaction's tenant may see (the county: every tenant's, or `tenant`'s), by tenant.
    public static func pins(_ tx: TenantTransaction, tenant: TenantID?) async throws -> [PortalCertificate] {
        try await tx.query(
            """
            SELECT tenant_id, sha256, label, added_by, to_char(added_at, 'YYYY-MM-DD HH24:MI') AS added_at
            FROM portal_certificate WHERE CAST(\(tenant?.uuid) AS uuid) IS NULL OR tenant_id = \(tenant?.uuid)
            ORDER BY tenant_id, added_at, sha256
            """
        ).map { row in
            PortalCertificate(
                tenant: TenantID(try row.decode("tenant_id", as: UUID.self)),
                sha256: try row.decode("sha256", as: String.self), label: try row.decode("label", as: String.self),
                addedBy: try row.decode("added_by", as: String.self),
                addedAt: try row.decode("added_at", as: String.self))
        }
    }

    /// The fingerprints pinned to the transaction's own tenant.
    public static func ownFingerprints(_ tx: TenantTransaction) async throws -> Set<String> {
        Set(
            try await tx.query("SELECT sha256 FROM portal_certificate WHERE tenant_id = \(tx.tenant.uuid)").map {
                try $0.decode("sha256", as: String.self)
            })
    }

    /// Pins a certificate; false when it is pinned to that tenant already.
    public static func pin(
        _ tx: TenantTransaction, tenant: TenantID, sha256: String, label: String, by actor: String
    ) async throws -> Bool {
        try await tx.execute(
            """
            INSERT INTO portal_certificate (tenant_id, sha256, label, added_by)
            VALUES (\(tenant.uuid), \(sha256), \(label), \(actor)) ON CONFLICT DO NOTHING
            """) == 1
    }

    /// Removes a pin; false when there was none.
    public static func unpin(_ tx: TenantTransaction, tenant: TenantID, sha256: String) async throws -> Bool {
        try await tx.execute(
            "DELETE FROM portal_certificate WHERE tenant_id = \(tenant.uuid) AND sha256 = \(sha256)") == 1
    }
}
