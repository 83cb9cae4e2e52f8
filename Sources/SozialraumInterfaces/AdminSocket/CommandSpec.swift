import Foundation
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices

/// Where an argument stands in a request line.
enum ArgumentPlace: Sendable, Equatable {
    /// The next word of the line that is not a keyword (or a word of a `.word` argument).
    case positional(required: Bool)
    /// One of fixed words, wherever it stands after the command (`items`, `dry-run`): the words do not
    /// shift the positional arguments.
    case word([String])
    /// `name=value`.
    case keyword(required: Bool)
    /// All further positional words (at least one).
    case rest
}

/// An argument's syntax without its type: what the parser, the usage line, `help` and docs/protocol.md
/// need.
struct ArgumentSyntax: Sendable, Equatable {
    let name: String
    let place: ArgumentPlace
    /// The usage token: `<sozialraum>`, `[year]`, `[items]`, `reason=<text>`, `[on=<date>]`.
    let usage: String
}

/// The words of a request matched to a command's arguments, by name, before they are converted.
struct MatchedArguments: Sendable {
    var values: [String: String] = [:]
    var rest: [String] = []

    init(values: [String: String], rest: [String]) {
        self.values = values
        self.rest = rest
    }

    /// Matches `request` to `syntax`: positional words in order, words of `.word` arguments wherever they
    /// stand, declared keywords (and `format=`, which every command takes). Anything else is an error that
    /// names it: a missing argument, an unknown keyword, a word too many.
    init(_ request: Request, _ syntax: [ArgumentSyntax]) throws(ArgumentError) {
        var positional = request.positional
        for argument in syntax {
            guard case .word(let choices) = argument.place else { continue }
            if let index = positional.firstIndex(where: { choices.contains($0) }) {
                values[argument.name] = positional.remove(at: index)
            }
        }
        for argument in syntax {
            switch argument.place {
            case .positional(let required):
                if positional.isEmpty {
                    if required { throw ArgumentError(name: argument.name, reason: "missing") }
                } else {
                    values[argument.name] = positional.removeFirst()
                }
            case .rest:
                guard !positional.isEmpty else { throw ArgumentError(name: argument.name, reason: "missing") }
                rest = positional
                positional = []
            case .keyword:
                // A missing required keyword is reported by its argument, which says what it is for.
                values[argument.name] = request.keywords[argument.name]
            case .word: break
            }
        }
        if let extra = positional.first {
            throw ArgumentError(name: extra, reason: "unexpected argument")
        }
        let keywords = Set(syntax.compactMap { if case .keyword = $0.place { $0.name } else { nil } })
        if let unknown = request.keywords.keys.sorted().first(where: { !keywords.contains($0) && $0 != "format" }) {
            throw ArgumentError(name: unknown, reason: "unknown keyword")
        }
    }
}

/// A typed argument, declared once in its command's spec: the parser checks it before the command runs
/// and the handler receives its value, typed.
struct Argument<Value: Sendable>: Sendable {
    let syntax: ArgumentSyntax
    let convert: @Sendable (MatchedArguments) throws(ArgumentError) -> Value

    /// A required positional argument: `<name>`.
    static func required(
        _ name: String, _ display: String? = nil, reason: String,
        _ parse: @escaping @Sendable (String) -> Value?
    ) -> Argument<Value> {
        Argument(syntax: ArgumentSyntax(name: name, place: .positional(required: true), usage: display ?? "<\(name)>"))
        {
            matched throws(ArgumentError) in
            guard let text = matched.values[name], let value = parse(text) else {
                throw ArgumentError(name: name, reason: reason)
            }
            return value
        }
    }

    /// A required keyword argument: `name=<display>`; `missing` says what it is for when absent.
    static func keyword(
        _ name: String, _ display: String, reason: String, missing: String = "missing",
        _ parse: @escaping @Sendable (String) -> Value?
    ) -> Argument<Value> {
        checkedKeyword(name, display, missing: missing) { text throws(ArgumentError) in
            guard let value = parse(text) else { throw ArgumentError(name: name, reason: reason) }
            return value
        }
    }

    /// A required keyword argument whose check names the reason itself.
    static func checkedKeyword(
        _ name: String, _ display: String, missing: String = "missing",
        _ parse: @escaping @Sendable (String) throws(ArgumentError) -> Value
    ) -> Argument<Value> {
        Argument(syntax: ArgumentSyntax(name: name, place: .keyword(required: true), usage: "\(name)=\(display)")) {
            matched throws(ArgumentError) in
            guard let text = matched.values[name] else { throw ArgumentError(name: name, reason: missing) }
            return try parse(text)
        }
    }

    /// The same argument with another name (and usage token), e.g. a day named `from`.
    func named(_ name: String, _ display: String? = nil) -> Argument<Value> {
        let original = syntax.name
        let place = syntax.place
        let usage: String
        switch place {
        case .keyword:
            usage = "\(name)=" + (syntax.usage.split(separator: "=", maxSplits: 1).last.map(String.init) ?? "")
        case .positional(true): usage = display ?? "<\(name)>"
        case .positional(false): usage = display ?? "[\(name)]"
        default: usage = display ?? syntax.usage
        }
        let convert = self.convert
        return Argument(syntax: ArgumentSyntax(name: name, place: place, usage: usage)) {
            matched throws(ArgumentError) in
            let renamed = MatchedArguments(
                values: [original: matched.values[name]].compactMapValues { $0 }, rest: matched.rest)
            do throws(ArgumentError) { return try convert(renamed) } catch {
                throw ArgumentError(name: name, reason: error.reason)
            }
        }
    }

    /// The argument made optional where it stands: `[name]` for a positional one, `[name=<…>]` for a keyword;
    /// nil when absent, an error when malformed.
    var optional: Argument<Value?> {
        let name = syntax.name
        let place: ArgumentPlace
        let token: String
        switch syntax.place {
        case .keyword:
            place = .keyword(required: false)
            token = "[\(syntax.usage)]"
        default:
            place = .positional(required: false)
            token = syntax.usage.hasPrefix("<") ? "[" + syntax.usage.dropFirst().dropLast() + "]" : "[\(syntax.usage)]"
        }
        let convert = self.convert
        return Argument<Value?>(syntax: ArgumentSyntax(name: name, place: place, usage: token)) {
            matched throws(ArgumentError) in
            guard matched.values[name] != nil else { return nil }
            return try convert(matched)
        }
    }

    /// The argument with a value when absent.
    func defaulting(to value: Value) -> Argument<Value> {
        let optional = self.optional
        return Argument(syntax: optional.syntax) { matched throws(ArgumentError) in
            try optional.convert(matched) ?? value
        }
    }
}

extension Argument where Value == String? {
    /// One of fixed words anywhere in the line (`[items]`, `[dry-run]`), nil when absent.
    static func word(_ name: String, _ choices: [String]) -> Argument<String?> {
        Argument(
            syntax: ArgumentSyntax(name: name, place: .word(choices), usage: "[\(choices.joined(separator: "|"))]")
        ) { matched in matched.values[name] }
    }
}

extension Argument where Value == [String] {
    /// The rest of the line's words (one or more): `<display> …`.
    static func rest(_ name: String, _ display: String) -> Argument<[String]> {
        Argument(syntax: ArgumentSyntax(name: name, place: .rest, usage: "\(display) …")) { matched in matched.rest }
    }
}
