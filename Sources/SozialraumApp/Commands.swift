import ArgumentParser
import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import ServiceLifecycle
import SozialraumDomain
import SozialraumInterfaces
import SozialraumServices
import SozialraumStore

/// `sozialraumd`: the daemon and its maintenance commands.
public struct SozialraumDaemonCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sozialraumd",
        abstract: "The social-space budget daemon of the youth-welfare office.",
        subcommands: [Serve.self, Migrate.self, Setup.self, CheckConfig.self, User.self],
        defaultSubcommand: Serve.self)

    public init() {}

    /// Entry point for the executable, which stays free of any logic.
    public static func runMain() async { await main() }
}

/// Options every subcommand shares.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "Path of the JSON config file (see config/sozialraumd.json).")
    var config: String?

    func settings() async throws -> Settings {
        do {
            return try await Settings.load(file: config ?? ProcessInfo.processInfo.environment["SOZIALRAUM_CONFIG"])
        } catch let invalid as Settings.Invalid {
            throw ValidationError(invalid.description)
        }
    }
}

struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Validate the config file and environment; names the bad key.")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        let settings = try await options.settings()
        print(
            "config ok: database \(settings.usesEmbeddedDatabase ? "embedded in \(settings.stateDirectory)" : "configured")"
        )
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending schema migrations (as the owner; safe to run concurrently).")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        let settings = try await options.settings()
        DaemonLogHandler.bootstrap(level: settings.logLevel)
        let logger = Logger(label: "sozialraumd.migrate")
        guard !settings.usesEmbeddedDatabase else {
            throw ValidationError("no database.conninfo configured; the embedded database migrates itself on serve")
        }
        let applied = try await Migrator(logger: logger).migrate(conninfo: settings.ownerConninfo)
        print(applied.isEmpty ? "schema is current" : "applied: \(applied.joined(separator: ", "))")
    }
}

struct Setup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "First setup of a database: roles, schema, migrations, the county tenant.",
        discussion: "Run once with a superuser conninfo (e.g. as the postgres OS user over the local socket).")

    @OptionGroup var options: CommonOptions

    @Option(help: "Conninfo of a superuser for the target database.")
    var superuserConninfo: String

    @Option(help: "The login role the daemon will use.")
    var loginRole: String = DatabaseRoles.defaultLogin

    func run() async throws {
        let settings = try await options.settings()
        DaemonLogHandler.bootstrap(level: settings.logLevel)
        let logger = Logger(label: "sozialraumd.setup")
        let connection = try await PostgresConnection.connect(conninfo: superuserConninfo)
        try await DatabaseRoles.prepare(on: connection, loginRole: loginRole)
        let applied = try await Migrator(logger: logger).migrate(conninfo: superuserConninfo)
        let county = try await TenantRegistry.ensureCounty(name: settings.countyName, ownerConninfo: superuserConninfo)
        print("setup done: \(applied.count) migrations applied; county tenant \(county)")
        print(
            "next: set a password for \(loginRole) (\\password \(loginRole) in psql) and put its conninfo into "
                + "database.conninfo")
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the daemon (default). Without database.conninfo it runs a private embedded cluster.")

    @OptionGroup var options: CommonOptions

    @Option(help: "State directory (overrides the stateDirectory setting).")
    var stateDirectory: String?

    func run() async throws {
        var settings = try await options.settings()
        if let stateDirectory { settings.stateDirectory = stateDirectory }
        DaemonLogHandler.bootstrap(level: settings.logLevel)
        let logger = Logger(label: "sozialraumd")
        let options = self.options, stateDirectory = self.stateDirectory
        try await Daemon(settings: settings, logger: logger) {
            var reloaded = try await options.settings()
            if let stateDirectory { reloaded.stateDirectory = stateDirectory }
            return reloaded
        }.run()
    }
}

extension Settings {
    var ownerConninfo: String { databaseOwnerConninfo.isEmpty ? databaseConninfo : databaseOwnerConninfo }
}

/// `sozialraumd user set`: creates an admin-socket account or rotates its secret, from the shell of
/// the machine (county IT), with the daemon's own database access.
struct User: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage admin-socket accounts.",
        subcommands: [SetAccount.self])

    struct SetAccount: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Create an account or rotate its secret; prints the new token once.",
            discussion: "On the embedded default the daemon must be running (its cluster is used).")

        @OptionGroup var options: CommonOptions

        @Argument(help: "Account name (a-z, 0-9, '.', '_', '-').")
        var name: String

        @Option(help: "Tenant id, or 'county'.")
        var tenant: String

        @Option(help: "operator, county, provider or auditor.")
        var role: String

        func run() async throws {
            let settings = try await options.settings()
            DaemonLogHandler.bootstrap(level: .warning)
            let logger = Logger(label: "sozialraumd.user")
            guard let role = Role(rawValue: role) else {
                throw ValidationError("--role must be operator, county, provider or auditor")
            }
            let conninfo: String
            if settings.usesEmbeddedDatabase {
                let cluster = try EmbeddedPostgres(
                    directory: EmbeddedPostgres.clusterDirectory(forStateDirectory: settings.stateDirectory).url,
                    logger: logger)
                guard cluster.isRunning else {
                    throw ValidationError(
                        "the embedded database in \(settings.stateDirectory) is not running; start sozialraumd first")
                }
                conninfo = cluster.conninfo(database: EmbeddedSetup.database, user: DatabaseRoles.defaultLogin)
            } else {
                conninfo = settings.databaseConninfo
            }
            let store = Store(conninfo: conninfo, maxConnections: 1, logger: logger)
            defer { Task { await store.shutdown() } }
            guard let county = try await store.countyTenant() else {
                throw ValidationError("no county tenant: run sozialraumd setup first")
            }
            let tenantID: TenantID
            if tenant == "county" {
                tenantID = county
            } else {
                guard let id = TenantID(tenant) else {
                    throw ValidationError("--tenant must be a tenant id or 'county'")
                }
                tenantID = id
            }
            let token = AccountService.generateToken()
            do {
                try await AccountService(store: store, logger: logger).setAccount(
                    name: name, tenant: tenantID, role: role, secret: token, actingAs: county)
            } catch let error as ServiceError {
                throw ValidationError(error.description)
            }
            print("account \(name) set; its token (shown once): \(token)")
        }
    }
}
