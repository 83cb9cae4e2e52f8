/// What a use case names in a refusal, in German (issue 32, item 1): the action a role or right does not
/// allow (`nicht erlaubt: Bewilligungen lesen`), and what was not found (`unbekannt: Bewilligung`). The use
/// cases word them in English where they decide; a reason without a wording here stays English
/// (`AdminTextTests` checks that every action and every thing the use cases name has one).
enum ServiceReasons {
    /// The actions of `Caller.require(_:for:)`.
    static let actions: [String: String] = [
        "administering accounts": "Konten verwalten",
        "agreeing direct-access help": "Hilfen mit direktem Zugang vereinbaren",
        "agreeing rates": "Entgelte vereinbaren", "amending grants": "Bewilligungen fortschreiben",
        "approving account changes": "Änderungen an Konten genehmigen", "assigning providers": "Träger zuordnen",
        "backfilling schedules": "Termine nachholen", "booking project expenses": "Projektausgaben buchen",
        "cancelling jobs": "Aufträge abbrechen", "carrying forward": "Haushaltsreste übertragen",
        "certifying erasures": "Löschungen feststellen",
        "certifying the providers' shares": "die Anteile der Träger feststellen", "changing rights": "Rechte ändern",
        "changing schedules": "Zeitpläne ändern", "choosing what providers see": "festlegen, was Träger sehen",
        "closing periods": "Monate abschließen", "correcting case keys": "Aktenzeichen berichtigen",
        "correcting residences": "Wohnorte berichtigen", "creating projects": "Projekte anlegen",
        "deciding on overruns": "über Überschreitungen entscheiden", "defining Sozialräume": "Sozialräume festlegen",
        "ending a provider's cooperation": "die Zusammenarbeit mit einem Träger beenden",
        "ending assignments": "Zuordnungen beenden", "ending grants": "Bewilligungen beenden",
        "ending projects": "Projekte beenden", "exporting payment orders": "Zahlungsanordnungen ausgeben",
        "granting help": "Hilfen bewilligen", "importing deliveries": "Leistungsnachweise einlesen",
        "importing payment confirmations": "Zahlungsbestätigungen einlesen",
        "issuing statements": "Abrechnungen ausstellen", "limiting orders": "Anordnungen begrenzen",
        "loading help types": "Hilfearten laden", "loading population figures": "Einwohnerzahlen laden",
        "migrating data": "Daten übernehmen", "opening cases": "Fälle anlegen",
        "opening fiscal years": "Haushaltsjahre eröffnen", "ordering erasures": "Löschungen anordnen",
        "ordering payments": "Zahlungen anordnen", "pausing schedules": "Zeitpläne pausieren",
        "paying instalments": "Abschläge zahlen", "proposing erasures": "Löschungen vorschlagen",
        "pruning reconciliation runs": "Abgleiche aufräumen", "queueing jobs": "Aufträge einreihen",
        "reading a case's history": "den Verlauf eines Falls lesen",
        "reading account changes": "Änderungen an Konten lesen", "reading accounts": "Konten lesen",
        "reading budgets": "Budgets lesen", "reading cost reports": "Kostenberichte lesen",
        "reading cross-area grants": "sozialraumübergreifende Bewilligungen lesen",
        "reading erasure orders": "Löschanordnungen lesen", "reading export batches": "Stapel lesen",
        "reading findings": "Feststellungen lesen", "reading grants": "Bewilligungen lesen",
        "reading legal holds": "Löschsperren lesen",
        "reading overrun decisions": "Entscheidungen über Überschreitungen lesen",
        "reading payment orders": "Zahlungsanordnungen lesen", "reading reconciliations": "Abgleiche lesen",
        "reading restrictions": "Einschränkungen lesen", "reading statements": "Abrechnungen lesen",
        "reading the access log": "das Zugriffsprotokoll lesen", "reading the audit trail": "das Protokoll lesen",
        "reading the finance mapping": "die Kontierung lesen", "reading the ledger": "die Buchungen lesen",
        "reading the signing key": "den Signaturschlüssel lesen",
        "recording creditor numbers": "Kreditorennummern erfassen", "recording deliveries": "Leistungen erfassen",
        "recording moves": "Umzüge erfassen", "recording reasons": "Begründungen erfassen",
        "registering providers": "Träger anlegen", "rejecting account changes": "Änderungen an Konten ablehnen",
        "rejecting erasures": "Löschungen ablehnen", "renaming providers": "Träger umbenennen",
        "resetting a second factor": "einen zweiten Faktor zurücksetzen",
        "resolving findings": "Feststellungen entscheiden",
        "resuming schedules": "Zeitpläne fortsetzen", "retrying jobs": "Aufträge wiederholen",
        "reversing bookings": "Buchungen stornieren", "running reconciliations": "Abgleiche rechnen",
        "setting appropriations": "Ansätze setzen", "setting the finance mapping": "die Kontierung setzen",
        "settling statements": "Abrechnungen ausgleichen", "verifying payment batches": "Stapel prüfen",
        "withdrawing statements": "Abrechnungen zurückziehen", "year-end closing": "den Jahresabschluss machen",
    ]

    /// The things of `ServiceError.notFound` (a value after them stays as it is: `Sozialraum nowhere`).
    static let things: [String: String] = [
        "account": "Konto", "account change": "Änderung an einem Konto", "batch": "Stapel", "booking": "Buchung",
        "budget": "Budget", "case": "Fall", "county": "Kreis", "county account": "Kreiskonto",
        "failed job": "fehlgeschlagener Auftrag", "finding": "Feststellung", "grant": "Bewilligung",
        "help type": "Hilfeart", "payment batch": "Stapel", "payment order": "Zahlungsanordnung",
        "project": "Projekt", "provider": "Träger", "run": "Abgleich",
        "running or queued job": "laufender oder eingereihter Auftrag", "schedule": "Zeitplan",
        "statement": "Abrechnung",
        "statement (the run has none for this provider)": "Abrechnung (der Abgleich hat keine für diesen Träger)",
        "tenant": "Mandant", "Sozialraum": "Sozialraum", "second factor of": "zweiter Faktor von",
    ]

    /// An action, or `<action> needs the right <right>`, in German.
    static func forbidden(_ what: String) -> String {
        if let german = actions[what] { return german }
        if let match = what.wholeMatch(of: /(.+) needs the right ([a-z]+)/), let action = actions[String(match.1)] {
            return "\(action) braucht das Recht \(match.2)"
        }
        return what
    }

    /// A thing, or a thing with its value (`Sozialraum nowhere`), in German.
    static func notFound(_ what: String) -> String {
        if let german = things[what] { return german }
        for (english, german) in things where what.hasPrefix(english + " ") {
            return german + what.dropFirst(english.count)
        }
        return what
    }
}
