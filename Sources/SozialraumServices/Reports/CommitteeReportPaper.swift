import SozialraumDomain

/// The report to the Jugendhilfeausschuss as one self-contained German HTML document (issue 33, item 1):
/// printable to A4, its charts inline SVG with a title and a description (and the figures in a table beside
/// each), headings and captioned tables, no script and no external resource. Pure: equal reports give equal
/// bytes.
public struct CommitteeReportPaper: Sendable {
    public let report: CommitteeReport

    public init(report: CommitteeReport) { self.report = report }

    static let style = """
        body { font-family: sans-serif; color: #111; max-width: 60rem; margin: 1rem auto; line-height: 1.45; }
        h1 { font-size: 1.6rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #444; } h3 { margin-top: 1.2rem; }
        table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1.2rem; font-size: 0.9rem; }
        caption { text-align: left; font-weight: bold; padding: 0.3rem 0; }
        th, td { border: 1px solid #888; padding: 0.2rem 0.4rem; text-align: left; vertical-align: top; }
        td.zahl, th.zahl { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        tfoot th, tfoot td { font-weight: bold; }
        figure { margin: 1rem 0; } figcaption { font-size: 0.9rem; }
        .hinweis { border-left: 4px solid #0b3d91; padding-left: 0.6rem; }
        @page { size: A4; margin: 15mm; }
        @media print { body { margin: 0; max-width: none; } h2 { break-before: auto; } figure, table { break-inside: avoid; } }
        """

    static let componentNames: [BudgetComponent: String] = [
        .case: "Fallarbeit", .milieu: "Milieuarbeit", .structure: "Strukturarbeit",
    ]

    public func html() throws(Money.Overflow) -> String {
        let r = report
        let e = Markup.escape
        let period =
            r.quarter.map { "\($0). Quartal \(r.year) (Januar bis \(Self.monthName($0 * 3)))" } ?? "Jahr \(r.year)"
        var out = [
            "<h1>Bericht für den Jugendhilfeausschuss: Sozialraumbudget, \(e(period))</h1>",
            "<p>\(e(r.county)). Stand der Zahlen: Abgleich \(r.runID) über alle Sozialräume (Monate "
                + "\(e(r.runMonths)), Buchungsstand \(r.ledgerPosition)). Alle Beträge in Euro. Der Bericht nennt keine "
                + "Aktenzeichen; Gruppen mit weniger als \(r.minimumGroup) Fällen sind als „&lt; \(r.minimumGroup)“ "
                + "ausgewiesen, ohne eigene Kosten.</p>",
        ]
        // At a glance: the county.
        out.append("<h2 id=\"ueberblick\">Auf einen Blick</h2>")
        out.append(
            "<p>Der Sozialraumbudget-Ansatz deckt Fallarbeit (Hilfen auf Rechtsanspruch, §§ 27 ff. SGB VIII), "
                + "Milieuarbeit und Strukturarbeit. Fall- und Milieubudget sind gegenseitig deckungsfähig; die "
                + "Prognose schreibt das Ist mit den Regeln des Abgleichs bis zum Jahresende fort.</p>")
        out += try linesTable(
            caption: "\(r.county): Mittel \(period) nach Budgetbereich",
            rows: BudgetComponent.allCases.map { component throws(Money.Overflow) in try r.countyLine(component) },
            firstColumn: { Self.componentNames[$0.component]! }, total: true)
        out += try fundsChart()
        // The Sozialräume.
        out.append("<h2 id=\"sozialraeume\">Die Sozialräume</h2>")
        for space in r.socialSpaces {
            out.append("<h3>Sozialraum \(e(space))</h3>")
            out += try linesTable(
                caption: "Sozialraum \(space): Mittel \(period)",
                rows: r.lines.filter { $0.socialSpace == space }, firstColumn: { Self.componentNames[$0.component]! },
                total: true)
            let transfers = r.transfers.filter { $0.socialSpace == space }
            if !transfers.isEmpty {
                out.append(
                    "<p>Deckung: "
                        + transfers.map {
                            "\(Self.componentName($0.from)) deckt \(Self.componentName($0.to)) mit \(GermanFormat.euro($0.amount))"
                        }.joined(separator: "; ") + ".</p>")
            }
        }
        // § 117 decisions.
        out.append("<h2 id=\"paragraph117\">Über- und außerplanmäßige Aufwendungen (§ 117 NKomVG)</h2>")
        if r.decisions.isEmpty {
            out.append("<p>Im Jahr \(r.year) wurden keine Entscheidungen nach § 117 NKomVG erfasst.</p>")
        } else {
            out.append("<table><caption>Entscheidungen nach § 117 NKomVG \(r.year)</caption>")
            out.append(
                "<thead><tr><th scope=\"col\">Sozialraum</th><th scope=\"col\">Bereich</th><th scope=\"col\">Art</th>"
                    + "<th scope=\"col\" class=\"zahl\">Betrag</th><th scope=\"col\">Deckung</th><th scope=\"col\">Begründung</th>"
                    + "<th scope=\"col\">Kreistag unterrichtet</th></tr></thead><tbody>")
            for decision in r.decisions {
                out.append(
                    "<tr><td>\(e(decision.socialSpace))</td><td>\(Self.componentName(decision.component))</td>"
                        + "<td>\(decision.kind == .unplanned ? "außerplanmäßig" : "überplanmäßig")</td>"
                        + "<td class=\"zahl\">\(GermanFormat.euro(decision.amount))</td><td>\(e(decision.cover))</td>"
                        + "<td>\(e(decision.reason))</td><td>\(e(decision.councilInformedOn ?? "–"))</td></tr>")
            }
            out.append("</tbody></table>")
        }
        // Development over five years.
        out += try developmentSection()
        // Cases and grants by help type.
        out += helpTypeSection()
        // Carry-forwards and providers.
        out += try carryForwardsAndProviders()
        return Markup.document(
            title: "Sozialraumbudget \(e(period)) – Bericht für den Jugendhilfeausschuss", style: Self.style, body: out)
    }

