import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumInterfaces
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// The daemon under a stand-in for systemd: its notification socket and watchdog variables.
@Suite struct SystemdNotifyTests {
    @Test func readyAfterTheAdminSocketListensWatchdogPingsAndStoppingOnSIGTERM() async throws {
        let world = try await BudgetWorld.make()
        let notify = try NotifySocket()
        defer { notify.close() }
        let state = NSTemporaryDirectory() + "sozialraumd-notify-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: state) }
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SOZIALRAUM_CONFIG")
        environment["SOZIALRAUM_DATABASE_CONNINFO"] = world.database.runtimeConninfo
        environment["SOZIALRAUM_STATE_DIRECTORY"] = state
        environment["NOTIFY_SOCKET"] = notify.path
        environment["WATCHDOG_USEC"] = "2000000"
        let daemon = try Subprocess([Subprocess.binary("sozialraumd"), "serve"], environment: environment)
        var messages = notify.messages.makeAsyncIterator()
        var statuses: [String] = []
        var readyAt: ContinuousClock.Instant?
        while readyAt == nil, let next = await messages.next() {
            if next.message.contains("READY=1") {
                readyAt = next.at
                // At READY the admin socket must already accept.
                let client = try LineClient(path: state + "/admin.sock")
                #expect(await client.request("ping")?.status == "OK pong")
            }
            statuses.append(next.message)
        }
        #expect(readyAt != nil)
        #expect(statuses.first == "STATUS=starting")
        #expect(statuses.contains("STATUS=checking the database role and schema"))
        #expect(statuses.last?.hasPrefix("READY=1\nSTATUS=serving") == true)

        // The watchdog pings (its interval: `watchdogPingsAtHalfTheInterval`): three in a row arrive.
        var pings = 0
        while pings < 3, let next = await messages.next() {
            if next.message == "WATCHDOG=1" { pings += 1 }
        }
        #expect(pings == 3)

        daemon.signal(SIGTERM)
        var stopping = false
        while !stopping, let next = await messages.next() {
            if next.message.hasPrefix("STOPPING=1") { stopping = true }
        }
        #expect(stopping)
        #expect(await daemon.exitStatus() == 0)
    }

