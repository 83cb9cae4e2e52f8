import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The access log: written in the reader's tenant context, read in the county's.
public enum AccessLogStore {
    public static func record(_ tx: TenantTransaction, _ access: CaseAccess) async throws {
        _ = try await tx.execute(
            """
            INSERT INTO case_access (tenant_id, account, command, case_id, cases)
            VALUES (\(access.tenant.uuid), \(access.account), \(access.command), \(access.caseID), \(access.cases))
            """)
    }

    /// The newest `limit` entries, newest first.
    public static func entries(_ tx: TenantTransaction, limit: Int) async throws -> [CaseAccess] {
        try await tx.query(
            """
            SELECT tenant_id, account, command, case_id, cases,
                   extract(epoch FROM accessed_at)::bigint AS accessed_at
            FROM case_access ORDER BY id DESC LIMIT \(limit)
            """
        ).map { row in
            CaseAccess(
                tenant: TenantID(try row.decode("tenant_id", as: UUID.self)),
                account: try row.decode("account", as: String.self),
                command: try row.decode("command", as: String.self),
                caseID: try row.decode("case_id", as: UUID?.self), cases: try row.decode("cases", as: Int.self),
                accessedAt: try row.decode("accessed_at", as: Int64.self))
        }
    }

    /// Erases the entries whose deletion rule (`years` whole years after their year) has come; returns how many.
    public static func eraseExpired(_ tx: SystemTransaction, years: Int) async throws -> Int {
        try await tx.query("SELECT erase_expired_access_log(\(years))::bigint AS erased").single().decode(
            "erased", as: Int.self)
    }
}
