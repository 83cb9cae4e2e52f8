import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import PostgresClient
import PostgresEmbedded
import SozialraumDomain
import SozialraumInterfaces
import SozialraumPortal
import SozialraumServices
import SozialraumStore

/// The Trägerportal under 32 bookkeepers (issue 32): each logs in once, then loads, without pause, the
/// overview (the funds of its three Sozialräume) or the download of an issued statement of 1,000 items as
/// csv-de: p99 per page, and each page's median against the same use case over the admin socket in the same
/// run (the overview: `assignments` and `funds` of each Sozialraum; the download: `issued-statement <n> items`
/// as csv-de), with the same number of sessions. Then the 32 browse as people do — overview, list, download,
/// a pause between pages — and the pages' p99 is reported.
struct PortalBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portal",
        abstract: "Portal pages at N users (p99) vs the same use cases over the admin socket, same sessions.")

    @Option(help: "Concurrent users (portal sessions, and admin sessions for the baseline).")
    var users = 32

    @Option(help: "Seconds each side runs.")
    var seconds = 10

    @Option(help: "Items of the issued statement (delivered grants).")
    var items = 1000

    @Option(help: "A browsing user's pause between pages, in ms (the saturated runs have none).")
    var thinkMs = 1000

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let bench = try BenchCluster.start(logger: logger)
        defer { bench.stop() }
        let (county, provider) = try await bench.prepareTemplate(grants: items)
        try await bench.openYears(BenchCluster.template, county: county, years: 2026...2026)
        let store = Store(
            conninfo: bench.cluster.conninfo(database: BenchCluster.template, user: DatabaseRoles.defaultLogin),
            maxConnections: 10, logger: logger)
        let today: @Sendable () -> Day = { Day(iso: "2026-11-25")! }
        let accounts = AccountService(store: store, logger: logger, scryptRounds: 1024)
        let secret = AccountService.generateToken()
        // The county's controller (issues the statement: the database checks the account's rights).
        try await accounts.setAccount(
            name: "bench", tenant: county, role: .county, secret: AccountService.generateToken(), actingAs: county)
        try await accounts.setAccount(
            name: "bench-traeger", tenant: provider, role: .provider, secret: secret, actingAs: county)
        let services = UseCases(store: store, logger: logger, today: today, accounts: accounts)
        let statement = try await Self.issueStatement(
            services, store: store, county: county, provider: provider, bench: bench)

        // The portal, in this process on loopback.
        let portal = Portal(services: services, logger: logger, today: today)
        let (bound, announce) = AsyncStream<Int>.makeStream()
        let portalTask = Task {
            try await portal.application(.init(host: "127.0.0.1", port: 0)) { port in
                announce.yield(port)
                announce.finish()
            }.runService()
        }
        var port = 0
        for await value in bound { port = value }
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: HTTPClient.Configuration(
                redirectConfiguration: .disallow,
                connectionPool: HTTPClient.Configuration.ConnectionPool(
                    idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: users)))
        let base = "http://127.0.0.1:\(port)"
        var signedIn: [String] = []
        for _ in 0..<users { signedIn.append(try await Self.login(client, base, secret: secret)) }
        let cookies = signedIn
        let overview = try await Self.drive(users: users, seconds: seconds) { user in
            try await Self.get(client, base + "/", cookie: cookies[user])
        }
        let download = try await Self.drive(users: users, seconds: seconds) { user in
            try await Self.get(client, base + "/abrechnungen/\(statement)/csv", cookie: cookies[user])
        }
        // Browsing: each user opens the overview, the list of statements and the download, pausing between.
        let pages = ["/", "/abrechnungen", "/abrechnungen/\(statement)/csv"]
        let browsing = try await Self.browse(
            users: users, seconds: max(seconds, 10 * thinkMs / 1000), think: .milliseconds(thinkMs)
        ) { user, turn in
            try await Self.get(client, base + pages[turn % pages.count], cookie: cookies[user])
        }
        try await client.shutdown()
        portalTask.cancel()

        // The same use cases over the admin socket, the provider's account by peer uid.
        let path = bench.directory.appendingPathComponent("admin.sock").path
        var configuration = AdminSocketConfiguration(unixSocketPath: path)
        configuration.peerAccounts = [getuid(): "bench-traeger"]
        configuration.limits.maximumSessionsPerAccount = users + 8
        let (listening, signal) = AsyncStream<Void>.makeStream()
        let server = AdminServer(
            configuration: configuration, services: services, logger: logger,
            onListening: { _ in
                signal.yield()
                signal.finish()
            })
        let serverTask = Task { try await server.run() }
        for await _ in listening {}
        let spaces = BenchCluster.spaces
        let socketOverview = try await SessionLoad.drivePages(users: users, seconds: seconds, path: path) {
            ["assignments"] + spaces.map { "funds \($0) 2026" }
        }
        let socketDownload = try await SessionLoad.drivePages(users: users, seconds: seconds, path: path) {
            ["issued-statement \(statement) items format=csv-de"]
        }
        serverTask.cancel()
        await store.shutdown()

        for (name, portalLoad, socketLoad) in [
            ("overview", overview, socketOverview), ("statement csv-de (\(items) items)", download, socketDownload),
        ] {
            print(
                String(
                    format:
                        "portal users=%d %@: %.0f pages/s, median %.2f ms, p99 %.2f ms; admin socket: median %.2f ms, p99 %.2f ms; ratio portal/socket (median) = %.2f",
                    users, name, portalLoad.rate, portalLoad.percentile(0.5), portalLoad.percentile(0.99),
                    socketLoad.percentile(0.5), socketLoad.percentile(0.99),
                    portalLoad.percentile(0.5) / socketLoad.percentile(0.5)))
        }
        print(
            String(
                format:
                    "portal users=%d browsing (overview, statements, download; %d ms between pages): %.0f pages/s, median %.2f ms, p99 %.2f ms",
                users, thinkMs, browsing.rate, browsing.percentile(0.5), browsing.percentile(0.99)))
    }

    /// Each grant delivered 10 hours in March, a run of 2026, the provider's statement issued: its id.
    static func issueStatement(
        _ services: UseCases, store: Store, county: TenantID, provider: TenantID, bench: BenchCluster
    ) async throws -> Int64 {
        let admin = try await bench.superuser(BenchCluster.template)
        let grants = try await admin.query(
            PostgresQuery(unsafeSQL: "SELECT id::text FROM grant_decision WHERE tenant_id = $1", [provider.uuid])
        ).map { try $0.decode(0, as: String.self) }
        let csv = "grant_id,month,quantity\n" + grants.map { "\($0),2026-03,10" }.joined(separator: "\n") + "\n"
        let bookkeeper = Caller(tenant: provider, role: .provider, name: "bench-traeger")
        _ = try await services.grants.importDeliveries(
            bookkeeper, csv: csv, idempotencyKey: IdempotencyKey("bench-portal-import")!)
        let controller = Caller(tenant: county, role: .county, name: "bench", rights: CountyRight.defaultForCounty)
        let run = try await services.reconciliation.run(controller, scope: .year(2026))
        return try await services.reconciliation.issueStatement(controller, runID: run.runID, provider: provider).id
    }

    /// Logs in through the form as a browser does; the session cookie.
    static func login(_ client: HTTPClient, _ base: String, secret: String) async throws -> String {
        let form = try await client.execute(HTTPClientRequest(url: base + "/anmelden"), timeout: .seconds(30))
        let token = Self.cookie("sozialraum_anmeldung", form.headers)
        var request = HTTPClientRequest(url: base + "/anmelden")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Cookie", value: "sozialraum_anmeldung=\(token)")
        request.body = .bytes(ByteBuffer(string: "formular=\(token)&konto=bench-traeger&schluessel=\(secret)"))
        let response = try await client.execute(request, timeout: .seconds(30))
        let session = Self.cookie("sozialraum_sitzung", response.headers)
        guard response.status == .seeOther, !session.isEmpty else { throw ValidationError("portal login failed") }
        return session
    }

    static func cookie(_ name: String, _ headers: HTTPHeaders) -> String {
        for header in headers["Set-Cookie"] where header.hasPrefix(name + "=") {
            return String(header.dropFirst(name.count + 1).prefix { $0 != ";" })
        }
        return ""
    }

    /// One page, read to its end; false unless 200.
    static func get(_ client: HTTPClient, _ url: String, cookie: String) async throws -> Bool {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Cookie", value: "sozialraum_sitzung=\(cookie)")
        let response = try await client.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 64 * 1024 * 1024)
        return response.status == .ok
    }

    /// `users` tasks, each loading page after page with a pause before each, for `seconds`: every page's
    /// latency (the pauses not counted).
    static func browse(
        users: Int, seconds: Int, think: Duration, page: @escaping @Sendable (Int, Int) async throws -> Bool
    ) async throws -> SessionLoad {
        let deadline = ContinuousClock.now + .seconds(seconds)
        let start = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for user in 0..<users {
                group.addTask {
                    var latencies: [Double] = []
                    var turn = user
                    // Users start spread over one pause, as people do.
                    if think > .zero { try await Task.sleep(for: think * Double(user) / Double(users)) }
                    while ContinuousClock.now < deadline {
                        let begin = ContinuousClock.now
                        guard try await page(user, turn) else { break }
                        latencies.append(elapsedSeconds(ContinuousClock.now - begin) * 1000)
                        turn += 1
                        if think > .zero { try await Task.sleep(for: think) }
                    }
                    return latencies
                }
            }
            return try await group.reduce(into: [Double]()) { $0 += $1 }
        }
        return SessionLoad(latencies: latencies.sorted(), seconds: elapsedSeconds(ContinuousClock.now - start))
    }

    /// `users` tasks, each loading its page in a loop for `seconds`, without pause: every page's latency.
    static func drive(
        users: Int, seconds: Int, page: @escaping @Sendable (Int) async throws -> Bool
    ) async throws -> SessionLoad {
        try await browse(users: users, seconds: seconds, think: .zero) { user, _ in try await page(user) }
    }
}

extension SessionLoad {
    /// Like `drive`, a page being several requests sent one after another (each answered before the next).
    static func drivePages(
        users: Int, seconds: Int, path: String, requests: @escaping @Sendable () -> [String]
    ) async throws -> SessionLoad {
        let deadline = ContinuousClock.now + .seconds(seconds)
        let results = Locked<[[Double]]>([])
        let start = ContinuousClock.now
        let threads = (0..<users).map { _ in
            Thread {
                var latencies: [Double] = []
                if let client = try? BlockingClient(path: path) {
                    page: while ContinuousClock.now < deadline {
                        let begin = ContinuousClock.now
                        for line in requests() where !client.request(line).hasPrefix("OK") { break page }
                        latencies.append(elapsedSeconds(ContinuousClock.now - begin) * 1000)
                    }
                }
                results.withLock { $0.append(latencies) }
            }
        }
        for thread in threads { thread.start() }
        while results.withLock({ $0.count }) < users { try await Task.sleep(for: .milliseconds(100)) }
        return SessionLoad(
            latencies: results.withLock { $0 }.flatMap { $0 }.sorted(),
            seconds: elapsedSeconds(ContinuousClock.now - start))
    }
}
