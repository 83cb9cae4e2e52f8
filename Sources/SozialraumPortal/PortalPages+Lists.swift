import Foundation
import SozialraumDomain
import SozialraumInterfaces
import SozialraumServices

/// The list pages: grants, the upload, statements, findings, payment orders. Column headings in German, each
/// table with a caption and header cells.
extension PortalPages {
    static func table(caption: String, headings: [String], rows: [String], empty: String) -> String {
        guard !rows.isEmpty else { return "<p>\(escape(empty))</p>" }
        let head = headings.map { "<th scope=\"col\">\(escape($0))</th>" }.joined()
        return """
            <table>
            <caption>\(escape(caption))</caption>
            <thead><tr>\(head)</tr></thead>
            <tbody>
            \(rows.joined(separator: "\n"))
            </tbody>
            </table>
            """
    }

    static func cells(_ texts: [String]) -> String { texts.map { "<td>\(escape($0))</td>" }.joined() }

    static func quantity(_ quantity: Quantity?) -> String { quantity.map { GermanFormat.number($0.hundredths) } ?? "" }

    static func unitName(_ unit: RateUnit) -> String {
        switch unit {
        case .hour: "Fachleistungsstunden"
        case .day: "Tage"
        case .flatMonth: "Monatspauschale"
        }
    }

    static func grants(_ grants: [GrantListing], signedIn: SignedIn) -> String {
        let rows = grants.map { grant in
            "<tr>" + cells([grant.caseKey, grant.helpType, unitName(grant.unit)])
                + "<td class=\"zahl\">\(GermanFormat.number(grant.volumePerMonth.hundredths))</td>"
                + cells([GermanFormat.day(grant.from), GermanFormat.day(grant.to), grant.socialSpace ?? ""])
                + "<td><code>\(escape(grant.id.uuidString.lowercased()))</code></td></tr>"
        }
        return page(
            title: "Bewilligungen",
            main: table(
                caption: "Ihre Bewilligungen (die Nummer gehört in jede Zeile des Leistungsnachweises)",
                headings: ["Fall", "Hilfeart", "Einheit", "Umfang je Monat", "von", "bis", "Sozialraum", "Nummer"],
                rows: rows, empty: "Keine Bewilligungen."),
            signedIn: signedIn)
    }

    enum UploadOutcome: Sendable {
        case imported(DeliveryImport.Outcome)
        case rejected([RowError])
    }

    /// The upload form; after an upload, what was booked or every bad line with its reason (nothing booked).
    static func upload(transaction: String, outcome: UploadOutcome?, signedIn: SignedIn) -> String {
        var result = ""
        switch outcome {
        case .imported(let outcome):
            result =
                Notice.done(
                    "Gebucht: \(outcome.deliveries) Leistungen, \(outcome.bookings) Buchungen, "
                        + "\(outcome.findings) Feststellungen, zusammen \(GermanFormat.euro(outcome.total))."
                ).html
        case .rejected(let rows):
            let lines = rows.map { row in
                "<tr><td class=\"zahl\">\(row.line == 0 ? "–" : String(row.line))</td>"
                    + cells([RowReasons.field(row.field), RowReasons.german(row.reason)])
                    + "</tr>"
            }
            result =
                Notice.problem("Die Datei hat Fehler; nichts wurde gebucht. Bitte korrigieren und erneut hochladen.")
                .html
                + table(caption: "Fehlerhafte Zeilen", headings: ["Zeile", "Feld", "Grund"], rows: lines, empty: "")
        case nil: break
        }
        return page(
            title: "Leistungsnachweis hochladen",
            main: """
                \(result)
                <p>Eine CSV-Datei mit den Spalten <code>grant_id,month,quantity</code> (oder mit Semikolon und
                Dezimalkomma, wie Excel sie speichert). Gebucht wird nur, wenn alle Zeilen stimmen.</p>
                <form method="post" action="/leistungen" enctype="multipart/form-data">
                <input type="hidden" name="formular" value="\(escape(signedIn.formToken))">
                <input type="hidden" name="vorgang" value="\(escape(transaction))">
                <p><label for="datei">CSV-Datei</label>
                <input id="datei" name="datei" type="file" accept=".csv,text/csv" required></p>
                <p><button type="submit">Hochladen und buchen</button></p>
                </form>
                """,
            signedIn: signedIn)
    }

    static func stateName(_ state: StatementState) -> String {
        switch state {
        case .issued: "ausgestellt"
        case .settled: "bezahlt"
        case .withdrawn: "zurückgezogen"
        }
    }

    static func statements(_ documents: [StatementDocument], signedIn: SignedIn) -> String {
        let rows = documents.map { d in
            "<tr><td><a href=\"/abrechnungen/\(d.id)\">Abrechnung \(d.id)</a></td>"
                + cells([String(d.runID), stateName(d.state)])
                + [d.accrued, d.instalments, d.settlements, d.balance].map(amountCell).joined()
                + cells([String(d.items)])
                + "<td><a href=\"/abrechnungen/\(d.id)/csv\">CSV (Excel)<span class=\"versteckt\"> zu Abrechnung \(d.id)</span></a></td></tr>"
        }
        return page(
            title: "Abrechnungen",
            main: table(
                caption: "Ausgestellte Abrechnungen, neueste zuerst",
                headings: [
                    "Abrechnung", "Abgleich", "Stand", "Leistungen", "Abschläge", "Ausgleiche", "Saldo", "Positionen",
                    "Herunterladen",
                ], rows: rows, empty: "Noch keine Abrechnung ausgestellt."),
            signedIn: signedIn)
    }

