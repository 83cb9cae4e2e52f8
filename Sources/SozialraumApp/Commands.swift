import ArgumentParser
import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import ServiceLifecycle
import SozialraumInterfaces
import SozialraumServices
import SozialraumStore

/// `sozialraumd`: the daemon and its maintenance commands.
public struct SozialraumDaemonCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sozialraumd",
        abstract: "The social-space budget daemon of the youth-welfare office.",
        subcommands: [Serve.self, Migrate.self, Setup.self, CheckConfig.self],
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
        print("config ok: database \(settings.usesEmbeddedDatabase ? "embedded in \(settings.stateDirectory)" : "configured")")
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
        print("next: set a password for \(loginRole) (\\password \(loginRole) in psql) and put its conninfo into "
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
        try await Daemon(settings: settings, logger: logger).run()
    }
}

extension Settings {
    var ownerConninfo: String { databaseOwnerConninfo.isEmpty ? databaseConninfo : databaseOwnerConninfo }
}
