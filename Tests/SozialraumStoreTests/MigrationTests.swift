import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import SozialraumTestSupport
import Testing

@testable import SozialraumStore

@Suite struct MigrationTests {
    let logger = Logger(label: "test.migrate")

    func appliedVersions(_ database: TestDatabase) async throws -> [Int] {
        let admin = try await database.superuserConnection()
        return try await admin.query(PostgresQuery(unsafeSQL: "SELECT version FROM schema_migration ORDER BY version"))
            .map { try $0.decode(0, as: Int.self) }
    }

    @Test func migratingAnUpToDateDatabaseDoesNothing() async throws {
        let database = try await TestCluster.shared.freshDatabase(prefix: "mig")
        let applied = try await Migrator(logger: logger).migrate(conninfo: database.superuserConninfo)
        #expect(applied == [])
        #expect(try await appliedVersions(database) == Migration.all.map(\.version))
        try await database.runtimeStore().requireCurrentSchema()
    }

    @Test func twoConcurrentMigrationsApplyEachFileOnce() async throws {
        let database = try await TestCluster.shared.unmigratedDatabase()
        let migrator = Migrator(logger: logger)
        async let first = migrator.migrate(conninfo: database.superuserConninfo)
        async let second = migrator.migrate(conninfo: database.superuserConninfo)
        let (a, b) = try await (first, second)
        #expect((a + b).sorted() == Migration.all.map(\.name).sorted())
        #expect(a.isEmpty || b.isEmpty, "one run must find the work done by the other")
        #expect(try await appliedVersions(database) == Migration.all.map(\.version))
    }

    @Test func anEditedMigrationIsRefusedByMigrateAndServe() async throws {
        let database = try await TestCluster.shared.freshDatabase(prefix: "mig")
        let admin = try await database.superuserConnection()
        try await admin.query(
            PostgresQuery(
                unsafeSQL: "UPDATE schema_migration SET checksum = 'edited' WHERE version = $1",
                [Migration.all[0].version]))
        let migrateError = await #expect(throws: StoreError.self) {
            try await Migrator(logger: logger).migrate(conninfo: database.superuserConninfo)
        }
        #expect(migrateError == .migrationModified(name: Migration.all[0].name))
        #expect(migrateError?.description.contains("new migration") == true)
        await #expect(throws: StoreError.migrationModified(name: Migration.all[0].name)) {
            try await database.runtimeStore().requireCurrentSchema()
        }
    }

    @Test func aSchemaAheadOfTheBinaryIsRefused() async throws {
        let database = try await TestCluster.shared.freshDatabase(prefix: "mig")
        let admin = try await database.superuserConnection()
        try await admin.query(
            PostgresQuery(
                unsafeSQL:
                    "INSERT INTO schema_migration (version, name, checksum) VALUES (9999, '9999_future.sql', 'x')"))
        let error = await #expect(throws: StoreError.self) {
            try await database.runtimeStore().requireCurrentSchema()
        }
        #expect(error == .schemaAhead(unknownVersions: [9999]))
        #expect(error?.description.contains("upgrade sozialraumd") == true)
    }

    @Test func aSchemaBehindTheBinaryNamesWhatToRun() async throws {
        let database = try await TestCluster.shared.freshDatabase(prefix: "mig")
        let newer = Migration(version: 9000, name: "9000_newer.sql", sql: "CREATE TABLE sozialraum.newer (a int)")
        let migrator = Migrator(migrations: Migration.all + [newer], logger: logger)
        let connection = try await PostgresConnection.connect(
            conninfo: database.runtimeConninfo, sessionParameters: DatabaseRoles.sessionParameters)
        let error = await #expect(throws: StoreError.self) {
            try await migrator.requireCurrentSchema(on: connection)
        }
        #expect(error == .schemaBehind(pending: ["9000_newer.sql"]))
        #expect(error?.description.contains("sozialraumd migrate") == true)

        #expect(try await migrator.migrate(conninfo: database.superuserConninfo) == ["9000_newer.sql"])
        try await migrator.requireCurrentSchema(on: connection)
    }

    @Test func aFailingMigrationLeavesNoTrace() async throws {
        let database = try await TestCluster.shared.freshDatabase(prefix: "mig")
        let broken = Migration(
            version: 9001, name: "9001_broken.sql",
            sql: "CREATE TABLE sozialraum.half_done (a int); SELECT 1 / 0;")
        await #expect(throws: PostgresError.self) {
            try await Migrator(migrations: Migration.all + [broken], logger: logger).migrate(
                conninfo: database.superuserConninfo)
        }
        let admin = try await database.superuserConnection()
        #expect(
            try await admin.query(PostgresQuery(unsafeSQL: "SELECT to_regclass('sozialraum.half_done') IS NULL"))
                .single().decode(
                    0, as: Bool.self))
        #expect(try await appliedVersions(database) == Migration.all.map(\.version))
    }

    @Test func migrationsAreNumberedInOrderWithoutGaps() {
        #expect(Migration.all.map(\.version) == Array(1...Migration.all.count))
        #expect(Migration.all.allSatisfy { $0.name.hasSuffix(".sql") && !$0.sql.isEmpty })
    }
}

