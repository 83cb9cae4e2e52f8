import Foundation

/// Why an argument is refused, in German (issue 32, item 1): the command table's reasons are written once, in
/// English, where each argument is declared; their German wording is here, one entry per reason
/// (`AdminTextTests` finds every reason the sources declare here). Reasons that carry a value are matched by
/// their fixed start; a reason without an entry stays English.
enum ArgumentReasons {
    static let german: [String: String] = [
        "missing": "fehlt",
        "a quarter is for the jha report only": "ein Quartal gibt es nur beim Bericht jha",
        "unexpected argument": "unerwartete Angabe",
        "unknown keyword": "unbekanntes Stichwort",
        "a run number": "eine Nummer eines Abgleichs",
        "a date YYYY-MM-DD": "ein Datum JJJJ-MM-TT",
        "a date YYYY-MM-DD, or continue": "ein Datum JJJJ-MM-TT oder continue",
        "a change number": "eine Nummer einer Änderung",
        "name the file: reference=\"…\"": "das Aktenzeichen nennen: reference=\"…\"",
        "give limit=<amount>|none and sozialraeume=<code>,…|all":
            "limit=<betrag>|none und sozialraeume=<kürzel>,…|all angeben",
        "yes or no": "yes oder no",
        "warn or refuse": "warn oder refuse",
        "utf-8 or windows-1252": "utf-8 oder windows-1252",
        "the metrics page has no login: a loopback address or unix:/path only":
            "die Messwertseite hat keine Anmeldung: nur eine Loopback-Adresse oder unix:/pfad",
        "sozialraum or help-type": "sozialraum oder help-type",
        "minutes, hours or days after the slot, e.g. 6h (1m to 31d)":
            "Minuten, Stunden oder Tage nach dem Termin, z. B. 6h (1m bis 31d)",
        "instalment, settlement or surplus_share": "instalment, settlement oder surplus_share",
        "expected unix:/absolute/path": "erwartet unix:/absoluter/pfad",
        "expected host:port or unix:/path": "erwartet Host:Port oder unix:/pfad",
        "erasure is not set up": "die Löschung ist nicht eingerichtet",
        "each component in one pool at most": "jeder Budgetbereich in höchstens einem Deckungsring",
        "components case, milieu, structure joined by + and ,":
            "Budgetbereiche case, milieu, structure, verbunden mit + und ,",
        "case, milieu or structure": "case, milieu oder structure",
        "at most 30 years": "höchstens 30 Jahre",
        "an order number": "eine Nummer einer Anordnung",
        "an id": "eine Nummer (UUID)",
        "an erasure order number": "eine Nummer einer Löschanordnung",
        "an amount (e.g. 5000.00) or none": "ein Betrag (z. B. 5000.00) oder none",
        "a volume (e.g. 12.5) of at most 744": "ein Umfang (z. B. 12.5) von höchstens 744",
        "a statement number": "eine Nummer einer Abrechnung",
        "a provider only with items": "ein Träger nur mit items",
        "a percentage 0 to 100 with at most two decimals":
            "ein Prozentsatz 0 bis 100 mit höchstens zwei Nachkommastellen",
        "a month YYYY-MM": "ein Monat JJJJ-MM",
        "a job number": "eine Nummer eines Auftrags",
        "a booking number": "eine Nummer einer Buchung",
        "a batch number": "eine Nummer eines Stapels",
        "a Sozialraum code": "ein Kürzel eines Sozialraums",
        "a Sozialraum code (a-z, 0-9, '-')": "ein Kürzel eines Sozialraums (a-z, 0-9, '-')",
        "YYYY-MM, YYYY-Qn, YYYY or YYYY..YYYY-MM": "JJJJ-MM, JJJJ-Qn, JJJJ oder JJJJ..JJJJ-MM",
        "Sozialraum codes, or all": "Kürzel von Sozialräumen, oder all",
        "Europe/Berlin or UTC": "Europe/Berlin oder UTC",
        "<sozialraum>/<component>, e.g. sued/milieu": "<sozialraum>/<budgetbereich>, z. B. sued/milieu",
        "<code>:<name>, e.g. \"verden:Verden (Aller)\"": "<kürzel>:<name>, z. B. \"verden:Verden (Aller)\"",
        "8 to 64 of A-Z a-z 0-9 . _ : -": "8 bis 64 Zeichen aus A-Z a-z 0-9 . _ : -",
        "2 to 40 of a-z 0-9 -, starting with a letter": "2 bis 40 Zeichen aus a-z 0-9 -, mit einem Buchstaben vorn",
        "2 to 32 of a-z, 0-9, '-', starting with a letter":
            "2 bis 32 Zeichen aus a-z, 0-9, '-', mit einem Buchstaben vorn",
        "say why: reason=\"…\"": "Begründung angeben: reason=\"…\"",
        "required, a date like 2026-12-31": "nötig, ein Datum wie 2026-12-31",
        "required, a date like 2026-12-01": "nötig, ein Datum wie 2026-12-01",
        "every change needs key=<idempotency-key>": "jede Änderung braucht key=<schlüssel>",
        "an amendment needs reason=<text>": "eine Fortschreibung braucht reason=<text>",
        "a carry-forward needs reason=<text>": "ein Haushaltsrest braucht reason=<text>",
        // A value's own reasons (amounts, volumes).
        "empty amount": "leerer Betrag",
        "not an amount (expected e.g. 1234.56)": "kein Betrag (erwartet z. B. 1234.56)",
        "more than 2 decimals": "mehr als 2 Nachkommastellen",
        "amount out of range": "Betrag außerhalb des Bereichs",
        "not a quantity (expected e.g. 12.5)": "keine Menge (erwartet z. B. 12.5)",
        "quantity must not be negative": "die Menge darf nicht negativ sein",
        "quantity too large (at most 744 per month)": "Menge zu groß (höchstens 744 je Monat)",
    ]

    /// Reasons with a value in them, by their fixed start.
    static let germanStarts: [(en: String, de: String)] = [
        ("a whole number ", "eine ganze Zahl "), ("one of ", "eines von "), ("unknown job ", "unbekannter Auftrag "),
        ("cannot set the mode of ", "die Rechte lassen sich nicht setzen für "),
        ("end the request with << and send ", "die Anfrage mit << beenden und senden: "),
    ]

    /// `reason` in `language`.
    static func text(_ reason: String) -> Text {
        if let german = german[reason] { return Text(de: german, en: reason) }
        for start in germanStarts where reason.hasPrefix(start.en) {
            let rest = reason.dropFirst(start.en.count).replacingOccurrences(of: " or ", with: " oder ")
            return Text(de: start.de + rest, en: reason)
        }
        // A choice of words (`alternatives`): `table, csv, csv-de or jsonl`.
        if reason.wholeMatch(of: /[a-z0-9_, -]+ or [a-z0-9_-]+/) != nil {
            return Text(de: reason.replacingOccurrences(of: " or ", with: " oder "), en: reason)
        }
        return Text(de: reason, en: reason)
    }
}
