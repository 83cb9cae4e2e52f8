import Configuration
import Foundation
import Logging
import SozialraumDomain
import SozialraumInterfaces
import SozialraumServices
import SozialraumStore
import SystemPackage

/// The daemon's settings: a JSON file (example: `config/sozialraumd.json`), overridden by
/// environment variables `SOZIALRAUM_<KEY>` (`database.poolSize` → `SOZIALRAUM_DATABASE_POOL_SIZE`).
/// Every key is listed in `Settings.keys` and documented in docs/configuration.md.
public struct Settings: Sendable, Equatable {
    /// Runtime conninfo (libpq string or URI). Empty only with `databaseEmbedded`.
    public var databaseConninfo: String
    /// Conninfo for `migrate` and `setup` (a superuser or a member of sozialraum_owner).
    /// Empty: same as `databaseConninfo`.
    public var databaseOwnerConninfo: String
    public var databasePoolSize: Int
    public var databaseAcquireTimeoutSeconds: Int
    /// Where the embedded cluster and other state live.
    public var stateDirectory: String
    public var logLevel: Logger.Level
    /// Name of the county tenant created on first setup.
    public var countyName: String
    /// The county's Land: whose public holidays the schedules' working days (`LW`, `nW`) skip.
    public var countyLand: Land = .niedersachsen
    /// The language of the texts people read at the admin socket, for accounts that chose none (issue 32).
    public var interfaceLanguage: Language = .de
    /// The admin socket's path. Empty: `<stateDirectory>/admin.sock`.
    public var adminSocketPath: String = ""
    /// Group of the admin socket (mode 0660). Empty: the daemon's group.
    public var adminSocketGroup: String = ""
    /// Unix peers logged in without a secret: `uid=account` pairs, comma separated.
    public var adminPeerAccounts: [UInt32: String] = [:]
    /// `host:port` of the TLS listener; empty: off.
    public var adminTLSListen: String = ""
    public var adminTLSCertificate: String = ""
    public var adminTLSPrivateKey: String = ""
    /// `host:port` of a plain TCP listener for development (loopback only); empty: off.
    public var adminPlainTCPListen: String = ""
    /// The Prometheus endpoint: loopback `host:port` or `unix:/path`; empty: off.
    public var metricsListen: String = ""
    /// The Trägerportal (issue 32): loopback `host:port` behind a TLS reverse proxy; empty: off.
    public var portalListen: String = ""
    /// The portal's own TLS (PEM files): without them it listens on loopback behind a reverse proxy.
    public var portalTLSCertificate: String = ""
    public var portalTLSPrivateKey: String = ""
    /// PEM file of the authorities of the providers' client certificates (issue 32, item 5); empty: none asked.
    public var portalClientCA: String = ""

    /// Admin socket limits (reloadable for new connections).
    public var adminMaxLineBytes: Int = 64 * 1024
    public var adminMaxUploadBytes: Int = 256 * 1024 * 1024
    public var adminMaxSessions: Int = 256
    public var adminMaxSessionsPerAccount: Int = 32
    public var adminMaxUploadBytesInFlight: Int = 512 * 1024 * 1024
    /// Where uploads are spooled while they arrive (unlinked files).
    public var adminUploadDirectory = "/var/tmp"
    public var adminMaxSessionsBeforeLogin: Int = 32
    public var adminMaxSessionsBeforeLoginPerSource: Int = 8
    public var adminSessionsKeptForUnixSocket: Int = 16
    public var adminLoginTimeoutSeconds: Int = 30
    public var adminIdleTimeoutSeconds: Int = 900

    /// Schedules seeded from the config on every start (and reload): `name=cron|job|parameters|missed`,
    /// separated by `;`. Empty: the database's schedules stay as they are.
    public var schedulerSchedules: [ScheduleRecord] = []
    /// Names this instance in job claims; empty: host:pid:random.
    public var schedulerInstance: String = ""
    public var schedulerHeartbeatSeconds: Int = 10
    public var schedulerRescueAfterSeconds: Int = 60
    public var schedulerHistoryDays: Int = 90
    /// Nightly (to-date) reconciliation runs are kept this long unless something refers to them.
    public var reconciliationKeepNightlyDays: Int = 90
    /// The deletion rules (Löschregeln) per kind of data (`retention.*`, docs/data-protection.md).
    public var retention = RetentionRules()
    /// The report to the Jugendhilfeausschuss shows a group of fewer cases as "< n" (issue 33).
    public var reportMinimumGroupSize = 3
    /// Cases per transaction when an erasure order is carried out (`retention.erasureBatch`).
    public var erasureBatch = 1000
    /// Payment orders and the Kasse's file (`payments.*`).
    public var payments = PaymentSettings()