    // MARK: Sections

    func linesTable(
        caption: String, rows: [CommitteeReport.Line], firstColumn: (CommitteeReport.Line) -> String, total: Bool
    ) throws(Money.Overflow) -> [String] {
        let e = Markup.escape
        var out = ["<table>", "<caption>\(e(caption))</caption>"]
        out.append(
            "<thead><tr><th scope=\"col\">Bereich</th><th scope=\"col\" class=\"zahl\">Ansatz</th>"
                + "<th scope=\"col\" class=\"zahl\">Haushaltsrest</th><th scope=\"col\" class=\"zahl\">Ist</th>"
                + "<th scope=\"col\" class=\"zahl\">Obligo</th><th scope=\"col\" class=\"zahl\">Prognose Jahresende</th>"
                + "<th scope=\"col\" class=\"zahl\">Deckung</th><th scope=\"col\" class=\"zahl\">Verfügbar nach Deckung</th></tr></thead><tbody>"
        )
        func cells(_ line: CommitteeReport.Line) -> String {
            [
                line.appropriation, line.carryIn, line.actuals, line.commitments, line.forecast, line.coverTransfer,
                line.availableAfterCover,
            ].map { "<td class=\"zahl\">\(GermanFormat.euro($0))</td>" }.joined()
        }
        for line in rows { out.append("<tr><th scope=\"row\">\(e(firstColumn(line)))</th>\(cells(line))</tr>") }
        out.append("</tbody>")
        if total {
            let sum = try CommitteeReport.Line.sum(rows, socialSpace: "", component: .case)
            out.append("<tfoot><tr><th scope=\"row\">Summe</th>\(cells(sum))</tr></tfoot>")
        }
        out.append("</table>")
        return out
    }

