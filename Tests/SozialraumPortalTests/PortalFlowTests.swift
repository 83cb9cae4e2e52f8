import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import SozialraumDomain
import SozialraumInterfaces
import SozialraumPortal
import SozialraumProtocol
import SozialraumServices
import SozialraumTestSupport
import Testing

/// The Trägerportal's work over real HTTP against a real PostgreSQL (issue 32, items 4 and 5): a provider
/// uploads a month's deliveries (all or nothing, once), reads its statement and downloads it as csv-de; the
/// county gives the second signature in the browser under four eyes and only with a second factor.
@Suite struct PortalFlowTests {
    struct Setup {
        let world: BudgetWorld
        let accounts: AccountService
        let portal: Portal
        let clock: TestClock
    }

    /// 2026-11-25 12:00:00 UTC, the world's today: 1,795,608,000 s since 1970 (20,782 days × 86,400 + 43,200).
    static let noon: Int64 = 1_795_608_000

    static func setUp(_ given: BudgetWorld? = nil) async throws -> Setup {
        let world: BudgetWorld
        if let given { world = given } else { world = try await BudgetWorld.make() }
        let logger = Logger(label: "test.portal")
        let accounts = AccountService(store: world.store, logger: logger, scryptRounds: 1024)
        for (name, caller) in [("alpha-buchhaltung", world.alpha), ("beta-buchhaltung", world.beta)] {
            try await accounts.setAccount(
                name: name, tenant: caller.tenant, role: .provider, secret: "\(name)-schluessel",
                actingAs: world.county.tenant)
        }
        var services = UseCases(store: world.store, logger: logger, today: { BudgetWorld.today })
        services.accounts = accounts
        let clock = TestClock(noon)
        let portal = Portal(
            services: services, logger: logger, today: { BudgetWorld.today }, unixTime: { clock.now })
        return Setup(world: world, accounts: accounts, portal: portal, clock: clock)
    }

