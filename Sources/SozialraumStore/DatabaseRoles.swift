import PostgresClient

/// Roles, schema and the one-time setup a superuser (or a role with CREATEROLE) runs.
///
/// - `sozialraum_owner` (NOLOGIN): owns the schema and every object; migrations run as it
///   (`SET ROLE`). Forced RLS applies to it too.
/// - `sozialraum_runtime` (NOLOGIN): the privileges the daemon needs, nothing more.
/// - the login role of the daemon (default `sozialraum_app`): LOGIN, NOSUPERUSER, NOBYPASSRLS, member
///   of `sozialraum_runtime` only, owns nothing.
///
/// Counties sharing one PostgreSQL cluster (a municipal data centre) each have roles of their own, named by a
/// prefix (`database.rolePrefix`, e.g. `verden` → `verden_owner`, `verden_runtime`, `verden_app`): one
/// county's runtime role has no CONNECT on another's database and no USAGE on its schema. The migrations
/// name the standard roles; `Names.rename` gives them the county's names as they are applied.
public enum DatabaseRoles {
    public static let schema = "sozialraum"
    public static let owner = Names.standard.owner
    public static let runtime = Names.standard.runtime
    public static let defaultLogin = Names.standard.defaultLogin

    /// The roles of one county's database.
    public struct Names: Sendable, Equatable {
        public let prefix: String
        public var owner: String { "\(prefix)_owner" }
        public var runtime: String { "\(prefix)_runtime" }
        public var defaultLogin: String { "\(prefix)_app" }

        public static let standard = Names(validated: "sozialraum")

        private init(validated prefix: String) { self.prefix = prefix }

        /// A prefix of lowercase letters, digits and `_`, starting with a letter, at most 40 characters.
        public init(prefix: String) throws(StoreError) {
            guard PostgresIdentifier.isPlain(prefix), prefix.count <= 40, prefix.first?.isLetter == true else {
                throw StoreError.invalidIdentifier(prefix)
            }
            self.prefix = prefix
        }

        /// `sql` with the standard role names the migrations use replaced by these.
        public func rename(_ sql: String) -> String {
            guard self != .standard else { return sql }
            return sql.replacing(/\bsozialraum_(owner|runtime)\b/) { match in "\(prefix)_\(match.1)" }
        }
    }

    /// Session settings of every store connection.
    public static let sessionParameters = [SessionParameter("search_path", schema)]

    /// Identifiers cannot be `$n` parameters; names are therefore restricted to plain lowercase
    /// identifiers and then double-quoted.
    public static func isPlainIdentifier(_ name: String) -> Bool { PostgresIdentifier.isPlain(name) }

    static func quoted(_ name: String) throws(StoreError) -> String {
        guard isPlainIdentifier(name) else { throw StoreError.invalidIdentifier(name) }
        return "\"\(name)\""
    }

    /// Creates `database` if it does not exist. Run connected to a maintenance database.
    public static func createDatabaseIfMissing(_ database: String, on connection: PostgresConnection) async throws {
        let name = try quoted(database)
        if try await !databaseExists(database, on: connection) {
            try await connection.runScript(unsafeSQL: "CREATE DATABASE \(name) ENCODING 'UTF8' TEMPLATE template0")
        }
    }

    /// Creates the roles (idempotent), the schema owned by the owner role, and the privileges of the
    /// runtime role on the database. Run connected to the target database as a superuser.
    /// `loginRole` gets LOGIN; its password is set by the DBA (`\password`), never by us.
    /// `schema: false` (a restore): roles and database privileges only; the dump brings the schema.
    public static func prepare(
        on connection: PostgresConnection, loginRole: String = defaultLogin, schema createSchema: Bool = true,
        roles: Names = .standard
    ) async throws {
        let login = try quoted(loginRole)
        let owner = roles.owner, runtime = roles.runtime
        let database = try quoted(
            try await connection.query(PostgresQuery("SELECT current_database()")).single()
                .decode("current_database", as: String.self))
        try await connection.runScript(
            unsafeSQL: """
                DO $$
                BEGIN
                    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '\(owner)') THEN
                        CREATE ROLE \(owner) NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
                    END IF;
                    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '\(runtime)') THEN
                        CREATE ROLE \(runtime) NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
                    END IF;
                    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '\(loginRole)') THEN
                        CREATE ROLE \(login) LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION
                            IN ROLE \(runtime);
                    END IF;
                END
                $$;
                REVOKE ALL ON DATABASE \(database) FROM PUBLIC;
                GRANT CONNECT, TEMPORARY ON DATABASE \(database) TO \(owner), \(runtime);
                REVOKE CREATE ON SCHEMA public FROM PUBLIC;
                """)
        guard createSchema else { return }
        try await connection.runScript(
            unsafeSQL: """
                CREATE SCHEMA IF NOT EXISTS \(schema) AUTHORIZATION \(owner);
                GRANT USAGE ON SCHEMA \(schema) TO \(runtime);
                """)
    }

    /// Whether `database` exists (run connected to a maintenance database).
    public static func databaseExists(_ database: String, on connection: PostgresConnection) async throws -> Bool {
        try await !connection.query(PostgresQuery("SELECT 1 FROM pg_database WHERE datname = \(database)")).isEmpty
    }

    /// After a restore: the scheduler instances of the dumped database are not alive here (a dump made
    /// without `--exclude-table-data` carries them).
    public static func forgetSchedulerInstances(on connection: PostgresConnection) async throws {
        try await connection.runScript(unsafeSQL: "DELETE FROM sozialraum.scheduler_instance")
    }
}

/// Errors of the store layer that are not plain database errors.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidIdentifier(String)
    case schemaBehind(pending: [String])
    case schemaAhead(unknownVersions: [Int])
    case migrationModified(name: String)
    case migrationMissing(name: String)
    case unsafeRuntimeRole(reasons: [String])

    public var description: String {
        switch self {
        case .invalidIdentifier(let name):
            "'\(name)' is not allowed as a name (lowercase letters, digits and _ only)"
        case .schemaBehind(let pending):
            "the database schema is behind this binary (pending: \(pending.joined(separator: ", "))); "
                + "run: sozialraumd migrate"
        case .schemaAhead(let versions):
            "the database schema is ahead of this binary (unknown migration versions: "
                + "\(versions.map(String.init).joined(separator: ", "))); upgrade sozialraumd"
        case .migrationModified(let name):
            "migration \(name) was changed after it was applied (checksum differs); restore the original "
                + "file and put the change into a new migration"
        case .migrationMissing(let name):
            "migration \(name) was applied but is not part of this binary; upgrade sozialraumd"
        case .unsafeRuntimeRole(let reasons):
            "refusing to run: the database login role is unsafe (\(reasons.joined(separator: "; ")))"
        }
    }
}

/// How a failed database call reads to the layers above, without their knowing the driver.
public enum DatabaseFailure {
    /// The SQLSTATE of a refusal by the server (e.g. `SZ001` from a trigger, `42501` from a policy).
    public static func sqlState(of error: any Error) -> String? {
        (error as? PostgresError)?.sqlState?.rawValue
    }

    /// The database could not be reached or no connection was free in time: worth a retry later.
    public static func isUnavailable(_ error: any Error) -> Bool {
        guard let error = error as? PostgresError else { return false }
        return error.isConnectionLevel || error.code == .poolTimeout
    }
}