    /// Per Sozialraum: Ansatz and Haushaltsrest against the forecast to the year's end (all components).
    func fundsChart() throws(Money.Overflow) -> [String] {
        let r = report
        var bars: [(label: String, budget: Money, forecast: Money)] = []
        for space in r.socialSpaces {
            var budget = Money.zero, forecast = Money.zero
            for line in r.lines where line.socialSpace == space {
                try budget += line.appropriation
                try budget += line.carryIn
                try forecast += line.forecast
            }
            bars.append((space, budget, forecast))
        }
        let maximum = max(1, bars.map { max($0.budget.approximateEuros, $0.forecast.approximateEuros) }.max() ?? 1)
        let rowHeight = 46, width = 720, left = 150, top = 30
        let height = top + rowHeight * bars.count + 30
        func length(_ money: Money) -> Int {
            Int(Double(width - left - 140) * max(0, money.approximateEuros) / maximum)
        }
        var svg = [
            "<figure>",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-labelledby=\"mittel-titel mittel-text\" font-family=\"sans-serif\" font-size=\"12\">",
            "<title id=\"mittel-titel\">Ansatz mit Haushaltsrest und Prognose zum Jahresende je Sozialraum</title>",
            "<desc id=\"mittel-text\">"
                + bars.map {
                    "\(Markup.escape($0.label)): Ansatz mit Haushaltsrest \(GermanFormat.euro($0.budget)), Prognose \(GermanFormat.euro($0.forecast))"
                }.joined(separator: "; ") + "</desc>",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<rect x=\"\(left)\" y=\"8\" width=\"12\" height=\"12\" fill=\"#9bb7d4\"/><text x=\"\(left + 16)\" y=\"18\">Ansatz mit Haushaltsrest</text>",
            "<rect x=\"\(left + 190)\" y=\"8\" width=\"12\" height=\"12\" fill=\"#0b3d91\"/><text x=\"\(left + 206)\" y=\"18\">Prognose zum Jahresende</text>",
        ]
        for (index, bar) in bars.enumerated() {
            let y = top + index * rowHeight
            svg.append("<text x=\"\(left - 8)\" y=\"\(y + 22)\" text-anchor=\"end\">\(Markup.escape(bar.label))</text>")
            svg.append(
                "<rect x=\"\(left)\" y=\"\(y + 4)\" width=\"\(length(bar.budget))\" height=\"16\" fill=\"#9bb7d4\"/>")
            svg.append(
                "<text x=\"\(left + length(bar.budget) + 6)\" y=\"\(y + 16)\">\(GermanFormat.euro(bar.budget))</text>")
            svg.append(
                "<rect x=\"\(left)\" y=\"\(y + 22)\" width=\"\(length(bar.forecast))\" height=\"16\" fill=\"#0b3d91\"/>"
            )
            svg.append(
                "<text x=\"\(left + length(bar.forecast) + 6)\" y=\"\(y + 34)\">\(GermanFormat.euro(bar.forecast))</text>"
            )
        }
        svg.append("</svg>")
        svg.append(
            "<figcaption>Abbildung 1: Ansatz mit Haushaltsrest und Prognose zum Jahresende je Sozialraum (alle Bereiche; die Zahlen stehen in den Tabellen der Sozialräume).</figcaption>"
        )
        svg.append("</figure>")
        return svg
    }

    func developmentSection() throws(Money.Overflow) -> [String] {
        let r = report
        let e = Markup.escape
        let years = Set(r.development.map(\.year)).sorted()
        var out = ["<h2 id=\"entwicklung\">Entwicklung der letzten fünf Jahre</h2>"]
        out.append(
            "<p>Fallkosten und die Ausgaben für Milieu- und Strukturarbeit nach dem Leistungsmonat, wie der Kostenbericht "
                + "(cost-report) sie zeigt. Das Konzept Gemeinwesenarbeit (2009) erwartet, dass fallunabhängige Arbeit "
                + "Einzelfallbedarfe verringert: die Zahlen zeigen den Verlauf beider nebeneinander, sie belegen keinen "
                + "Zusammenhang.</p>")
        out.append("<table><caption>Kosten je Jahr und Sozialraum, je 1.000 junge Einwohner (unter 21)</caption>")
        out.append(
            "<thead><tr><th scope=\"col\">Jahr</th><th scope=\"col\">Sozialraum</th><th scope=\"col\" class=\"zahl\">Fallkosten</th>"
                + "<th scope=\"col\" class=\"zahl\">Milieuarbeit</th><th scope=\"col\" class=\"zahl\">Strukturarbeit</th>"
                + "<th scope=\"col\" class=\"zahl\">Anteil Milieu und Struktur</th><th scope=\"col\" class=\"zahl\">junge Einwohner</th>"
                + "<th scope=\"col\" class=\"zahl\">Fallkosten je 1.000</th><th scope=\"col\" class=\"zahl\">Bewilligungen</th></tr></thead><tbody>"
        )
        var county: [(year: Int64, row: CostDevelopmentRow)] = []
        for year in years {
            var rows = r.development.filter { $0.year == year }
            if let total = try r.countyDevelopment(year) {
                rows.append(total)
                county.append((year, total))
            }
            for row in rows {
                out.append(
                    "<tr><th scope=\"row\">\(row.year)</th><td>\(e(row.socialSpace))</td>"
                        + "<td class=\"zahl\">\(GermanFormat.euro(row.caseCost))</td><td class=\"zahl\">\(GermanFormat.euro(row.milieu))</td>"
                        + "<td class=\"zahl\">\(GermanFormat.euro(row.structure))</td>"
                        + "<td class=\"zahl\">\(row.milieuStructureShare.map { GermanFormat.number($0) + " %" } ?? "–")</td>"
                        + "<td class=\"zahl\">\(row.youngInhabitants.map { GermanFormat.wholeEuros($0) } ?? "–")</td>"
                        + "<td class=\"zahl\">\(row.caseCostPer1000.map(GermanFormat.euro) ?? "–")</td>"
                        + "<td class=\"zahl\">\(row.grants)</td></tr>")
            }
        }
        out.append("</tbody></table>")
        out += try developmentChart(county)
        return out
    }

