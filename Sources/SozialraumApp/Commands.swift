import ArgumentParser
import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import ServiceLifecycle
import SozialraumDomain
import SozialraumInterfaces
import SozialraumProtocol
import SozialraumServices
import SozialraumStore

/// `sozialraumd`: the daemon and its maintenance commands.
public struct SozialraumDaemonCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sozialraumd",
        abstract: "The social-space budget daemon of the youth-welfare office.",
        version: SozialraumRelease.version,
        subcommands: [Serve.self, Migrate.self, Setup.self, Restore.self, CheckConfig.self, User.self],
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

/// Why `command` could not connect with the owner's conninfo, and what to run instead: the trap of running
/// `migrate` or `user set` as root while the owner logs in by peer authentication as `postgres`.
func ownerConnectionRefused(_ error: PostgresError, command: String, settings: Settings) -> ValidationError {
    let setting = settings.databaseOwnerConninfo.isEmpty ? "database.conninfo" : "database.ownerConninfo"
    let reason = (error.serverMessage ?? "\(error.code)").split(whereSeparator: \.isWhitespace).joined(separator: " ")
    return ValidationError(
        "cannot connect as the owner (\(setting)): \(reason). Run it as the OS user that role logs in as, e.g. "
            + "`sudo -u postgres sozialraumd \(command) …` for \"host=/run/postgresql … user=postgres\" "
            + "(peer authentication), or put that role's password in the caller's ~/.pgpass (docs/operations.md)")
}

struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Validate the config file and environment; names the bad key.")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        let settings = try await options.settings()
        if let tls = settings.adminTLSListener {
            do { try AdminServer.checkTLS(tls) } catch { throw ValidationError(error.description) }
        }
        if let tls = settings.portalListener?.tls {
            do { try AdminServer.checkTLS(tls, setting: "portal") } catch { throw ValidationError(error.description) }
        }
        print(
            "config ok: database \(settings.usesEmbeddedDatabase ? "embedded in \(settings.stateDirectory)" : "configured")"
                + (settings.adminTLSListener == nil ? "" : ", TLS certificate and key usable")
        )
        let retention = settings.retention
        print(
            "retention: case link \(retention.caseLinkYears) years after the year of the case's last booking, "
                + "accounting \(retention.accountingYears) years after its year, access log "
                + "\(retention.accessLogYears) years after its year (docs/data-protection.md)")
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
        let applied: [String]
        do {
            applied = try await Migrator(logger: logger, roles: settings.databaseRoles).migrate(
                conninfo: settings.ownerConninfo)
        } catch let error as PostgresError where error.code == .connectionFailed {
            throw ownerConnectionRefused(error, command: "migrate", settings: settings)
        } catch let error as PostgresError where error.sqlState == .insufficientPrivilege {
            // The runtime role may not change the schema: say which setting names the role that may.
            throw ValidationError(
                "not permitted to migrate as "
                    + (settings.databaseOwnerConninfo.isEmpty
                        ? "the role of database.conninfo (database.ownerConninfo is empty)"
                        : "the role of database.ownerConninfo")
                    + ": set database.ownerConninfo (SOZIALRAUM_DATABASE_OWNER_CONNINFO) to a role that is a member of "
                    + "\(DatabaseRoles.owner) or a superuser, e.g. \"host=/run/postgresql dbname=sozialraum user=postgres\", "
                    + "and run sozialraumd migrate as that OS user (docs/operations.md)")
        }
        print(applied.isEmpty ? "schema is current" : "applied: \(applied.joined(separator: ", "))")
    }
}