@Suite struct RuntimeRoleTests {
    @Test func theRuntimeLoginIsSafe() async throws {
        let database = try await TestCluster.shared.freshDatabase(prefix: "role")
        let problems = try await database.runtimeStore().pool.withConnection {
            try await RuntimeRoleCheck.problems(on: $0)
        }
        #expect(problems == [])
        // The check itself can fail: the superuser of the same database has problems.
        let superuser = Store(conninfo: database.superuserConninfo, logger: Logger(label: "t"))
        #expect(try await superuser.pool.withConnection { try await RuntimeRoleCheck.problems(on: $0) } != [])
    }

    /// Creates a login role with `options` and returns its conninfo for `database`.
    func login(_ options: String, in database: TestDatabase) async throws -> String {
        let name = "risky_\(UInt32.random(in: 0...UInt32.max))"
        let admin = try await database.superuserConnection()
        try await admin.runScript(unsafeSQL: "CREATE ROLE \(name) LOGIN \(options)")
        return database.cluster.conninfo(database: database.name, user: name)
    }

    @Test func aSuperuserIsRefused() async throws {
        let database = try await TestCluster.shared.freshDatabase(prefix: "role")
        let store = Store(conninfo: database.superuserConninfo, logger: Logger(label: "t"))
        let error = await #expect(throws: StoreError.self) { try await store.requireSafeRuntimeRole() }
        #expect(error?.description.contains("superuser") == true)
    }

    @Test(arguments: [
        ("BYPASSRLS IN ROLE sozialraum_runtime", "BYPASSRLS"),
        ("IN ROLE sozialraum_owner", "member of sozialraum_owner"),
    ])
    func unsafeRolesAreRefused(options: String, reason: String) async throws {
        let database = try await TestCluster.shared.freshDatabase(prefix: "role")
        let store = Store(conninfo: try await login(options, in: database), logger: Logger(label: "t"))
        let error = await #expect(throws: StoreError.self) { try await store.requireSafeRuntimeRole() }
        #expect(error?.description.contains(reason) == true)
    }

    @Test func aRoleThatOwnsATableOrMayTruncateIsRefused() async throws {
        let database = try await TestCluster.shared.freshDatabase(prefix: "role")
        let conninfo = try await login("IN ROLE sozialraum_runtime", in: database)
        let admin = try await database.superuserConnection()
        let role = conninfo.split(separator: "'").last { $0.hasPrefix("risky_") }.map(String.init)!
        try await admin.runScript(
            unsafeSQL:
                "GRANT TRUNCATE ON sozialraum.tenant_setting TO \(role); CREATE TABLE public.mine (a int); ALTER TABLE public.mine OWNER TO \(role)"
        )
        let error = await #expect(throws: StoreError.self) {
            try await Store(conninfo: conninfo, logger: Logger(label: "t")).requireSafeRuntimeRole()
        }
        #expect(error?.description.contains("TRUNCATE") == true)
        #expect(error?.description.contains("owns database objects") == true)
    }
}
