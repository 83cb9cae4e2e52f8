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
    /// Runtime conninfo (libpq string or URI). Empty: run an embedded private cluster.
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

    public var usesEmbeddedDatabase: Bool { databaseConninfo.isEmpty }

    /// A setting that is present but not acceptable. Names the key.
    public struct Invalid: Error, Equatable, CustomStringConvertible, Sendable {
        public var key: String
        public var reason: String
        public var description: String { "invalid setting \(key): \(reason)" }
    }

    /// Every key; the file may hold nothing else.
    static let keys: [String] = [
        "database.conninfo",
        "database.ownerConninfo",
        "database.poolSize",
        "database.acquireTimeoutSeconds",
        "stateDirectory",
        "log.level",
        "county.name",
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
        "scheduler.schedules",
        "scheduler.instance",
        "scheduler.heartbeatSeconds",
        "scheduler.rescueAfterSeconds",
        "scheduler.historyDays",
        "reconciliation.keepNightlyDays",
        "payments.pendingDays",
        "payments.dueAfterDays",
        "payments.kassenzeichenPrefix",
        "payments.exportColumns",
        "payments.exportEncoding",
        "payments.councilThreshold",
        "payments.appropriationThreshold",
        "payments.signingKeyFile",
    ]

    public static let defaults = Settings(
        databaseConninfo: "", databaseOwnerConninfo: "", databasePoolSize: 10, databaseAcquireTimeoutSeconds: 10,
        stateDirectory: ".sozialraum", logLevel: .info, countyName: "Landkreis Verden")

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
        return try resolve(ConfigReader(providers: providers))
    }

    /// `payments.*`: the four-eyes deadline, the due day, the Kassenzeichen and the Kasse's file layout.
    static func payments(
        string: (String, String) throws -> String, integer: (String, Int, ClosedRange<Int>) throws -> Int
    ) throws -> PaymentSettings {
        var payments = PaymentSettings()
        payments.pendingDays = try integer("payments.pendingDays", payments.pendingDays, 1...90)
        payments.dueAfterDays = try integer("payments.dueAfterDays", payments.dueAfterDays, 0...60)
        let prefix = try string("payments.kassenzeichenPrefix", payments.kassenzeichenPrefix)
        guard (0...12).contains(prefix.count), prefix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw Invalid(key: "payments.kassenzeichenPrefix", reason: "0 to 12 letters or digits")
        }
        payments.kassenzeichenPrefix = prefix
        let columns = try string("payments.exportColumns", "")
        if !columns.isEmpty {
            var layout: [PaymentFile.Column] = []
            for name in columns.split(separator: ",") {
                guard let column = PaymentFile.Column(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                    throw Invalid(
                        key: "payments.exportColumns",
                        reason: "unknown column \(name); known: "
                            + PaymentFile.Column.allCases.map(\.rawValue).joined(separator: ", "))
                }
                layout.append(column)
            }
            guard layout.contains(.kassenzeichen), layout.contains(.amount) else {
                throw Invalid(key: "payments.exportColumns", reason: "must contain kassenzeichen and amount")
            }
            payments.exportColumns = layout
        }
        let encoding = try string("payments.exportEncoding", payments.exportEncoding.rawValue)
        guard let chosen = PaymentFile.Encoding(rawValue: encoding.lowercased()) else {
            throw Invalid(key: "payments.exportEncoding", reason: "utf-8 or windows-1252")
        }
        payments.exportEncoding = chosen
        let threshold = try string("payments.councilThreshold", payments.councilThreshold.description)
        guard let amount = try? Money(parsing: threshold), amount.cents >= 0 else {
            throw Invalid(key: "payments.councilThreshold", reason: "an amount like 50000.00")
        }
        payments.councilThreshold = amount
        let change = try string("payments.appropriationThreshold", payments.appropriationThreshold.description)
        guard let limit = try? Money(parsing: change), limit.cents >= 0 else {
            throw Invalid(key: "payments.appropriationThreshold", reason: "an amount like 10000.00")
        }
        payments.appropriationThreshold = limit
        // The key itself is never logged or shown: only the file's path is configuration.
        let keyFile = try string("payments.signingKeyFile", "")
        if !keyFile.isEmpty {
            guard let pem = try? String(contentsOfFile: keyFile, encoding: .utf8) else {
                throw Invalid(key: "payments.signingKeyFile", reason: "cannot read \(keyFile)")
            }
            do throws(BatchSignature.KeyError) { payments.signingKey = try BatchSignature.privateKey(pem: pem) } catch {
                throw Invalid(key: "payments.signingKeyFile", reason: error.description)
            }
        }
        return payments
    }

    static func resolve(_ config: ConfigReader) throws -> Settings {
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
        settings.payments = try payments(string: string, integer: integer)
        guard !settings.stateDirectory.isEmpty else {
            throw Invalid(key: "stateDirectory", reason: "must not be empty")
        }
        guard (1...200).contains(settings.countyName.count) else {
            throw Invalid(key: "county.name", reason: "must be 1 to 200 characters")
        }
        return settings
    }

    /// `127.0.0.1:7443` → ("127.0.0.1", 7443); `[::1]:7443` → ("::1", 7443).
    public static func hostAndPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    /// `1000=kaemmerei,0=it` → [1000: "kaemmerei", 0: "it"].
    static func parsePeerAccounts(_ text: String) throws -> [UInt32: String] {
        var result: [UInt32: String] = [:]
        for pair in text.split(separator: ",") where !pair.trimmingCharacters(in: .whitespaces).isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let uid = UInt32(parts[0]), !parts[1].isEmpty else {
                throw Invalid(key: "admin.peerAccounts", reason: "expected uid=account pairs separated by commas")
            }
            result[uid] = parts[1]
        }
        return result
    }

    /// `nightly=30 2 * * *|reconcile|month-to-date|latest;…` → schedules, each checked like `schedule-set`.
    static func parseSchedules(_ text: String) throws -> [ScheduleRecord] {
        func invalid(_ reason: String) -> Invalid { Invalid(key: "scheduler.schedules", reason: reason) }
        var result: [ScheduleRecord] = []
        for entry in text.split(separator: ";") where !entry.trimmingCharacters(in: .whitespaces).isEmpty {
            let nameAndRest = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard nameAndRest.count == 2 else {
                throw invalid("expected name=cron|job|parameters|missed entries separated by ';'")
            }
            let name = nameAndRest[0]
            guard name.range(of: "^[a-z][a-z0-9-]{1,39}$", options: .regularExpression) != nil else {
                throw invalid("bad schedule name '\(name)'")
            }
            let fields = nameAndRest[1].split(separator: "|", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard (2...4).contains(fields.count) else { throw invalid("\(name): expected cron|job|parameters|missed") }
            do { _ = try CronSchedule(parsing: fields[0]) } catch { throw invalid("\(name): \(error.description)") }
            let job = fields[1]
            guard StandardJobs.kinds.contains(job) else { throw invalid("\(name): unknown job '\(job)'") }
            let parameters = fields.count > 2 ? fields[2] : ""
            if job == "reconcile", !StandardJobs.reconcileScopes.contains(parameters) {
                throw invalid(
                    "\(name): parameters must be one of \(StandardJobs.reconcileScopes.joined(separator: ", "))")
            }
            guard let missed = MissedRunPolicy(rawValue: fields.count > 3 ? fields[3] : "latest") else {
                throw invalid("\(name): missed must be all, latest or skip")
            }
            guard !result.contains(where: { $0.name == name }) else { throw invalid("\(name) given twice") }
            result.append(
                ScheduleRecord(name: name, cron: fields[0], job: job, parameters: parameters, missedPolicy: missed))
        }
        return result
    }

    /// swift-configuration reports a missing key and an unconvertible value alike by throwing; only
    /// a missing key falls back to the default.
    private static func missing<T>(
        _ key: String, _ error: any Error, _ fallback: T, expected: String = "text"
    )
        throws -> T
    {
        if String(describing: error).hasPrefix("Missing required") { return fallback }
        throw Invalid(key: key, reason: "expected \(expected)")
    }

    /// Refuses a file that is not a JSON object of known keys, naming the first unknown key.
    static func checkFileKeys(_ file: String) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            throw Invalid(key: "(file)", reason: "cannot read \(file)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Invalid(key: "(file)", reason: "\(file) is not a JSON object")
        }
        let known = Set(keys)
        func walk(_ object: [String: Any], prefix: String) throws {
            for (name, value) in object.sorted(by: { $0.key < $1.key }) {
                let key = prefix.isEmpty ? name : "\(prefix).\(name)"
                if let nested = value as? [String: Any], !known.contains(key) {
                    try walk(nested, prefix: key)
                } else if !known.contains(key) {
                    throw Invalid(key: key, reason: "unknown setting")
                }
            }
        }
        try walk(object, prefix: "")
    }
}