    /// The county's case cost against milieu and structure spending over the years, as two lines.
    func developmentChart(_ county: [(year: Int64, row: CostDevelopmentRow)]) throws(Money.Overflow) -> [String] {
        guard county.count > 1 else { return [] }
        let width = 720, height = 300, left = 90, right = 20, top = 40, bottom = 40
        var series: [(Int64, Money, Money)] = []
        for entry in county {
            series.append((entry.year, entry.row.caseCost, try entry.row.milieu + entry.row.structure))
        }
        let maximum = max(1, series.map { max($0.1.approximateEuros, $0.2.approximateEuros) }.max() ?? 1)
        func x(_ index: Int) -> Int { left + index * (width - left - right) / max(1, series.count - 1) }
        func y(_ money: Money) -> Int {
            top + (height - top - bottom)
                - Int(Double(height - top - bottom) * max(0, money.approximateEuros) / maximum)
        }
        let casePoints = series.enumerated().map { "\(x($0.offset)),\(y($0.element.1))" }.joined(separator: " ")
        let workPoints = series.enumerated().map { "\(x($0.offset)),\(y($0.element.2))" }.joined(separator: " ")
        var svg = [
            "<figure>",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-labelledby=\"entwicklung-titel entwicklung-text\" font-family=\"sans-serif\" font-size=\"12\">",
            "<title id=\"entwicklung-titel\">Fallkosten und Ausgaben für Milieu- und Strukturarbeit im Landkreis je Jahr</title>",
            "<desc id=\"entwicklung-text\">"
                + series.map {
                    "\($0.0): Fallkosten \(GermanFormat.euro($0.1)), Milieu und Struktur \(GermanFormat.euro($0.2))"
                }
                .joined(separator: "; ") + "</desc>",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<line x1=\"\(left)\" x2=\"\(width - right)\" y1=\"\(height - bottom)\" y2=\"\(height - bottom)\" stroke=\"#444\"/>",
            "<polyline fill=\"none\" stroke=\"#b3261e\" stroke-width=\"3\" points=\"\(casePoints)\"/>",
            "<polyline fill=\"none\" stroke=\"#0b3d91\" stroke-width=\"3\" stroke-dasharray=\"8 4\" points=\"\(workPoints)\"/>",
            "<text x=\"\(left)\" y=\"20\" fill=\"#b3261e\">— Fallkosten</text>",
            "<text x=\"\(left + 140)\" y=\"20\" fill=\"#0b3d91\">- - Milieu- und Strukturarbeit</text>",
        ]
        for (index, entry) in series.enumerated() {
            svg.append("<text x=\"\(x(index))\" y=\"\(height - bottom + 18)\" text-anchor=\"middle\">\(entry.0)</text>")
        }
        svg.append("</svg>")
        svg.append(
            "<figcaption>Abbildung 2: Fallkosten und Ausgaben für Milieu- und Strukturarbeit im Landkreis (Zahlen in der Tabelle darüber, Zeilen „Landkreis“).</figcaption>"
        )
        svg.append("</figure>")
        return svg
    }

