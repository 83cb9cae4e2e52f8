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
}
