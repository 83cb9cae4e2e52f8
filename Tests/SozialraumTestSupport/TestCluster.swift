import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import SozialraumStore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One private PostgreSQL cluster per test process, started on first use with the same mechanism
/// the daemon's embedded default uses, and stopped when the process exits. Each suite gets a fresh
/// database cloned from a migrated template, so no test needs a database set up by hand.
public actor TestCluster {
    public static let shared = TestCluster()

    public static let templateDatabase = "sozialraum_template"
    /// Started once; suites call in concurrently, and actor reentrancy would otherwise let each
    /// caller that arrives during the first start begin a cluster of its own.
    private var startup: Task<EmbeddedPostgres, any Error>?
    private var counter = 0
    public let logger = Logger(label: "test")

    /// The running cluster (starting it and building the template on first call).
    public func running() async throws -> EmbeddedPostgres {
        if let startup { return try await startup.value }
        let logger = self.logger
        let task = Task { try await Self.start(logger: logger) }
        startup = task
        return try await task.value
    }

    private static func start(logger: Logger) async throws -> EmbeddedPostgres {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("sozialraum-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let cluster = try EmbeddedPostgres(directory: directory, durable: false, maxConnections: 800, logger: logger)
        try cluster.start()
        TestClusterCleanup.register(cluster)
        let maintenance = try await PostgresConnection.connect(conninfo: cluster.conninfo(database: "postgres"))
        // A helper for client tests that need a statement failing with a chosen SQLSTATE.
        try await maintenance.runScript(
            unsafeSQL: """
                CREATE FUNCTION raise_sqlstate(code text) RETURNS void LANGUAGE plpgsql
                AS $$ BEGIN RAISE EXCEPTION 'forced failure' USING ERRCODE = code; END $$
                """)
        try await DatabaseRoles.createDatabaseIfMissing(Self.templateDatabase, on: maintenance)
        let template = try await PostgresConnection.connect(conninfo: cluster.conninfo(database: Self.templateDatabase))
        try await DatabaseRoles.prepare(on: template)
        try await Migrator(logger: logger).migrate(conninfo: cluster.conninfo(database: Self.templateDatabase))
        return cluster
    }

    /// A new database cloned from the migrated template.
    public func freshDatabase(prefix: String = "t") async throws -> TestDatabase {
        let cluster = try await running()
        counter += 1
        let name = "\(prefix)_\(counter)"
        let maintenance = try await PostgresConnection.connect(conninfo: cluster.conninfo(database: "postgres"))
        // Names are generated here from a fixed prefix and a counter, never from input.
        precondition(DatabaseRoles.isPlainIdentifier(name))
        try await maintenance.runScript(unsafeSQL: "CREATE DATABASE \"\(name)\" TEMPLATE \(Self.templateDatabase)")
        return TestDatabase(cluster: cluster, name: name)
    }
}

/// One test database and the conninfo strings of its roles.
public struct TestDatabase: Sendable {
    public let cluster: EmbeddedPostgres
    public let name: String

    /// As the cluster superuser (setup, fixtures, catalogue checks).
    public var superuserConninfo: String { cluster.conninfo(database: name) }
    /// As the daemon's runtime login role.
    public var runtimeConninfo: String { cluster.conninfo(database: name, user: DatabaseRoles.defaultLogin) }

    public func superuserConnection() async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            conninfo: superuserConninfo, sessionParameters: DatabaseRoles.sessionParameters)
    }

    /// As the superuser in the cluster's `postgres` database: for what PostgreSQL refuses to do to the
    /// database one is connected to (closing it to connections, an outage).
    public func maintenanceConnection() async throws -> PostgresConnection {
        try await PostgresConnection.connect(conninfo: cluster.conninfo(database: "postgres"))
    }

    public func runtimeStore(maxConnections: Int = 4) -> Store {
        Store(conninfo: runtimeConninfo, maxConnections: maxConnections, logger: Logger(label: "test.store"))
    }
}

/// Stops the cluster when the test process exits (atexit cannot capture context, hence a global).
public enum TestClusterCleanup {
    private static let clusters = Mutex<[EmbeddedPostgres]>([])

    public static func register(_ cluster: EmbeddedPostgres) {
        let first = clusters.withLock { list in
            list.append(cluster)
            return list.count == 1
        }
        guard first else { return }
        atexit {
            for cluster in TestClusterCleanup.clusters.withLock({ $0 }) {
                try? cluster.stop(immediate: true)
                try? FileManager.default.removeItem(at: cluster.directory)
            }
        }
    }
}

extension TestCluster {
    /// A database with roles and schema prepared but no migrations applied.
    public func unmigratedDatabase() async throws -> TestDatabase {
        let cluster = try await running()
        counter += 1
        let name = "empty_\(counter)"
        let maintenance = try await PostgresConnection.connect(conninfo: cluster.conninfo(database: "postgres"))
        try await DatabaseRoles.createDatabaseIfMissing(name, on: maintenance)
        let connection = try await PostgresConnection.connect(conninfo: cluster.conninfo(database: name))
        try await DatabaseRoles.prepare(on: connection)
        return TestDatabase(cluster: cluster, name: name)
    }

    /// A cluster of its own, for tests that stop or restart the server (the shared one serves
    /// suites running in parallel). Stopped at process exit like the shared one.
    public func isolatedCluster() async throws -> EmbeddedPostgres {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("sozialraum-iso-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let cluster = try EmbeddedPostgres(directory: directory, durable: false, logger: logger)
        try cluster.start()
        TestClusterCleanup.register(cluster)
        return cluster
    }
}
