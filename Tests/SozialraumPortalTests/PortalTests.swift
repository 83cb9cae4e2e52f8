import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOPosix
import NIOSSL
import SozialraumDomain
import SozialraumInterfaces
import SozialraumPortal
import SozialraumServices
import SozialraumTestSupport
import Testing

/// The Trägerportal's first pages over real HTTP (issue 32, items 3 and 5): the login form and its headers,
/// the token login with a server-side session in an `HttpOnly; Secure; SameSite=Strict` cookie, the funds
/// overview of the provider's Sozialräume, form tokens on every POST, and a session that ends with a rotated
/// token.
@Suite struct PortalTests {
    struct Setup {
        let world: BudgetWorld
        let accounts: AccountService
        let portal: Portal
    }

    static func setUp() async throws -> Setup {
        let world = try await BudgetWorld.make()
        let accounts = AccountService(store: world.store, logger: Logger(label: "test.portal"), scryptRounds: 1024)
        try await accounts.setAccount(
            name: "alpha-buchhaltung", tenant: world.alpha.tenant, role: .provider, secret: "alpha-schluessel-1",
            actingAs: world.county.tenant)
        var services = UseCases(store: world.store, logger: Logger(label: "test.portal"), today: { BudgetWorld.today })
        services.accounts = accounts
        let portal = Portal(services: services, logger: Logger(label: "test.portal"), today: { BudgetWorld.today })
        return Setup(world: world, accounts: accounts, portal: portal)
    }

    static func cookie(_ name: String, in response: TestResponse) -> (value: String, attributes: String)? {
        for header in response.headers[values: .setCookie] where header.hasPrefix("\(name)=") {
            let value = header.dropFirst(name.count + 1).prefix { $0 != ";" }
            return (String(value), header)
        }
        return nil
    }

    static func form(_ fields: [(String, String)]) -> ByteBuffer {
        ByteBuffer(
            string: fields.map {
                "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
            }.joined(separator: "&"))
    }

