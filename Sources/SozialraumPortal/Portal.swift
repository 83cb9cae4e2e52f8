import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTLS
import Logging
import NIOSSL
import SozialraumDomain
import SozialraumInterfaces
import SozialraumServices

/// The Trägerportal (issue 32): the providers' bookkeepers and the county in their browser, served by the
/// daemon on its own listener, off unless configured (`portal.listen`). The same accounts, rights and use
/// cases as the admin socket — no business logic and no SQL of its own; row-level security has the last word.
public struct Portal: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// TLS served by the portal itself (`portal.tlsCertificate`); nil: plain HTTP on loopback behind a
        /// reverse proxy that serves TLS.
        public var tls: TLSConfiguration?
        public init(host: String, port: Int, tls: TLSConfiguration? = nil) {
            self.host = host
            self.port = port
            self.tls = tls
        }
    }

    let services: UseCases
    let sessions: PortalSessions
    let logger: Logger
    let today: @Sendable () -> Day
    /// Seconds since 1970, for the second factor's time steps.
    let unixTime: @Sendable () -> Int64
    /// The delivery imports of the admin socket and the portal together (the socket's `maximumConcurrentImports`).
    let imports: ConcurrencyLimit
    /// The largest upload, as on the socket (`admin.maxUploadBytes`).
    let maximumUploadBytes: Int

    static let sessionCookie = "sozialraum_sitzung"
    /// The form token before login (double submit: the cookie and the form must agree).
    static let loginCookie = "sozialraum_anmeldung"

    public init(
        services: UseCases, logger: Logger, today: @escaping @Sendable () -> Day,
        unixTime: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) },
        imports: ConcurrencyLimit = ConcurrencyLimit(limit: 2), maximumUploadBytes: Int = 256 * 1024 * 1024,
        sessionLimit: Int = 1000
    ) {
        self.services = services
        self.sessions = PortalSessions(limit: sessionLimit)
        self.logger = logger
        self.today = today
        self.unixTime = unixTime
        self.imports = imports
        self.maximumUploadBytes = maximumUploadBytes
    }

    /// The portal's application on `configuration`'s address (a `Service`: run it in the daemon's group).
    public func application(
        _ configuration: Configuration, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        Application(
            router: router(),
            server: try configuration.tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    func router() -> Router<PortalContext> {
        let router = Router(context: PortalContext.self)
        router.add(middleware: SecurityHeaders())
        router.add(middleware: CertificateBinding(sessions: sessions))
        router.get("/stil.css") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/css; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: PortalPages.stylesheet)))
        }
        router.get("/anmelden") { _, _ in loginPage(message: nil, status: .ok) }
        router.post("/anmelden") { request, context in try await login(request, context) }
        router.post("/abmelden") { request, _ in try await logout(request) }
        router.get("/zweiter-faktor") { request, _ in try await secondFactorPage(request) }
        router.post("/zweiter-faktor") { request, _ in try await setUpSecondFactor(request) }
        router.get("/") { request, _ in try await overview(request) }
        router.get("/diagramm/:raum/:jahr") { request, context in try await chart(request, context) }
        router.get("/bewilligungen") { request, _ in try await grants(request) }
        router.get("/leistungen") { request, _ in try await uploadPage(request) }
        router.post("/leistungen") { request, _ in try await upload(request) }
        router.get("/abrechnungen") { request, _ in try await statements(request) }
        router.get("/abrechnungen/:id") { request, context in try await statement(request, context) }
        router.get("/abrechnungen/:id/csv") { request, context in try await statementDownload(request, context) }
        router.get("/anordnungen") { request, _ in try await orders(request) }
        router.post("/anordnungen/:id/anordnen") { request, context in try await approve(request, context) }
        router.post("/anordnungen/:id/ablehnen") { request, context in try await reject(request, context) }
        router.get("/feststellungen") { request, _ in try await findings(request) }
        return router
    }

    // MARK: Signed-in pages

    /// Where a page runs: the session, and the caller the use cases see.
    struct Visit {
        let id: String
        let session: PortalSessions.Session
        let caller: Caller
        var signedIn: PortalPages.SignedIn {
            PortalPages.SignedIn(
                name: session.account.name, role: session.account.role, formToken: session.formToken)
        }
    }

    /// Runs a page for the request's live session, its account checked in every transaction it opens (a
    /// rotated token or a disabled account ends the session: to the login); service errors become pages.
    func signedIn(_ request: Request, _ page: (Visit) async throws -> Response) async throws -> Response {
        guard let id = request.cookies[Self.sessionCookie]?.value, let session = sessions.session(id, now: .now)
        else { return Self.toLogin() }
        let account = session.account
        let visit = Visit(
            id: id, session: session,
            caller: Caller(
                tenant: account.tenant, role: account.role, name: account.name, requestID: "portal-\(id.prefix(8))",
                rights: account.rights))
        do {
            return try await AccountService.checkingEachTransaction(for: account) { try await page(visit) }.result
        } catch  where AccountService.isAccountChange(error) {
            sessions.close(id)
            return Self.toLogin()
        } catch let error as ServiceError {
            return errorPage(error, visit)
        }
    }

    /// A signed-in POST: the form (URL-encoded, at most 16 KiB) must carry the session's form token.
    func signedInForm(
        _ request: Request, _ action: (Visit, [String: String]) async throws -> Response
    ) async throws -> Response {
        try await signedIn(request) { visit in
            let form = try await Self.form(request)
            guard form["formular"] == visit.session.formToken else { return Self.expiredForm() }
            return try await action(visit, form)
        }
    }

    func errorPage(_ error: ServiceError, _ visit: Visit) -> Response {
        let status: HTTPResponse.Status =
            switch error {
            case .forbidden: .forbidden
            case .notFound: .notFound
            case .invalid: .badRequest
            case .conflict, .duplicate, .periodClosed: .conflict
            default: .unprocessableContent
            }
        let text = Refusals.german(error)
        return html(PortalPages.message(title: "Nicht möglich", text: text, signedIn: visit.signedIn), status: status)
    }

    // MARK: HTTP

    static func toLogin() -> Response { Response(status: .seeOther, headers: [.location: "/anmelden"]) }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    static func expiredForm() -> Response {
        Response(
            status: .forbidden, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(
                byteBuffer: ByteBuffer(
                    string: PortalPages.page(title: "Abgelehnt", main: "<p>Das Formular ist abgelaufen.</p>"))))
    }

    func html(_ text: String, status: HTTPResponse.Status) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// `HttpOnly; Secure; SameSite=Strict`, for the whole portal.
    static func cookie(_ name: String, _ value: String, expired: Bool = false) -> Cookie {
        Cookie(
            name: name, value: value, maxAge: expired ? 0 : nil, path: "/", secure: true, httpOnly: true,
            sameSite: .strict)
    }

    /// An URL-encoded form of at most 16 KiB (a bigger body is refused unread past the limit).
    static func form(_ request: Request) async throws -> [String: String] {
        let body = try await request.body.collect(upTo: 16_384)
        var fields: [String: String] = [:]
        for pair in String(buffer: body).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]) else { continue }
            fields[name] = parts.count > 1 ? decode(parts[1]) ?? "" : ""
        }
        return fields
    }

    static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}

/// Headers on every response: a Content-Security-Policy without any script or inline style, no framing, no
/// sniffing, no referrer, no caching of pages that may show case data.
struct SecurityHeaders<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        response.headers[.cacheControl] = "no-store"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        return response
    }
}