    /// The watchdog pings, then waits half of `WATCHDOG_USEC`, again and again (its clock is the test's).
    @Test func watchdogPingsAtHalfTheInterval() async throws {
        let notify = try NotifySocket()
        defer { notify.close() }
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "2000000"])
        #expect(notifier.watchdogInterval == .seconds(2))
        let (waits, waited) = AsyncStream<Duration>.makeStream()
        let service = WatchdogService(
            notifier: notifier, logger: Logger(label: "test.watchdog"),
            sleep: { duration in
                waited.yield(duration)
                try await Task.sleep(for: .seconds(3600))  // the test's clock: cancelled below
            })
        let running = Task { try await service.run() }
        var messages = notify.messages.makeAsyncIterator()
        var waitIterator = waits.makeAsyncIterator()
        #expect(await messages.next()?.message == "WATCHDOG=1")
        #expect(await waitIterator.next() == .seconds(1))
        running.cancel()
        _ = await running.result
        // Without WATCHDOG_USEC there is no watchdog at all.
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": notify.path]).watchdogInterval == nil)
        #expect(
            SystemdNotifier(environment: ["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1"]).watchdogInterval == nil)
    }

    /// SIGHUP: RELOADING=1, then READY=1; a new peer account serves at once, sessions stay. A bad file
    /// is refused with its reason and the previous configuration keeps serving.
    @Test func aReloadAppliesAGoodConfigurationAndRefusesABadOne() async throws {
        let world = try await BudgetWorld.make()
        try await AccountService(store: world.store, logger: Logger(label: "test"), scryptRounds: 1024).setAccount(
            name: "kaemmerei", tenant: world.county.tenant, role: .county, secret: AccountService.generateToken(),
            actingAs: world.county.tenant)
        let notify = try NotifySocket()
        defer { notify.close() }
        let state = NSTemporaryDirectory() + "sozialraumd-reload-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let config = state + "/sozialraumd.json"
        func write(peers: String, poolSize: String = "4") throws {
            try """
            {"database": {"conninfo": "\(world.database.runtimeConninfo.replacingOccurrences(of: "'", with: ""))", "poolSize": \(poolSize)},
             "stateDirectory": "\(state)", "admin": {"peerAccounts": "\(peers)"}, "log": {"level": "info"}}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        }
        try write(peers: "")
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SOZIALRAUM_CONFIG")
        environment["NOTIFY_SOCKET"] = notify.path
        let daemon = try Subprocess(
            [Subprocess.binary("sozialraumd"), "serve", "--config", config], environment: environment)
        var messages = notify.messages.makeAsyncIterator()
        func next(_ prefix: String) async -> String? {
            while let message = await messages.next()?.message {
                if message.hasPrefix(prefix) { return message }
            }
            return nil
        }
        #expect(await next("READY=1") != nil)
        let session = try LineClient(path: state + "/admin.sock")
        #expect(
            await session.request("whoami")?.status
                == "ERR NOT_LOGGED_IN bitte zuerst anmelden (login <name> <schlüssel>)")

        try write(peers: "\(getuid())=kaemmerei")
        daemon.signal(SIGHUP)
        #expect(await next("RELOADING=1") != nil)
        #expect(await next("READY=1")?.contains("configuration reloaded") == true)
        #expect(
            await (try LineClient(path: state + "/admin.sock")).request("whoami")?.status.hasPrefix("OK kaemmerei@")
                == true)
        #expect(await session.request("ping")?.status == "OK pong", "the open session stays")

        try write(peers: "", poolSize: "\"many\"")
        daemon.signal(SIGHUP)
        #expect(await next("RELOADING=1") != nil)
        let refused = await next("READY=1")
        #expect(refused?.contains("reload refused: invalid setting database.poolSize") == true, "\(refused ?? "")")
        #expect(
            await (try LineClient(path: state + "/admin.sock")).request("whoami")?.status.hasPrefix("OK kaemmerei@")
                == true, "the previous configuration stays")

        // Issue 30: a setting only a restart applies is named in a warning, and the rest is applied.
        try write(peers: "\(getuid())=kaemmerei", poolSize: "5")
        daemon.signal(SIGHUP)
        #expect(await next("RELOADING=1") != nil)
        #expect(await next("READY=1")?.contains("configuration reloaded") == true)

        // The open, idle session does not hold up the stop.
        daemon.signal(SIGTERM)
        #expect(await daemon.exitStatus() == 0)
        #expect(await session.request("ping") == nil, "the session was closed")
        var output: [String] = []
        for await line in daemon.lines { output.append(line) }
        let restartWarnings = output.filter { $0.contains("setting changed; it takes effect on restart") }
        #expect(restartWarnings.count == 1, "\(restartWarnings)")
        #expect(restartWarnings.first?.contains("key=database.poolSize") == true)
    }

    /// A pre-bound listening socket passed as descriptor 3 (`LISTEN_FDS=1`, `LISTEN_PID`, name `admin`):
    /// the daemon serves on it and binds no socket of its own.
    @Test func servesOnASocketPassedBySystemd() async throws {
        let world = try await BudgetWorld.make()
        let state = NSTemporaryDirectory() + "sozialraumd-activated-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let path = state + "/activated.sock"
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(bound == 0 && listen(listener, 16) == 0)
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SOZIALRAUM_CONFIG")
        environment["SOZIALRAUM_DATABASE_CONNINFO"] = world.database.runtimeConninfo
        environment["SOZIALRAUM_STATE_DIRECTORY"] = state
        // systemd sets LISTEN_PID to the service's pid: the shell's pid, which exec keeps.
        let daemon = try Subprocess(
            [
                "/bin/sh", "-c", "LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=admin exec \"$0\" serve",
                Subprocess.binary("sozialraumd"),
            ],
            environment: environment, descriptors: [3: listener])
        Glibc.close(listener)
        var lines = daemon.lines.makeAsyncIterator()
        let startup = await Subprocess.lines(&lines, until: "sozialraumd ready")
        #expect(
            startup?.contains { $0.contains("admin socket listening (passed by systemd)") } == true, "\(startup ?? [])")
        #expect(!FileManager.default.fileExists(atPath: state + "/admin.sock"), "no socket of its own")
        let client = try LineClient(path: path)
        #expect(await client.request("ping")?.status == "OK pong")
        client.shutdownWriting()
        daemon.signal(SIGTERM)
        while await lines.next() != nil {}
        #expect(await daemon.exitStatus() == 0)
        #expect(FileManager.default.fileExists(atPath: path), "the socket unit owns the file")
    }
}
