import Foundation
import Logging
import SozialraumDomain
import SozialraumServices
import SozialraumTestSupport
import Synchronization
import Testing

@testable import SozialraumInterfaces

/// The Prometheus endpoint beside a running admin socket: the same registry, the text format, and what a
/// stranger who can connect may do (issue 21).
@Suite struct MetricsEndpointTests {
    /// The endpoint on a loopback port (port 0: the kernel's choice), serving `admin`'s metrics.
    struct Endpoint {
        let task: Task<Void, any Error>
        let port: Int?

        static func start(
            _ admin: AdminWorld, listen: MetricsListen = .tcp(host: "127.0.0.1", port: 0),
            limits: MetricsServerLimits = MetricsServerLimits(),
            county: (@Sendable () async throws -> TenantID?)? = nil
        ) async throws -> Endpoint {
            let tenant = admin.world.county.tenant
            let county = county ?? { tenant }
            let (listening, continuation) = AsyncStream<Int?>.makeStream()
            let server = MetricsServer(
                listen: listen, limits: limits, logger: Logger(label: "test.metrics"),
                onListening: { port in
                    continuation.yield(port)
                    continuation.finish()
                },
                page: { [server = admin.server] in await server.metricsExposition(county: county) })
            let task = Task { try await server.run() }
            var port: Int?
            for await bound in listening { port = bound }
            return Endpoint(task: task, port: port)
        }

        func connect() throws -> LineClient { try LineClient(loopbackPort: port!) }
    }

    /// Sends one request and reads until the server closes: status line, headers, body lines (no CRs).
    static func exchange(
        _ client: LineClient, _ request: String
    ) async -> (status: String, headers: [String], body: [String])? {
        client.send(request)
        var lines: [String] = []
        while let line = await client.next() { lines.append(line.hasSuffix("\r") ? String(line.dropLast()) : line) }
        guard let status = lines.first, let blank = lines.firstIndex(of: "") else { return nil }
        return (status, Array(lines[1..<blank]), Array(lines[(blank + 1)...]))
    }

    static func get(_ path: String) -> String { "GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" }