    static let formHeaders: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    @Test(.timeLimit(.minutes(2))) func aProviderLogsInAndSeesItsFundsUntilItsTokenIsRotated() async throws {
        let setup = try await Self.setUp()
        let app = try setup.portal.application(.init(host: "127.0.0.1", port: 0))
        try await app.test(.live) { client in
            // The login form: German, labelled, no script; the headers forbid scripts and framing.
            let page = try await client.execute(uri: "/anmelden", method: .get)
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            #expect(html.contains("<html lang=\"de\">") && html.contains("<label for=\"konto\">Konto</label>"))
            #expect(!html.contains("<script") && !html.contains("style="))
            let policy = page.headers[.contentSecurityPolicy] ?? ""
            #expect(policy.hasPrefix("default-src 'none';") && !policy.contains("unsafe-inline"))
            #expect(page.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
            let login = try #require(Self.cookie("sozialraum_anmeldung", in: page))
            #expect(login.attributes.contains("HttpOnly") && login.attributes.contains("Secure"))
            #expect(login.attributes.contains("SameSite=Strict"))
            var headers = Self.formHeaders
            headers[.cookie] = "sozialraum_anmeldung=\(login.value)"

            // Without the form token (a forged form from elsewhere): refused before any password is checked.
            let forged = try await client.execute(
                uri: "/anmelden", method: .post, headers: headers,
                body: Self.form([("konto", "alpha-buchhaltung"), ("schluessel", "alpha-schluessel-1")]))
            #expect(forged.status == .forbidden)
            let wrong = try await client.execute(
                uri: "/anmelden", method: .post, headers: headers,
                body: Self.form([
                    ("formular", login.value), ("konto", "alpha-buchhaltung"), ("schluessel", "falsch-falsch"),
                ]))
            #expect(wrong.status == .unauthorized)
            #expect(String(buffer: wrong.body).contains("Konto, Zugangsschlüssel, Einmalcode oder Zertifikat falsch."))
            let signedIn = try await client.execute(
                uri: "/anmelden", method: .post, headers: headers,
                body: Self.form([
                    ("formular", login.value), ("konto", "alpha-buchhaltung"), ("schluessel", "alpha-schluessel-1"),
                ]))
            #expect(signedIn.status == .seeOther && signedIn.headers[.location] == "/")
            let session = try #require(Self.cookie("sozialraum_sitzung", in: signedIn))
            #expect(session.attributes.contains("HttpOnly") && session.attributes.contains("SameSite=Strict"))

            // Alpha serves nord: its lines as the county set them (100,000.00 case, 20,000.00 milieu, 10,000.00
            // structure), nothing spent; not süd, which alpha does not serve.
            let overview = try await client.execute(
                uri: "/", method: .get, headers: [.cookie: "sozialraum_sitzung=\(session.value)"])
            let text = String(buffer: overview.body)
            #expect(overview.status == .ok)
            #expect(text.contains("<h2 id=\"raum-nord\">Sozialraum nord</h2>"))
            #expect(text.contains("<caption>Mittel im Haushaltsjahr 2026</caption>"))
            #expect(
                text.contains(
                    "<th scope=\"row\">Einzelfallhilfen</th><td class=\"zahl\">100.000,00 €</td><td class=\"zahl\">0,00 €</td>"
                ))
            #expect(text.contains("<td class=\"zahl\">20.000,00 €</td>") && !text.contains("Sozialraum sued"))
            #expect(overview.headers[.cacheControl] == "no-store")
            // Without the session cookie: back to the login.
            let stranger = try await client.execute(uri: "/", method: .get)
            #expect(stranger.status == .seeOther && stranger.headers[.location] == "/anmelden")

            // The token is rotated (by county IT): the session ends at once.
            try await setup.accounts.setAccount(
                name: "alpha-buchhaltung", tenant: setup.world.alpha.tenant, role: .provider,
                secret: "alpha-schluessel-2", actingAs: setup.world.county.tenant)
            let stolen = try await client.execute(
                uri: "/", method: .get, headers: [.cookie: "sozialraum_sitzung=\(session.value)"])
            #expect(stolen.status == .seeOther && stolen.headers[.location] == "/anmelden")
        }
    }

    @Test(.timeLimit(.minutes(2))) func loggingOutNeedsTheFormToken() async throws {
        let setup = try await Self.setUp()
        let app = try setup.portal.application(.init(host: "127.0.0.1", port: 0))
        try await app.test(.live) { client in
            let page = try await client.execute(uri: "/anmelden", method: .get)
            let login = try #require(Self.cookie("sozialraum_anmeldung", in: page))
            var headers = Self.formHeaders
            headers[.cookie] = "sozialraum_anmeldung=\(login.value)"
            let signedIn = try await client.execute(
                uri: "/anmelden", method: .post, headers: headers,
                body: Self.form([
                    ("formular", login.value), ("konto", "alpha-buchhaltung"), ("schluessel", "alpha-schluessel-1"),
                ]))
            let session = try #require(Self.cookie("sozialraum_sitzung", in: signedIn))
            var sessionHeaders = Self.formHeaders
            sessionHeaders[.cookie] = "sozialraum_sitzung=\(session.value)"
            let overview = String(
                buffer: try await client.execute(uri: "/", method: .get, headers: sessionHeaders).body)
            let marker = "name=\"formular\" value=\""
            let start = try #require(overview.range(of: marker)).upperBound
            let formToken = String(overview[start...].prefix { $0 != "\"" })
            let forged = try await client.execute(
                uri: "/abmelden", method: .post, headers: sessionHeaders, body: Self.form([("formular", "fremd")]))
            #expect(forged.status == .forbidden)
            let out = try await client.execute(
                uri: "/abmelden", method: .post, headers: sessionHeaders, body: Self.form([("formular", formToken)]))
            #expect(out.status == .seeOther && out.headers[.location] == "/anmelden")
            let after = try await client.execute(uri: "/", method: .get, headers: sessionHeaders)
            #expect(after.status == .seeOther)
        }
    }

    /// Login throttling is the socket's (`AccountService`), counted per client: the address the reverse proxy
    /// appends. Five wrong tokens for alpha from one address lock that pair (even the right token is refused
    /// there); from another address alpha still logs in.
    @Test(.timeLimit(.minutes(2))) func failedLoginsLockTheClientNotEveryone() async throws {
        let setup = try await Self.setUp()
        let app = try setup.portal.application(.init(host: "127.0.0.1", port: 0))
        try await app.test(.live) { client in
            func attempt(from address: String, secret: String) async throws -> HTTPResponse.Status {
                let page = try await client.execute(uri: "/anmelden", method: .get)
                let login = try #require(Self.cookie("sozialraum_anmeldung", in: page))
                var headers = Self.formHeaders
                headers[.cookie] = "sozialraum_anmeldung=\(login.value)"
                headers[HTTPField.Name("X-Forwarded-For")!] = address
                return try await client.execute(
                    uri: "/anmelden", method: .post, headers: headers,
                    body: Self.form([("formular", login.value), ("konto", "alpha-buchhaltung"), ("schluessel", secret)])
                ).status
            }
            for _ in 1...5 {
                let status = try await attempt(from: "203.0.113.7", secret: "falsch-falsch")
                #expect(status == .unauthorized)
            }
            let locked = try await attempt(from: "203.0.113.7", secret: "alpha-schluessel-1")
            #expect(locked == .tooManyRequests)
            let elsewhere = try await attempt(from: "198.51.100.9", secret: "alpha-schluessel-1")
            #expect(elsewhere == .seeOther)
        }
    }
}

