/// Why a row of a delivery import is refused, in German (issue 32, item 1): the reasons the import and the
/// pricing give (in English, where they are decided), worded for the bookkeeper — for the socket's
/// `REJECTED_ROWS` lines and the portal's upload page alike. Rows of the other imports (Ansätze, Kasse confirmations, migration) take the use cases' wordings
/// (`ServiceReasons`); a reason without a wording anywhere stays English
/// (`RowReasonsTests` covers each reason the import gives).
public enum RowReasons {
    static let fixed: [String: String] = [
        "not a grant id": "keine Nummer einer Bewilligung",
        "not a month (expected YYYY-MM)": "kein Monat (erwartet JJJJ-MM)",
        "not a quantity (expected e.g. 12.5)": "keine Menge (erwartet z. B. 12,5 oder 12.5)",
        "quantity must not be negative": "die Menge darf nicht negativ sein",
        "more than 2 decimals": "mehr als 2 Nachkommastellen",
        "quantity too large (at most 744 per month)": "Menge zu groß (höchstens 744 je Monat)",
        "unknown grant": "unbekannte Bewilligung",
        "a delivery for this grant and month exists (reverse it to correct it)":
            "für diese Bewilligung und diesen Monat gibt es schon eine Leistung (zum Berichtigen stornieren)",
        "outside the grant period": "außerhalb der Laufzeit der Bewilligung",
        "the month is outside the grant period": "der Monat liegt außerhalb der Laufzeit der Bewilligung",
        "a flat monthly unit is 1 (delivered) or 0 (not delivered)":
            "eine Monatspauschale ist 1 (geleistet) oder 0 (nicht geleistet)",
    ]

    /// The reason in German.
    public static func german(_ reason: String) -> String {
        if let text = fixed[reason] { return text }
        if let match = reason.wholeMatch(of: /longer than (\d+) bytes/) { return "länger als \(match.1) Bytes" }
        if let match = reason.wholeMatch(of: /expected 3 fields, found (\d+)/) {
            return "3 Felder erwartet, \(match.1) gefunden"
        }
        if let match = reason.wholeMatch(of: /second delivery for this grant and month \(first on line (\d+)\)/) {
            return "zweite Leistung für diese Bewilligung und diesen Monat (die erste in Zeile \(match.1))"
        }
        if let match = reason.wholeMatch(of: /no fiscal period (.+)/) { return "kein Haushaltsmonat \(match.1)" }
        if let match = reason.wholeMatch(of: /period (.+) is closed/) {
            return "der Monat \(match.1) ist abgeschlossen"
        }
        if let match = reason.wholeMatch(of: /no rate valid in (.+)/) { return "kein gültiges Entgelt im \(match.1)" }
        if let match = reason.wholeMatch(of: /at most (\d+) days in (.+) inside the grant period/) {
            return "höchstens \(match.1) Tage im \(match.2) innerhalb der Laufzeit der Bewilligung"
        }
        return ServiceReasons.reason(reason)
    }

    /// A column of the delivery file, as the bookkeeper calls it.
    public static func field(_ field: String) -> String {
        ["grant_id": "Bewilligung", "month": "Monat", "quantity": "Menge", "line": "Zeile", "file": "Datei"][field]
            ?? field
    }
}
