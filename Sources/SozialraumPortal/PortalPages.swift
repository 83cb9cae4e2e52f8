import SozialraumDomain

/// The portal's pages: semantic HTML in German (`lang="de"`), labels for every field, no script and no inline
/// style (the Content-Security-Policy forbids both; the one stylesheet is `/stil.css`), every text escaped.
enum PortalPages {
    static func escape(_ text: String) -> String { Markup.escape(text) }

    /// Who is signed in, for the header: name, what the navigation offers, the form token of the logout.
    struct SignedIn {
        var name: String
        var role: Role
        var formToken: String
    }

    /// A result shown above a page: done, or refused with the reason.
    enum Notice: Sendable {
        case done(String)
        case problem(String)

        var html: String {
            switch self {
            case .done(let text): "<p role=\"status\" class=\"erledigt\">\(escape(text))</p>"
            case .problem(let text): "<p role=\"alert\" class=\"problem\">\(escape(text))</p>"
            }
        }
    }

    /// The navigation of a role: the provider's tasks, or the county's.
    static func navigation(_ role: Role) -> [(path: String, label: String)] {
        switch role {
        case .provider:
            [
                ("/", "Übersicht"), ("/bewilligungen", "Bewilligungen"), ("/leistungen", "Leistungsnachweis hochladen"),
                ("/abrechnungen", "Abrechnungen"), ("/anordnungen", "Anordnungen und Zahlungen"),
                ("/feststellungen", "Feststellungen"), ("/zweiter-faktor", "Zweiter Faktor"),
            ]
        default:
            [("/", "Übersicht"), ("/anordnungen", "Anordnungen"), ("/zweiter-faktor", "Zweiter Faktor")]
        }
    }

    static func page(title: String, main: String, signedIn: SignedIn? = nil) -> String {
        let header =
            signedIn.map { signed in
                let links = navigation(signed.role).map { "<li><a href=\"\($0.path)\">\(escape($0.label))</a></li>" }
                return """
                    <nav aria-label="Hauptnavigation"><ul>\(links.joined())</ul></nav>
                    <div class="konto"><p>Angemeldet als \(escape(signed.name))</p>
                    <form method="post" action="/abmelden"><input type="hidden" name="formular" value="\(escape(signed.formToken))">
                    <button type="submit">Abmelden</button></form></div>
                    """
            } ?? ""
        return """
            <!DOCTYPE html>
            <html lang="de">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) – Trägerportal Sozialraumbudget</title>
            <link rel="stylesheet" href="/stil.css"></head>
            <body>
            <header><p class="marke">Trägerportal Sozialraumbudget</p>\(header)</header>
            <main><h1>\(escape(title))</h1>
            \(main)
            </main>
            </body>
            </html>
            """
    }

    static func message(title: String, text: String, signedIn: SignedIn?) -> String {
        page(title: title, main: "<p>\(escape(text))</p>", signedIn: signedIn)
    }