    func helpTypeSection() -> [String] {
        let r = report
        let e = Markup.escape
        var out = ["<h2 id=\"hilfearten\">Fälle und Bewilligungen nach Hilfeart, \(r.year)</h2>"]
        guard !r.helpTypes.isEmpty else {
            out.append("<p>Im Jahr \(r.year) gab es keine Fallkosten.</p>")
            return out
        }
        out.append(
            "<table><caption>Fälle, Bewilligungen, Fallkosten und durchschnittliche Dauer der Bewilligungen je Sozialraum und Hilfeart \(r.year)</caption>"
        )
        out.append(
            "<thead><tr><th scope=\"col\">Sozialraum</th><th scope=\"col\">Hilfeart</th><th scope=\"col\" class=\"zahl\">Fälle</th>"
                + "<th scope=\"col\" class=\"zahl\">Bewilligungen</th><th scope=\"col\" class=\"zahl\">Fallkosten</th>"
                + "<th scope=\"col\" class=\"zahl\">durchschnittliche Dauer (Tage)</th></tr></thead><tbody>")
        for group in r.helpTypes {
            let withheld = r.withheld(group)
            let name = group.helpType == "opening" ? "vor der Übernahme" : "§ \(group.helpType)"
            out.append(
                "<tr><td>\(e(group.socialSpace))</td><th scope=\"row\">\(e(name))</th>"
                    + "<td class=\"zahl\">\(group.helpType == "opening" ? "–" : e(r.shown(group.cases)))</td>"
                    + "<td class=\"zahl\">\(group.helpType == "opening" ? "–" : e(r.shown(group.grants)))</td>"
                    + "<td class=\"zahl\">\(withheld ? "–" : GermanFormat.euro(group.caseCost))</td>"
                    + "<td class=\"zahl\">\(withheld ? "–" : group.averageDays.map(String.init) ?? "–")</td></tr>")
        }
        out.append("</tbody></table>")
        return out
    }

    func carryForwardsAndProviders() throws(Money.Overflow) -> [String] {
        let r = report
        let e = Markup.escape
        var out = ["<h2 id=\"reste\">Haushaltsreste und Anteile der Träger</h2>"]
        let carried = r.lines.filter { $0.carryIn != .zero }
        if carried.isEmpty {
            out.append("<p>In das Jahr \(r.year) wurden keine Haushaltsreste übertragen.</p>")
        } else {
            out.append("<table><caption>Haushaltsreste aus \(r.year - 1), übertragen nach \(r.year)</caption>")
            out.append(
                "<thead><tr><th scope=\"col\">Sozialraum</th><th scope=\"col\">Bereich</th><th scope=\"col\" class=\"zahl\">Haushaltsrest</th></tr></thead><tbody>"
            )
            for line in carried {
                out.append(
                    "<tr><td>\(e(line.socialSpace))</td><td>\(Self.componentNames[line.component]!)</td>"
                        + "<td class=\"zahl\">\(GermanFormat.euro(line.carryIn))</td></tr>")
            }
            out.append("</tbody></table>")
        }
        guard !r.providers.isEmpty else {
            out.append("<p>Der Abgleich hat keine Abrechnungen der Träger.</p>")
            return out
        }
        let total = try Money.total(r.providers.map(\.accrued))
        out.append(
            "<table><caption>Leistungen der freien Träger im Abgleich \(r.runID) (Monate \(e(r.runMonths)))</caption>")
        out.append(
            "<thead><tr><th scope=\"col\">Träger</th><th scope=\"col\" class=\"zahl\">Leistungen</th>"
                + "<th scope=\"col\" class=\"zahl\">Anteil</th><th scope=\"col\" class=\"zahl\">Abschläge</th>"
                + "<th scope=\"col\" class=\"zahl\">Ausgleiche</th></tr></thead><tbody>")
        for provider in r.providers {
            let share =
                total.isPositive && !provider.accrued.isNegative
                ? GermanFormat.number(try provider.accrued.scaled(by: 10_000, over: total.cents).cents) + " %" : "–"
            out.append(
                "<tr><th scope=\"row\">\(e(provider.providerName))</th><td class=\"zahl\">\(GermanFormat.euro(provider.accrued))</td>"
                    + "<td class=\"zahl\">\(share)</td><td class=\"zahl\">\(GermanFormat.euro(provider.instalments))</td>"
                    + "<td class=\"zahl\">\(GermanFormat.euro(provider.settlements))</td></tr>")
        }
        out.append(
            "</tbody><tfoot><tr><th scope=\"row\">Summe</th><td class=\"zahl\">\(GermanFormat.euro(total))</td><td class=\"zahl\">100,00 %</td><td></td><td></td></tr></tfoot></table>"
        )
        return out
    }

    static func componentName(_ raw: String) -> String {
        BudgetComponent(rawValue: raw).flatMap { componentNames[$0] } ?? raw
    }

    static func monthName(_ month: Int) -> String {
        [
            "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November",
            "Dezember",
        ][max(0, min(11, month - 1))]
    }
}
