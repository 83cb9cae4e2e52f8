/// The limit of a free text that users type (names, reasons, titles, parameters): the one place that
/// defines it. Counted as PostgreSQL's `length()` counts (Unicode code points, not the grapheme
/// clusters Swift's `count` sees: "é" written as e + a combining accent is two), so that every text
/// a check lets through also fits its column. A test compares each limit with its column's CHECK.
public struct TextLimit: Hashable, Sendable, CustomStringConvertible {
    public let minimum: Int
    public let maximum: Int

    public init(_ range: ClosedRange<Int>) {
        minimum = range.lowerBound
        maximum = range.upperBound
    }

    /// How PostgreSQL counts the length of `text`.
    public static func length(of text: String) -> Int { text.unicodeScalars.count }

    public func allows(_ text: String) -> Bool { (minimum...maximum).contains(Self.length(of: text)) }

    /// Whether `text` holds a character that hides or reorders what it says where it is written (a file for
    /// the Kasse, a CSV, a terminal): control characters, format characters (the bidi overrides and
    /// isolates U+202A–U+202E, U+2066–U+2069, zero-width marks) and the line and paragraph separators
    /// U+2028, U+2029.
    public static func hasHiddenCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { scalar in
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator: true
            default: false
            }
        }
    }

    /// Why a text with hidden characters is refused, for replies.
    public static let hiddenCharactersReason =
        "control, bidi or line-separator characters are not allowed"

    /// "1 to 500 characters", for replies.
    public var description: String {
        minimum == 0 ? "at most \(maximum) characters" : "\(minimum) to \(maximum) characters"
    }

    /// Names of Sozialräume, municipalities and providers.
    public static let name = TextLimit(1...100)
    /// Reasons: resolving a finding, forcing a period close, carry-forwards, cross-area grants.
    public static let reason = TextLimit(1...500)
    /// Project titles.
    public static let title = TextLimit(1...200)
    /// A schedule's job parameters.
    public static let scheduleParameters = TextLimit(0...200)
    /// The key of an on-demand job: the requesting tenant's id, a colon and its idempotency key.
    public static let jobRequestKey = TextLimit(1...(36 + 1 + IdempotencyKey.maximumLength))
}