    /// The admin socket's limits in effect.
    public var adminLimits: AdminLimits {
        var limits = AdminLimits()
        limits.maximumLineBytes = adminMaxLineBytes
        limits.maximumUploadBytes = adminMaxUploadBytes
        limits.maximumSessions = adminMaxSessions
        limits.maximumSessionsPerAccount = adminMaxSessionsPerAccount
        limits.maximumUploadBytesInFlight = adminMaxUploadBytesInFlight
        limits.uploadDirectory = adminUploadDirectory
        limits.maximumSessionsBeforeLogin = adminMaxSessionsBeforeLogin
        limits.maximumSessionsBeforeLoginPerSource = adminMaxSessionsBeforeLoginPerSource
        limits.sessionsKeptForUnixSocket = adminSessionsKeptForUnixSocket
        limits.loginTimeout = .seconds(adminLoginTimeoutSeconds)
        limits.idleTimeout = .seconds(adminIdleTimeoutSeconds)
        return limits
    }

    /// The admin socket path in effect.
    public var effectiveAdminSocketPath: String {
        adminSocketPath.isEmpty
            ? URL(fileURLWithPath: stateDirectory).appendingPathComponent("admin.sock").path : adminSocketPath
    }

    /// A private cluster in the state directory, with demo data, instead of `databaseConninfo`: the quick
    /// start's default (no config file); a config file must ask for it (`database.embedded`), so that an
    /// installed daemon never creates one by accident.
    public var databaseEmbedded = false

    public var usesEmbeddedDatabase: Bool { databaseEmbedded }

    /// The prefix of this county's database roles (`<prefix>_owner`, `_runtime`, `_app`): counties sharing
    /// one PostgreSQL cluster each take their own.
    public var databaseRolePrefix = DatabaseRoles.Names.standard.prefix

    /// This county's database roles.
    public var databaseRoles: DatabaseRoles.Names {
        (try? DatabaseRoles.Names(prefix: databaseRolePrefix)) ?? .standard
    }

    /// The TLS listener, when `admin.tlsListen` is set.
    public var adminTLSListener: AdminSocketConfiguration.TLSListener? {
        Self.hostAndPort(adminTLSListen).map {
            .init(
                host: $0.host, port: $0.port, certificateChainPath: adminTLSCertificate,
                privateKeyPath: adminTLSPrivateKey)
        }
    }

    /// A setting that is present but not acceptable. Names the key.
    public struct Invalid: Error, Equatable, CustomStringConvertible, Sendable {
        public var key: String
        public var reason: String
        public var description: String { "invalid setting \(key): \(reason)" }
    }

    /// Every key; the file may hold nothing else.
    static let keys: [String] = [
        "database.embedded",
        "database.conninfo",
        "database.ownerConninfo",
        "database.poolSize",
        "database.acquireTimeoutSeconds",
        "database.rolePrefix",
        "stateDirectory",
        "log.level",
        "county.name",
        "county.land",
        "interface.language",
        "admin.socketPath",
        "admin.socketGroup",
        "admin.peerAccounts",
        "admin.tlsListen",
        "admin.tlsCertificate",
        "admin.tlsPrivateKey",
        "admin.plainTCPListen",
        "admin.maxLineBytes",
        "admin.maxUploadBytes",
        "admin.maxSessions",
        "admin.maxUploadBytesInFlight",
        "admin.uploadDirectory",
        "admin.maxSessionsBeforeLogin",
        "admin.maxSessionsBeforeLoginPerSource",
        "admin.sessionsKeptForUnixSocket",
        "admin.maxSessionsPerAccount",
        "admin.loginTimeoutSeconds",
        "admin.idleTimeoutSeconds",
        "metrics.listen",
        "portal.listen",
        "portal.tlsCertificate",
        "portal.tlsPrivateKey",
        "portal.clientCA",
        "scheduler.schedules",
        "scheduler.instance",
        "scheduler.heartbeatSeconds",
        "scheduler.rescueAfterSeconds",
        "scheduler.historyDays",
        "reconciliation.keepNightlyDays",
        "retention.caseLinkYears",
        "reports.minimumGroupSize",
        "retention.accountingYears",
        "retention.accessLogYears",
        "retention.erasureBatch",
        "payments.pendingDays",
        "payments.dueAfterDays",
        "payments.kassenzeichenPrefix",
        "payments.exportColumns",
        "payments.exportEncoding",
        "payments.councilThreshold",
        "payments.appropriationThreshold",
        "payments.signingKeyFile",
    ]