    static func login(formToken: String, message: String? = nil) -> String {
        let notice = message.map { "<p role=\"alert\" class=\"problem\">\(escape($0))</p>" } ?? ""
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
                <p><label for="einmalcode">Einmalcode (wenn ein zweiter Faktor eingerichtet ist)</label>
                <input id="einmalcode" name="einmalcode" type="text" inputmode="numeric" autocomplete="off" maxlength="8" pattern="[0-9 ]*"></p>
                <p><button type="submit">Anmelden</button></p>
                </form>
                """)
    }

    /// Setting up the second factor: the secret to type into an authenticator app, then its current code.
    static func secondFactor(secret: String, address: String, message: String?, signedIn: SignedIn) -> String {
        let notice = message.map { "<p role=\"alert\" class=\"problem\">\(escape($0))</p>" } ?? ""
        return page(
            title: "Zweiter Faktor einrichten",
            main: """
                \(notice)
                <p>Tragen Sie diesen Schlüssel in eine Authenticator-App ein (zeitbasiert, 6 Stellen, 30 Sekunden):</p>
                <p><code class="schluessel">\(escape(secret))</code></p>
                <p>Oder als Adresse für die App: <code>\(escape(address))</code></p>
                <form method="post" action="/zweiter-faktor">
                <input type="hidden" name="formular" value="\(escape(signedIn.formToken))">
                <p><label for="einmalcode">Aktueller Code der App</label>
                <input id="einmalcode" name="einmalcode" type="text" inputmode="numeric" autocomplete="off" required maxlength="8"></p>
                <p><button type="submit">Einrichten</button></p>
                </form>
                """,
            signedIn: signedIn)
    }

    /// The funds of the Sozialräume the provider serves (the county: all), one table per Sozialraum, and for
    /// the county the burn chart of each.
    static func overview(
        year: Int, funds: [(SocialSpaceCode, FundsReport)], charts: Bool, signedIn: SignedIn
    ) -> String {
        let tables = funds.map { space, report in
            let rows = report.lines.map { line in
                "<tr><th scope=\"row\">\(escape(componentName(line.component)))</th>"
                    + [line.funds.appropriation, line.funds.actuals, line.funds.commitments, line.funds.available]
                    .map(amountCell).joined() + "</tr>"
            }.joined(separator: "\n")
            let chart =
                charts
                ? "<figure><img src=\"/diagramm/\(escape(space.rawValue))/\(year)\" width=\"720\" height=\"360\" "
                    + "alt=\"Budgetverlauf \(escape(space.rawValue)) \(year): Ansatz gegen Ist und Obligo je Monat\">"
                    + "<figcaption>Budgetverlauf \(escape(space.rawValue)) \(year) (letzter Abgleich)</figcaption></figure>"
                : ""
            return """
                <section aria-labelledby="raum-\(escape(space.rawValue))"><h2 id="raum-\(escape(space.rawValue))">Sozialraum \(escape(space.rawValue))</h2>
                <table>
                <caption>Mittel im Haushaltsjahr \(year)</caption>
                <thead><tr><th scope="col">Budgetbereich</th><th scope="col">Ansatz</th><th scope="col">Ist</th>
                <th scope="col">Gebunden</th><th scope="col">Verfügbar</th></tr></thead>
                <tbody>
                \(rows)
                </tbody>
                </table>
                \(chart)
                </section>
                """
        }.joined(separator: "\n")
        return page(
            title: "Übersicht", main: tables.isEmpty ? "<p>Keine Sozialräume zugeordnet.</p>" : tables,
            signedIn: signedIn)
    }

    static func componentName(_ component: BudgetComponent) -> String {
        switch component {
        case .case: "Einzelfallhilfen"
        case .milieu: "Milieu"
        case .structure: "Struktur"
        }
    }

    /// A table cell of an amount, right-aligned.
    static func amountCell(_ money: Money) -> String { "<td class=\"zahl\">\(GermanFormat.euro(money))</td>" }

    /// The portal's one stylesheet: readable, high contrast (WCAG AA), visible focus.
    static let stylesheet = """
        body { font-family: sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem; color: #1a1a1a; background: #fff; line-height: 1.5; }
        header { border-bottom: 2px solid #1a1a1a; margin-bottom: 1rem; }
        .marke { font-weight: bold; }
        nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 1rem; }
        a { color: #0b3d91; }
        a:focus, button:focus, input:focus { outline: 3px solid #b35c00; outline-offset: 2px; }
        table { border-collapse: collapse; margin: 1rem 0; }
        caption { text-align: left; font-weight: bold; padding: 0.25rem 0; }
        th, td { border: 1px solid #555; padding: 0.25rem 0.5rem; text-align: left; }
        td.zahl { text-align: right; }
        .problem { color: #8b0000; font-weight: bold; }
        .erledigt { color: #0b5d1e; font-weight: bold; }
        code { word-break: break-all; }
        button { padding: 0.25rem 0.75rem; }
        .versteckt { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
        """
}
