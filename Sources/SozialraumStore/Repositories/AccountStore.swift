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
        /// Bumped by every new secret and by disabling: sessions of an older generation end (sql/0029).
        public var generation: Int64 = 1
        /// The account's own choice of language (sql/0039); nil: the county's `interface.language`.
        public var language: Language? = nil

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
        try await tx.query("SELECT kind FROM tenant WHERE id = \(tenant.uuid)").first?.decode(
            "kind", as: TenantKind.self)
    }

    /// Creates an account or gives it a new secret (and role), enabling it again. Returns false when the
    /// name belongs to an account of another tenant: an account never changes tenant.
    public static func set(_ tx: TenantTransaction, _ account: Credentials) async throws -> Bool {
        let rights = account.rights.map { $0.sorted().map(\.rawValue).joined(separator: ",") }
        return try await tx.execute(
            """
            INSERT INTO account (name, tenant_id, role, secret_hash, salt, scrypt_n, rights)
            VALUES (\(account.name), \(account.tenant.uuid), \(account.role.rawValue), \(PostgresBytes(account.secretHash)), \(PostgresBytes(account.salt)), \(account.scryptRounds), string_to_array(coalesce(\(rights), 'case,certify,order,controller'), ','))
            ON CONFLICT (name) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, salt = EXCLUDED.salt, scrypt_n = EXCLUDED.scrypt_n,
                rotated_at = now(), role = EXCLUDED.role, disabled = false, generation = account.generation + 1,
                rights = CASE WHEN \(rights)::text IS NULL AND EXCLUDED.role = 'county' AND account.role = 'county' THEN account.rights
                              WHEN EXCLUDED.role <> 'county' THEN '{}' ELSE EXCLUDED.rights END
            WHERE account.tenant_id = EXCLUDED.tenant_id
            """) == 1
    }

    /// The enabled account of `name` with its secret's hash, or nil. Before a login no tenant is known, and
    /// the account table is under row-level security: the owner's `account_for_login` finds the one row.
    public static func credentials(_ store: Store, name: String) async throws -> Credentials? {
        try await store.withoutTenant(readOnly: true) { tx in
            try await tx.query(
                """
                SELECT name, tenant_id, role, secret_hash, salt, scrypt_n, array_to_string(rights, ',') AS rights, generation,
                       language
                FROM account_for_login(\(name))
                """
            ).first.map { row in
                var credentials = Credentials(
                    name: try row.decode("name", as: String.self),
                    tenant: TenantID(try row.decode("tenant_id", as: UUID.self)),
                    role: try row.decode("role", as: Role.self),
                    secretHash: try row.decode("secret_hash", as: PostgresBytes.self).bytes,
                    salt: try row.decode("salt", as: PostgresBytes.self).bytes,
                    scryptRounds: try row.decode("scrypt_n", as: Int.self),
                    rights: CountyRight.parseList(try row.decode("rights", as: String.self)) ?? [])
                credentials.generation = try row.decode("generation", as: Int64.self)
                credentials.language = try row.decode("language", as: String?.self).flatMap(Language.init)
                return credentials
            }
        }
    }

    /// The enabled account of `name` as it stands now (rights, generation), without its secret: the check
    /// before every command, in one pipelined round trip.
    public static func current(_ store: Store, name: String) async throws -> Credentials? {
        try await store.readWithoutTenant(
            PostgresQuery(
                """
                SELECT name, tenant_id, role, array_to_string(rights, ',') AS rights, generation, language
                FROM account_for_login(\(name))
                """)
        ).first.map { row in
            var credentials = Credentials(
                name: try row.decode("name", as: String.self),
                tenant: TenantID(try row.decode("tenant_id", as: UUID.self)),
                role: try row.decode("role", as: Role.self), secretHash: [], salt: [], scryptRounds: 0,
                rights: CountyRight.parseList(try row.decode("rights", as: String.self)) ?? [])
            credentials.generation = try row.decode("generation", as: Int64.self)
            credentials.language = try row.decode("language", as: String?.self).flatMap(Language.init)
            return credentials
        }
    }

    /// Every account the caller may see (the county: all), with its rights; never a secret.
    public static func accounts(_ tx: TenantTransaction) async throws -> [AccountListing] {
        try await tx.query(
            """
            SELECT a.name, t.name AS tenant, a.role, array_to_string(a.rights, ',') AS rights, a.disabled
            FROM account a JOIN tenant t ON t.id = a.tenant_id ORDER BY a.name
            """
        ).map {
            AccountListing(
                name: try $0.decode("name", as: String.self), tenant: try $0.decode("tenant", as: String.self),
                role: try $0.decode("role", as: Role.self),
                rights: CountyRight.parseList(try $0.decode("rights", as: String.self)) ?? [],
                disabled: try $0.decode("disabled", as: Bool.self))
        }
    }

    // MARK: Administration under four eyes (sql/0029)

    /// An account as administration sees it: tenant, role, rights, whether disabled.
    public struct Administered: Sendable, Equatable {
        public var name: String
        public var tenant: TenantID
        public var role: Role
        public var rights: Set<CountyRight>
        public var disabled: Bool
    }

    /// The account, locked until the transaction ends.
    public static func lock(_ tx: TenantTransaction, name: String) async throws -> Administered? {
        try await tx.query(
            "SELECT name, tenant_id, role, array_to_string(rights, ',') AS rights, disabled FROM account WHERE name = \(name) FOR UPDATE"
        ).first.map {
            Administered(
                name: try $0.decode("name", as: String.self),
                tenant: TenantID(try $0.decode("tenant_id", as: UUID.self)),
                role: try $0.decode("role", as: Role.self),
                rights: CountyRight.parseList(try $0.decode("rights", as: String.self)) ?? [],
                disabled: try $0.decode("disabled", as: Bool.self))
        }
    }

    /// A new account without rights (they come by an approved change), or nil when the name is taken.
    public static func create(
        _ tx: TenantTransaction, name: String, tenant: TenantID, role: Role, secretHash: [UInt8], salt: [UInt8],
        scryptRounds: Int
    ) async throws -> Bool {
        try await tx.execute(
            """
            INSERT INTO account (name, tenant_id, role, secret_hash, salt, scrypt_n, rights)
            VALUES (\(name), \(tenant.uuid), \(role.rawValue), \(PostgresBytes(secretHash)), \(PostgresBytes(salt)), \(scryptRounds), '{}') ON CONFLICT (name) DO NOTHING
            """) == 1
    }

    /// A new secret: every session under the old one ends.
    public static func rotate(
        _ tx: TenantTransaction, name: String, secretHash: [UInt8], salt: [UInt8], scryptRounds: Int
    ) async throws {
        try await tx.execute(
            """
            UPDATE account SET secret_hash = \(PostgresBytes(secretHash)), salt = \(PostgresBytes(salt)), scrypt_n = \(scryptRounds), rotated_at = now(), generation = generation + 1
            WHERE name = \(name)
            """)
    }

    /// The account's own choice of language; nil: the county's.
    public static func setLanguage(_ tx: TenantTransaction, name: String, language: Language?) async throws {
        try await tx.execute("UPDATE account SET language = \(language?.rawValue) WHERE name = \(name)")
    }

    public static func setRights(_ tx: TenantTransaction, name: String, rights: Set<CountyRight>) async throws {
        try await tx.execute(
            "UPDATE account SET rights = string_to_array(\(rights.sorted().map(\.rawValue).joined(separator: ",")), ',') WHERE name = \(name)"
        )
    }

    /// Disables (ending its sessions) or enables an account.
    public static func setDisabled(_ tx: TenantTransaction, name: String, disabled: Bool) async throws {
        try await tx.execute(
            """
            UPDATE account SET disabled = \(disabled), generation = generation + CASE WHEN \(disabled) THEN 1 ELSE 0 END
            WHERE name = \(name) AND disabled <> \(disabled)
            """)
    }

    /// A requested change of an account's rights, pending until a second holder of `accounts` decides.
    public static func requestChange(
        _ tx: TenantTransaction, county: TenantID, name: String, rights: Set<CountyRight>, requestedBy: String,
        pendingDays: Int, requestID: String?
    ) async throws -> (id: Int64, expiresOn: Day) {
        let row = try await tx.query(
            """
            INSERT INTO account_change (tenant_id, account_name, rights, requested_by, expires_on, request_id)
            VALUES (\(county.uuid), \(name), string_to_array(\(rights.sorted().map(\.rawValue).joined(separator: ",")), ','), \(requestedBy), current_date + \(pendingDays)::int, \(requestID)) RETURNING id, expires_on
            """
        ).single()
        return (try row.decode("id", as: Int64.self), try row.day("expires_on"))
    }

    /// A pending, unexpired change of the account to exactly `rights` (a repeated request finds it).
    public static func pendingChange(
        _ tx: TenantTransaction, name: String, rights: Set<CountyRight>
    ) async throws -> (id: Int64, expiresOn: Day)? {
        try await tx.query(
            """
            SELECT id, expires_on FROM account_change
            WHERE account_name = \(name) AND state = 'pending' AND expires_on >= current_date
              AND rights @> string_to_array(\(rights.sorted().map(\.rawValue).joined(separator: ",")), ',') AND rights <@ string_to_array(\(rights.sorted().map(\.rawValue).joined(separator: ",")), ',')
            ORDER BY id LIMIT 1
            """
        ).first.map { (try $0.decode("id", as: Int64.self), try $0.day("expires_on")) }
    }

    public typealias Change = AccountChange

    static func change(from row: PostgresRow) throws -> Change {
        Change(
            id: try row.decode("id", as: Int64.self), account: try row.decode("account_name", as: String.self),
            rights: CountyRight.parseList(try row.decode("rights", as: String.self)) ?? [],
            requestedBy: try row.decode("requested_by", as: String.self),
            requestedAt: try row.decode("requested_at_local", as: String.self),
            expiresOn: try row.day("expires_on"), state: try row.decode("state", as: String.self),
            decidedBy: try row.decode("decided_by", as: String?.self))
    }

    /// Whether the change's day has passed (the database's date).
    public static func isExpired(_ tx: TenantTransaction, _ change: Change) async throws -> Bool {
        try await tx.query("SELECT \(change.expiresOn)::date < current_date").single().value(as: Bool.self)
    }

    /// How many enabled county accounts hold `accounts`: two or more put administration under four eyes.
    public static func administrators(_ tx: TenantTransaction) async throws -> Int {
        try await tx.query("SELECT account_administrators('')::int").single().value(as: Int.self)
    }

    /// The change, locked until the transaction ends.
    public static func lockChange(_ tx: TenantTransaction, id: Int64) async throws -> Change? {
        try await tx.query(
            """
            SELECT id, account_name, array_to_string(rights, ',') AS rights, requested_by,
                   local_time(requested_at) AS requested_at_local, expires_on, state, decided_by
            FROM account_change WHERE id = \(id) FOR UPDATE
            """
        ).first.map(change(from:))
    }

    public static func changes(_ tx: TenantTransaction, limit: Int = 200) async throws -> [Change] {
        try await tx.query(
            """
            SELECT id, account_name, array_to_string(rights, ',') AS rights, requested_by,
                   local_time(requested_at) AS requested_at_local, expires_on, state, decided_by
            FROM account_change ORDER BY id DESC LIMIT \(limit)
            """
        ).map(change(from:))
    }

    /// Decides a pending change: `approved` (then the caller sets the rights in the same transaction, which
    /// the database requires), `rejected` with a reason, or `expired`.
    public static func decideChange(
        _ tx: TenantTransaction, id: Int64, state: String, by account: String?, reason: String?
    ) async throws {
        try await tx.execute(
            """
            UPDATE account_change SET state = \(state), decided_by = \(account)::text,
                   decided_at = CASE WHEN \(account)::text IS NULL THEN NULL ELSE now() END, decision_reason = \(reason)::text
            WHERE id = \(id)
            """)
    }

    // MARK: Limits on ordering (Anordnungsbefugnis)

    /// An orderer's limit per order and the Sozialräume it may order for (nil: none).
    public static func orderingLimits(
        _ tx: TenantTransaction, name: String
    ) async throws -> (limit: Money?, scope: [SocialSpaceCode]?) {
        guard
            let row = try await tx.query(
                "SELECT order_limit, array_to_string(order_scope, ',') AS order_scope FROM account WHERE name = \(name)"
            ).first
        else { return (nil, nil) }
        return (
            try row.decode("order_limit", as: Int64?.self).map(Money.init(cents:)),
            try row.decode("order_scope", as: String?.self).map {
                $0.split(separator: ",").compactMap { SocialSpaceCode(String($0)) }
            }
        )
    }

    public static func setOrderingLimits(
        _ tx: TenantTransaction, name: String, limit: Money?, scope: [SocialSpaceCode]?
    ) async throws {
        let codes = scope.map { $0.map(\.rawValue).sorted().joined(separator: ",") }
        try await tx.execute(
            "UPDATE account SET order_limit = \(limit?.cents), order_scope = string_to_array(\(codes), ',') WHERE name = \(name)"
        )
    }
}
