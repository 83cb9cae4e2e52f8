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
        "paying instalments": "Abschläge zahlen",
        "pinning portal certificates": "Zertifikate für das Portal hinterlegen",
        "unpinning portal certificates": "Zertifikate für das Portal entfernen",
        "reading portal certificates": "die Zertifikate für das Portal lesen",
        "proposing erasures": "Löschungen vorschlagen",
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
        "reading the finance mapping": "die Kontierung lesen",
        "reading the statistics mapping": "die Zuordnung zur KJH-Statistik lesen",
        "setting the statistics mapping": "die Zuordnung zur KJH-Statistik setzen",
        "reading the ledger": "die Buchungen lesen",
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
        "pinned certificate": "hinterlegtes Zertifikat", "project": "Projekt", "provider": "Träger", "run": "Abgleich",
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
        return valueReason(what) ?? what
    }

    /// The reasons of `invalid`, `conflict` and `duplicate` refusals that carry no value.
    static let reasons: [String: String] = [
        // conflict
        "account administration: decided once, and two holders of the right accounts remain":
            "Kontenverwaltung: einmal entschieden, und zwei Inhaber des Rechts accounts bleiben",
        "an issued statement never changes: it is settled or withdrawn, once (a new one may be issued)":
            "eine ausgestellte Abrechnung ändert sich nie: sie wird einmal ausgeglichen oder zurückgezogen (eine neue darf ausgestellt werden)",
        "data protection: an erasure order, legal hold or restriction moves only as its rules allow":
            "Datenschutz: Löschanordnung, Löschsperre oder Einschränkung ändern sich nur nach ihren Regeln",
        "the provider has no creditor number; set it with provider-creditor":
            "der Träger hat keine Kreditorennummer; mit provider-creditor setzen",
        "a payment needs an approved payment order signed by two people":
            "eine Zahlung braucht eine von zwei Personen unterschriebene, angeordnete Zahlungsanordnung",
        "a rate cannot take effect in or before a closed month":
            "ein Entgelt kann nicht in oder vor einem abgeschlossenen Monat gelten",
        "a reversal cannot be reversed; book anew": "ein Storno kann nicht storniert werden; neu buchen",
        "a second factor is set up already": "ein zweiter Faktor ist schon eingerichtet",
        "batches are not signed: set payments.signingKeyFile":
            "Stapel werden nicht signiert: payments.signingKeyFile setzen",
        "it would run past the end of the provider's cooperation":
            "es liefe über das Ende der Zusammenarbeit mit dem Träger hinaus",
        "no ordered payment waits for export": "keine angeordnete Zahlung wartet auf die Ausgabe",
        "stored result unreadable": "gespeichertes Ergebnis nicht lesbar",
        "the case is not restricted": "der Fall ist nicht eingeschränkt",
        "the case is restricted already": "der Fall ist schon eingeschränkt",
        "the case is under a legal hold already": "der Fall hat schon eine Löschsperre",
        "the case is under no legal hold": "der Fall hat keine Löschsperre",
        "the finding is no longer open (resolved, or its delivery was reversed)":
            "die Feststellung ist nicht mehr offen (entschieden, oder ihre Leistung wurde storniert)",
        "the finding is superseded: its delivery was reversed":
            "die Feststellung ist überholt: ihre Leistung wurde storniert",
        "the finding names no amount": "die Feststellung nennt keinen Betrag",
        "the grant was ended early; grant again instead of extending it":
            "die Bewilligung wurde vorzeitig beendet; neu bewilligen statt verlängern",
        "the order names no line": "die Anordnung nennt keine Budgetzeile",
        "the order names no share": "die Anordnung nennt keinen Anteil",
        "the order names no statement": "die Anordnung nennt keine Abrechnung",
        "the order names no year end": "die Anordnung nennt keinen Jahresabschluss",
        "the period is closed": "der Monat ist abgeschlossen",
        "the schedule's cron expression or zone is invalid": "Zeitausdruck oder Zeitzone des Zeitplans ist ungültig",
        "the share's lines do not add up to the order": "die Zeilen des Anteils ergeben nicht die Anordnung",
        "the statement balances to 0.00: there is nothing to pay": "die Abrechnung ist ausgeglichen: nichts zu zahlen",
        "the statement does not match the ledger; reconcile again":
            "die Abrechnung passt nicht zu den Buchungen; neu abgleichen",
        "the statement is no longer issued": "die Abrechnung ist nicht mehr ausgestellt",
        "the statement is no longer issued (withdrawn?); reject the order":
            "die Abrechnung ist nicht mehr ausgestellt (zurückgezogen?); die Anordnung ablehnen",
        "the statement's balance is no longer the certified one; reject the order":
            "der Saldo der Abrechnung ist nicht mehr der festgestellte; die Anordnung ablehnen",
        // duplicate
        "case": "Fall", "delivery for this grant and month": "Leistung für diese Bewilligung und diesen Monat",
        "certificate pinned to this tenant": "Zertifikat für diesen Mandanten",
        "finding already resolved": "Feststellung schon entschieden",
        "this confirmation file (imported under another key)":
            "diese Bestätigungsdatei (unter einem anderen Schlüssel eingelesen)",
        // invalid
        "0 to 10000000": "0 bis 10000000", "1 to 104": "1 bis 104",
        "1 to 20 letters, digits or '-'": "1 bis 20 Buchstaben, Ziffern oder '-'",
        "1 to 20 letters, digits or '.'": "1 bis 20 Buchstaben, Ziffern oder '.'",
        "1 to 20 letters, digits, '.', '/' or '-'": "1 bis 20 Buchstaben, Ziffern, '.', '/' oder '-'",
        "1 to 30 characters, no spaces or control characters": "1 bis 30 Zeichen, ohne Leer- oder Steuerzeichen",
        "1 to 5000": "1 bis 5000", "more than 1000 lines": "mehr als 1000 Zeilen",
        "1 to 100 characters": "1 bis 100 Zeichen",
        "64 hexadecimal digits (SHA-256), colons allowed": "64 Hexadezimalziffern (SHA-256), Doppelpunkte erlaubt",
        "2 to 40 of a-z, 0-9, '.', '_', '-', starting with a letter":
            "2 bis 40 Zeichen aus a-z, 0-9, '.', '_', '-', mit einem Buchstaben vorn",
        "a date like 31.01.2027": "ein Datum wie 31.01.2027",
        "a file starts with a line #file <kind>": "eine Datei beginnt mit einer Zeile #file <art>",
        "a flat monthly unit is granted as 1 a month": "eine Monatspauschale wird mit 1 je Monat bewilligt",
        "a grant runs at most five years; grant again after review":
            "eine Bewilligung läuft höchstens fünf Jahre; nach Prüfung neu bewilligen",
        "a line cannot cover itself": "eine Budgetzeile kann sich nicht selbst decken",
        "a standing agreement is for direct-access help (§28, §20) only":
            "eine Rahmenvereinbarung gibt es nur für Hilfen mit direktem Zugang (§28, §20)",
        "accounts and order are never held together": "accounts und order werden nie zusammen gehalten",
        "after to": "nach to", "at least 12 characters": "mindestens 12 Zeichen", "before from": "vor from",
        "before start": "vor dem Beginn", "before the amendment's day": "vor dem Tag der Fortschreibung",
        "before the grant starts": "vor dem Beginn der Bewilligung",
        "case, milieu or structure": "case, milieu oder structure",
        "change an account's rights with account-rights": "die Rechte eines Kontos mit account-rights ändern",
        "empty": "leer", "expected Kassenzeichen;Betrag;Valuta": "erwartet Kassenzeichen;Betrag;Valuta",
        "expected grant_id,month,quantity": "erwartet grant_id,month,quantity",
        "expected sozialraum,component,amount": "erwartet sozialraum,component,amount",
        "expected key;position;title": "erwartet key;position;title", "no mappings": "keine Zuordnungen",
        "not a help type code or projekt-milieu / projekt-struktur":
            "kein Kürzel einer Hilfeart und nicht projekt-milieu / projekt-struktur",
        "1 to 20 letters, digits, '.' or '-', not ohne": "1 bis 20 Buchstaben, Ziffern, '.' oder '-', nicht ohne",
        "1 to 200 characters": "1 bis 200 Zeichen",
        "the year's payments exceed what an amount can hold":
            "die Zahlungen des Jahres übersteigen, was ein Betrag fassen kann",
        "give volume= or end= (or both)": "volume= oder end= angeben (oder beides)", "in the future": "in der Zukunft",
        "in the future: give the day the Kreistag was informed":
            "in der Zukunft: den Tag angeben, an dem der Kreistag unterrichtet wurde",
        "in the past: the Kasse cannot pay before today": "in der Vergangenheit: die Kasse kann nicht vor heute zahlen",
        "instalment, settlement or surplus_share (a finding is paid by a statement)":
            "instalment, settlement oder surplus_share (eine Feststellung zahlt eine Abrechnung)",
        "more than 1000 slots; backfill in parts": "mehr als 1000 Termine; in Teilen nachholen",
        "must be 0 to 10000 basis points": "muss 0 bis 10000 Basispunkte sein", "must be positive": "muss positiv sein",
        "must be positive; corrections are reversals": "muss positiv sein; Berichtigungen sind Stornos",
        "must not be negative": "darf nicht negativ sein", "name at least one": "mindestens eines nennen",
        "neither the volume nor the end changes": "weder Umfang noch Ende ändern sich",
        "no appropriations": "keine Ansätze", "no confirmations": "keine Bestätigungen",
        "no deliveries": "keine Leistungen",
        "no files (#file <kind>)": "keine Dateien (#file <art>)",
        "not a Sozialraum code": "kein Kürzel eines Sozialraums",
        "not a pseudonymous case key (A-Z, 0-9, '-', 4 to 32, with a digit)":
            "kein pseudonymes Aktenzeichen (A-Z, 0-9, '-', 4 bis 32, mit einer Ziffer)",
        "not before the planned end": "nicht vor dem geplanten Ende",
        "only county accounts hold rights": "nur Kreiskonten haben Rechte",
        "not the code the app shows now": "nicht der Code, den die App jetzt zeigt",
        "out of range": "außerhalb des Bereichs",
        "outside the project period": "außerhalb der Projektlaufzeit",
        "projects are milieu or structure": "Projekte sind Milieu oder Struktur",
        "unknown Sozialraum": "unbekannter Sozialraum",
        "within the project's period": "innerhalb der Projektlaufzeit",
    ]

    /// A reason in German, when it has a wording (with values: `ServiceReasons+Values`).
    static func reason(_ text: String) -> String { reasons[text] ?? valueReason(text) ?? text }
}
