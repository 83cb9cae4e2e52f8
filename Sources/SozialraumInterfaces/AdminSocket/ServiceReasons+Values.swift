import Foundation

/// The use cases' reasons that carry values (`no fiscal period 2026-13`, `the order is approved`), in German
/// (issue 32, item 1): each is a template whose `{}` stand for the values in their order; the German wording
/// may take them in another order (`{1}`, `{0}`). A value that is a state word is worded too. `AdminTextTests`
/// scans the Services' sources and checks that every reason with a value has its template here.
struct ValueReason: Sendable {
    let english: String
    let german: String
    /// Values worded in German (state words); any other value stays as it is.
    var words: [String: String] = [:]

    /// The German wording of `text` when it is this reason with values filled in.
    func german(_ text: String) -> String? {
        guard let values = Self.values(of: text, in: english) else { return nil }
        let worded = values.map { words[$0] ?? $0 }
        var result = german
        if result.contains("{0}") {
            for (index, value) in worded.enumerated() {
                result = result.replacingOccurrences(of: "{\(index)}", with: value)
            }
            return result
        }
        for value in worded {
            guard let slot = result.range(of: "{}") else { break }
            result.replaceSubrange(slot, with: value)
        }
        return result
    }

    /// The values of `text` at the template's `{}`, or nil when `text` is not of this template (each value
    /// non-empty, the shortest that lets the rest match).
    static func values(of text: String, in template: String) -> [String]? {
        let parts = template.components(separatedBy: "{}")
        guard text.hasPrefix(parts[0]) else { return nil }
        var rest = text.dropFirst(parts[0].count)
        var values: [String] = []
        for (index, part) in parts.enumerated().dropFirst() {
            let isLast = index == parts.count - 1
            if isLast {
                guard rest.hasSuffix(part), rest.count > part.count else { return nil }
                values.append(String(rest.dropLast(part.count)))
                return values
            }
            guard !part.isEmpty,
                let end = rest.dropFirst().range(of: part)
            else { return nil }
            values.append(String(rest[rest.startIndex..<end.lowerBound]))
            rest = rest[end.upperBound...]
        }
        return rest.isEmpty ? values : nil
    }
}

extension ServiceReasons {
    static let orderStates = [
        "pending": "offen (wartet auf die zweite Unterschrift)", "approved": "angeordnet", "rejected": "abgelehnt",
        "expired": "abgelaufen",
    ]
    static let changeStates = [
        "pending": "offen", "approved": "genehmigt", "rejected": "abgelehnt", "expired": "abgelaufen",
    ]
    static let statementStates = ["issued": "ausgestellt", "settled": "ausgeglichen", "withdrawn": "zurückgezogen"]
    static let erasureStates = [
        "proposed": "vorgeschlagen", "certified": "festgestellt", "ordered": "angeordnet", "rejected": "abgelehnt",
        "done": "erledigt",
    ]

