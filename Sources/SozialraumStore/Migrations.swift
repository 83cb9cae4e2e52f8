import Logging
import PostgresClient

/// One plain-SQL migration from `sql/`, compiled into the binary by the EmbedMigrations plugin.
public struct Migration: Sendable, Equatable {
    /// The number before the first `_` of the file name (`0001_foundation.sql` → 1).
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// The migrations this binary carries, in order.
    public static let all: [Migration] = EmbeddedMigrations.files.map { file in
        let number = file.name.prefix { $0.isNumber }
        guard let version = Int(number), !number.isEmpty else {
            preconditionFailure("migration file \(file.name) must start with a number")
        }
        return Migration(version: version, name: file.name, sql: file.sql)
    }
}

/// Applies pending migrations and tells whether a database's schema matches this binary.
public struct Migrator: Sendable {
    public let migrations: [Migration]
    private let logger: Logger
    /// Key of the session advisory lock that serialises concurrent `migrate` runs.
    static let lockKey: Int64 = 0x536f_7a69_616c  // "Sozial"

    /// The county's roles: the migrations' GRANTs name them (the checksums are of the files as shipped).
    private let roles: DatabaseRoles.Names

    public init(migrations: [Migration] = Migration.all, logger: Logger, roles: DatabaseRoles.Names = .standard) {
        precondition(
            Set(migrations.map(\.version)).count == migrations.count, "two migrations share a version number")
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
        self.roles = roles
    }

    /// One applied migration as recorded in the database.
    struct Applied: Sendable {
        var version: Int
        var name: String
        var checksum: String
    }

    /// Applies every pending migration, each in its own transaction, as the owner role.
    /// Connect as a superuser or a member of `sozialraum_owner`. Safe to run concurrently.
    /// Returns the names of the migrations it applied.
    @discardableResult
    public func migrate(conninfo: String) async throws -> [String] {
        let connection = try await PostgresConnection.connect(conninfo: conninfo)
        try await connection.query(PostgresQuery("SELECT pg_advisory_lock(\(Self.lockKey))"))
        do {
            let applied = try await migrate(on: connection)
            try await connection.query(PostgresQuery("SELECT pg_advisory_unlock(\(Self.lockKey))"))
            return applied
        } catch {
            _ = try? await connection.query(PostgresQuery("SELECT pg_advisory_unlock(\(Self.lockKey))"))
            throw error
        }
    }

    private func migrate(on connection: PostgresConnection) async throws -> [String] {
        try await connection.query(PostgresQuery("SELECT set_config('role', \(roles.owner), false)"))
        try await connection.query(
            PostgresQuery("SELECT set_config('search_path', \(DatabaseRoles.schema), false)"))
        try await connection.runScript(
            unsafeSQL: """
                CREATE TABLE IF NOT EXISTS sozialraum.schema_migration (
                    version     integer PRIMARY KEY,
                    name        text NOT NULL,
                    checksum    text NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now()
                )
                """)
        let pending = try await verify(on: connection)
        var appliedNow: [String] = []
        for migration in pending {
            logger.info("applying migration", metadata: ["migration": "\(migration.name)"])
            try await connection.runScript(unsafeSQL: "BEGIN")
            do {
                try await connection.runScript(unsafeSQL: roles.rename(migration.sql))
                try await connection.query(
                    PostgresQuery(
                        "INSERT INTO sozialraum.schema_migration (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(try await checksum(of: migration, on: connection)))"
                    ))
                try await connection.runScript(unsafeSQL: "COMMIT")
            } catch {
                _ = try? await connection.runScript(unsafeSQL: "ROLLBACK")
                throw error
            }
            appliedNow.append(migration.name)
        }
        return appliedNow
    }

    /// Compares the database with this binary and returns the migrations still to apply.
    /// Throws when an applied migration was edited or is unknown to this binary.
    func verify(on connection: PostgresConnection) async throws -> [Migration] {
        let rows = try await connection.query(
            PostgresQuery("SELECT version, name, checksum FROM sozialraum.schema_migration ORDER BY version"))
        let applied = try rows.map { row in
            Applied(
                version: try row.decode("version", as: Int.self), name: try row.decode("name", as: String.self),
                checksum: try row.decode("checksum", as: String.self))
        }
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        let unknown = applied.filter { known[$0.version] == nil }.map(\.version)
        if !unknown.isEmpty { throw StoreError.schemaAhead(unknownVersions: unknown) }
        for record in applied {
            let migration = known[record.version]!
            if try await checksum(of: migration, on: connection) != record.checksum {
                throw StoreError.migrationModified(name: record.name)
            }
        }
        let appliedVersions = Set(applied.map(\.version))
        return migrations.filter { !appliedVersions.contains($0.version) }
    }

    /// Fails unless the schema is exactly what this binary expects. Works with the runtime role.
    public func requireCurrentSchema(on connection: PostgresConnection) async throws {
        let exists = try await connection.query(
            PostgresQuery("SELECT to_regclass('sozialraum.schema_migration') IS NOT NULL")
        ).single().value(as: Bool.self)
        guard exists else { throw StoreError.schemaBehind(pending: migrations.map(\.name)) }
        let pending = try await verify(on: connection)
        if !pending.isEmpty { throw StoreError.schemaBehind(pending: pending.map(\.name)) }
    }

    /// SHA-256 of the file text, computed by the server (no crypto library needed here).
    private func checksum(of migration: Migration, on connection: PostgresConnection) async throws -> String {
        try await connection.query(
            PostgresQuery("SELECT encode(sha256(convert_to(\(migration.sql), 'UTF8')), 'hex')")
        ).single().value(as: String.self)
    }
}