    /// Alpha's grant: 10 hours a month at 60.00 in nord. A file with a good March line and an April line whose
    /// quantity is "zehn" is refused with line 3's reason and books nothing; corrected, it books 2 × 10 h ×
    /// 60.00 = 1,200.00; the same form sent again (a double click, a reload) books nothing more.
    @Test(.timeLimit(.minutes(2))) func aProviderUploadsAMonthAllOrNothingAndOnce() async throws {
        let setup = try await Self.setUp()
        let grant = try await setup.world.grantedCase().uuidString.lowercased()
        try await setup.portal.application(.init(host: "127.0.0.1", port: 0)).test(.live) { client in
            var alpha = PortalVisitor(client)
            #expect(try await alpha.login("alpha-buchhaltung", "alpha-buchhaltung-schluessel") == .seeOther)
            let grants = try await alpha.get("/bewilligungen")
            #expect(grants.status == .ok && grants.text.contains("<code>\(grant)</code>"))

            let form = try await alpha.get("/leistungen").text
            let first = try #require(PortalVisitor.hidden("vorgang", in: form))
            let bad = try await alpha.upload(
                "grant_id,month,quantity\n\(grant),2026-03,10\n\(grant),2026-04,zehn\n", transaction: first)
            #expect(bad.status == .unprocessableContent)
            #expect(bad.text.contains("nichts wurde gebucht"))
            #expect(
                bad.text.contains(
                    "<tr><td class=\"zahl\">3</td><td>Menge</td><td>keine Menge (erwartet z. B. 12,5 oder 12.5)"))
            #expect(try await setup.world.count("delivery") == 0)

            let second = try #require(PortalVisitor.hidden("vorgang", in: bad.text))
            #expect(second != first)
            let corrected = "grant_id,month,quantity\n\(grant),2026-03,10\n\(grant),2026-04,10\n"
            let good = try await alpha.upload(corrected, transaction: second)
            #expect(good.status == .ok)
            #expect(good.text.contains("Gebucht: 2 Leistungen") && good.text.contains("zusammen 1.200,00 €"))
            let again = try await alpha.upload(corrected, transaction: second)
            #expect(again.status == .ok && again.text.contains("zusammen 1.200,00 €"))
            #expect(try await setup.world.count("delivery") == 2)

            // Without the form token (a forged form): refused, nothing booked.
            var forged = alpha
            forged.formToken = "fremd"
            let refused = try await forged.upload(corrected, transaction: "fremder-vorgang-1")
            #expect(refused.status == .forbidden)
            #expect(try await setup.world.count("delivery") == 2)
        }
    }

    /// The upload limit is the socket's (`admin.maxUploadBytes`), here 1,024 bytes: a file of 40 lines (over
    /// 2 KiB) is refused unread past the limit, nothing booked; a stranger without a session is sent to the
    /// login before anything is read.
    @Test(.timeLimit(.minutes(2))) func anUploadOverTheLimitIsRefusedAndBooksNothing() async throws {
        let setup = try await Self.setUp()
        let grant = try await setup.world.grantedCase().uuidString.lowercased()
        var services = UseCases(
            store: setup.world.store, logger: Logger(label: "test.portal"), today: { BudgetWorld.today })
        services.accounts = setup.accounts
        let portal = Portal(
            services: services, logger: Logger(label: "test.portal"), today: { BudgetWorld.today },
            maximumUploadBytes: 1_024)
        try await portal.application(.init(host: "127.0.0.1", port: 0)).test(.live) { client in
            let stranger = PortalVisitor(client)
            let away = try await stranger.upload("grant_id,month,quantity\n", transaction: "fremder-vorgang-1")
            #expect(away.status == .seeOther && away.headers[.location] == "/anmelden")

            var alpha = PortalVisitor(client)
            try await alpha.login("alpha-buchhaltung", "alpha-buchhaltung-schluessel")
            let lines = (1...40).map { _ in "\(grant),2026-03,1" }.joined(separator: "\n")
            let large = try await alpha.upload("grant_id,month,quantity\n" + lines, transaction: "grosser-vorgang-1")
            #expect(large.status == .contentTooLarge && large.text.contains("nichts wurde gebucht"))
            #expect(try await setup.world.count("delivery") == 0)
        }
    }

    /// Beta's issued statement of 2025 (three items of 600.00, balance 1,800.00): listed, shown with its items
    /// (each view recorded in the access log), and downloaded as exactly the socket's csv-de; alpha gets 404.
    @Test(.timeLimit(.minutes(2))) func aProviderReadsItsStatementAndDownloadsTheSocketsCSV() async throws {
        let world = try await BudgetWorld.make()
        let closed = try await world.closedYearCase()
        let setup = try await Self.setUp(world)
        let (_, items) = try await world.reconciler().issuedStatement(world.beta, id: closed.statement)
        let expected = ReconciliationTables.statementItems(items, issued: true).lines(.csvDE).map { $0 + "\n" }
            .joined()
        try await setup.portal.application(.init(host: "127.0.0.1", port: 0)).test(.live) { client in
            var beta = PortalVisitor(client)
            try await beta.login("beta-buchhaltung", "beta-buchhaltung-schluessel")
            let list = try await beta.get("/abrechnungen")
            #expect(list.text.contains("<a href=\"/abrechnungen/\(closed.statement)\">"))
            let logged = try await world.count("case_access")
            let page = try await beta.get("/abrechnungen/\(closed.statement)")
            #expect(page.status == .ok)
            #expect(page.text.contains("<dd>1.800,00 € (zahlt der Kreis)</dd>"))
            #expect(page.text.contains("<td>VER-2025-0001</td>"))
            let download = try await beta.get("/abrechnungen/\(closed.statement)/csv")
            #expect(download.status == .ok)
            #expect(download.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(download.text == expected)
            #expect(download.text.hasPrefix("Träger;Position;Nummer;Fall;"))
            #expect(try await world.count("case_access") == logged + 2)

            var alpha = PortalVisitor(client)
            try await alpha.login("alpha-buchhaltung", "alpha-buchhaltung-schluessel")
            #expect(try await alpha.get("/abrechnungen/\(closed.statement)").status == .notFound)
            #expect(try await alpha.get("/abrechnungen/\(closed.statement)/csv").status == .notFound)
        }
    }

    /// An instalment of 500.00 certified by `kaemmerei` (who holds order too) waits for its second signature.
    /// Without a second factor nobody orders in the browser; with one, the certifier is still refused (four
    /// eyes); `anordnung`, after setting up its factor and logging in with a code, orders it (again: the same
    /// answer, booked once). A code is used once; a forged form is refused; a reset factor is gone (a second reset: NOT_FOUND).
    @Test(.timeLimit(.minutes(2))) func theCountyOrdersInTheBrowserUnderFourEyes() async throws {
        let setup = try await Self.setUp()
        let world = setup.world
        try await world.mapFinance(year: 2026)
        let certified = try await world.payments.certifyInstalment(
            world.county, provider: world.alpha.tenant, socialSpace: world.nord, component: .case,
            month: YearMonth(iso: "2026-11")!, amount: Money(cents: 500_00), idempotencyKey: world.key("abschlag-11"))
        let order = certified.orderID
        @Sendable func state() async throws -> PaymentOrderState? {
            try await world.orders.orders(world.county).first { $0.id == order }?.state
        }
        try await setup.portal.application(.init(host: "127.0.0.1", port: 0)).test(.live) { client in
            var certifier = PortalVisitor(client)
            try await certifier.login("kaemmerei", "kaemmerei-secret")
            let withoutFactor = try await certifier.post("/anordnungen/\(order)/anordnen")
            #expect(
                withoutFactor.status == .forbidden && withoutFactor.text.contains("Anordnen nur mit zweitem Faktor"))
            #expect(try await certifier.setUpSecondFactor(clock: setup.clock) != nil)
            let ownOrder = try await certifier.post("/anordnungen/\(order)/anordnen")
            #expect(ownOrder.status == .conflict && ownOrder.text.contains("Vier-Augen-Prinzip"))
            #expect(try await state() == .pending)

            var orderer = PortalVisitor(client)
            try await orderer.login("anordnung", "anordnung-secret")
            let secret = try #require(try await orderer.setUpSecondFactor(clock: setup.clock))
            // From now on the login needs a code: none, a wrong one, then the app's.
            setup.clock.advance(30)
            var again = PortalVisitor(client)
            #expect(try await again.login("anordnung", "anordnung-secret") == .unauthorized)
            let code = OneTimePassword.code(secret: secret, counter: OneTimePassword.step(unixTime: setup.clock.now))
            let wrong = code == "000000" ? "000001" : "000000"
            #expect(try await again.login("anordnung", "anordnung-secret", code: wrong) == .unauthorized)
            #expect(try await again.login("anordnung", "anordnung-secret", code: code) == .seeOther)
            // The same code once more (seen over a shoulder): refused.
            var replay = PortalVisitor(client)
            #expect(try await replay.login("anordnung", "anordnung-secret", code: code) == .unauthorized)

            let forged = try await again.post("/anordnungen/\(order)/anordnen", token: .some("fremd"))
            #expect(forged.status == .forbidden)
            let noToken = try await again.post("/anordnungen/\(order)/anordnen", token: .none)
            #expect(noToken.status == .forbidden)
            #expect(try await state() == .pending)
            let ordered = try await again.post("/anordnungen/\(order)/anordnen")
            #expect(ordered.status == .ok && ordered.text.contains("Anordnung \(order) erteilt: 500,00 €"))
            #expect(try await state() == .approved)
            // Sent again (a reload): the same answer, booked once.
            let bookings = try await world.count("booking")
            let twice = try await again.post("/anordnungen/\(order)/anordnen")
            #expect(twice.status == .ok && twice.text.contains("Anordnung \(order) erteilt: 500,00 €"))
            #expect(try await world.count("booking") == bookings)

            // Alpha sees the order paying it.
            var alpha = PortalVisitor(client)
            try await alpha.login("alpha-buchhaltung", "alpha-buchhaltung-schluessel")
            let orders = try await alpha.get("/anordnungen").text
            #expect(orders.contains("<td>Abschlag</td>") && orders.contains("<td>angeordnet</td>"))
            #expect(!orders.contains("/anordnen\""))
        }
        // The phone is lost: the account administration removes the factor; a second removal finds none.
        try await setup.accounts.setAccount(
            name: "benutzerverwaltung", tenant: world.county.tenant, role: .county, secret: "verwaltung-secret",
            actingAs: world.county.tenant, rights: [.accounts])
        let administrator = Caller(
            tenant: world.county.tenant, role: .county, name: "benutzerverwaltung", rights: [.accounts])
        let account = Account(
            name: "benutzerverwaltung", tenant: world.county.tenant, role: .county, rights: [.accounts])
        _ = try await AccountService.checkingEachTransaction(for: account) {
            try await setup.accounts.resetSecondFactor(administrator, account: "anordnung")
            await #expect(throws: ServiceError.notFound("second factor of anordnung")) {
                try await setup.accounts.resetSecondFactor(administrator, account: "anordnung")
            }
        }
    }
}
