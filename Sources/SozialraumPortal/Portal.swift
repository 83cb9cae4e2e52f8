import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SozialraumDomain
import SozialraumServices

/// The Trägerportal (issue 32): the providers' bookkeepers and the county in their browser, served by the
/// daemon on its own listener, off unless configured (`portal.listen`). The same accounts, rights and use
/// cases as the admin socket — no business logic and no SQL of its own; row-level security has the last word.
public struct Portal: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    let services: UseCases
    let sessions: PortalSessions
    let logger: Logger
    let today: @Sendable () -> Day

    static let sessionCookie = "sozialraum_sitzung"
    /// The form token before login (double submit: the cookie and the form must agree).
    static let loginCookie = "sozialraum_anmeldung"

    public init(services: UseCases, logger: Logger, today: @escaping @Sendable () -> Day, sessionLimit: Int = 1000) {
        self.services = services
        self.sessions = PortalSessions(limit: sessionLimit)
        self.logger = logger
        self.today = today
    }

    /// The portal's application on `configuration`'s address (a `Service`: run it in the daemon's group).
    public func application(
        _ configuration: Configuration, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: SecurityHeaders())
        router.get("/anmelden") { _, _ in loginPage(message: nil, status: .ok) }
        router.post("/anmelden") { request, _ in try await login(request) }
        router.get("/") { request, _ in try await overview(request) }
        router.post("/abmelden") { request, _ in try await logout(request) }
        return router
    }

    // MARK: Pages

    func loginPage(message: String?, status: HTTPResponse.Status) -> Response {
        let token = PortalSessions.randomToken()
        var response = html(PortalPages.login(formToken: token, message: message), status: status)
        response.setCookie(Self.cookie(Self.loginCookie, token))
        return response
    }

    func login(_ request: Request) async throws -> Response {
        let form = try await Self.form(request)
        guard let token = form["formular"], token == request.cookies[Self.loginCookie]?.value else {
            return html(
                PortalPages.page(title: "Abgelehnt", main: "<p>Das Formular ist abgelaufen.</p>"), status: .forbidden)
        }
        // The login throttle counts per name and per source: the client's address as the reverse proxy in front
        // (the only peer of a loopback listener) appends it, else the proxy's own.
        let forwarded = request.headers[HTTPField.Name("X-Forwarded-For")!]?.split(separator: ",").last
        let source = "portal " + (forwarded.map { $0.trimmingCharacters(in: .whitespaces) } ?? "direct")
        do {
            let account = try await services.accounts.login(
                name: form["konto"] ?? "", secret: form["schluessel"] ?? "", source: source)
            guard account.role == .provider || account.role == .county else {
                return loginPage(message: "Dieses Konto kann das Portal nicht nutzen.", status: .forbidden)
            }
            guard let session = sessions.open(account, now: .now) else {
                return loginPage(message: "Zu viele Anmeldungen; bitte später erneut.", status: .serviceUnavailable)
            }
            var response = Response(status: .seeOther, headers: [.location: "/"])
            response.setCookie(Self.cookie(Self.sessionCookie, session.id))
            response.setCookie(Self.cookie(Self.loginCookie, "", expired: true))
            logger.info("portal login", metadata: ["account": "\(account.name)"])
            return response
        } catch AccountService.LoginError.locked {
            return loginPage(message: "Zu viele Versuche; bitte später erneut.", status: .tooManyRequests)
        } catch AccountService.LoginError.failed {
            return loginPage(message: "Konto oder Zugangsschlüssel falsch.", status: .unauthorized)
        }
    }

    func overview(_ request: Request) async throws -> Response {
        guard let (id, session) = currentSession(request) else { return Self.toLogin() }
        let caller = Caller(
            tenant: session.account.tenant, role: session.account.role, name: session.account.name,
            requestID: "portal-\(id.prefix(8))", rights: session.account.rights)
        let year = today().year
        // Each transaction checks the account as it set the tenant (rotated token, disabled account): no
        // query of its own for that.
        let funds: [(SocialSpaceCode, FundsReport)]
        do {
            (funds, _) = try await AccountService.checkingEachTransaction(for: session.account) {
                let spaces = Set(
                    try await services.budget.assignments(caller).filter {
                        session.account.role == .county || $0.provider == session.account.tenant
                    }.map(\.socialSpace))
                var funds: [(SocialSpaceCode, FundsReport)] = []
                for space in spaces.sorted() {
                    funds.append(
                        (space, try await services.budget.availableFunds(caller, socialSpace: space, year: year)))
                }
                return funds
            }
        } catch  where AccountService.isAccountChange(error) {
            sessions.close(id)
            return Self.toLogin()
        }
        return html(
            PortalPages.overview(name: session.account.name, formToken: session.formToken, year: year, funds: funds),
            status: .ok)
    }

    func logout(_ request: Request) async throws -> Response {
        guard let (id, session) = currentSession(request) else { return Self.toLogin() }
        let form = try await Self.form(request)
        guard form["formular"] == session.formToken else {
            return html(
                PortalPages.page(title: "Abgelehnt", main: "<p>Das Formular ist abgelaufen.</p>"), status: .forbidden)
        }
        sessions.close(id)
        var response = Self.toLogin()
        response.setCookie(Self.cookie(Self.sessionCookie, "", expired: true))
        return response
    }

    /// The request's live session (whether its account is still as it logged in, the pages' transactions
    /// check: `checkingEachTransaction`).
    func currentSession(_ request: Request) -> (String, PortalSessions.Session)? {
        guard let id = request.cookies[Self.sessionCookie]?.value, let session = sessions.session(id, now: .now)
        else { return nil }
        return (id, session)
    }

    // MARK: HTTP

    static func toLogin() -> Response { Response(status: .seeOther, headers: [.location: "/anmelden"]) }

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
