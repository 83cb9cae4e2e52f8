import HTTPTypes
import Hummingbird
import Logging
import SozialraumDomain
import SozialraumInterfaces
import SozialraumServices

/// Payment orders (Anordnungen) in the browser (issue 32, item 4): a provider sees the orders paying it and
/// what the Kasse paid; the county gives the second signature or refuses it — the certifier refused by the
/// use case and the database as on the socket, and ordering only after a code of the second factor.
extension Portal {
    func orders(_ request: Request) async throws -> Response {
        try await signedIn(request) { visit in
            html(try await ordersPage(visit, message: nil), status: .ok)
        }
    }

    func ordersPage(_ visit: Visit, message: PortalPages.Notice?) async throws -> String {
        let orders = try await services.paymentOrders.orders(visit.caller)
        let rights = visit.session.account.rights
        return PortalPages.orders(
            orders, mayDecide: visit.session.account.role == .county && !rights.isDisjoint(with: [.order, .certify]),
            mayOrder: rights.contains(.order), secondFactor: visit.session.secondFactor, notice: message,
            signedIn: visit.signedIn)
    }

    /// The second signature: needs the right `order` (the use case) and a second factor shown in this session.
    func approve(_ request: Request, _ context: PortalContext) async throws -> Response {
        try await signedInForm(request) { visit, _ in
            guard let id = context.parameters.get("id", as: Int64.self) else { throw ServiceError.notFound("order") }
            guard visit.session.secondFactor else {
                return html(
                    try await ordersPage(
                        visit,
                        message: .problem(
                            "Anordnen nur mit zweitem Faktor: bitte unter „Zweiter Faktor“ einrichten oder mit "
                                + "Einmalcode neu anmelden.")), status: .forbidden)
            }
            do {
                let ordered = try await services.paymentOrders.approve(visit.caller, orderID: id)
                logger.info("portal order approved", metadata: ["order": "\(id)", "account": "\(visit.caller.name)"])
                let text =
                    "Anordnung \(id) erteilt: \(GermanFormat.euro(ordered.amount))"
                    + (ordered.kassenzeichen.map { ", Kassenzeichen \($0)" } ?? "")
                    + (ordered.due.map { ", fällig \(GermanFormat.day($0))" } ?? "") + "."
                return html(try await ordersPage(visit, message: .done(text)), status: .ok)
            } catch let error as ServiceError {
                return html(try await ordersPage(visit, message: .problem(Self.refusal(error))), status: .conflict)
            }
        }
    }

    func reject(_ request: Request, _ context: PortalContext) async throws -> Response {
        try await signedInForm(request) { visit, form in
            guard let id = context.parameters.get("id", as: Int64.self) else { throw ServiceError.notFound("order") }
            do {
                try await services.paymentOrders.reject(visit.caller, orderID: id, reason: form["grund"] ?? "")
                return html(try await ordersPage(visit, message: .done("Anordnung \(id) abgelehnt.")), status: .ok)
            } catch let error as ServiceError {
                return html(try await ordersPage(visit, message: .problem(Self.refusal(error))), status: .conflict)
            }
        }
    }

    /// Why a decision was refused, in the accountants' words: the four-eyes rule by name, anything else as the
    /// socket words it.
    static func refusal(_ error: ServiceError) -> String {
        if case .forbidden(let why) = error, why.contains("certif") {
            return "Nicht möglich: wer festgestellt hat, ordnet nicht selbst an (Vier-Augen-Prinzip)."
        }
        return Refusals.german(error)
    }
}
