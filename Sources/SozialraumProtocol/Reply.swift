/// Stable error codes of the admin protocol. Programs match on these; the message is for people.
public enum ErrorCode: String, Sendable, CaseIterable {
    case badRequest = "BAD_REQUEST"
    case unknownCommand = "UNKNOWN_COMMAND"
    case notLoggedIn = "NOT_LOGGED_IN"
    case loginFailed = "LOGIN_FAILED"
    case locked = "LOCKED"
    case forbidden = "FORBIDDEN"
    case notFound = "NOT_FOUND"
    case invalid = "INVALID"
    case periodClosed = "PERIOD_CLOSED"
    case duplicate = "DUPLICATE"
    case idempotencyConflict = "IDEMPOTENCY_CONFLICT"
    case refusedOverrun = "REFUSED_OVERRUN"
    case conflict = "CONFLICT"
    case rejectedRows = "REJECTED_ROWS"
    case tooLong = "TOO_LONG"
    case tooLarge = "TOO_LARGE"
    case busy = "BUSY"
    case unavailable = "UNAVAILABLE"
    case `internal` = "INTERNAL"
}

/// How result rows are written.
public enum OutputFormat: String, Sendable, CaseIterable {
    /// Aligned columns with a header, for people.
    case table
    /// RFC 4180 CSV with a header, `,` and decimal point.
    case csv
    /// CSV for German Excel: `;` and decimal comma.
    case csvDE = "csv-de"
    /// One JSON object per row, for programs.
    case jsonl
}

/// A result: named columns and rows of cells. Amounts are `.amount` so that each format writes them
/// its own way (decimal point or comma), never as floating point.
public struct ResultTable: Sendable, Equatable {
    public enum Cell: Sendable, Equatable {
        case text(String)
        case integer(Int64)
        /// Cents, or another figure kept in hundredths (volumes in hours or days): two decimals, with a
        /// German comma in csv-de.
        case amount(Int64)
        case null
    }

    public var columns: [String]
    public var rows: [[Cell]]

    public init(columns: [String], rows: [[Cell]] = []) {
        self.columns = columns
        self.rows = rows
    }
}

/// One reply: data lines (each prefixed `- `), then one status line, `OK ...` or `ERR CODE ...`.
/// A reader takes lines until one does not start with `- `; that is the status.
public struct Reply: Sendable, Equatable {
    public var tag: String?
    public var data: [String]
    public var error: ErrorCode?
    public var message: String

    public static func ok(_ message: String = "", data: [String] = []) -> Reply {
        Reply(tag: nil, data: data, error: nil, message: message)
    }
    public static func error(_ code: ErrorCode, _ message: String, data: [String] = []) -> Reply {
        Reply(tag: nil, data: data, error: code, message: message)
    }

    /// The bytes on the wire, each line ending in `\n`. Messages are made single-line.
    public var encoded: String {
        var text = ""
        // One allocation for the whole reply: `funds` at 64 sessions spent a fifth of its Swift time here.
        text.reserveCapacity(data.reduce(message.utf8.count + 32) { $0 + $1.utf8.count + 3 })
        for line in data {
            text += "- "
            text += Self.singleLine(line)
            text += "\n"
        }
        text += error.map { "ERR \($0.rawValue)" } ?? "OK"
        if let tag { text += " @" + tag }
        if !message.isEmpty {
            text += " "
            text += Self.singleLine(message)
        }
        text += "\n"
        return text
    }

    /// Replaces line breaks and other control characters, so that no text can end a reply early.
    public static func singleLine(_ text: String) -> String {
        // Control characters are single bytes in UTF-8 (every byte of a longer sequence is >= 0x80): a text
        // without such a byte is returned as it is, without a pass over its scalars.
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7f {
                result += scalar == "\t" ? " " : "\u{FFFD}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

extension ResultTable {
    /// The rows as data lines in `format`.
    public func lines(_ format: OutputFormat) -> [String] {
        switch format {
        case .table:
            let cells = [columns] + rows.map { $0.map { Self.text($0, decimalComma: false) } }
            var widths = columns.map { _ in 0 }
            for row in cells {
                for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
            }
            return cells.map { row in
                row.enumerated().map { index, cell in
                    let padding = String(repeating: " ", count: widths[index] - cell.count)
                    let rightAligned =
                        index < (rows.first?.count ?? 0) && rows.first.map { Self.isNumeric($0[index]) } == true
                    return rightAligned ? padding + cell : cell + padding
                }.joined(separator: "  ").trimmingTrailingSpaces()
            }
        case .csv, .csvDE:
            let separator = format == .csv ? "," : ";"
            // csv-de is for German Excel: German headings (the other formats keep the names scripts match on).
            let headings = format == .csvDE ? columns.map(GermanHeadings.heading) : columns
            return
                ([headings.map { Self.csvField($0, separator: separator) }]
                + rows.map {
                    $0.map { cell in
                        let isText = if case .text = cell { true } else { false }
                        return Self.csvField(
                            Self.text(cell, decimalComma: format == .csvDE), separator: separator, isText: isText)
                    }
                })
                .map { $0.joined(separator: separator) }
        case .jsonl:
            return rows.map { row in
                "{" + zip(columns, row).map { "\(Self.jsonString($0)):\(Self.json($1))" }.joined(separator: ",") + "}"
            }
        }
    }

    static func isNumeric(_ cell: Cell) -> Bool {
        switch cell {
        case .integer, .amount: true
        default: false
        }
    }

    static func text(_ cell: Cell, decimalComma: Bool) -> String {
        switch cell {
        case .text(let text): text
        case .integer(let value): String(value)
        case .amount(let cents): amountText(cents, decimalComma: decimalComma)
        case .null: ""
        }
    }

    static func amountText(_ cents: Int64, decimalComma: Bool) -> String {
        let magnitude = cents.magnitude
        let rest = magnitude % 100
        return (cents < 0 ? "-" : "") + "\(magnitude / 100)" + (decimalComma ? "," : ".") + (rest < 10 ? "0" : "")
            + "\(rest)"
    }

    /// A cell as a CSV field. Text that a spreadsheet would evaluate (a leading =, +, -, @, tab or carriage
    /// return: CSV injection, OWASP) is quoted with a leading apostrophe; numbers and amounts are written as
    /// they are, a negative amount included, and a lone "-" (no value) stays.
    static func csvField(_ text: String, separator: String, isText: Bool = true) -> String {
        let neutralise = isText && text != "-" && (text.first.map { "=+-@\t\r".contains($0) } ?? false)
        let needsQuotes =
            neutralise || text.contains(separator) || text.contains("\"") || text.contains("\n")
            || text.contains("\r")
        guard needsQuotes else { return text }
        let escaped = text.replacingAll("\"", with: "\"\"")
        return "\"" + (neutralise ? "'" : "") + escaped + "\""
    }

    static func json(_ cell: Cell) -> String {
        switch cell {
        case .text(let text): jsonString(text)
        case .integer(let value): String(value)
        // Amounts as exact decimal strings: JSON numbers are doubles for many readers.
        case .amount(let cents): jsonString(amountText(cents, decimalComma: false))
        case .null: "null"
        }
    }

    /// A JSON string: quotes, backslashes and control characters escaped.
    public static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }

    func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self { if character == target { result += replacement } else { result.append(character) } }
        return result
    }
}