/// The portal serving TLS itself (`portal.tlsCertificate`, issue 32, item 3), on the admin socket's TLS rules:
/// HTTPS answers with the login page, plain HTTP to the same port gets no page.
@Suite struct PortalTLSTests {
    @Test(.timeLimit(.minutes(2))) func thePortalServesHTTPSWithItsOwnCertificate() async throws {
        let setup = try await PortalTests.setUp()
        let (certificate, key) = try await TestCertificates.make()
        let tls = try AdminServer.serverTLSConfiguration(
            .init(host: "127.0.0.1", port: 0, certificateChainPath: certificate, privateKeyPath: key), setting: "portal"
        )
        let app = try setup.portal.application(.init(host: "127.0.0.1", port: 0, tls: tls))
        try await app.test(.ahc(.https)) { client in
            let page = try await client.execute(uri: "/anmelden", method: .get)
            #expect(page.status == .ok && String(buffer: page.body).contains("<label for=\"konto\">Konto</label>"))
            let plain = TestClient(
                host: "127.0.0.1", port: client.port ?? 0, configuration: .init(),
                eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton))
            plain.connect()
            await #expect(throws: (any Error).self) {
                _ = try await plain.get("/anmelden")
            }
            try? await plain.shutdown()
        }
        // A key that is not the certificate's is named with the setting before anything listens.
        let other = try await TestCertificates.make(in: TestScratch.path("tls-other"))
        let error = #expect(throws: AdminSocketError.self) {
            try AdminServer.checkTLS(
                .init(host: "127.0.0.1", port: 0, certificateChainPath: certificate, privateKeyPath: other.key),
                setting: "portal")
        }
        #expect(error?.description.hasPrefix("portal.tlsPrivateKey: ") == true)
    }
}

