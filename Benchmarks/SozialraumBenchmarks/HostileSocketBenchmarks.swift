import ArgumentParser
import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import SozialraumCtlKit
import SozialraumDomain
import SozialraumInterfaces
import SozialraumServices
import SozialraumStore

#if canImport(Glibc)
import Glibc
#endif

/// The admin socket under hostile load (issue 17): how many sessions strangers on the network hold, the
/// daemon's memory under hundreds of hostile connections and under uploads at their limits, and how long
/// a right login takes during a storm of wrong ones (production scrypt cost).
struct HostileSocket: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hostile-socket",
        abstract: "Sessions strangers hold, RSS under hostile connections and uploads, a login during a guessing storm."
    )

    @Option(help: "Hostile connections from one address (plain TCP on 127.0.0.1).")
    var strangers = 300

    @Option(help: "Concurrent wrong logins during which one right login is timed.")
    var guesses = 40

    @Option(help: "Sessions uploading at once, each a block of the per-upload limit.")
    var uploaders = 16

    @Option(name: .customLong("upload-mib"), help: "Per-upload limit in MiB (the daemon's admin.maxUploadBytes).")
    var uploadMiB = 16

    @Option(
        name: .customLong("budget-mib"), help: "Budget of all uploads in flight in MiB (admin.maxUploadBytesInFlight).")
    var budgetMiB = 64

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let bench = try BenchCluster.start(logger: logger)
        defer { bench.stop() }
        let (county, provider) = try await bench.prepareTemplate(grants: 10)
        try await bench.openYears(BenchCluster.template, county: county, years: 2026...2026)
        let store = Store(
            conninfo: bench.cluster.conninfo(database: BenchCluster.template, user: DatabaseRoles.defaultLogin),
            maxConnections: 10, logger: logger)
        let accounts = AccountService(store: store, logger: logger)
        let secret = AccountService.generateToken()
        try await accounts.setAccount(name: "kasse", tenant: county, role: .county, secret: secret, actingAs: county)
        try await accounts.setAccount(
            name: "traeger", tenant: provider, role: .provider, secret: secret, actingAs: county)
        let path = bench.directory.appendingPathComponent("admin.sock").path
        var configuration = AdminSocketConfiguration(unixSocketPath: path)
        configuration.plainTCP = ("127.0.0.1", 0)
        configuration.limits.maximumUploadBytes = uploadMiB * 1_048_576
        configuration.limits.maximumUploadBytesInFlight = budgetMiB * 1_048_576
        configuration.limits.uploadDirectory = bench.directory.path
        configuration.limits.maximumSessionsPerAccount = max(32, uploaders + 8)
        let (listening, signal) = AsyncStream<AdminServer.BoundPorts>.makeStream()
        let server = AdminServer(
            configuration: configuration,
            services: UseCases(store: store, logger: logger, today: { Day(iso: "2026-11-25")! }, accounts: accounts),
            logger: logger,
            onListening: { ports in
                signal.yield(ports)
                signal.finish()
            })
        let serverTask = Task { try await server.run() }
        var port = 0
        for await ports in listening { port = ports.plainTCP ?? 0 }

        // 1. Strangers: connections from one address that never log in, each sending `ping`.
        let before = residentMiB()
        var held: [UnixConnection] = []
        var answered = 0
        for _ in 0..<strangers {
            guard let connection = try? UnixConnection.loopbackTCP(port: port) else { continue }
            connection.write("ping\n")
            if connection.readReply()?.status == "OK pong" { answered += 1 }
            held.append(connection)
        }
        let withStrangers = residentMiB()
        let local = try UnixConnection(path: path)
        local.write("ping\n")
        let localAnswer = local.readReply()?.status ?? "-"
        print(
            String(
                format:
                    "hostile-socket strangers=%d: sessions held %d (limit per source %d), RSS %.1f → %.1f MiB; local Unix socket: %@",
                strangers, answered, configuration.limits.maximumSessionsBeforeLoginPerSource, before, withStrangers,
                localAnswer))
        held.removeAll()

        // 2. Uploads at their limit from many logged-in sessions at once.
        let beforeUploads = residentMiB()
        let row = "00000000-0000-0000-0000-000000000000,2026-03,8\n"
        let rows = (uploadMiB * 1_048_576 - 100) / row.utf8.count
        let block = Array(("grant_id,month,quantity\n" + String(repeating: row, count: rows)).utf8)
        let peak = Locked(beforeUploads)
        let outcomes = Locked<[String]>([])
        let sampler = Thread {
            while !Thread.current.isCancelled {
                let now = residentMiB()
                peak.withLock { $0 = max($0, now) }
                usleep(20_000)
            }
        }
        sampler.start()
        let group = DispatchGroup()
        for index in 0..<uploaders {
            group.enter()
            Thread {
                defer { group.leave() }
                guard let client = try? UnixConnection(path: path) else { return }
                client.write("login traeger \(secret)\n")
                _ = client.readReply()
                client.write("import-deliveries key=hostile-upload-\(index) <<\n")
                client.write(block)
                client.write(".\n")
                let status = client.readReply()?.status ?? "closed"
                outcomes.withLock { $0.append(String(status.prefix(14))) }
            }.start()
        }
        group.wait()
        sampler.cancel()
        let busy = outcomes.withLock { $0.filter { $0.hasPrefix("ERR BUSY") }.count }
        print(
            String(
                format:
                    "hostile-socket uploads=%d × %d MiB, budget %d MiB: %d refused BUSY; RSS %.1f MiB before, peak %.1f MiB (+%.1f MiB)",
                uploaders, uploadMiB, budgetMiB, busy, beforeUploads, peak.withLock { $0 },
                peak.withLock { $0 } - beforeUploads))

        // 3. One right login at the local socket during a storm of wrong ones over the network.
        let networkPort = port
        let storm = DispatchGroup()
        for index in 0..<guesses {
            storm.enter()
            Thread {
                defer { storm.leave() }
                guard let client = try? UnixConnection.loopbackTCP(port: networkPort) else { return }
                client.write("login kasse wrong-guess-\(index)\n")
                _ = client.readReply()
            }.start()
        }
        let started = ContinuousClock.now
        let right = try UnixConnection(path: path)
        right.write("login kasse \(secret)\n")
        let status = right.readReply()?.status ?? "closed"
        let elapsed = ContinuousClock.now - started
        storm.wait()
        print(
            String(
                format: "hostile-socket login during %d wrong ones: %.2f s (%@)", guesses,
                elapsedSeconds(elapsed), String(status.prefix(24))))
        serverTask.cancel()
        await store.shutdown()
    }
}
