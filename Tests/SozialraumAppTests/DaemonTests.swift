import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import SozialraumDomain
import SozialraumInterfaces
import SozialraumStore
import SozialraumTestSupport
import Testing

@testable import SozialraumApp

@Suite struct DaemonStartupTests {
    func settings(conninfo: String) -> Settings {
        var settings = Settings.defaults
        settings.databaseEmbedded = false
        settings.databaseConninfo = conninfo
        settings.databaseAcquireTimeoutSeconds = 5
        return settings
    }

    @Test func refusesASchemaThatIsBehindAndSaysWhatToRun() async throws {
        let database = try await TestCluster.shared.unmigratedDatabase()
        let error = await #expect(throws: StoreError.self) {
            try await Daemon(settings: settings(conninfo: database.runtimeConninfo), logger: Logger(label: "t")).run()
        }
        guard case .schemaBehind = error else {
            Issue.record("expected schemaBehind, got \(String(describing: error))")
            return
        }
        #expect(error?.description.contains("sozialraumd migrate") == true)
    }

    /// Issue 30 (item 9): a database migrated by a newer release stops an older daemon, saying so.
    @Test func refusesASchemaAheadOfItAndSaysToUpgrade() async throws {
        let database = try await TestCluster.shared.freshDatabase(prefix: "daemon")
        try await database.superuserConnection().query(
            PostgresQuery(
                unsafeSQL:
                    "INSERT INTO sozialraum.schema_migration (version, name, checksum) VALUES (9999, '9999_newer.sql', 'x')"
            ))
        let error = await #expect(throws: StoreError.self) {
            try await Daemon(settings: settings(conninfo: database.runtimeConninfo), logger: Logger(label: "t")).run()
        }
        #expect(error == .schemaAhead(unknownVersions: [9999]))
        #expect(error?.description.contains("upgrade sozialraumd") == true)
    }

    @Test func refusesToRunAsASuperuser() async throws {
        let database = try await TestCluster.shared.freshDatabase(prefix: "daemon")
        let error = await #expect(throws: StoreError.self) {
            try await Daemon(settings: settings(conninfo: database.superuserConninfo), logger: Logger(label: "t")).run()
        }
        #expect(error?.description.contains("superuser") == true)
    }
}