/// Client certificates per provider (issue 32, item 5, as Berlin's ISBJ portal): the portal asks for one
/// signed by `portal.clientCA`; once the county pins a certificate to alpha, alpha's bookkeeper logs in only
/// over a connection that shows it — not without one, not with another the authority signed — and the session
/// is bound to it: its cookie on a connection without the certificate ends it. Beta, with nothing pinned, logs
/// in without a certificate; a certificate of another authority gets no connection at all.
@Suite struct PortalClientCertificateTests {
    static func client(
        port: Int, certificate: (certificate: String, key: String)?
    ) throws -> TestClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        // The server's test certificate is self-signed; what is under test is the client's.
        tls.certificateVerification = .none
        if let certificate {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate.certificate).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: certificate.key, format: .pem))
        }
        let client = TestClient(
            host: "127.0.0.1", port: port, configuration: .init(tlsConfiguration: tls, serverName: "localhost"),
            eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton))
        client.connect()
        return client
    }

    /// Logs in on `client`; the status and the session cookie.
    static func login(
        _ client: TestClient, _ name: String, _ secret: String
    ) async throws -> (HTTPResponse.Status, String?) {
        let page = try await client.get("/anmelden")
        let token = PortalVisitor.cookie("sozialraum_anmeldung", in: page.headers) ?? ""
        let response = try await client.post(
            "/anmelden",
            headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "sozialraum_anmeldung=\(token)"],
            body: PortalVisitor.encoded([("formular", token), ("konto", name), ("schluessel", secret)]))
        return (response.status, PortalVisitor.cookie("sozialraum_sitzung", in: response.headers))
    }

    @Test(.timeLimit(.minutes(3))) func aPinnedProviderLogsInOnlyWithItsCertificate() async throws {
        let setup = try await PortalTests.setUp()
        try await setup.accounts.setAccount(
            name: "beta-buchhaltung", tenant: setup.world.beta.tenant, role: .provider, secret: "beta-schluessel-1",
            actingAs: setup.world.county.tenant)
        let authority = try await TestCertificates.Authority.make(in: TestScratch.path("client-ca"))
        let pinned = try await authority.client("alpha-pc-1")
        let unpinned = try await authority.client("alpha-pc-2")
        let foreign = try await TestCertificates.Authority.make(in: TestScratch.path("foreign-ca")).client("fremd")
        let it = Caller(
            tenant: setup.world.county.tenant, role: .county, name: "kontenpflege", requestID: "t", rights: [.accounts])
        // As county IT types it from openssl's output: upper case with colons.
        try await setup.accounts.pinPortalCertificate(
            it, tenant: setup.world.alpha.tenant, fingerprint: pinned.fingerprint, label: "Buchhaltung PC 1")
        let pins = try await setup.accounts.portalCertificates(setup.world.auditor, tenant: nil)
        #expect(pins.map(\.label) == ["Buchhaltung PC 1"] && pins.first?.tenant == setup.world.alpha.tenant)
        #expect(pins.first?.sha256 == pinned.fingerprint.lowercased().replacingOccurrences(of: ":", with: ""))

        let (certificate, key) = try await TestCertificates.make()
        let tls = try AdminServer.serverTLSConfiguration(
            .init(
                host: "127.0.0.1", port: 0, certificateChainPath: certificate, privateKeyPath: key,
                clientAuthorityPath: authority.certificate), setting: "portal")
        let app = try setup.portal.application(.init(host: "127.0.0.1", port: 0, tls: tls))
        try await app.test(.ahc(.https)) { server in
            let port = try #require(server.port)
            let bare = try Self.client(port: port, certificate: nil)
            let other = try Self.client(port: port, certificate: (unpinned.certificate, unpinned.key))
            let own = try Self.client(port: port, certificate: (pinned.certificate, pinned.key))

            // The right token is not enough for alpha: without a certificate, or with an unpinned one.
            #expect(try await Self.login(bare, "alpha-buchhaltung", "alpha-schluessel-1").0 == .unauthorized)
            #expect(try await Self.login(other, "alpha-buchhaltung", "alpha-schluessel-1").0 == .unauthorized)
            // With its certificate alpha is in; beta, with none pinned, logs in without one.
            let (status, session) = try await Self.login(own, "alpha-buchhaltung", "alpha-schluessel-1")
            #expect(status == .seeOther)
            let cookie = try #require(session)
            #expect(try await own.get("/", headers: [.cookie: "sozialraum_sitzung=\(cookie)"]).status == .ok)
            #expect(try await Self.login(bare, "beta-buchhaltung", "beta-schluessel-1").0 == .seeOther)

            // Alpha's cookie taken to a connection without the certificate: to the login, and the session ends.
            let stolen = try await bare.get("/", headers: [.cookie: "sozialraum_sitzung=\(cookie)"])
            #expect(stolen.status == .seeOther && stolen.headers[.location] == "/anmelden")
            let after = try await own.get("/", headers: [.cookie: "sozialraum_sitzung=\(cookie)"])
            #expect(after.status == .seeOther && after.headers[.location] == "/anmelden")

            // A certificate another authority signed: the handshake fails, no page at all.
            let stranger = try Self.client(port: port, certificate: (foreign.certificate, foreign.key))
            await #expect(throws: (any Error).self) { _ = try await stranger.get("/anmelden") }
            for client in [bare, other, own, stranger] { try? await client.shutdown() }
        }
        // Unpinned, alpha logs in without a certificate again (on plain HTTP here: nothing to show).
        try await setup.accounts.unpinPortalCertificate(
            it, tenant: setup.world.alpha.tenant, fingerprint: pinned.fingerprint)
        try await setup.portal.application(.init(host: "127.0.0.1", port: 0)).test(.live) { client in
            var visitor = PortalVisitor(client)
            let status = try await visitor.login("alpha-buchhaltung", "alpha-schluessel-1")
            #expect(status == .seeOther)
        }
    }
}