    @Test func theEndpointServesTheRegistryThatStatsShows() async throws {
        let admin = try await AdminWorld.start(peerAccounts: [getuid(): "it"])
        defer { admin.stop() }
        let endpoint = try await Endpoint.start(admin)
        defer { endpoint.task.cancel() }
        let it = try await admin.client()
        // Three statuses and one failing pause, counted as they finish.
        for _ in 0..<3 { #expect(await it.request("status")?.status == "OK status") }
        #expect(await it.request("pause no-such-schedule")?.status.hasPrefix("ERR NOT_FOUND") == true)

        let page = await Self.exchange(try endpoint.connect(), Self.get("/metrics"))
        #expect(page?.status == "HTTP/1.1 200 OK")
        #expect(page?.headers.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8") == true)
        let body = page?.body ?? []
        #expect(body.contains("# TYPE sozialraum_admin_commands_total counter"))
        #expect(body.contains(#"sozialraum_admin_commands_total{command="status",result="ok"} 3"#))
        #expect(body.contains(#"sozialraum_admin_commands_total{command="pause",result="NOT_FOUND"} 1"#))
        // 4 commands in the latency histogram, whatever their buckets.
        #expect(body.contains(#"sozialraum_admin_command_duration_seconds_bucket{le="+Inf"} 4"#))
        #expect(body.contains("# TYPE sozialraum_schedule_slots_total counter"))
        // sql/0005 seeds previous-month; nothing has run on this fresh database.
        #expect(body.contains(#"sozialraum_schedule_slots_total{schedule="previous-month",outcome="succeeded"} 0"#))
        #expect(body.contains(#"sozialraum_schedule_overdue{schedule="previous-month"} 0.0"#))
        // Issue 30: no success yet, no series (a 0 would fire `time() - last_success > …` from day one).
        #expect(!body.contains { $0.hasPrefix("sozialraum_schedule_last_success_seconds{") })
        #expect(body.contains("sozialraum_database_up 1.0"))
        // No payload ever: no tenant ids, no account names.
        #expect(!body.joined().contains(admin.world.alpha.tenant.description))
        // docs/protocol.md's `stats` row names every metric the page has (a histogram by its base name).
        let statsRow = ProtocolDocsTests.reference.split(separator: "\n").first { $0.hasPrefix("| `stats` |") } ?? ""
        let names = body.filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
        #expect(names.count >= 10)
        #expect(names.filter { !statsRow.contains("`\($0)") }.isEmpty, "metrics missing in docs/protocol.md")

        // `stats` renders the same registry: the same count for the statuses (the stats command itself is
        // counted after its reply).
        let stats = await it.request("stats format=csv")
        #expect(stats?.data.contains(#"sozialraum_admin_commands_total,"command=""status"",result=""ok""",3"#) == true)
        #expect(stats?.data.contains("sozialraum_database_up,,1") == true)
    }

    @Test func aDatabaseThatCannotBeReadShowsAsDownAndTheRestStays() async throws {
        struct Unreachable: Error {}
        let admin = try await AdminWorld.start(peerAccounts: [getuid(): "it"])
        defer { admin.stop() }
        let endpoint = try await Endpoint.start(admin, county: { throw Unreachable() })
        defer { endpoint.task.cancel() }
        let it = try await admin.client()
        #expect(await it.request("ping")?.status == "OK pong")
        let body = await Self.exchange(try endpoint.connect(), Self.get("/metrics"))?.body ?? []
        #expect(body.contains("sozialraum_database_up 0.0"))
        #expect(body.contains(#"sozialraum_admin_commands_total{command="ping",result="ok"} 1"#))
        // What needs the database is absent rather than stale.
        #expect(!body.contains { $0.hasPrefix("sozialraum_schedule_slots_total") })
    }

    @Test func onlyGETOfMetricsIsServedAndAnythingElseIsRefused() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let endpoint = try await Endpoint.start(admin)
        defer { endpoint.task.cancel() }
        #expect(await Self.exchange(try endpoint.connect(), Self.get("/admin"))?.status == "HTTP/1.1 404 Not Found")
        // A method that may carry a body is answered and the connection closed (the body is never read).
        let post = await Self.exchange(
            try endpoint.connect(),
            "POST /metrics HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000000\r\n\r\nlogin kaemmerei x")
        #expect(post?.status == "HTTP/1.1 405 Method Not Allowed")
        #expect(post?.headers.contains("Allow: GET, HEAD") == true)
        // Not HTTP at all: 400 and closed.
        let garbage = await Self.exchange(try endpoint.connect(), "login kaemmerei secret\r\n\r\n")
        #expect(garbage?.status.hasPrefix("HTTP/1.1 400") == true)
        // HEAD: the headers without the page.
        let head = await Self.exchange(
            try endpoint.connect(), "HEAD /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        #expect(head?.status == "HTTP/1.1 200 OK")
        #expect(head?.body.isEmpty == true)
    }

    /// A stranger who can connect cannot hold the endpoint: a connection past the limit takes the place of
    /// the silent one that waited longest (closed at once), and an idle one is closed by the server.
    @Test func connectionsPastTheLimitAreClosedAndIdleOnesEnd() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        var limits = MetricsServerLimits()
        limits.maximumConnections = 2
        limits.idleTimeout = .milliseconds(500)
        let endpoint = try await Endpoint.start(admin, limits: limits)
        defer { endpoint.task.cancel() }
        // Two silent connections hold both places; a third takes the first one's place.
        let first = try endpoint.connect()
        let second = try endpoint.connect()
        let third = try endpoint.connect()
        #expect(await first.next() == nil)
        #expect(await third.next() == nil)
        // The silent ones are closed by the server (idle timeout), without a reply.
        #expect(await first.next() == nil)
        #expect(await second.next() == nil)
        // Then the places are free again (the count is given back once a connection's task ends; ask until
        // it is, a bounded number of times).
        var status: String?
        for _ in 0..<1_000 where status == nil {
            status = await Self.exchange(try endpoint.connect(), Self.get("/metrics"))?.status
        }
        #expect(status == "HTTP/1.1 200 OK")
    }

    /// Issue 35: connections that trickle a request byte by byte (here both places, a byte each 50 ms) are
    /// closed once their request deadline (1 s) passes, though they are never idle; a real scrape meanwhile
    /// takes the place of the one that waited longest and is answered.
    @Test func tricklingConnectionsAreClosedAndAScrapeGetsThrough() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        var limits = MetricsServerLimits()
        limits.maximumConnections = 2
        limits.requestTimeout = .seconds(1)
        let endpoint = try await Endpoint.start(admin, limits: limits)
        defer { endpoint.task.cancel() }
        let tricklers = [try endpoint.connect(), try endpoint.connect()]
        let closed = tricklers.map { trickler in Task { await trickler.next() } }
        // The attack's own pace, bounded only as a safety net (2 minutes, far past the 1 s deadline even on a
        // loaded machine); it is cancelled once both connections are closed.
        // A well-formed request that never ends: a header value growing by one byte.
        for trickler in tricklers { trickler.send("GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Slow: ") }
        let stillTrickling = Locked(true)
        let trickling = Task {
            for _ in 0..<2400 {
                for trickler in tricklers { trickler.send("a") }
                try await Task.sleep(for: .milliseconds(50))
            }
            stillTrickling.withLock { $0 = false }
        }
        defer { trickling.cancel() }
        let scrape = await Self.exchange(try endpoint.connect(), Self.get("/metrics"))
        #expect(scrape?.status == "HTTP/1.1 200 OK")
        for connection in closed { #expect(await connection.value == nil) }
        // Closed while still sending: the deadline, not the idle timeout, ended them.
        #expect(stillTrickling.withLock { $0 })
    }

