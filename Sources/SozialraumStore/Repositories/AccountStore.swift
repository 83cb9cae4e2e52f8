import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Accounts of the admin socket: who may log in as which tenant and role. Only hashes of secrets are
/// stored (scrypt, each with its salt and cost).
public enum AccountStore {
    /// An account with what a login checks.
    public struct Credentials: Sendable {
        public var name: String
        public var tenant: TenantID
        public var role: Role
        public var secretHash: [UInt8]
        public var salt: [UInt8]
        public var scryptRounds: Int
        /// A county account's rights (sql/0020); empty for other roles. When set: nil keeps an existing
        /// account's rights and gives a new county account all of them.
        public var rights: Set<CountyRight>?

        public init(
            name: String, tenant: TenantID, role: Role, secretHash: [UInt8], salt: [UInt8], scryptRounds: Int,
            rights: Set<CountyRight>? = nil
        ) {
            self.rights = role == .county ? rights : []
            self.name = name
            self.tenant = tenant
            self.role = role
            self.secretHash = secretHash
            self.salt = salt
            self.scryptRounds = scryptRounds
        }
    }

    /// The kind of a tenant the caller may see, or nil.
    public static func tenantKind(_ tx: TenantTransaction, _ tenant: TenantID) async throws -> TenantKind? {
        try await tx.query("SELECT kind FROM tenant WHERE id = $1", [tenant.uuid]).first?.decode(0, as: TenantKind.self)
    }

    /// Creates an account or gives it a new secret (and role), enabling it again. Returns false when the
    /// name belongs to an account of another tenant: an account never changes tenant.
    public static func set(_ tx: TenantTransaction, _ account: Credentials) async throws -> Bool {
        try await tx.execute(
            """
            INSERT INTO account (name, tenant_id, role, secret_hash, salt, scrypt_n, rights)
            VALUES ($1, $2, $3, $4, $5, $6, string_to_array(coalesce($7, 'case,certify,order,controller'), ','))
            ON CONFLICT (name) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, salt = EXCLUDED.salt, scrypt_n = EXCLUDED.scrypt_n,
                rotated_at = now(), role = EXCLUDED.role, disabled = false,
                rights = CASE WHEN $7 IS NULL AND EXCLUDED.role = 'county' AND account.role = 'county' THEN account.rights
                              WHEN EXCLUDED.role <> 'county' THEN '{}' ELSE EXCLUDED.rights END
            WHERE account.tenant_id = EXCLUDED.tenant_id
            """,
            [
                account.name, account.tenant.uuid, account.role.rawValue, PostgresBytes(account.secretHash),
                PostgresBytes(account.salt),
                account.scryptRounds, account.rights.map { $0.sorted().map(\.rawValue).joined(separator: ",") },
            ]) == 1
    }

    /// The enabled account of `name` with its secret's hash, or nil. Before a login no tenant is known, and
    /// the account table is under row-level security: the owner's `account_for_login` finds the one row.
    public static func credentials(_ store: Store, name: String) async throws -> Credentials? {
        try await store.withoutTenant(readOnly: true) { tx in
            try await tx.query(
                "SELECT name, tenant_id, role, secret_hash, salt, scrypt_n, array_to_string(rights, ',') FROM account_for_login($1)",
                [name]
            ).first.map { row in
                Credentials(
                    name: try row.decode(0, as: String.self), tenant: TenantID(try row.decode(1, as: UUID.self)),
                    role: try row.decode(2, as: Role.self), secretHash: try row.decode(3, as: PostgresBytes.self).bytes,
                    salt: try row.decode(4, as: PostgresBytes.self).bytes,
                    scryptRounds: try row.decode(5, as: Int.self),
                    rights: CountyRight.parseList(try row.decode(6, as: String.self)) ?? [])
            }
        }
    }

    /// Every account the caller may see (the county: all), with its rights; never a secret.
    public static func accounts(_ tx: TenantTransaction) async throws -> [AccountListing] {
        try await tx.query(
            """
            SELECT a.name, t.name, a.role, array_to_string(a.rights, ','), a.disabled
            FROM account a JOIN tenant t ON t.id = a.tenant_id ORDER BY a.name
            """
        ).map {
            AccountListing(
                name: try $0.decode(0, as: String.self), tenant: try $0.decode(1, as: String.self),
                role: try $0.decode(2, as: Role.self),
                rights: CountyRight.parseList(try $0.decode(3, as: String.self)) ?? [],
                disabled: try $0.decode(4, as: Bool.self))
        }
    }
}
