import Logging
import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A transaction that acts for one tenant. Row-level security in PostgreSQL limits every statement
/// to what this tenant may see and write; the county's wider view comes from the policies.
///
/// Only the Store's repositories write SQL (`query`, `execute` are internal). Tests and benchmarks that
/// must reach past the repositories say so with the `unsafeSQL:` label.
public struct TenantTransaction: Sendable {
    public let tenant: TenantID
    let transaction: PostgresTransaction

    /// A statement; values interpolated into it are bound as parameters (`PostgresQuery`).
    @discardableResult
    func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try await transaction.query(query.sql, query.binds)
    }

    @discardableResult
    func execute(_ query: PostgresQuery) async throws -> Int {
        try await transaction.execute(query.sql, query.binds)
    }

    /// Turns JIT off for the rest of the transaction. Row-level security makes PostgreSQL overprice the
    /// big one-off statements of runs and statements (a policy's subquery priced into every row), past
    /// the JIT threshold: compiling them took longer than running them (Benchmarks/README.md, reconcile-year:
    /// deriving 1,500 items 1.9 s of JIT in 2.0 s).
    func turnOffJIT() async throws {
        try await transaction.execute("SET LOCAL jit = off")
    }

    @discardableResult
    func copyIn(_ sql: String, _ body: (PostgresCopyWriter) async throws -> Void) async throws -> Int {
        try await transaction.copyIn(sql, body)
    }

    /// Raw SQL for tests and benchmarks only; the daemon's SQL lives in the repositories.
    @discardableResult
    public func query(unsafeSQL sql: String, _ binds: [any PostgresEncodable] = []) async throws -> PostgresRows {
        try await transaction.query(sql, binds)
    }

    /// Raw SQL for tests and benchmarks only; the daemon's SQL lives in the repositories.
    @discardableResult
    public func execute(unsafeSQL sql: String, _ binds: [any PostgresEncodable] = []) async throws -> Int {
        try await transaction.execute(sql, binds)
    }
}

/// A transaction without tenant context (schema bookkeeping, the county designation, job slots): it
/// sees no tenant rows at all. Like `TenantTransaction`, its SQL is the repositories' only.
public struct SystemTransaction: Sendable {
    let transaction: PostgresTransaction

    /// A statement; values interpolated into it are bound as parameters (`PostgresQuery`).
    @discardableResult
    func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try await transaction.query(query.sql, query.binds)
    }

    @discardableResult
    func execute(_ query: PostgresQuery) async throws -> Int {
        try await transaction.execute(query.sql, query.binds)
    }

    /// Raw SQL for tests and benchmarks only; the daemon's SQL lives in the repositories.
    @discardableResult
    public func query(unsafeSQL sql: String, _ binds: [any PostgresEncodable] = []) async throws -> PostgresRows {
        try await transaction.query(sql, binds)
    }

    /// Raw SQL for tests and benchmarks only; the daemon's SQL lives in the repositories.
    @discardableResult
    public func execute(unsafeSQL sql: String, _ binds: [any PostgresEncodable] = []) async throws -> Int {
        try await transaction.execute(sql, binds)
    }
}

/// How busy the connection pool is.
public struct PoolUsage: Sendable, Equatable {
    /// Connections open, lent out or idle.
    public var open: Int
    public var idle: Int
    /// Callers waiting for a connection.
    public var waiting: Int
}

/// The database as the daemon uses it: a pool of runtime-role connections and the one way to set
/// tenant context.
public final class Store: Sendable {
    let pool: PostgresPool
    let logger: Logger

    /// The name of the setting the policies read.
    public static let tenantSetting = "sozialraum.tenant_id"

    public init(pool: PostgresPool, logger: Logger) {
        self.pool = pool
        self.logger = logger
    }

    /// Builds a pool whose connections use the store's session settings.
    public convenience init(
        conninfo: String, maxConnections: Int = 10, acquireTimeout: Duration = .seconds(10), logger: Logger
    ) {
        let configuration = PostgresPoolConfiguration(
            conninfo: conninfo, maxConnections: maxConnections, acquireTimeout: acquireTimeout,
            sessionParameters: DatabaseRoles.sessionParameters)
        self.init(pool: PostgresPool(configuration: configuration, logger: logger), logger: logger)
    }

    /// Runs `body` in a transaction acting for `tenant`. The context is set with
    /// `set_config(..., true)`, so it ends with the transaction and can never leak to the next user
    /// of the pooled connection. This is the only place tenant context is set. `seesRestricted`: the
    /// transaction sees restricted cases (sql/0035) whoever asks — for managing restrictions and erasing;
    /// otherwise only the data-protection officer's and auditors' requests see them.
    public func withTenant<T: Sendable>(
        _ tenant: TenantID, isolation: IsolationLevel = .readCommitted, readOnly: Bool = false,
        seesRestricted: Bool = false, _ body: (TenantTransaction) async throws -> T
    ) async throws -> T {
        try await pool.withTransaction(isolation: isolation, readOnly: readOnly) { transaction in
            let context = Self.contextStatement(tenant, seesRestricted: seesRestricted)
            try Self.verifyContext(try await transaction.query(context.sql, context.binds))
            return try await body(TenantTransaction(tenant: tenant, transaction: transaction))
        }
    }

