import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SozialraumDomain
import SozialraumServices

/// Login with the account's token and, where set up, a code of its second factor; logout; setting the second
/// factor up (issue 32, item 5).
extension Portal {
    func loginPage(message: String?, status: HTTPResponse.Status) -> Response {
        let token = PortalSessions.randomToken()
        var response = html(PortalPages.login(formToken: token, message: message), status: status)
        response.setCookie(Self.cookie(Self.loginCookie, token))
        return response
    }

    func login(_ request: Request, _ context: PortalContext) async throws -> Response {
        let form = try await Self.form(request)
        guard let token = form["formular"], token == request.cookies[Self.loginCookie]?.value else {
            return Self.expiredForm()
        }
        // The login throttle counts per name and per source: the client's address as the reverse proxy in front
        // (the only peer of a loopback listener) appends it, else the proxy's own.
        let forwarded = request.headers[HTTPField.Name("X-Forwarded-For")!]?.split(separator: ",").last
        let source = "portal " + (forwarded.map { $0.trimmingCharacters(in: .whitespaces) } ?? "direct")
        do {
            let (account, secondFactor, certificate) = try await services.accounts.portalLogin(
                name: form["konto"] ?? "", secret: form["schluessel"] ?? "", code: form["einmalcode"] ?? "",
                clientCertificate: await context.clientCertificate(), source: source, unixTime: unixTime())
            guard account.role == .provider || account.role == .county else {
                return loginPage(message: "Dieses Konto kann das Portal nicht nutzen.", status: .forbidden)
            }
            guard
                let session = sessions.open(
                    account, secondFactor: secondFactor, certificate: certificate, now: .now)
            else {
                return loginPage(message: "Zu viele Anmeldungen; bitte später erneut.", status: .serviceUnavailable)
            }
            var response = Self.redirect("/")
            response.setCookie(Self.cookie(Self.sessionCookie, session.id))
            response.setCookie(Self.cookie(Self.loginCookie, "", expired: true))
            logger.info("portal login", metadata: ["account": "\(account.name)"])
            return response
        } catch AccountService.LoginError.locked {
            return loginPage(message: "Zu viele Versuche; bitte später erneut.", status: .tooManyRequests)
        } catch AccountService.LoginError.failed {
            return loginPage(
                message: "Konto, Zugangsschlüssel, Einmalcode oder Zertifikat falsch.", status: .unauthorized)
        }
    }

    func logout(_ request: Request) async throws -> Response {
        try await signedInForm(request) { visit, _ in
            sessions.close(visit.id)
            var response = Self.toLogin()
            response.setCookie(Self.cookie(Self.sessionCookie, "", expired: true))
            return response
        }
    }

    /// Set up: a new secret is shown (kept in the session only) until a code of it is entered.
    func secondFactorPage(_ request: Request) async throws -> Response {
        try await signedIn(request) { visit in
            if try await services.accounts.hasSecondFactor(visit.session.account) {
                return html(
                    PortalPages.message(
                        title: "Zweiter Faktor",
                        text: "Für dieses Konto ist ein zweiter Faktor eingerichtet. Ist das Gerät verloren, setzt "
                            + "die Benutzerverwaltung des Kreises ihn zurück.", signedIn: visit.signedIn),
                    status: .ok)
            }
            let secret = visit.session.pendingSecret ?? OneTimePassword.newSecret()
            sessions.update(visit.id) { $0.pendingSecret = secret }
            return setUpPage(visit, secret: secret, message: nil, status: .ok)
        }
    }

    func setUpSecondFactor(_ request: Request) async throws -> Response {
        try await signedInForm(request) { visit, form in
            guard let secret = visit.session.pendingSecret else { return Self.redirect("/zweiter-faktor") }
            do {
                try await services.accounts.enrolSecondFactor(
                    visit.session.account, secret: secret, code: form["einmalcode"] ?? "", unixTime: unixTime())
            } catch ServiceError.invalid {
                return setUpPage(
                    visit, secret: secret, message: "Der Code passt nicht. Bitte den aktuellen Code der App eingeben.",
                    status: .badRequest)
            }
            sessions.update(visit.id) {
                $0.pendingSecret = nil
                $0.secondFactor = true
            }
            return html(
                PortalPages.message(
                    title: "Zweiter Faktor",
                    text: "Der zweite Faktor ist eingerichtet. Bei jeder Anmeldung "
                        + "wird nun der Einmalcode der App abgefragt.", signedIn: visit.signedIn),
                status: .ok)
        }
    }

    /// The set-up page for `secret` (as Base32 and as the address an authenticator app reads).
    func setUpPage(_ visit: Visit, secret: [UInt8], message: String?, status: HTTPResponse.Status) -> Response {
        html(
            PortalPages.secondFactor(
                secret: OneTimePassword.base32(secret),
                address: OneTimePassword.provisioningAddress(
                    secret: secret, account: visit.session.account.name, issuer: "Sozialraumbudget"),
                message: message, signedIn: visit.signedIn),
            status: status)
    }
}
