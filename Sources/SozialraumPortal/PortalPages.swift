import SozialraumDomain

/// The portal's pages: semantic HTML in German (`lang="de"`), labels for every field, no script and no inline
/// style (the Content-Security-Policy forbids both), every text escaped.
enum PortalPages {
    static func escape(_ text: String) -> String { Markup.escape(text) }

    static func page(title: String, main: String, signedIn: (name: String, formToken: String)? = nil) -> String {
        let header =
            signedIn.map { signed in
                """
                <nav aria-label="Konto"><p>Angemeldet als \(escape(signed.name))</p>
                <form method="post" action="/abmelden"><input type="hidden" name="formular" value="\(escape(signed.formToken))">
                <button type="submit">Abmelden</button></form></nav>
                """
            } ?? ""
        return """
            <!DOCTYPE html>
            <html lang="de">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) – Trägerportal Sozialraumbudget</title></head>
            <body>
            <header><p>Trägerportal Sozialraumbudget</p>\(header)</header>
            <main><h1>\(escape(title))</h1>
            \(main)
            </main>
            </body>
            </html>
            """
    }

    static func login(formToken: String, message: String? = nil) -> String {
        let notice = message.map { "<p role=\"alert\">\(escape($0))</p>" } ?? ""
        return page(
            title: "Anmelden",
            main: """
                \(notice)
                <form method="post" action="/anmelden">
                <input type="hidden" name="formular" value="\(escape(formToken))">
                <p><label for="konto">Konto</label>
                <input id="konto" name="konto" type="text" autocomplete="username" required maxlength="40"></p>
                <p><label for="schluessel">Zugangsschlüssel</label>
                <input id="schluessel" name="schluessel" type="password" autocomplete="current-password" required maxlength="200"></p>
                <p><button type="submit">Anmelden</button></p>
                </form>
                """)
    }

    /// The funds of the Sozialräume the provider serves, one table per Sozialraum.
    static func overview(
        name: String, formToken: String, year: Int, funds: [(SocialSpaceCode, FundsReport)]
    ) -> String {
        let tables = funds.map { space, report in
            let rows = report.lines.map { line in
                "<tr><th scope=\"row\">\(escape(componentName(line.component)))</th>"
                    + "<td>\(euro(line.funds.appropriation))</td><td>\(euro(line.funds.actuals))</td>"
                    + "<td>\(euro(line.funds.commitments))</td><td>\(euro(line.funds.available))</td></tr>"
            }.joined(separator: "\n")
            return """
                <table>
                <caption>Sozialraum \(escape(space.rawValue)), Haushaltsjahr \(year)</caption>
                <thead><tr><th scope="col">Budgetbereich</th><th scope="col">Ansatz</th><th scope="col">Ist</th>
                <th scope="col">Gebunden</th><th scope="col">Verfügbar</th></tr></thead>
                <tbody>
                \(rows)
                </tbody>
                </table>
                """
        }.joined(separator: "\n")
        return page(
            title: "Übersicht", main: tables.isEmpty ? "<p>Keine Sozialräume zugeordnet.</p>" : tables,
            signedIn: (name, formToken))
    }

    static func componentName(_ component: BudgetComponent) -> String {
        switch component {
        case .case: "Einzelfallhilfen"
        case .milieu: "Milieu"
        case .structure: "Struktur"
        }
    }

    /// An amount as German accountants write it: 1.234,56 €.
    static func euro(_ money: Money) -> String {
        let cents = money.cents
        let sign = cents < 0 ? "-" : ""
        let absolute = cents.magnitude
        var euros = String(absolute / 100)
        var grouped = ""
        while euros.count > 3 {
            grouped = "." + euros.suffix(3) + grouped
            euros = String(euros.dropLast(3))
        }
        let rest = absolute % 100
        return "\(sign)\(euros)\(grouped),\(rest < 10 ? "0" : "")\(rest) €"
    }
}