    /// One read-only statement in the tenant's context, in a single round trip to the server: the
    /// transaction frame, `set_config(…, true)` and the statement go as one pipeline. For hot reads
    /// (e.g. `funds`); same isolation and RLS as `withTenant(readOnly: true)`.
    func readTenant(_ tenant: TenantID, _ query: PostgresQuery) async throws -> PostgresRows {
        let rows = try await pool.pipelinedRead([Self.contextStatement(tenant), query])
        try Self.verifyContext(rows[0])
        return rows[1]
    }

    /// One read-only statement without tenant context, in a single round trip (the frame as one pipeline):
    /// for the per-command account check, which must not cost a transaction of its own.
    func readWithoutTenant(_ query: PostgresQuery) async throws -> PostgresRows {
        try await pool.pipelinedRead([query])[0]
    }

    /// A transaction without tenant context: it sees no tenant rows at all. For tables that hold no
    /// tenant data (schema bookkeeping, the county designation, job slots).
    public func withoutTenant<T: Sendable>(
        isolation: IsolationLevel = .readCommitted, readOnly: Bool = false,
        _ body: (SystemTransaction) async throws -> T
    ) async throws -> T {
        try await pool.withTransaction(isolation: isolation, readOnly: readOnly) { transaction in
            try await body(SystemTransaction(transaction: transaction))
        }
    }

    /// How busy the connection pool is (for `status` and `stats`).
    public func poolUsage() async -> PoolUsage {
        let statistics = pool.statistics
        return PoolUsage(open: statistics.open, idle: statistics.idle, waiting: statistics.waiting)
    }

    /// Closes every pooled connection; waits for those lent out.
    public func shutdown() async { pool.shutdown() }

    /// Whether the database answers (for `status`).
    public func isReachable() async -> Bool {
        do {
            return try await withoutTenant(readOnly: true) { transaction in
                try await transaction.query("SELECT 1").single().value(as: Int.self) == 1
            }
        } catch {
            return false
        }
    }

    /// Fails unless the login role is safe: no superuser, no BYPASSRLS, owns nothing, cannot become
    /// the owner role, has no TRUNCATE.
    public func requireSafeRuntimeRole() async throws {
        let reasons = try await pool.withConnection { connection in
            try await RuntimeRoleCheck.problems(on: connection)
        }
        if !reasons.isEmpty { throw StoreError.unsafeRuntimeRole(reasons: reasons) }
    }

    /// Fails unless the database schema matches this binary.
    public func requireCurrentSchema() async throws {
        try await pool.withConnection { connection in
            try await Migrator(logger: logger).requireCurrentSchema(on: connection)
        }
    }

    /// The tenant the county acts as, if setup has registered it.
    public func countyTenant() async throws -> TenantID? {
        try await withoutTenant(readOnly: true) { transaction in
            let rows = try await transaction.query("SELECT tenant_id FROM county")
            return try rows.first.map { TenantID(try $0.decode("tenant_id", as: UUID.self)) }
        }
    }
}

enum RuntimeRoleCheck {
    static func problems(on connection: PostgresConnection) async throws -> [String] {
        let row = try await connection.query(
            PostgresQuery(
                """
                SELECT r.rolsuper,
                       r.rolbypassrls,
                       (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid)
                         + (SELECT count(*) FROM pg_namespace n WHERE n.nspowner = r.oid)
                         + (SELECT count(*) FROM pg_proc p WHERE p.proowner = r.oid
                              AND p.pronamespace <> 'pg_catalog'::regnamespace) AS owned,
                       (SELECT o.rolname FROM pg_namespace n JOIN pg_roles o ON o.oid = n.nspowner
                        WHERE n.nspname = \(DatabaseRoles.schema) AND pg_has_role(r.oid, o.oid, 'MEMBER')) AS owner_member,
                       EXISTS (SELECT 1 FROM pg_tables t WHERE t.schemaname = \(DatabaseRoles.schema)
                               AND has_table_privilege(r.oid, format('%I.%I', t.schemaname, t.tablename),
                                                       'TRUNCATE')) AS can_truncate
                FROM pg_roles r WHERE r.rolname = current_user
                """)
        ).single()
        var reasons: [String] = []
        if try row.decode("rolsuper", as: Bool.self) { reasons.append("it is a superuser") }
        if try row.decode("rolbypassrls", as: Bool.self) { reasons.append("it has BYPASSRLS") }
        if try row.decode("owned", as: Int.self) > 0 { reasons.append("it owns database objects") }
        // The schema's owner, whatever the county's roles are called (database.rolePrefix).
        if let owner = try row.decode("owner_member", as: String?.self) { reasons.append("it is a member of \(owner)") }
        if try row.decode("can_truncate", as: Bool.self) { reasons.append("it may TRUNCATE tables") }
        return reasons
    }
}
