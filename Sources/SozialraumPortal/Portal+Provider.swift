import Foundation
import HTTPTypes
import Hummingbird
import MultipartKit
import SozialraumDomain
import SozialraumInterfaces
import SozialraumProtocol
import SozialraumServices

/// The pages of a provider's bookkeeper (issue 32, item 4), each on the use case its socket command calls:
/// funds, grants, the upload of a month's deliveries, issued statements, findings. Pages that show case keys
/// record them in the access log like the socket.
extension Portal {
    func overview(_ request: Request) async throws -> Response {
        try await signedIn(request) { visit in
            let account = visit.session.account
            let year = today().year
            let spaces = Set(
                try await services.budget.assignments(visit.caller).filter {
                    account.role == .county || $0.provider == account.tenant
                }.map(\.socialSpace))
            var funds: [(SocialSpaceCode, FundsReport)] = []
            for space in spaces.sorted() {
                funds.append(
                    (space, try await services.budget.availableFunds(visit.caller, socialSpace: space, year: year)))
            }
            return html(
                PortalPages.overview(
                    year: year, funds: funds, charts: account.role == .county, signedIn: visit.signedIn),
                status: .ok)
        }
    }

    /// The burn chart of a Sozialraum as an SVG image (the county's overview shows it).
    func chart(_ request: Request, _ context: PortalContext) async throws -> Response {
        try await signedIn(request) { visit in
            guard let space = context.parameters.get("raum").flatMap(SocialSpaceCode.init),
                let year = context.parameters.get("jahr", as: Int.self)
            else { throw ServiceError.notFound("chart") }
            let svg = try await services.reconciliation.burnChart(
                visit.caller, socialSpace: space, year: year, runID: nil)
            return Response(
                status: .ok, headers: [.contentType: "image/svg+xml"], body: .init(byteBuffer: ByteBuffer(string: svg)))
        }
    }

    func grants(_ request: Request) async throws -> Response {
        try await signedIn(request) { visit in
            let grants = try await services.grants.grantListing(visit.caller, caseKey: nil, socialSpace: nil)
            try await services.accessLog.record(
                visit.caller, command: "portal grants", cases: Set(grants.map(\.caseKey)).count)
            return html(PortalPages.grants(grants, signedIn: visit.signedIn), status: .ok)
        }
    }

    func uploadPage(_ request: Request) async throws -> Response {
        try await signedIn(request) { visit in
            html(
                PortalPages.upload(transaction: PortalSessions.randomToken(), outcome: nil, signedIn: visit.signedIn),
                status: .ok)
        }
    }

    /// The form of the upload page (multipart/form-data: a file cannot be sent otherwise without script).
    struct Upload: Decodable {
        var formular: String
        /// The form's own idempotency key: the same form sent twice books once.
        var vorgang: String
        var datei: String
    }

    /// A month's deliveries as CSV, like the socket's `import-deliveries`: all or nothing, every bad line with
    /// its reason. Read within one of the imports' slots shared with the socket (a reverse proxy in front
    /// buffers the body, so a slow sender does not hold one), at most `admin.maxUploadBytes`.
    func upload(_ request: Request) async throws -> Response {
        try await signedIn(request) { visit in
            guard visit.session.account.role == .provider else { throw ServiceError.forbidden("upload") }
            guard let type = request.headers[.contentType], let boundary = Self.boundary(type) else {
                return Self.expiredForm()
            }
            let (limit, token, caller, grants) = (
                maximumUploadBytes, visit.session.formToken, visit.caller, services.grants
            )
            // Read, decoded and imported within one slot: the bodies in memory are bounded by the slots.
            let result: UploadResult = try await imports.run {
                let body: ByteBuffer
                do {
                    body = try await request.body.collect(upTo: limit)
                } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
                    return .tooLarge
                }
                guard let form = try? FormDataDecoder().decode(Upload.self, from: body, boundary: boundary) else {
                    return .rejected([RowError(line: 0, field: "datei", reason: "keine Datei gesendet")])
                }
                guard form.formular == token, let key = IdempotencyKey(form.vorgang) else { return .expiredForm }
                do {
                    return .imported(try await grants.importDeliveries(caller, csv: form.datei, idempotencyKey: key))
                } catch ServiceError.rejectedRows(let rows) {
                    return .rejected(rows)
                } catch ServiceError.invalid(let field, let reason) {
                    return .rejected([RowError(line: 0, field: field, reason: reason)])
                }
            }
            let next = PortalSessions.randomToken()
            switch result {
            case .tooLarge:
                return html(
                    PortalPages.message(
                        title: "Datei zu groß", text: "Die Datei ist größer als erlaubt; nichts wurde gebucht.",
                        signedIn: visit.signedIn), status: .contentTooLarge)
            case .expiredForm:
                return Self.expiredForm()
            case .imported(let outcome):
                return html(
                    PortalPages.upload(transaction: next, outcome: .imported(outcome), signedIn: visit.signedIn),
                    status: .ok)
            case .rejected(let rows):
                return html(
                    PortalPages.upload(transaction: next, outcome: .rejected(rows), signedIn: visit.signedIn),
                    status: .unprocessableContent)
            }
        }
    }

    enum UploadResult: Sendable {
        case tooLarge
        case expiredForm
        case imported(DeliveryImport.Outcome)
        case rejected([RowError])
    }

    /// The boundary of a `multipart/form-data` content type.
    static func boundary(_ contentType: String) -> String? {
        guard contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let parts = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0].lowercased() == "boundary" {
                return parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }

    func statements(_ request: Request) async throws -> Response {
        try await signedIn(request) { visit in
            let documents = try await services.reconciliation.issuedStatements(visit.caller)
            return html(PortalPages.statements(documents, signedIn: visit.signedIn), status: .ok)
        }
    }

    func statement(_ request: Request, _ context: PortalContext) async throws -> Response {
        try await signedIn(request) { visit in
            let (document, items) = try await shownStatement(visit, context, command: "portal statement")
            return html(PortalPages.statement(document, items: items, signedIn: visit.signedIn), status: .ok)
        }
    }

    /// The issued statement's payment advice as csv-de: the same bytes as
    /// `sozialraumctl --format csv-de issued-statement <id> items`.
    func statementDownload(_ request: Request, _ context: PortalContext) async throws -> Response {
        try await signedIn(request) { visit in
            let (document, items) = try await shownStatement(visit, context, command: "portal statement download")
            let lines = ReconciliationTables.statementItems(items, issued: true).lines(.csvDE)
            return Response(
                status: .ok,
                headers: [
                    .contentType: "text/csv; charset=utf-8",
                    .contentDisposition: "attachment; filename=\"abrechnung-\(document.id).csv\"",
                ],
                body: .init(byteBuffer: ByteBuffer(string: lines.map { $0 + "\n" }.joined())))
        }
    }

    /// The statement the route names, with its items; the cases it shows recorded in the access log.
    func shownStatement(
        _ visit: Visit, _ context: PortalContext, command: String
    ) async throws -> (StatementDocument, [StatementItem]) {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw ServiceError.notFound("statement") }
        let (document, items) = try await services.reconciliation.issuedStatement(visit.caller, id: id)
        try await services.accessLog.record(
            visit.caller, command: command, cases: Set(items.map(\.caseKey).filter { !$0.isEmpty }).count)
        return (document, items)
    }

    func findings(_ request: Request) async throws -> Response {
        try await signedIn(request) { visit in
            let findings = try await services.grants.findings(visit.caller, all: true)
            return html(PortalPages.findings(findings, signedIn: visit.signedIn), status: .ok)
        }
    }
}