struct Setup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "First setup of a database: the database itself when missing, roles, schema, migrations, the county tenant, the help-type catalogue and the county's first account.",
        discussion:
            "Run once with a superuser conninfo (e.g. as the postgres OS user over the local socket). A new county starts empty (no demo data); everything after setup happens over the admin socket."
    )

    @OptionGroup var options: CommonOptions

    @Option(help: "Conninfo of a superuser for the target database (it is created when missing).")
    var superuserConninfo: String

    @Option(help: "The login role the daemon will use (default: <database.rolePrefix>_app).")
    var loginRole: String?

    @Option(help: "The county's first account (role county); its token is printed once. Empty: none.")
    var firstAccount: String = "controlling"

    @Option(
        help:
            "Two accounts for account administration (right accounts, Benutzerverwaltung), comma-separated: from then on every right is given under four eyes. Their tokens are printed once. Empty: none yet."
    )
    var accountAdministrators: String = ""

    func run() async throws {
        let settings = try await options.settings()
        DaemonLogHandler.bootstrap(level: settings.logLevel)
        let logger = Logger(label: "sozialraumd.setup")
        let roles = settings.databaseRoles
        let loginRole = self.loginRole ?? roles.defaultLogin
        let connection = try await Self.connectCreatingDatabase(superuserConninfo)
        try await DatabaseRoles.prepare(on: connection, loginRole: loginRole, roles: roles)
        let applied = try await Migrator(logger: logger, roles: roles).migrate(conninfo: superuserConninfo)
        let county = try await TenantRegistry.ensureCounty(
            name: settings.countyName, ownerConninfo: superuserConninfo, roles: roles)
        let store = Store(conninfo: superuserConninfo, maxConnections: 1, logger: logger)
        let services = UseCases(store: store, logger: logger, today: { CountyCalendar.today() })
        let setupCaller = Caller(tenant: county, role: .county, name: "setup")
        try await services.budget.loadHelpTypes(setupCaller)
        print("setup done: \(applied.count) migrations applied; county tenant \(county); help types loaded")
        if !firstAccount.isEmpty {
            if try await services.accounts.account(named: firstAccount) != nil {
                print("account \(firstAccount) exists already (rotate its token with: sozialraumd user set)")
            } else {
                let token = AccountService.generateToken()
                do {
                    try await services.accounts.setAccount(
                        name: firstAccount, tenant: county, role: .county, secret: token, actingAs: county,
                        actor: "county IT (sozialraumd setup)")
                } catch let error as ServiceError {
                    throw ValidationError("--first-account: \(error.description)")
                }
                print("account \(firstAccount) (role county) set; its token (shown once): \(token)")
            }
        }
        let administrators = accountAdministrators.split(separator: ",").map(String.init)
        guard administrators.isEmpty || (administrators.count == 2 && administrators[0] != administrators[1]) else {
            throw ValidationError("--account-administrators names two different accounts (four eyes)")
        }
        for name in administrators {
            if try await services.accounts.account(named: name) != nil {
                print("account \(name) exists already")
                continue
            }
            let token = AccountService.generateToken()
            do {
                try await services.accounts.setAccount(
                    name: name, tenant: county, role: .county, secret: token, actingAs: county, rights: [.accounts],
                    actor: "county IT (sozialraumd setup)")
            } catch let error as ServiceError {
                throw ValidationError("--account-administrators: \(error.description)")
            }
            print("account \(name) (role county, right accounts) set; its token (shown once): \(token)")
        }
        await store.shutdown()
        print(
            "next: set a password for \(loginRole) (\\password \(loginRole) in psql) and put its conninfo into "
                + "database.conninfo; then start the daemon and log in as \(firstAccount.isEmpty ? "a county account" : firstAccount)"
        )
    }

    /// Connects to the target database; when it does not exist, creates it from the maintenance database
    /// `postgres` (or says exactly what to run when that is not allowed).
    static func connectCreatingDatabase(_ conninfo: String) async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(conninfo: conninfo)
        } catch let first {
            guard var settings = PostgresConnInfo.parse(conninfo), let database = settings["dbname"],
                database != "postgres"
            else { throw ValidationError("cannot connect with --superuser-conninfo: \(first)") }
            settings["dbname"] = "postgres"
            let maintenance: PostgresConnection
            do {
                maintenance = try await PostgresConnection.connect(conninfo: PostgresConnInfo.format(settings))
            } catch {
                throw ValidationError("cannot connect with --superuser-conninfo: \(first)")
            }
            do {
                try await DatabaseRoles.createDatabaseIfMissing(database, on: maintenance)
            } catch {
                throw ValidationError(
                    "database \(database) does not exist and could not be created (\(error)); as the postgres OS user run: "
                        + "createdb --encoding=UTF8 --template=template0 \(database)")
            }
            print("database \(database) created")
            return try await PostgresConnection.connect(conninfo: conninfo)
        }
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

        @Option(help: "operator, county, provider, auditor or dpo.")
        var role: String

        @Option(
            help:
                "A county account's rights: case,certify,order,controller,accounts,erase (a new account: all but accounts and erase; rotating keeps them)."
        )
        var rights: String?

        func run() async throws {
            let settings = try await options.settings()
            DaemonLogHandler.bootstrap(level: .warning)
            let logger = Logger(label: "sozialraumd.user")
            guard let role = Role(rawValue: role) else {
                throw ValidationError("--role must be operator, county, provider, auditor or dpo")
            }
            var granted: Set<CountyRight>?
            if let rights {
                guard role == .county, let parsed = CountyRight.parseList(rights), !parsed.isEmpty else {
                    throw ValidationError(
                        "--rights is a list of case, certify, order, controller, accounts, for county accounts")
                }
                granted = parsed
            }
            let conninfo: String
            if settings.usesEmbeddedDatabase {
                let cluster = try EmbeddedPostgres(
                    directory: EmbeddedPostgres.clusterDirectory(forStateDirectory: settings.stateDirectory).url,
                    logger: logger)
                guard await cluster.running() else {
                    throw ValidationError(
                        "the embedded database in \(settings.stateDirectory) is not running; start sozialraumd first")
                }
                // The owner's rights (the cluster's superuser here): account administration from the shell is
                // county IT's, outside the socket's four eyes (docs/controls.md).
                conninfo = cluster.conninfo(database: EmbeddedSetup.database)
            } else {
                conninfo = settings.ownerConninfo
            }
            let store = Store(conninfo: conninfo, maxConnections: 1, logger: logger)
            defer { Task { await store.shutdown() } }
            let found: TenantID?
            do { found = try await store.countyTenant() } catch let error as PostgresError
                where error.code == .connectionFailed && !settings.usesEmbeddedDatabase
            {
                throw ownerConnectionRefused(error, command: "user set", settings: settings)
            }
            guard let county = found else {
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
                    name: name, tenant: tenantID, role: role, secret: token, actingAs: county, rights: granted)
            } catch let error as ServiceError {
                throw ValidationError(error.description)
            }
            print("account \(name) set; its token (shown once): \(token)")
        }
    }
}