    /// The templates, the more specific before the more general (the first that fits is taken).
    static let valueReasons: [ValueReason] = [
        // conflict
        ValueReason(
            english: "a carry-forward into {} for {}/{} exists already",
            german: "ein Haushaltsrest nach {} für {}/{} ist schon gebucht"),
        ValueReason(
            english: "a settlement pays an issued statement: issue it first (statement-issue {} {})",
            german: "ein Ausgleich zahlt eine ausgestellte Abrechnung: zuerst ausstellen (statement-issue {} {})"),
        ValueReason(english: "batch {} was exported unsigned", german: "der Stapel {} wurde unsigniert ausgegeben"),
        ValueReason(
            english: "carry-forward is not allowed into {}",
            german: "ein Haushaltsrest darf nicht nach {} übertragen werden"),
        ValueReason(
            english: "deliveries exist after {}; reverse them first",
            german: "es gibt Leistungen nach dem {}; zuerst stornieren"),
        ValueReason(
            english: "deliveries exist from {}; reverse them first",
            german: "es gibt Leistungen ab {}; zuerst stornieren"),
        ValueReason(
            english: "erasure order {} is {}, not {}", german: "die Löschanordnung {} ist {}, nicht {}",
            words: erasureStates),
        ValueReason(
            english: "from {} {} belongs to another Sozialraum", german: "ab {} gehört {} zu einem anderen Sozialraum"),
        ValueReason(english: "months still open: {}", german: "noch offene Monate: {}"),
        ValueReason(
            english: "no effect registered for orders of kind {}",
            german: "für Anordnungen der Art {} ist keine Wirkung eingetragen"),
        ValueReason(
            english: "no finance mapping for {} {} {} {}; set it with finance-map",
            german: "keine Kontierung für {} {} {} {}; mit finance-map setzen"),
        ValueReason(
            english: "no open fiscal period {} for the correction",
            german: "kein offener Haushaltsmonat {} für die Berichtigung"),
        ValueReason(
            english: "no open fiscal period {} for the settlement",
            german: "kein offener Haushaltsmonat {} für den Ausgleich"),
        ValueReason(
            english: "no open period {} to pay the share in",
            german: "kein offener Monat {}, in dem der Anteil gezahlt werden kann"),
        ValueReason(
            english: "open the fiscal year {} first (year-open)",
            german: "zuerst das Haushaltsjahr {} eröffnen (year-open)"),
        ValueReason(
            english: "open the fiscal year {} first: it receives the carry-forwards",
            german: "zuerst das Haushaltsjahr {} eröffnen: es nimmt die Haushaltsreste auf"),
        ValueReason(
            english: "payment order {} settles it; reject that order first",
            german: "die Zahlungsanordnung {} gleicht sie aus; zuerst diese Anordnung ablehnen"),
        ValueReason(
            english: "the case has no residence from {}, or it is {} already",
            german: "der Fall hat keinen Wohnort ab {}, oder er ist schon {}"),
        ValueReason(
            english: "the case is still billed: close {} first",
            german: "für den Fall wird noch abgerechnet: zuerst {} abschließen"),
        ValueReason(
            english: "the change expired after {}; request it again",
            german: "die Änderung ist nach {} abgelaufen; neu beantragen"),
        ValueReason(english: "the change is {}", german: "die Änderung ist {}", words: changeStates),
        ValueReason(english: "the grant no longer covers {}", german: "die Bewilligung deckt {} nicht mehr"),
        ValueReason(
            english: "the ledger changed after run {}; reconcile again and settle the new statement",
            german:
                "die Buchungen haben sich nach dem Abgleich {} geändert; neu abgleichen und die neue Abrechnung ausgleichen"
        ),
        ValueReason(
            english: "the ledger moved since run {}; preview the year end again",
            german: "die Buchungen haben sich seit dem Abgleich {} geändert; den Jahresabschluss neu ansehen"),
        ValueReason(
            english: "the name {} belongs to another account; choose another",
            german: "der Name {} gehört einem anderen Konto; einen anderen wählen"),
        ValueReason(
            english: "the name {} belongs to another tenant's account",
            german: "der Name {} gehört einem Konto eines anderen Mandanten"),
        ValueReason(
            english: "the order expired after {}; certify the payment again",
            german: "die Anordnung ist nach {} abgelaufen; die Zahlung neu feststellen"),
        ValueReason(english: "the order is {}", german: "die Anordnung ist {}", words: orderStates),
        ValueReason(
            english: "the project has expenses in {}, after {}", german: "das Projekt hat Ausgaben im {}, nach dem {}"),
        ValueReason(
            english: "the provider's assignment to {} from {} says otherwise; unassign it or choose another day",
            german:
                "die Zuordnung des Trägers zu {} ab {} sagt etwas anderes; sie beenden oder einen anderen Tag wählen"),
        ValueReason(
            english: "the provider's cooperation ends {}; nothing of it may run past that day",
            german: "die Zusammenarbeit mit dem Träger endet am {}; nichts davon darf über diesen Tag hinaus laufen"),
        ValueReason(english: "the statement is {}", german: "die Abrechnung ist {}", words: statementStates),
        ValueReason(english: "the year end {} is not applied", german: "der Jahresabschluss {} ist nicht gebucht"),
        ValueReason(
            english: "{} grants or projects of the provider run past {}; end them first",
            german: "{} Bewilligungen oder Projekte des Trägers laufen über den {} hinaus; zuerst beenden"),
        ValueReason(
            english: "{} open findings in {}; resolve them or force with a reason",
            german: "{} offene Feststellungen im {}; entscheiden oder mit Begründung erzwingen"),
        // duplicate
        ValueReason(english: "case {}", german: "Fall {}"),
        ValueReason(english: "fiscal year {}", german: "Haushaltsjahr {}"),
        ValueReason(english: "move on {}", german: "Umzug am {}"),
        ValueReason(english: "order {} for this year end", german: "Anordnung {} für diesen Jahresabschluss"),
        ValueReason(
            english: "payment order {} for this finding", german: "Zahlungsanordnung {} für diese Feststellung"),
        ValueReason(
            english: "payment order {} for this statement", german: "Zahlungsanordnung {} für diese Abrechnung"),
        ValueReason(english: "period {} is already closed", german: "der Monat {} ist schon abgeschlossen"),
        ValueReason(english: "provider code {}", german: "Trägerkürzel {}"),
        ValueReason(english: "rate from {}", german: "Entgelt ab {}"),
        ValueReason(english: "reversal of booking {}", german: "Storno der Buchung {}"),
        ValueReason(
            english: "statement {} ({}) for this run and provider",
            german: "Abrechnung {} ({}) für diesen Abgleich und Träger", words: statementStates),
        ValueReason(english: "year end {}", german: "Jahresabschluss {}"),
        // not found
        ValueReason(
            english: "an assignment of the provider to {} open on {}",
            german: "eine am {1} offene Zuordnung des Trägers zu {0}"),
        ValueReason(english: "erasure order {}", german: "Löschanordnung {}"),
        ValueReason(
            english: "run over all Sozialräume for {} (reconcile {})",
            german: "Abgleich über alle Sozialräume für {} (reconcile {})"),
        ValueReason(english: "period {}", german: "Monat {}"),
        // invalid, and rows of imports
        ValueReason(
            english: "above {} the Kreistag is informed: give kreistag=<date>",
            german: "über {} wird der Kreistag unterrichtet: kreistag=<datum> angeben"),
        ValueReason(
            english:
                "after the grant's first day and not after its last ({}); an extension may also start the day after ({})",
            german:
                "nach dem ersten Tag der Bewilligung und nicht nach ihrem letzten ({}); eine Verlängerung darf auch am Tag danach beginnen ({})"
        ),
        ValueReason(
            english: "changes the set Ansatz {} beyond the threshold: set it with appropriation (two signatures)",
            german:
                "ändert den gesetzten Ansatz {} über die Schwelle hinaus: mit appropriation setzen (zwei Unterschriften)"
        ),
        ValueReason(english: "expected {} fields, found {}", german: "{} Felder erwartet, {} gefunden"),
        ValueReason(
            english: "going live on {}, nothing of the year was paid before it",
            german: "Übernahme zum {}: vorher wurde in diesem Jahr nichts gezahlt"),
        ValueReason(english: "more than {} lines", german: "mehr als {} Zeilen"),
        ValueReason(english: "no fiscal period {}", german: "kein Haushaltsmonat {}"),
        ValueReason(
            english: "no rate agreement of the provider for this help on {}",
            german: "keine Entgeltvereinbarung des Trägers für diese Hilfe am {}"),
        ValueReason(
            english: "not a whole-year run of {} over all Sozialräume",
            german: "kein Abgleich des ganzen Jahres {} über alle Sozialräume"),
        ValueReason(
            english: "order {} was never sent to the Kasse (payment-export first)",
            german: "die Anordnung {} wurde nie an die Kasse gegeben (zuerst payment-export)"),
        ValueReason(
            english: "second line for this key (first on line {})",
            german: "zweite Zeile für diese Hilfe- oder Projektart (die erste in Zeile {})"),
        ValueReason(
            english: "second line for this line (first on line {})",
            german: "zweite Zeile für diese Budgetzeile (die erste in Zeile {})"),
        ValueReason(
            english: "the provider does not serve {} on {}; give a reason",
            german: "der Träger ist am {1} nicht in {0} tätig; eine Begründung angeben"),
        ValueReason(english: "unknown kind ({})", german: "unbekannte Art ({})"),
        ValueReason(english: "{} given twice", german: "{} zweimal angegeben"),
        ValueReason(
            english: "{}, the month before go-live, is closed",
            german: "{}, der Monat vor der Übernahme, ist abgeschlossen"
        ),
        ValueReason(english: "expected {}", german: "erwartet {}"),
    ]

    /// A reason with values in German, when a template fits.
    static func valueReason(_ text: String) -> String? {
        for template in valueReasons {
            if let german = template.german(text) { return german }
        }
        return nil
    }
}