    /// Without a config file: the quick start's embedded cluster with demo data in `./.sozialraum`.
    public static let defaults = {
        var settings = Settings(
            databaseConninfo: "", databaseOwnerConninfo: "", databasePoolSize: 10, databaseAcquireTimeoutSeconds: 10,
            stateDirectory: ".sozialraum", logLevel: .info, countyName: "Landkreis Verden")
        settings.databaseEmbedded = true
        return settings
    }()

    /// Reads the file (if given) and the environment. Throws `Invalid` naming the first bad key,
    /// including keys in the file that are not settings at all (typos).
    public static func load(
        file: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> Settings {
        var providers: [any ConfigProvider] = [
            KeyMappingProvider(upstream: EnvironmentVariablesProvider(environmentVariables: environment)) {
                $0.prepending(["sozialraum"])
            }
        ]
        if let file {
            try checkFileKeys(file)
            providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(file)))
        }
        return try resolve(ConfigReader(providers: providers), embeddedByDefault: file == nil)
    }

    /// `embeddedByDefault`: whether `database.embedded` is on when nothing sets it (no config file).
    static func resolve(_ config: ConfigReader, embeddedByDefault: Bool) throws -> Settings {
        func string(_ key: String, _ fallback: String) throws -> String {
            do { return try config.requiredString(forKey: ConfigKey(key)) } catch {
                return try missing(key, error, fallback)
            }
        }
        func integer(_ key: String, _ fallback: Int, range: ClosedRange<Int>) throws -> Int {
            let value: Int
            do { value = try config.requiredInt(forKey: ConfigKey(key)) } catch {
                value = try missing(key, error, fallback, expected: "a whole number")
            }
            guard range.contains(value) else {
                throw Invalid(key: key, reason: "must be between \(range.lowerBound) and \(range.upperBound)")
            }
            return value
        }
        let levelText = try string("log.level", Settings.defaults.logLevel.rawValue)
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw Invalid(
                key: "log.level",
                reason: "must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var settings = Settings(
            databaseConninfo: try string("database.conninfo", defaults.databaseConninfo),
            databaseOwnerConninfo: try string("database.ownerConninfo", defaults.databaseOwnerConninfo),
            databasePoolSize: try integer("database.poolSize", defaults.databasePoolSize, range: 1...500),
            databaseAcquireTimeoutSeconds: try integer(
                "database.acquireTimeoutSeconds", defaults.databaseAcquireTimeoutSeconds, range: 1...600),
            stateDirectory: try string("stateDirectory", defaults.stateDirectory),
            logLevel: level,
            countyName: try string("county.name", defaults.countyName))
        let land = try string("county.land", settings.countyLand.rawValue)
        guard let countyLand = Land(rawValue: land.uppercased()) else {
            throw Invalid(
                key: "county.land",
                reason: "one of " + Land.allCases.map(\.rawValue).joined(separator: ", ") + " (Niedersachsen: NI)")
        }
        settings.countyLand = countyLand
        let language = try string("interface.language", settings.interfaceLanguage.rawValue)
        guard let interfaceLanguage = Language(rawValue: language.lowercased()) else {
            throw Invalid(key: "interface.language", reason: "de or en")
        }
        settings.interfaceLanguage = interfaceLanguage
        settings.databaseRolePrefix = try string("database.rolePrefix", settings.databaseRolePrefix)
        do throws(StoreError) { _ = try DatabaseRoles.Names(prefix: settings.databaseRolePrefix) } catch {
            throw Invalid(
                key: "database.rolePrefix",
                reason: "a lowercase letter, then lowercase letters, digits or _ (at most 40), e.g. verden")
        }
        settings.adminSocketPath = try string("admin.socketPath", "")
        settings.adminSocketGroup = try string("admin.socketGroup", "")
        settings.adminPeerAccounts = try parsePeerAccounts(try string("admin.peerAccounts", ""))
        settings.adminTLSListen = try string("admin.tlsListen", "")
        settings.adminTLSCertificate = try string("admin.tlsCertificate", "")
        settings.adminTLSPrivateKey = try string("admin.tlsPrivateKey", "")
        settings.adminPlainTCPListen = try string("admin.plainTCPListen", "")
        for key in ["admin.tlsListen", "admin.plainTCPListen"] {
            let value = key == "admin.tlsListen" ? settings.adminTLSListen : settings.adminPlainTCPListen
            if !value.isEmpty, hostAndPort(value) == nil { throw Invalid(key: key, reason: "expected host:port") }
        }
        if !settings.adminTLSListen.isEmpty, settings.adminTLSCertificate.isEmpty || settings.adminTLSPrivateKey.isEmpty
        {
            throw Invalid(
                key: "admin.tlsCertificate",
                reason: "TLS needs admin.tlsCertificate and admin.tlsPrivateKey (PEM files)")
        }
        if let plain = hostAndPort(settings.adminPlainTCPListen), !AdminServer.isLoopback(plain.host) {
            throw Invalid(
                key: "admin.plainTCPListen", reason: "plain TCP is for development on a loopback address only")
        }
        settings.portalListen = try string("portal.listen", "")
        settings.portalTLSCertificate = try string("portal.tlsCertificate", "")
        settings.portalTLSPrivateKey = try string("portal.tlsPrivateKey", "")
        guard settings.portalTLSCertificate.isEmpty == settings.portalTLSPrivateKey.isEmpty else {
            throw Invalid(
                key: "portal.tlsCertificate",
                reason: "TLS needs portal.tlsCertificate and portal.tlsPrivateKey (PEM files)")
        }
        settings.portalClientCA = try string("portal.clientCA", "")
        guard settings.portalClientCA.isEmpty || !settings.portalTLSCertificate.isEmpty else {
            throw Invalid(
                key: "portal.clientCA",
                reason: "client certificates need the portal's own TLS (portal.tlsCertificate and portal.tlsPrivateKey)"
            )
        }
        if !settings.portalListen.isEmpty {
            guard let portal = hostAndPort(settings.portalListen) else {
                throw Invalid(key: "portal.listen", reason: "expected host:port")
            }
            // Without TLS of its own the portal listens on loopback, for a reverse proxy that serves TLS.
            guard AdminServer.isLoopback(portal.host) || !settings.portalTLSCertificate.isEmpty else {
                throw Invalid(
                    key: "portal.listen",
                    reason:
                        "a loopback address behind a reverse proxy with TLS, or portal.tlsCertificate and portal.tlsPrivateKey"
                )
            }
        }
        settings.metricsListen = try string("metrics.listen", "")
        do {
            _ = try MetricsListen.parse(settings.metricsListen)
        } catch let error as MetricsListenError {
            throw Invalid(key: "metrics.listen", reason: error.reason)
        }
        settings.adminMaxLineBytes = try integer("admin.maxLineBytes", 64 * 1024, range: 1024...(16 * 1024 * 1024))
        settings.adminMaxUploadBytes = try integer(
            "admin.maxUploadBytes", 256 * 1024 * 1024, range: (1024 * 1024)...(4096 * 1024 * 1024))
        settings.adminMaxUploadBytesInFlight = try integer(
            "admin.maxUploadBytesInFlight", 512 * 1024 * 1024, range: (1024 * 1024)...(64 * 1024 * 1024 * 1024))
        guard settings.adminMaxUploadBytesInFlight >= settings.adminMaxUploadBytes else {
            throw Invalid(key: "admin.maxUploadBytesInFlight", reason: "must be at least admin.maxUploadBytes")
        }
        settings.adminUploadDirectory = try string("admin.uploadDirectory", "/var/tmp")
        guard settings.adminUploadDirectory.hasPrefix("/") else {
            throw Invalid(key: "admin.uploadDirectory", reason: "must be an absolute path")
        }
        settings.adminMaxSessions = try integer("admin.maxSessions", 256, range: 1...10_000)
        settings.adminMaxSessionsPerAccount = try integer("admin.maxSessionsPerAccount", 32, range: 1...10_000)
        settings.adminMaxSessionsBeforeLogin = try integer("admin.maxSessionsBeforeLogin", 32, range: 1...10_000)
        settings.adminMaxSessionsBeforeLoginPerSource = try integer(
            "admin.maxSessionsBeforeLoginPerSource", 8, range: 1...10_000)
        settings.adminSessionsKeptForUnixSocket = try integer(
            "admin.sessionsKeptForUnixSocket", 16, range: 0...10_000)
        guard settings.adminSessionsKeptForUnixSocket < settings.adminMaxSessions else {
            throw Invalid(key: "admin.sessionsKeptForUnixSocket", reason: "must be less than admin.maxSessions")
        }
        settings.adminLoginTimeoutSeconds = try integer("admin.loginTimeoutSeconds", 30, range: 1...3600)
        settings.adminIdleTimeoutSeconds = try integer("admin.idleTimeoutSeconds", 900, range: 10...86_400)
        settings.schedulerSchedules = try parseSchedules(try string("scheduler.schedules", ""))
        settings.schedulerInstance = try string("scheduler.instance", "")
        settings.schedulerHeartbeatSeconds = try integer("scheduler.heartbeatSeconds", 10, range: 1...600)
        settings.schedulerRescueAfterSeconds = try integer("scheduler.rescueAfterSeconds", 60, range: 5...3600)
        settings.schedulerHistoryDays = try integer("scheduler.historyDays", 90, range: 1...3650)
        settings.reconciliationKeepNightlyDays = try integer(
            "reconciliation.keepNightlyDays", 90, range: 1...3650)
        guard settings.schedulerRescueAfterSeconds > 2 * settings.schedulerHeartbeatSeconds else {
            throw Invalid(
                key: "scheduler.rescueAfterSeconds", reason: "must be more than twice scheduler.heartbeatSeconds")
        }
        settings.retention = RetentionRules(
            caseLinkYears: try integer("retention.caseLinkYears", settings.retention.caseLinkYears, range: 0...100),
            accountingYears: try integer(
                "retention.accountingYears", settings.retention.accountingYears, range: 0...100),
            accessLogYears: try integer("retention.accessLogYears", settings.retention.accessLogYears, range: 1...100))
        settings.erasureBatch = try integer("retention.erasureBatch", settings.erasureBatch, range: 1...100_000)
        settings.reportMinimumGroupSize = try integer(
            "reports.minimumGroupSize", settings.reportMinimumGroupSize, range: 1...100)
        settings.payments = try payments(string: string, integer: integer)
        guard !settings.stateDirectory.isEmpty else {
            throw Invalid(key: "stateDirectory", reason: "must not be empty")
        }
        guard (1...200).contains(settings.countyName.count) else {
            throw Invalid(key: "county.name", reason: "must be 1 to 200 characters")
        }
        // Last, so that a file's own mistakes are named first.
        do { settings.databaseEmbedded = try config.requiredBool(forKey: ConfigKey("database.embedded")) } catch {
            settings.databaseEmbedded = try missing(
                "database.embedded", error, embeddedByDefault && settings.databaseConninfo.isEmpty,
                expected: "true or false")
        }
        if settings.databaseEmbedded, !settings.databaseConninfo.isEmpty {
            throw Invalid(
                key: "database.embedded",
                reason: "true runs a private cluster with demo data; leave database.conninfo empty for it")
        }
        if !settings.databaseEmbedded, settings.databaseConninfo.isEmpty {
            throw Invalid(
                key: "database.conninfo",
                reason: "empty; set it to the county's database (docs/operations.md, First setup of a database), "
                    + "or set database.embedded to true for a trial on a private cluster with demo data")
        }
        return settings
    }

    private static func missing<T>(
        _ key: String, _ error: any Error, _ fallback: T, expected: String = "text"
    )
        throws -> T
    {
        if String(describing: error).hasPrefix("Missing required") { return fallback }
        throw Invalid(key: key, reason: "expected \(expected)")
    }
}
