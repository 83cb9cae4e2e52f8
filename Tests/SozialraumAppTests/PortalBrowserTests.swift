import Foundation
import Logging
import SozialraumDomain
import SozialraumServices
import SozialraumTestSupport
import Testing

/// The Trägerportal in a real browser (issue 32, item 7): the real `sozialraumd` with `portal.listen`, on a
/// real PostgreSQL, driven by headless Chromium (Debian's `chromium`, `chromium-driver`) through Selenium and
/// checked with axe-core (`Tests/Browser/portal_browser.py`). Screenshots of every page go to
/// `.build/portal-screenshots/`. `.ci/run` installs what it needs; off a CI machine without Chromium it is
/// skipped.
@Suite(.serialized) struct PortalBrowserTests {
    static let chromium = "/usr/bin/chromium"
    static var available: Bool {
        ProcessInfo.processInfo.environment["CI"] != nil || FileManager.default.isExecutableFile(atPath: chromium)
    }
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// One phase of the browser script with `config`; its JSON report (the last line), or nil when it failed,
    /// its output recorded.
    static func phase(_ name: String, _ config: [String: Any]) async throws -> [String: Any]? {
        let path = NSTemporaryDirectory() + "portal-browser-\(UUID().uuidString.prefix(8)).json"
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let script = root.appendingPathComponent("Tests/Browser/portal_browser.py").path
        let (status, output) = try await Subprocess.run(["/usr/bin/env", "python3", script, name, path])
        let report = output.last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        guard status == 0, let report else {
            // The script's traceback and report, without the driver's native stack frames.
            let told = output.filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
            Issue.record("browser phase \(name) failed (\(status)): \(told.suffix(40).joined(separator: "\n"))")
            return nil
        }
        return report
    }

    @Test(.enabled(if: available), .timeLimit(.minutes(5)))
    func aProviderAndTheCountyWorkInTheBrowser() async throws {
        let world = try await BudgetWorld.make()
        let closed = try await world.closedYearCase()
        // Beta serves süd: a 2026 grant of 20 hours a month at 60.00 to deliver on.
        let grant = try await world.openCase("VER-2026-0042", in: world.sued)
            .granted(perMonth: "20", provider: world.beta, key: "grant-browser").id.uuidString.lowercased()
        let accounts = AccountService(store: world.store, logger: Logger(label: "test.browser"), scryptRounds: 1024)
        try await accounts.setAccount(
            name: "beta-buchhaltung", tenant: world.beta.tenant, role: .provider, secret: "beta-schluessel-1",
            actingAs: world.county.tenant)
        try await world.mapFinance(year: 2026)
        let order = try await world.payments.certifyInstalment(
            world.county, provider: world.beta.tenant, socialSpace: world.sued, component: .case,
            month: YearMonth(iso: "2026-12")!, amount: Money(cents: 750_00), idempotencyKey: world.key("abschlag-12")
        ).orderID

        var (environment, state) = SchedulerProcessTests.daemonEnvironment(world, "browser")
        defer { try? FileManager.default.removeItem(atPath: state) }
        environment["SOZIALRAUM_PORTAL_LISTEN"] = "127.0.0.1:0"
        let daemon = try Subprocess([Subprocess.binary("sozialraumd"), "serve"], environment: environment)
        defer { daemon.signal(SIGTERM) }
        var lines = daemon.lines.makeAsyncIterator()
        let started = await Subprocess.lines(&lines, until: "portal listening") ?? []
        let port = try #require(
            started.last.flatMap { $0.firstMatch(of: /port=(\d+)/) }.map { String($0.output.1) })
        // The daemon's output must keep flowing while the browser works.
        Task { while await lines.next() != nil {} }

        let screenshots = Self.root.appendingPathComponent(".build/portal-screenshots").path
        let base: [String: Any] = ["url": "http://127.0.0.1:\(port)", "screenshots": screenshots]
        let provider = try await Self.phase(
            "provider",
            base.merging(
                [
                    "provider": ["name": "beta-buchhaltung", "secret": "beta-schluessel-1"], "grant": grant,
                    "statement": closed.statement,
                ], uniquingKeysWith: { $1 }))
        // The corrected file: 10 + 9.5 hours = 19.5 hours delivered on the grant.
        #expect(try await world.count("delivery") == 3 + 2)

        // The token is rotated: the cookie the browser held is refused.
        try await accounts.setAccount(
            name: "beta-buchhaltung", tenant: world.beta.tenant, role: .provider, secret: "beta-schluessel-2",
            actingAs: world.county.tenant)
        let cookie = try #require(provider?["cookie"] as? String)
        _ = try await Self.phase("stolen", base.merging(["cookie": cookie], uniquingKeysWith: { $1 }))

        _ = try await Self.phase(
            "county",
            base.merging(
                [
                    "order": order, "certifier": ["name": "kaemmerei", "secret": "kaemmerei-secret"],
                    "orderer": ["name": "anordnung", "secret": "anordnung-secret"],
                ], uniquingKeysWith: { $1 }))
        let decided = try await world.orders.orders(world.county).first { $0.id == order }
        #expect(decided?.state == .approved && decided?.decidedBy == "anordnung")
    }

    /// The reports' documents (issue 33) are accessible: the committed sample of the committee report and a
    /// KJH-Statistik working paper, opened from files in Chromium, without a serious or critical axe finding.
    @Test(.enabled(if: available), .timeLimit(.minutes(3)))
    func theReportsDocumentsAreAccessible() async throws {
        let world = try await BudgetWorld.make()
        let reports = world.reconciler()
        _ = try await reports.importStatisticsMapping(
            world.county, year: 2026, csv: CashStatistics.suggestedMappingFile)
        let paper = NSTemporaryDirectory() + "kjh-teil4-\(UUID().uuidString.prefix(8)).html"
        let html = try await reports.cashStatisticsPaper(world.county, year: 2026)
        try html.write(toFile: paper, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: paper) }
        let sample = Self.root.appendingPathComponent("docs/beispiel-bericht-jugendhilfeausschuss.html").path
        let report = try await Self.phase(
            "documents",
            [
                "url": "file://", "screenshots": Self.root.appendingPathComponent(".build/portal-screenshots").path,
                "documents": ["bericht-jha": "file://" + sample, "kjh-teil4": "file://" + paper],
            ])
        #expect((report?["pages"] as? [String: Any])?.keys.sorted() == ["bericht-jha", "kjh-teil4"])
    }
}