/// Runs the real `sozialraumd` binary.
@Suite struct DaemonBinaryTests {
    /// Issue 30: `sozialraumd migrate` with the runtime role (the shipped config's empty
    /// `database.ownerConninfo` falls back to it) stops with a message naming the setting and the role.
    @Test func migrateAsTheRuntimeRoleNamesTheSettingToUse() async throws {
        let database = try await TestCluster.shared.unmigratedDatabase()
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SOZIALRAUM_CONFIG")
        environment["SOZIALRAUM_DATABASE_CONNINFO"] = database.runtimeConninfo
        let migrate = try Subprocess([Subprocess.binary("sozialraumd"), "migrate"], environment: environment)
        var output: [String] = []
        for await line in migrate.lines { output.append(line) }
        #expect(await migrate.exitStatus() != 0)
        #expect(
            output.contains {
                $0.contains("database.ownerConninfo is empty") && $0.contains("SOZIALRAUM_DATABASE_OWNER_CONNINFO")
                    && $0.contains("sozialraum_owner")
            }, "\(output)")
    }

    @Test func servesOnTheEmbeddedDefaultAndStopsCleanlyOnSIGTERM() async throws {
        let state = NSTemporaryDirectory() + "sozialraumd-e2e-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        var environment = ProcessInfo.processInfo.environment
        environment["JOURNAL_STREAM"] = "8:1234"
        environment.removeValue(forKey: "SOZIALRAUM_CONFIG")
        // The Prometheus endpoint on a Unix socket (off unless set).
        environment["SOZIALRAUM_METRICS_LISTEN"] = "unix:\(state)/metrics.sock"
        let daemon = try Subprocess(
            [Subprocess.binary("sozialraumd"), "serve", "--state-directory", state], environment: environment)
        var lines = daemon.lines.makeAsyncIterator()
        let startup = await Subprocess.lines(&lines, until: "sozialraumd ready")
        #expect(startup != nil, "the daemon ended before it was ready")
        #expect(startup?.contains { $0.contains("demo data loaded") } == true)
        #expect(startup?.allSatisfy { $0.first == "<" } == true, "every line under systemd carries a priority")
        let postmasterPID = state + "/postgres/data/postmaster.pid"
        #expect(FileManager.default.fileExists(atPath: postmasterPID))

        // The admin socket listens before "ready": the starting user is the county's controller by peer credentials.
        #expect(startup?.contains { $0.contains("admin socket listening") } == true)
        let socket = state + "/admin.sock"
        let funds = try Subprocess([
            Subprocess.binary("sozialraumctl"), "--socket", socket, "--format", "csv", "funds", "achim-oyten",
            String(CountyCalendar.today().year),
        ])
        var fundsOutput: [String] = []
        for await line in funds.lines { fundsOutput.append(line) }
        #expect(await funds.exitStatus() == 0)
        #expect(fundsOutput.contains("line,appropriation,carry_in,commitments,actuals,available,after_cover"))
        #expect(fundsOutput.contains { $0.hasPrefix("case,") })
        // Words given as arguments reach the daemon exactly as the same line typed (issue 15, item 9):
        // `key=…` stays a keyword, and a retry with -c is the same request (replayed, not booked again).
        let providers = try Subprocess([
            Subprocess.binary("sozialraumctl"), "--socket", socket, "--format", "csv", "providers",
        ])
        var providerLines: [String] = []
        for await line in providers.lines { providerLines.append(line) }
        let provider = providerLines.first { $0.contains(",provider,") }.map { String($0.prefix(36)) } ?? "none"
        let month = CountyCalendar.today().yearMonth.description
        let words = ["instalment", provider, "achim-oyten", "case", month, "10.00", "key=abcd-0001"]
        let instalment = try Subprocess([Subprocess.binary("sozialraumctl"), "--socket", socket] + words)
        var instalmentOutput: [String] = []
        for await line in instalment.lines { instalmentOutput.append(line) }
        #expect(await instalment.exitStatus() == 0, "\(instalmentOutput)")
        #expect(instalmentOutput.first?.hasPrefix("OK Anordnung ") == true, "\(instalmentOutput)")
        let typed = try Subprocess([
            Subprocess.binary("sozialraumctl"), "--socket", socket, "-c", words.joined(separator: " "),
        ])
        var typedOutput: [String] = []
        for await line in typed.lines { typedOutput.append(line) }
        #expect(typedOutput == instalmentOutput)
        let unknown = try Subprocess([
            Subprocess.binary("sozialraumctl"), "--socket", socket, "funds", "nowhere", "2026",
        ])
        var unknownOutput: [String] = []
        for await line in unknown.lines { unknownOutput.append(line) }
        #expect(await unknown.exitStatus() == 1)
        #expect(unknownOutput.contains("ERR NOT_FOUND unbekannt: Sozialraum nowhere"))
        // An account made from the shell logs in with its token.
        var environment2 = ProcessInfo.processInfo.environment
        environment2["SOZIALRAUM_STATE_DIRECTORY"] = state
        let user = try Subprocess(
            [Subprocess.binary("sozialraumd"), "user", "set", "rpa", "--tenant", "county", "--role", "auditor"],
            environment: environment2)
        var userOutput: [String] = []
        for await line in user.lines { userOutput.append(line) }
        #expect(await user.exitStatus() == 0)
        let token = userOutput.first { $0.contains("token (shown once): ") }?.components(
            separatedBy: "token (shown once): "
        ).last
        #expect(token?.count == 64)
        environment2["SOZIALRAUM_SECRET"] = token ?? ""
        let auditor = try Subprocess(
            [Subprocess.binary("sozialraumctl"), "--socket", socket, "--login", "rpa", "whoami"],
            environment: environment2)
        var auditorOutput: [String] = []
        for await line in auditor.lines { auditorOutput.append(line) }
        #expect(await auditor.exitStatus() == 0)
        #expect(auditorOutput.contains { $0.hasPrefix("OK rpa@") && $0.hasSuffix("role=auditor") })
        // The metrics page: the database answered, and the demo county's schedules and commands are counted.
        let scrape = try LineClient(path: state + "/metrics.sock")
        scrape.send("GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        var page: [String] = []
        while let line = await scrape.next() { page.append(line) }
        #expect(page.first?.hasPrefix("HTTP/1.1 200 OK") == true)
        #expect(page.contains("sozialraum_database_up 1.0"))
        #expect(page.contains { $0.hasPrefix(#"sozialraum_schedule_slots_total{schedule="previous-month","#) })
        #expect(page.contains { $0.hasPrefix(#"sozialraum_admin_commands_total{command="funds",result="ok"} "#) })
        let unreachable = try Subprocess([
            Subprocess.binary("sozialraumctl"), "--socket", state + "/nothing.sock", "ping",
        ])
        for await _ in unreachable.lines {}
        #expect(await unreachable.exitStatus() == 2)

        daemon.signal(SIGTERM)
        var rest: [String] = []
        while let line = await lines.next() { rest.append(line) }
        #expect(await daemon.exitStatus() == 0)
        #expect(rest.contains { $0.contains("sozialraumd stopped") })
        #expect(!FileManager.default.fileExists(atPath: postmasterPID), "the embedded cluster must be stopped")
    }

    @Test func checkConfigNamesTheBadKeyAndFails() async throws {
        let path = TestScratch.path("bad", suffix: ".json")
        try #"{"database": {"poolSize": "many"}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let bad = try Subprocess([Subprocess.binary("sozialraumd"), "check-config", "--config", path])
        var output: [String] = []
        for await line in bad.lines { output.append(line) }
        #expect(await bad.exitStatus() != 0)
        #expect(output.joined().contains("database.poolSize"))

        let good = try Subprocess(
            [Subprocess.binary("sozialraumd"), "check-config"], environment: ["SOZIALRAUM_DATABASE_POOL_SIZE": "3"])
        var goodOutput: [String] = []
        for await line in good.lines { goodOutput.append(line) }
        #expect(await good.exitStatus() == 0)
        #expect(goodOutput.joined().contains("config ok"))
    }

    /// Issue 30: an installed config asks for its database; the embedded demo only when it says so.
    @Test func aConfigFileWithoutADatabaseIsRefusedInsteadOfStartingADemo() async throws {
        let path = TestScratch.path("no-database", suffix: ".json")
        try #"{"database": {"conninfo": ""}, "stateDirectory": "/nonexistent-state"}"#.write(
            toFile: path, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SOZIALRAUM_CONFIG")
        let serve = try Subprocess(
            [Subprocess.binary("sozialraumd"), "serve", "--config", path], environment: environment)
        var output: [String] = []
        for await line in serve.lines { output.append(line) }
        #expect(await serve.exitStatus() != 0)
        #expect(output.joined().contains("invalid setting database.conninfo: empty"))
        #expect(!FileManager.default.fileExists(atPath: "/nonexistent-state"), "no cluster, no state directory")
    }

    /// Issue 30: check-config loads the TLS certificate and key and names a file that is unusable.
    @Test func checkConfigNamesAnUnusableTLSFile() async throws {
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SOZIALRAUM_CONFIG")
        environment["SOZIALRAUM_ADMIN_TLS_LISTEN"] = "127.0.0.1:7443"
        environment["SOZIALRAUM_ADMIN_TLS_CERTIFICATE"] = "/nonexistent/cert.pem"
        environment["SOZIALRAUM_ADMIN_TLS_PRIVATE_KEY"] = "/nonexistent/key.pem"
        let check = try Subprocess([Subprocess.binary("sozialraumd"), "check-config"], environment: environment)
        var output: [String] = []
        for await line in check.lines { output.append(line) }
        #expect(await check.exitStatus() != 0)
        #expect(output.joined().contains("admin.tlsCertificate: /nonexistent/cert.pem is not a readable PEM"))
    }

    /// Issue 30: `user set` (and `migrate`) that cannot connect as the owner say what to run them as.
    @Test func userSetThatCannotConnectSaysWhatToRunItAs() async throws {
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SOZIALRAUM_CONFIG")
        environment["SOZIALRAUM_DATABASE_CONNINFO"] = "host=/nonexistent-sozialraum dbname=sozialraum user=sozialraum"
        environment["SOZIALRAUM_DATABASE_OWNER_CONNINFO"] =
            "host=/nonexistent-sozialraum dbname=sozialraum user=postgres"
        for command in [["user", "set", "anna", "--tenant", "county", "--role", "county"], ["migrate"]] {
            let run = try Subprocess([Subprocess.binary("sozialraumd")] + command, environment: environment)
            var output: [String] = []
            for await line in run.lines { output.append(line) }
            #expect(await run.exitStatus() != 0)
            let text = output.joined(separator: " ")
            #expect(text.contains("cannot connect as the owner (database.ownerConninfo)"), "\(text)")
            #expect(
                text.contains("sudo -u postgres sozialraumd \(command.prefix(2).joined(separator: " "))"), "\(text)")
        }
    }
}
