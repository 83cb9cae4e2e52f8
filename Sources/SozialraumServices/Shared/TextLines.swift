/// The lines of an uploaded text file as a person means them: without a leading byte-order mark (as Excel
/// saves CSV) and without their line ends, whether `\n` or `\r\n` ("\r\n" is one Character in Swift, so
/// splitting on "\n" alone would leave such a file one line long).
enum TextLines {
    static func lines(_ text: String) -> [Substring] {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        if let first = lines.first, first.hasPrefix("\u{FEFF}") { lines[0] = first.dropFirst() }
        return lines
    }
}
