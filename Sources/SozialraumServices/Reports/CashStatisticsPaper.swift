import SozialraumDomain

/// The county's working paper for the KJH-Statistik Teil IV (issue 33, item 4): one self-contained German HTML
/// document — the positions in the survey's order with the figures to type into the form (whole euros) and
/// exact to the cent, the mapping that put each euro there, the findings, and every payment of the year with
/// its position, so that a Rechnungsprüfer can follow any figure back to the Kasse's confirmation. Printable to
/// A4, no script, no external resource. Pure: equal reports give equal bytes.
public struct CashStatisticsPaper: Sendable {
    public let county: String
    public let report: CashStatistics.Report
    public let mapping: [(key: String, position: CashStatistics.Position)]

    public init(
        county: String, report: CashStatistics.Report, mapping: [(key: String, position: CashStatistics.Position)]
    ) {
        self.county = county
        self.report = report
        self.mapping = mapping
    }

    static let style = """
        body { font-family: sans-serif; color: #111; max-width: 60rem; margin: 1rem auto; line-height: 1.4; }
        table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
        caption { text-align: left; font-weight: bold; padding: 0.3rem 0; }
        th, td { border: 1px solid #888; padding: 0.2rem 0.4rem; text-align: left; vertical-align: top; }
        td.zahl, th.zahl { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        tfoot td, tfoot th { font-weight: bold; }
        .hinweis { border-left: 4px solid #0b3d91; padding-left: 0.6rem; }
        @page { size: A4; margin: 15mm; }
        @media print { body { margin: 0; max-width: none; } thead { display: table-header-group; } }
        """

