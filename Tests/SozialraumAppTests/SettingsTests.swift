import Foundation
import Logging
import SozialraumDomain
import SozialraumInterfaces
import SozialraumStore
import SozialraumTestSupport
import Testing

@testable import SozialraumApp

@Suite struct SettingsTests {
    func file(_ json: String) throws -> String {
        let path = TestScratch.path("sozialraumd", suffix: ".json")
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func noFileAndNoEnvironmentGiveTheDefaults() async throws {
        #expect(try await Settings.load(file: nil, environment: [:]) == Settings.defaults)
        #expect(Settings.defaults.usesEmbeddedDatabase)
    }

    @Test func theExampleConfigIsValidAndListsEveryKey() async throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config/sozialraumd.json").path
        _ = try await Settings.load(file: example, environment: [:])
        let text = try String(contentsOfFile: example, encoding: .utf8)
        for key in Settings.keys {
            #expect(text.contains("\"\(key.split(separator: ".").last!)\""), "\(key) missing from the example")
        }
    }

    /// docs/configuration.md has one row per key, with its environment variable, and no other keys.
    @Test func theConfigurationReferenceListsExactlyTheKeys() throws {
        let reference = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/configuration.md").path
        let rows = try String(contentsOfFile: reference, encoding: .utf8).split(separator: "\n").filter {
            $0.hasPrefix("| `")
        }
        let documented = Dictionary(
            uniqueKeysWithValues: rows.map { row in
                let cells = row.split(separator: "|").map {
                    $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "`"))
                }
                return (cells[0], cells[1])
            })
        #expect(Set(documented.keys) == Set(Settings.keys))
        for key in Settings.keys {
            // swift-configuration's rule: a lower-case letter followed by an upper-case one starts a
            // word (database.poolSize → SOZIALRAUM_DATABASE_POOL_SIZE, plainTCPListen → PLAIN_TCPLISTEN).
            let variable =
                "SOZIALRAUM_"
                + key.replacingOccurrences(of: ".", with: "_").replacing(/([a-z])([A-Z])/) { "\($0.1)_\($0.2)" }
                .uppercased()
            #expect(documented[key] == variable, "\(key)")
        }
    }

    @Test func theDocumentedVariableNamesAreTheOnesRead() async throws {
        let settings = try await Settings.load(
            file: nil,
            environment: [
                "SOZIALRAUM_ADMIN_PLAIN_TCPLISTEN": "127.0.0.1:7999", "SOZIALRAUM_ADMIN_IDLE_TIMEOUT_SECONDS": "120",
            ])
        #expect(settings.adminPlainTCPListen == "127.0.0.1:7999")
        #expect(settings.adminIdleTimeoutSeconds == 120)
        let westphalian = try await Settings.load(
            file: nil, environment: ["SOZIALRAUM_COUNTY_LAND": "nw", "SOZIALRAUM_DATABASE_ROLE_PREFIX": "guetersloh"])
        #expect(westphalian.countyLand == .nordrheinWestfalen)
        #expect(westphalian.databaseRoles.runtime == "guetersloh_runtime")
    }

    /// The portal (issue 32): plain HTTP on loopback only; on another address only with TLS of its own, whose
    /// certificate and key come together; the interface's language is de or en.
    @Test func thePortalListensOnLoopbackOrServesTLSItself() async throws {
        let loopback = try await Settings.load(file: nil, environment: ["SOZIALRAUM_PORTAL_LISTEN": "127.0.0.1:8443"])
        #expect(loopback.portalListener?.tls == nil && loopback.portalListener?.port == 8443)
        let open = await #expect(throws: Settings.Invalid.self) {
            try await Settings.load(file: nil, environment: ["SOZIALRAUM_PORTAL_LISTEN": "0.0.0.0:443"])
        }
        #expect(open?.key == "portal.listen")
        let half = await #expect(throws: Settings.Invalid.self) {
            try await Settings.load(
                file: nil,
                environment: [
                    "SOZIALRAUM_PORTAL_LISTEN": "0.0.0.0:443", "SOZIALRAUM_PORTAL_TLS_CERTIFICATE": "/etc/c.pem",
                ])
        }
        #expect(half?.key == "portal.tlsCertificate")
        let served = try await Settings.load(
            file: nil,
            environment: [
                "SOZIALRAUM_PORTAL_LISTEN": "0.0.0.0:443", "SOZIALRAUM_PORTAL_TLS_CERTIFICATE": "/etc/c.pem",
                "SOZIALRAUM_PORTAL_TLS_PRIVATE_KEY": "/etc/k.pem",
            ])
        #expect(served.portalListener?.tls?.certificateChainPath == "/etc/c.pem")
        #expect(try await Settings.load(file: nil, environment: [:]).interfaceLanguage == .de)
        let english = try await Settings.load(file: nil, environment: ["SOZIALRAUM_INTERFACE_LANGUAGE": "en"])
        #expect(english.interfaceLanguage == .en)
        let french = await #expect(throws: Settings.Invalid.self) {
            try await Settings.load(file: nil, environment: ["SOZIALRAUM_INTERFACE_LANGUAGE": "fr"])
        }
        #expect(french?.key == "interface.language")
    }

    @Test func theFileSetsValuesAndTheEnvironmentOverridesThem() async throws {
        let path = try file(
            #"{"database": {"poolSize": 7, "conninfo": "service=sozialraum"}, "log": {"level": "debug"}}"#)
        let fromFile = try await Settings.load(file: path, environment: [:])
        #expect(fromFile.databasePoolSize == 7)
        #expect(fromFile.databaseConninfo == "service=sozialraum")
        #expect(fromFile.logLevel == .debug)
        #expect(!fromFile.usesEmbeddedDatabase)
        let overridden = try await Settings.load(
            file: path, environment: ["SOZIALRAUM_DATABASE_POOL_SIZE": "20", "SOZIALRAUM_LOG_LEVEL": "warning"])
        #expect(overridden.databasePoolSize == 20)
        #expect(overridden.logLevel == .warning)
        #expect(overridden.databaseConninfo == "service=sozialraum")
    }

    @Test(arguments: [
        (#"{"database": {"poolsize": 7}}"#, "database.poolsize"),
        (#"{"databse": {"conninfo": ""}}"#, "databse.conninfo"),
        (#"{"database": {"poolSize": "ten"}}"#, "database.poolSize"),
        (#"{"database": {"poolSize": 0}}"#, "database.poolSize"),
        (#"{"log": {"level": "loud"}}"#, "log.level"),
        (#"{"county": {"name": ""}}"#, "county.name"),
        (#"{"county": {"land": "Niedersachsen"}}"#, "county.land"),
        (#"{"database": {"rolePrefix": "Verden-1"}}"#, "database.rolePrefix"),
        // Deletion rules: 0 to 100 years; the access log at least one (the database refuses fewer).
        (#"{"retention": {"caseLinkYears": 101}}"#, "retention.caseLinkYears"),
        (#"{"retention": {"accessLogYears": 0}}"#, "retention.accessLogYears"),
        (#"{"admin": {"peerAccounts": "root"}}"#, "admin.peerAccounts"),
        (#"{"admin": {"tlsListen": "7443"}}"#, "admin.tlsListen"),
        (#"{"admin": {"tlsListen": "0.0.0.0:7443"}}"#, "admin.tlsCertificate"),
        (#"{"admin": {"plainTCPListen": "0.0.0.0:7000"}}"#, "admin.plainTCPListen"),
        // The metrics page has no login: no address beyond loopback, no relative socket path.
        (#"{"metrics": {"listen": "0.0.0.0:9464"}}"#, "metrics.listen"),
        (#"{"metrics": {"listen": "unix:metrics.sock"}}"#, "metrics.listen"),
        (#"[1, 2]"#, "(file)"),
        (#"{"database": "#, "(file)"),
    ])
    func aBadFileNamesTheBadKey(json: String, key: String) async throws {
        let path = try file(json)
        let error = await #expect(throws: Settings.Invalid.self) {
            try await Settings.load(file: path, environment: [:])
        }
        #expect(error?.key == key)
        #expect(error?.description.contains(key) == true)
    }

    @Test func aBadEnvironmentValueNamesTheKey() async throws {
        let error = await #expect(throws: Settings.Invalid.self) {
            try await Settings.load(file: nil, environment: ["SOZIALRAUM_DATABASE_ACQUIRE_TIMEOUT_SECONDS": "soon"])
        }
        #expect(error?.key == "database.acquireTimeoutSeconds")
    }

    @Test func aMissingFileIsReported() async throws {
        let error = await #expect(throws: Settings.Invalid.self) {
            try await Settings.load(file: "/nonexistent/sozialraumd.json", environment: [:])
        }
        #expect(error?.description.contains("cannot read") == true)
    }
}

@Suite struct LogFormatTests {
    @Test func underSystemdLinesCarryThePriorityAndNoTimestamp() {
        let line = DaemonLogHandler.format(
            level: .warning, label: "sozialraumd", message: "pool exhausted", metadata: ["tenant": "abc"], journal: true
        )
        #expect(line == "<4>sozialraumd: pool exhausted tenant=abc\n")
        #expect(
            DaemonLogHandler.format(level: .error, label: "x", message: "m", metadata: [:], journal: true).hasPrefix(
                "<3>"))
        #expect(
            DaemonLogHandler.format(level: .debug, label: "x", message: "m", metadata: [:], journal: true).hasPrefix(
                "<7>"))
    }

    @Test func elsewhereLinesCarryAUTCTimestamp() {
        let line = DaemonLogHandler.format(
            level: .info, label: "sozialraumd", message: "ready", metadata: [:], journal: false,
            now: Date(timeIntervalSince1970: 0))
        #expect(line == "1970-01-01T00:00:00.000Z info sozialraumd: ready\n")
    }

    /// Every label makes a logger, and every logger a handler: making one must not reset the level a
    /// `log-level` command set for the process.
    @Test func aNewLoggerKeepsTheProcessLevel() {
        var first = DaemonLogHandler(label: "a", journal: true)
        first.logLevel = .trace
        let second = DaemonLogHandler(label: "b", journal: true)
        #expect(second.logLevel == .trace)
        first.logLevel = .info
        #expect(second.logLevel == .info)
    }

    @Test func controlCharactersAreReplacedSoNoLineCanBeForged() {
        let line = DaemonLogHandler.format(
            level: .info, label: "x", message: "a\n<2>forged", metadata: ["k": "v\r\nw"], journal: true)
        #expect(line.filter { $0 == "\n" }.count == 1)
        #expect(line == "<6>x: a <2>forged k=v  w\n")
    }

    @Test func schedulesFromTheConfigAreCheckedLikeScheduleSet() async throws {
        let settings = try await Settings.load(
            file: nil,
            environment: [
                "SOZIALRAUM_SCHEDULER_SCHEDULES": "nightly=30 2 * * *|reconcile|month-to-date|latest; ping=@hourly|noop"
            ])
        #expect(settings.schedulerSchedules.map(\.name) == ["nightly", "ping"])
        #expect(
            settings.schedulerSchedules.last?.missedPolicy == .latest
                && settings.schedulerSchedules.first?.parameters == "month-to-date")
        let bad: [(String, String)] = [
            ("nightly=61 2 * * *|reconcile|month-to-date", "nightly: invalid minute field '61'"),
            ("nightly=30 2 * * *|launder", "nightly: unknown job 'launder'"),
            (
                "nightly=30 2 * * *|reconcile|fortnight",
                "nightly: parameters must be one of month-to-date, previous-month, year-to-date, year"
            ),
            ("nightly=30 2 * * *|noop||sometimes", "nightly: missed must be all, latest or skip"),
            ("Nightly=30 2 * * *|noop", "bad schedule name 'Nightly'"),
            ("a=@daily|noop", "bad schedule name 'a'"), ("ab=@daily|noop;ab=@daily|noop", "ab given twice"),
            ("just-a-name", "expected name=cron|job|parameters|missed entries separated by ';'"),
        ]
        for (text, reason) in bad {
            await #expect(throws: Settings.Invalid(key: "scheduler.schedules", reason: reason), "\(text)") {
                _ = try await Settings.load(file: nil, environment: ["SOZIALRAUM_SCHEDULER_SCHEDULES": text])
            }
        }
        await #expect(
            throws: Settings.Invalid(
                key: "scheduler.rescueAfterSeconds", reason: "must be more than twice scheduler.heartbeatSeconds")
        ) {
            _ = try await Settings.load(
                file: nil,
                environment: [
                    "SOZIALRAUM_SCHEDULER_HEARTBEAT_SECONDS": "30", "SOZIALRAUM_SCHEDULER_RESCUE_AFTER_SECONDS": "40",
                ])
        }
    }

    @Test func adminLimitsComeFromTheConfig() async throws {
        let settings = try await Settings.load(
            file: nil,
            environment: [
                "SOZIALRAUM_ADMIN_MAX_LINE_BYTES": "2048", "SOZIALRAUM_ADMIN_IDLE_TIMEOUT_SECONDS": "60",
                "SOZIALRAUM_ADMIN_MAX_UPLOAD_BYTES": "1048576",
            ])
        #expect(settings.adminLimits.maximumLineBytes == 2048)
        #expect(settings.adminLimits.idleTimeout == .seconds(60))
        #expect(settings.adminLimits.maximumUploadBytes == 1_048_576)
        #expect(Settings.defaults.adminLimits.maximumSessions == 256)
        await #expect(throws: Settings.Invalid(key: "admin.maxLineBytes", reason: "must be between 1024 and 16777216"))
        {
            _ = try await Settings.load(file: nil, environment: ["SOZIALRAUM_ADMIN_MAX_LINE_BYTES": "10"])
        }
    }

    /// The county's Kasse layout and rules come from `payments.*`; a wrong one names the key and reason.
    @Test func paymentSettingsComeFromTheConfig() async throws {
        let settings = try await Settings.load(
            file: nil,
            environment: [
                "SOZIALRAUM_PAYMENTS_PENDING_DAYS": "7",
                "SOZIALRAUM_PAYMENTS_EXPORT_COLUMNS": "kassenzeichen,amount,due",
                "SOZIALRAUM_PAYMENTS_EXPORT_ENCODING": "Windows-1252", "SOZIALRAUM_PAYMENTS_COUNCIL_THRESHOLD": "25000",
                "SOZIALRAUM_PAYMENTS_KASSENZEICHEN_PREFIX": "JA",
            ])
        #expect(settings.payments.pendingDays == 7)
        #expect(settings.payments.exportColumns == [.kassenzeichen, .amount, .due])
        #expect(settings.payments.exportEncoding == .windows1252)
        #expect(settings.payments.councilThreshold == Money(cents: 25_000_00))
        #expect(settings.payments.kassenzeichen(order: 5, year: 2027) == "JA2027000005")
        let bad: [(String, String, Settings.Invalid)] = [
            (
                "SOZIALRAUM_PAYMENTS_EXPORT_COLUMNS", "kassenzeichen,iban",
                .init(
                    key: "payments.exportColumns",
                    reason: "unknown column iban; known: "
                        + PaymentFile.Column.allCases.map(\.rawValue).joined(separator: ", "))
            ),
            (
                "SOZIALRAUM_PAYMENTS_EXPORT_COLUMNS", "due,purpose",
                .init(key: "payments.exportColumns", reason: "must contain kassenzeichen and amount")
            ),
            (
                "SOZIALRAUM_PAYMENTS_EXPORT_ENCODING", "latin1",
                .init(key: "payments.exportEncoding", reason: "utf-8 or windows-1252")
            ),
            (
                "SOZIALRAUM_PAYMENTS_COUNCIL_THRESHOLD", "viel",
                .init(key: "payments.councilThreshold", reason: "an amount like 50000.00")
            ),
        ]
        for (variable, value, invalid) in bad {
            await #expect(throws: invalid, "\(variable)=\(value)") {
                _ = try await Settings.load(file: nil, environment: [variable: value])
            }
        }
    }
}