    @Test func theEndpointOnAUnixSocket() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let path = NSTemporaryDirectory() + "sozialraum-metrics-\(UUID().uuidString.prefix(8)).sock"
        let endpoint = try await Endpoint.start(admin, listen: .unix(path: path))
        defer { endpoint.task.cancel() }
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o660)
        let page = await Self.exchange(try LineClient(path: path), Self.get("/metrics"))
        #expect(page?.status == "HTTP/1.1 200 OK")
        #expect(page?.body.contains("sozialraum_database_up 1.0") == true)
    }

    @Test(arguments: [
        ("", nil),
        ("127.0.0.1:9464", MetricsListen.tcp(host: "127.0.0.1", port: 9464)),
        ("[::1]:9464", MetricsListen.tcp(host: "::1", port: 9464)),
        ("localhost:9464", MetricsListen.tcp(host: "localhost", port: 9464)),
        ("unix:/run/sozialraum/metrics.sock", MetricsListen.unix(path: "/run/sozialraum/metrics.sock")),
    ])
    func listenAddressesThatAreAccepted(text: String, expected: MetricsListen?) throws {
        #expect(try MetricsListen.parse(text) == expected)
    }

    @Test(arguments: ["0.0.0.0:9464", "192.168.1.5:9464", "[::]:9464", "127.0.0.1", "unix:metrics.sock", "9464"])
    func listenAddressesThatAreRefused(text: String) {
        #expect(throws: MetricsListenError.self) { try MetricsListen.parse(text) }
    }
}

/// The registry's snapshot without a network: counters kept by the database, series that go away.
@Suite struct DaemonMetricsTests {
    typealias Sample = DaemonMetrics.Sample

    static func slots(_ value: Int64) -> Sample {
        Sample(
            name: "sozialraum_schedule_slots_total", labels: [("schedule", "nightly"), ("outcome", "failed")],
            value: value, kind: .counter, help: "slots")
    }

    @Test func aDatabaseCounterRisesByTheDifferenceAndStartsAgainWhenItFalls() {
        let metrics = DaemonMetrics()
        let line = #"sozialraum_schedule_slots_total{schedule="nightly",outcome="failed"} "#
        metrics.publish([Self.slots(3)])
        #expect(metrics.exposition().contains(line + "3\n"))
        // 3 → 5: the counter shows 5, not 3 + 5.
        metrics.publish([Self.slots(5)])
        #expect(metrics.exposition().contains(line + "5\n"))
        // The schedule was defined anew (its counts start at 2): a reset, then 2.
        metrics.publish([Self.slots(2)])
        #expect(metrics.exposition().contains(line + "2\n"))
    }

    @Test func aSeriesMissingFromTheNextSnapshotDisappears() {
        let metrics = DaemonMetrics()
        let retained = Sample(
            name: "sozialraum_job_runs_retained", labels: [("job", "reconcile"), ("state", "failed")], value: 4,
            help: "kept runs")
        metrics.publish([retained, Self.slots(1)])
        #expect(metrics.exposition().contains(#"sozialraum_job_runs_retained{job="reconcile",state="failed"} 4.0"#))
        metrics.publish([])
        #expect(!metrics.exposition().contains("sozialraum_job_runs_retained{"))
        #expect(!metrics.exposition().contains("sozialraum_schedule_slots_total{"))
    }

    @Test func statsRowsAreSortedWithBucketsInTheirOrder() {
        let metrics = DaemonMetrics()
        metrics.commandFinished(command: "status", result: "ok", duration: .milliseconds(3))
        metrics.commandFinished(command: "ping", result: "ok", duration: .milliseconds(700))
        let rows = metrics.rows()
        let buckets = rows.filter { $0.metric == "sozialraum_admin_command_duration_seconds_bucket" }
        // Bounds 1, 5, 10, 50, 100, 500, 1000, 5000 ms and +Inf: 3 ms from the 5 ms bucket on, 700 ms from 1 s on.
        #expect(buckets.map(\.value) == ["0", "1", "1", "1", "1", "1", "2", "2", "2"])
        #expect(buckets.last?.labels == #"le="+Inf""#)
        let commands = rows.filter { $0.metric == "sozialraum_admin_commands_total" }.map(\.labels)
        #expect(commands == [#"command="ping",result="ok""#, #"command="status",result="ok""#])
    }
}
