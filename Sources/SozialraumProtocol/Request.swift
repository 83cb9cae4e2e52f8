/// The admin line protocol: parsing requests and encoding replies. Pure (no I/O), so it is unit- and
/// fuzz-tested on its own. The full reference is docs/protocol.md.
///
/// A request is one UTF-8 line: an optional tag (`@t1`), a command word, then arguments. An argument
/// is a bare word or a double-quoted string (`"Dörverden Süd"`, escapes `\"`, `\\`, `\n`, `\t`); an
/// argument of the form `key=value` (value bare or quoted) is a keyword argument. A request ending in
/// `<<` announces an upload block: the lines that follow, up to a line holding only `.`, are its data
/// (a data line starting with `.` is sent with one more `.`).
public struct Request: Sendable, Equatable {
    public var tag: String?
    /// Lower-cased command word.
    public var command: String
    public var positional: [String]
    public var keywords: [String: String]
    /// True when an upload block follows.
    public var expectsUpload: Bool

    public init(
        tag: String? = nil, command: String, positional: [String] = [], keywords: [String: String] = [:],
        expectsUpload: Bool = false
    ) {
        self.tag = tag
        self.command = command
        self.positional = positional
        self.keywords = keywords
        self.expectsUpload = expectsUpload
    }
}

/// Why a line is not a request. The description is shown to the client.
public enum ParseError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    case controlCharacter
    case unterminatedQuote
    case badEscape
    case badTag
    case badCommand
    case badKeyword(String)
    case duplicateKeyword(String)
    case tooManyArguments

    public var description: String {
        switch self {
        case .empty: "empty request"
        case .controlCharacter: "control characters are not allowed"
        case .unterminatedQuote: "unterminated quote"
        case .badEscape: "unknown escape in quoted text (use \\\", \\\\, \\n, \\t)"
        case .badTag: "a tag is @ followed by 1 to 32 letters, digits, '-' or '_'"
        case .badCommand: "a command is a word of letters, digits and '-'"
        case .badKeyword(let key): "bad keyword '\(key)'"
        case .duplicateKeyword(let key): "keyword '\(key)' given twice"
        case .tooManyArguments: "too many arguments (at most 64)"
        }
    }
}

extension Request {
    public static let maximumArguments = 64

    /// Parses one line (without its line break).
    public static func parse(_ line: Substring) throws(ParseError) -> Request {
        var tokens: [(text: String, quoted: Bool, keyword: String?)] = []
        var scalars = line.unicodeScalars[...]
        func isSpace(_ scalar: Unicode.Scalar) -> Bool { scalar == " " || scalar == "\t" }
        for scalar in scalars where scalar.value < 0x20 && scalar != "\t" || scalar.value == 0x7f {
            throw .controlCharacter
        }
        while true {
            while let first = scalars.first, isSpace(first) { scalars.removeFirst() }
            guard let first = scalars.first else { break }
            guard tokens.count <= maximumArguments + 1 else { throw .tooManyArguments }
            // A bare word, possibly `key=` followed by a quoted value.
            var word = ""
            var keyword: String?
            var quoted = false
            if first != "\"" {
                while let next = scalars.first, !isSpace(next) {
                    if next == "=" && keyword == nil {
                        keyword = word
                        word = ""
                        scalars.removeFirst()
                        if scalars.first == "\"" { break }
                        continue
                    }
                    if next == "\"" { throw .unterminatedQuote }
                    word.unicodeScalars.append(next)
                    scalars.removeFirst()
                }
            }
            if scalars.first == "\"" {
                scalars.removeFirst()
                quoted = true
                var closed = false
                while let next = scalars.popFirst() {
                    if next == "\"" {
                        closed = true
                        break
                    }
                    if next == "\\" {
                        guard let escaped = scalars.popFirst() else { throw .unterminatedQuote }
                        switch escaped {
                        case "\"": word.append("\"")
                        case "\\": word.append("\\")
                        case "n": word.append("\n")
                        case "t": word.append("\t")
                        default: throw .badEscape
                        }
                        continue
                    }
                    word.unicodeScalars.append(next)
                }
                guard closed else { throw .unterminatedQuote }
                if let next = scalars.first, !isSpace(next) { throw .unterminatedQuote }
            }
            tokens.append((word, quoted, keyword))
        }
        guard !tokens.isEmpty else { throw .empty }
        var request = Request(command: "")
        var index = 0
        if tokens[0].keyword == nil, !tokens[0].quoted, tokens[0].text.hasPrefix("@") {
            let tag = String(tokens[0].text.dropFirst())
            guard (1...32).contains(tag.count), tag.unicodeScalars.allSatisfy(Self.isTagScalar) else { throw .badTag }
            request.tag = tag
            index = 1
        }
        guard index < tokens.count, tokens[index].keyword == nil, !tokens[index].quoted,
            (1...40).contains(tokens[index].text.count),
            tokens[index].text.unicodeScalars.allSatisfy({ Self.isTagScalar($0) && $0 != "_" })
        else { throw tokens.count == index ? .empty : .badCommand }
        request.command = tokens[index].text.lowercased()
        var rest = Array(tokens[(index + 1)...])
        if let last = rest.last, last.text == "<<", !last.quoted, last.keyword == nil {
            request.expectsUpload = true
            rest.removeLast()
        }
        guard rest.count <= maximumArguments else { throw .tooManyArguments }
        for token in rest {
            if let key = token.keyword {
                guard (1...40).contains(key.count), key.unicodeScalars.allSatisfy({ Self.isTagScalar($0) }) else {
                    throw .badKeyword(key)
                }
                let normalized = key.lowercased()
                guard request.keywords[normalized] == nil else { throw .duplicateKeyword(normalized) }
                request.keywords[normalized] = token.text
            } else {
                request.positional.append(token.text)
            }
        }
        return request
    }

    static func isTagScalar(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "-"
            || scalar == "_"
    }

    /// Quotes an argument when needed, so that `parse` gives it back unchanged.
    public static func quote(_ text: String) -> String {
        let plain =
            !text.isEmpty
            && text.unicodeScalars.allSatisfy {
                $0.value > 0x20 && $0 != "\"" && $0 != "\\" && $0 != "=" && $0.value != 0x7f
            }
            && text != "<<" && !text.hasPrefix("@")
        if plain { return text }
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }

    /// The line for a request given as separate words (a shell's arguments), so that the daemon reads
    /// it exactly as the same words typed at the prompt: a `key=value` word stays a keyword argument
    /// (its value quoted when needed), every other word is one positional argument, quoted when needed.
    public static func line(words: [String]) -> String {
        words.map { word -> String in
            if let equals = word.firstIndex(of: "="), equals != word.startIndex {
                let key = word[..<equals]
                if key.count <= 40, key.unicodeScalars.allSatisfy(isTagScalar) {
                    return "\(key)=\(quote(String(word[word.index(after: equals)...])))"
                }
            }
            return quote(word)
        }.joined(separator: " ")
    }

    /// The request as one line (for clients).
    public var line: String {
        var parts: [String] = []
        if let tag { parts.append("@" + tag) }
        parts.append(command)
        parts += positional.map(Self.quote)
        parts += keywords.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.quote($0.value))" }
        if expectsUpload { parts.append("<<") }
        return parts.joined(separator: " ")
    }
}