    static func statement(_ d: StatementDocument, items: [StatementItem], signedIn: SignedIn) -> String {
        let rows = items.map { item in
            "<tr>" + cells([item.caseKey, item.helpType, item.socialSpace])
                + "<td class=\"zahl\">\(quantity(item.granted))</td><td class=\"zahl\">\(quantity(item.delivered))</td>"
                + "<td class=\"zahl\">\(quantity(item.payable))</td>" + amountCell(item.cost) + "</tr>"
        }
        return page(
            title: "Abrechnung \(d.id)",
            main: """
                <dl>
                <dt>Stand</dt><dd>\(escape(stateName(d.state)))</dd>
                <dt>Saldo</dt><dd>\(escape(GermanFormat.euro(d.balance))) (\(d.balance.cents > 0 ? "zahlt der Kreis" : d.balance.cents < 0 ? "zahlt der Träger zurück" : "ausgeglichen"))</dd>
                <dt>Prüfsumme (SHA-256)</dt><dd><code>\(escape(d.contentHash))</code></dd>
                </dl>
                <p><a href="/abrechnungen/\(d.id)/csv">Als CSV für Excel herunterladen</a></p>
                """
                    + table(
                        caption: "Positionen",
                        headings: [
                            "Fall", "Hilfeart", "Sozialraum", "bewilligt", "geleistet", "abrechenbar", "Betrag",
                        ],
                        rows: rows, empty: "Keine Positionen."),
            signedIn: signedIn)
    }

    static func findings(_ findings: [FindingListing], signedIn: SignedIn) -> String {
        let rows = findings.map { f in
            "<tr>" + cells([f.kind, f.month.description, quantity(f.quantity)])
                + "<td class=\"zahl\">\(f.amount.map(GermanFormat.euro) ?? "")</td>"
                + cells([f.status, f.resolution ?? ""])
                + "</tr>"
        }
        return page(
            title: "Feststellungen",
            main: table(
                caption: "Feststellungen zu Ihren Leistungen",
                headings: ["Art", "Monat", "Menge", "Betrag", "Stand", "Entscheidung"], rows: rows,
                empty: "Keine Feststellungen."),
            signedIn: signedIn)
    }

    static func orderKind(_ kind: PaymentOrderKind) -> String {
        switch kind {
        case .instalment: "Abschlag"
        case .settlement: "Abrechnung"
        case .finding: "Feststellung"
        case .yearEnd: "Jahresabschluss"
        case .appropriation: "Ansatz"
        case .surplusShare: "Überschussanteil"
        }
    }

    static func orderState(_ state: PaymentOrderState) -> String {
        switch state {
        case .pending: "wartet auf Anordnung"
        case .approved: "angeordnet"
        case .rejected: "abgelehnt"
        case .expired: "abgelaufen"
        }
    }

    /// Orders with what the Kasse paid; for a county account that may decide, the pending ones with the
    /// second signature and the refusal as forms.
    static func orders(
        _ orders: [PaymentOrderListing], mayDecide: Bool, mayOrder: Bool, secondFactor: Bool, notice: Notice?,
        signedIn: SignedIn
    ) -> String {
        let rows = orders.map { o in
            var decision = ""
            if mayDecide, o.state == .pending {
                let approve =
                    mayOrder
                    ? """
                    <form method="post" action="/anordnungen/\(o.id)/anordnen"><input type="hidden" name="formular" value="\(escape(signedIn.formToken))">
                    <button type="submit">Anordnen<span class="versteckt"> Nr. \(o.id)</span></button></form>
                    """ : ""
                decision = """
                    \(approve)<form method="post" action="/anordnungen/\(o.id)/ablehnen"><input type="hidden" name="formular" value="\(escape(signedIn.formToken))">
                    <label for="grund-\(o.id)">Grund der Ablehnung</label> <input id="grund-\(o.id)" name="grund" type="text" maxlength="200" required>
                    <button type="submit">Ablehnen<span class="versteckt"> Nr. \(o.id)</span></button></form>
                    """
            }
            return "<tr>" + cells([String(o.id), orderKind(o.kind), o.payee]) + amountCell(o.amount)
                + cells([orderState(o.state), o.certifiedBy, o.kassenzeichen ?? "", o.due.map(GermanFormat.day) ?? ""])
                + amountCell(o.paid) + "<td>\(decision)</td></tr>"
        }
        let hint =
            mayOrder && !secondFactor
            ? "<p>Zum Anordnen ist ein zweiter Faktor nötig: <a href=\"/zweiter-faktor\">einrichten</a> oder mit "
                + "Einmalcode neu anmelden.</p>" : ""
        return page(
            title: signedIn.role == .provider ? "Anordnungen und Zahlungen" : "Anordnungen",
            main: (notice?.html ?? "") + hint
                + table(
                    caption: "Anordnungen, neueste zuerst, mit dem, was die Kasse gezahlt hat",
                    headings: [
                        "Nr.", "Art", "Empfänger", "Betrag", "Stand", "festgestellt von", "Kassenzeichen", "fällig",
                        "gezahlt", "Entscheidung",
                    ], rows: rows, empty: "Keine Anordnungen."),
            signedIn: signedIn)
    }
}