    public func html() -> String {
        let e = Markup.escape
        let year = report.year
        var out = [
            "<h1>Statistik der Ausgaben und Einnahmen der öffentlichen Kinder- und Jugendhilfe (Teil IV), Berichtsjahr \(year)</h1>",
            "<p>Arbeitspapier des \(e(county)) für die Meldung an das Landesamt für Statistik Niedersachsen: die "
                + "Auszahlungen und Einzahlungen des Sozialraumbudgets im Kalenderjahr \(year) nach dem Tag der "
                + "Zahlung (Valuta der Kasse, kassenwirksam), nicht nach dem Leistungsmonat. Jeder Euro steht in "
                + "genau einer Position; was keine Zuordnung hat, steht unter „nicht zugeordnet“ und ist unten als "
                + "Feststellung aufgeführt.</p>",
        ]
        // Positions.
        out.append("<h2>Positionen</h2>")
        out.append("<table>")
        out.append(
            "<caption>Ausgaben und Einnahmen \(year) nach Positionen des Erhebungsbogens (volle Euro zum Eintragen; in Cent genau daneben)</caption>"
        )
        out.append(
            "<thead><tr><th scope=\"col\">Teil</th><th scope=\"col\">Schlüssel</th><th scope=\"col\">Bezeichnung</th>"
                + "<th scope=\"col\" class=\"zahl\">Ausgaben (Euro)</th><th scope=\"col\" class=\"zahl\">Einnahmen (Euro)</th>"
                + "<th scope=\"col\" class=\"zahl\">Ausgaben genau</th><th scope=\"col\" class=\"zahl\">Einnahmen genau</th></tr></thead>"
        )
        out.append("<tbody>")
        for total in report.totals {
            out.append(
                "<tr><td>\(Self.part(total.position.part))</td><th scope=\"row\">\(e(total.position.code))</th>"
                    + "<td>\(e(total.position.title))</td>"
                    + "<td class=\"zahl\">\(GermanFormat.wholeEuros(total.expenditureEuros))</td>"
                    + "<td class=\"zahl\">\(GermanFormat.wholeEuros(total.incomeEuros))</td>"
                    + "<td class=\"zahl\">\(GermanFormat.euro(total.expenditure))</td>"
                    + "<td class=\"zahl\">\(GermanFormat.euro(total.income))</td></tr>")
        }
        out.append("</tbody>")
        out.append(
            "<tfoot><tr><th scope=\"row\" colspan=\"3\">Summe</th>"
                + "<td class=\"zahl\">\(GermanFormat.wholeEuros(report.totals.reduce(0) { $0 + $1.expenditureEuros }))</td>"
                + "<td class=\"zahl\">\(GermanFormat.wholeEuros(report.totals.reduce(0) { $0 + $1.incomeEuros }))</td>"
                + "<td class=\"zahl\">\(GermanFormat.euro(report.paid))</td>"
                + "<td class=\"zahl\">\(GermanFormat.euro(report.received))</td></tr></tfoot>")
        out.append("</table>")
        out.append(
            "<p class=\"hinweis\">Probe: die Summe der Positionen ist die Summe aller \(report.attributions.count) "
                + "Zahlungsteile des Jahres laut Kasse (\(GermanFormat.euro(report.paid)) ausgezahlt, "
                + "\(GermanFormat.euro(report.received)) eingezahlt). Die vollen Euro sind so gerundet, dass ihre Summe "
                + "die gerundete Gesamtsumme ist.</p>")
        // Mapping.
        out.append("<h2>Zuordnung \(year)</h2>")
        if mapping.isEmpty {
            out.append("<p>Für \(year) ist keine Zuordnung festgelegt (report-mapping-import).</p>")
        } else {
            out.append("<table>")
            out.append(
                "<caption>Hilfearten und Projektarten mit ihrer Position, wie der Kreis sie für \(year) festgelegt hat</caption>"
            )
            out.append(
                "<thead><tr><th scope=\"col\">Hilfeart oder Projektart</th><th scope=\"col\">Teil</th>"
                    + "<th scope=\"col\">Schlüssel</th><th scope=\"col\">Bezeichnung</th></tr></thead><tbody>")
            for entry in mapping {
                out.append(
                    "<tr><th scope=\"row\">\(e(Self.keyName(entry.key)))</th><td>\(Self.part(entry.position.part))</td>"
                        + "<td>\(e(entry.position.code))</td><td>\(e(entry.position.title))</td></tr>")
            }
            out.append("</tbody></table>")
        }
        // Findings.
        out.append("<h2>Feststellungen</h2>")
        if report.findings.isEmpty {
            out.append("<p>Keine: jeder Euro des Jahres hat eine Position.</p>")
        } else {
            out.append("<table>")
            out.append("<caption>Zahlungen ohne Position (unter „nicht zugeordnet“ enthalten)</caption>")
            out.append(
                "<thead><tr><th scope=\"col\">Kassenzeichen</th><th scope=\"col\">Grund</th><th scope=\"col\">betrifft</th>"
                    + "<th scope=\"col\" class=\"zahl\">Betrag</th></tr></thead><tbody>")
            for finding in report.findings {
                out.append(
                    "<tr><td>\(e(finding.kassenzeichen))</td><td>\(Self.reason(finding.kind))</td>"
                        + "<td>\(e(Self.keyName(finding.subject)))</td><td class=\"zahl\">\(GermanFormat.euro(finding.amount))</td></tr>"
                )
            }
            out.append("</tbody></table>")
        }
        // Payments.
        out.append("<h2>Zahlungen \(year)</h2>")
        out.append("<table>")
        out.append(
            "<caption>Jede Zahlung der Kasse im Jahr mit ihrer Position (Teilbeträge, wo sie sich aufteilt)</caption>")
        out.append(
            "<thead><tr><th scope=\"col\">Valuta</th><th scope=\"col\">Kassenzeichen</th><th scope=\"col\">Träger</th>"
                + "<th scope=\"col\">Sozialraum</th><th scope=\"col\">Bereich</th><th scope=\"col\">Hilfeart oder Projektart</th>"
                + "<th scope=\"col\">Schlüssel</th><th scope=\"col\" class=\"zahl\">Betrag</th></tr></thead><tbody>")
        for part in report.attributions {
            out.append(
                "<tr><td>\(GermanFormat.day(part.valueDate))</td><td>\(e(part.kassenzeichen))</td><td>\(e(part.provider))</td>"
                    + "<td>\(e(part.socialSpace ?? "–"))</td><td>\(Self.component(part.component))</td>"
                    + "<td>\(e(part.key.map(Self.keyName) ?? "–"))</td><td>\(e(part.position.code))</td>"
                    + "<td class=\"zahl\">\(GermanFormat.euro(part.amount))</td></tr>")
        }
        out.append("</tbody></table>")
        return Markup.document(
            title: "KJH-Statistik Teil IV \(year) – Arbeitspapier \(e(county))", style: Self.style, body: out)
    }

    static func part(_ part: Int) -> String {
        switch part {
        case 1: "1 Einzel- und Gruppenhilfen"
        case 2: "2 Einrichtungen"
        default: "–"
        }
    }

    static func keyName(_ key: String) -> String {
        switch key {
        case "projekt-milieu": "Projekte der Milieuarbeit"
        case "projekt-struktur": "Projekte der Strukturarbeit"
        default: key.first?.isNumber == true ? "§ \(key.split(separator: ".").joined(separator: " Abs. "))" : key
        }
    }

    static func component(_ component: BudgetComponent?) -> String {
        switch component {
        case .case: "Fallarbeit"
        case .milieu: "Milieuarbeit"
        case .structure: "Strukturarbeit"
        case nil: "–"
        }
    }

    static func reason(_ kind: CashStatistics.Finding.Kind) -> String {
        switch kind {
        case .unmapped: "für diese Hilfe- oder Projektart ist keine Position festgelegt"
        case .noBasis:
            "keine Leistungen des Trägers in Sozialraum und Jahr, nach denen die Zahlung auf Hilfearten aufzuteilen wäre"
        case .unknownOrder: "die Kasse nennt eine Anordnung, die das System nicht kennt"
        case .mixedSigns: "Teilzahlung einer Anordnung mit Zeilen beider Vorzeichen"
        }
    }
}
