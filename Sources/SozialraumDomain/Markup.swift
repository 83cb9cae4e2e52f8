/// Text placed into HTML or SVG (the burn chart, the Trägerportal's pages): the characters that would end
/// an element or an attribute, escaped.
public enum Markup {
    public static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A whole German HTML document, one element per line (the reports' papers): `title` already escaped, `body`
    /// the lines inside `<main>`.
    public static func document(title: String, style: String, body: [String]) -> String {
        let head = [
            "<!DOCTYPE html>", "<html lang=\"de\">", "<head>", "<meta charset=\"utf-8\">", "<title>\(title)</title>",
            "<style>\(style)</style>", "</head>", "<body>", "<main>",
        ]
        return (head + body + ["</main>", "</body>", "</html>"]).joined(separator: "\n") + "\n"
    }
}

/// Figures as German accountants write them, for pages and reports people read (the portal, the reports).
public enum GermanFormat {
    /// Hundredths with a German comma and thousands dots: 1.234,56.
    public static func number(_ hundredths: Int64) -> String {
        let sign = hundredths < 0 ? "-" : ""
        let absolute = hundredths.magnitude
        let rest = absolute % 100
        return "\(sign)\(grouped(absolute / 100)),\(rest < 10 ? "0" : "")\(rest)"
    }

    /// An amount: 1.234,56 €.
    public static func euro(_ money: Money) -> String { number(money.cents) + " €" }

    /// Whole euros with thousands dots: 1.235.
    public static func wholeEuros(_ euros: Int64) -> String {
        (euros < 0 ? "-" : "") + grouped(euros.magnitude)
    }

    /// A day as Germans write it: 07.12.2026.
    public static func day(_ day: Day) -> String {
        let parts = day.description.split(separator: "-")
        guard parts.count == 3 else { return day.description }
        return "\(parts[2]).\(parts[1]).\(parts[0])"
    }

    static func grouped(_ value: UInt64) -> String {
        var digits = String(value)
        var result = ""
        while digits.count > 3 {
            result = "." + digits.suffix(3) + result
            digits = String(digits.dropLast(3))
        }
        return digits + result
    }
}
