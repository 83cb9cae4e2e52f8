/// The interactive line editor of sozialraumctl: bytes from a terminal in raw mode go in, edits and
/// finished lines come out. Pure (no terminal, no I/O), so every key is tested.
///
/// Keys (Emacs-style, as in bash): ←/→ or Ctrl-B/Ctrl-F move, Home/End or Ctrl-A/Ctrl-E jump,
/// Backspace and Delete (Ctrl-D on a non-empty line) delete, Ctrl-K/Ctrl-U kill to the end/start,
/// Ctrl-W deletes the word before the cursor, ↑/↓ or Ctrl-P/Ctrl-N walk the history, Ctrl-L
/// clears the screen, Enter submits, Ctrl-C abandons the line, Ctrl-D on an empty line ends input.
public struct LineEditor: Sendable {
    public enum Event: Equatable, Sendable {
        /// The line changed or the cursor moved: draw it again.
        case redraw
        /// Nothing to do (an incomplete key sequence or a key without meaning).
        case none
        /// Enter: the finished line.
        case submit(String)
        /// Ctrl-C: the line is abandoned.
        case interrupt
        /// Ctrl-D on an empty line.
        case endOfInput
        /// Ctrl-L.
        case clearScreen
    }

    public private(set) var text: [Character] = []
    public private(set) var cursor = 0
    public private(set) var history: [String]
    /// Position while walking the history (history.count: the line being written).
    private var historyPosition: Int
    private var draft: [Character] = []
    private var escape: [UInt8] = []
    private var utf8: [UInt8] = []

    public init(history: [String] = []) {
        self.history = history
        historyPosition = history.count
    }

    public var line: String { String(text) }

    /// Feeds one byte from the terminal.
    public mutating func feed(_ byte: UInt8) -> Event {
        if !escape.isEmpty { return continueEscape(byte) }
        if !utf8.isEmpty || byte >= 0x80 { return continueUTF8(byte) }
        switch byte {
        case 0x1b:
            escape = [byte]
            return .none
        case 0x0d, 0x0a:
            let finished = line
            remember(finished)
            reset()
            return .submit(finished)
        case 0x03:
            reset()
            return .interrupt
        case 0x04:
            if text.isEmpty { return .endOfInput }
            return deleteForward()
        case 0x7f, 0x08:
            guard cursor > 0 else { return .none }
            cursor -= 1
            text.remove(at: cursor)
            return .redraw
        case 0x01: return move(to: 0)
        case 0x05: return move(to: text.count)
        case 0x02: return move(to: cursor - 1)
        case 0x06: return move(to: cursor + 1)
        case 0x0b:
            text.removeSubrange(cursor...)
            return .redraw
        case 0x15:
            text.removeSubrange(..<cursor)
            cursor = 0
            return .redraw
        case 0x17:
            var start = cursor
            while start > 0, text[start - 1] == " " { start -= 1 }
            while start > 0, text[start - 1] != " " { start -= 1 }
            text.removeSubrange(start..<cursor)
            cursor = start
            return .redraw
        case 0x10: return walkHistory(by: -1)
        case 0x0e: return walkHistory(by: 1)
        case 0x0c: return .clearScreen
        case 0x09:
            return insert(" ")
        case 0x00..<0x20:
            return .none
        default:
            return insert(Character(Unicode.Scalar(byte)))
        }
    }

    /// What the terminal shows: back to the line's start, prompt and text, erase the rest, and the
    /// cursor put back where it belongs (one column per character).
    public func rendering(prompt: String) -> String {
        var output = "\r" + prompt + line + "\u{1b}[K"
        let behind = text.count - cursor
        if behind > 0 { output += "\u{1b}[\(behind)D" }
        return output
    }

    // MARK: Keys

    private mutating func insert(_ character: Character) -> Event {
        text.insert(character, at: cursor)
        cursor += 1
        return .redraw
    }

    private mutating func move(to position: Int) -> Event {
        let clamped = min(max(position, 0), text.count)
        guard clamped != cursor else { return .none }
        cursor = clamped
        return .redraw
    }

    private mutating func deleteForward() -> Event {
        guard cursor < text.count else { return .none }
        text.remove(at: cursor)
        return .redraw
    }

    private mutating func walkHistory(by step: Int) -> Event {
        let target = historyPosition + step
        guard target >= 0, target <= history.count else { return .none }
        if historyPosition == history.count { draft = text }
        historyPosition = target
        text = target == history.count ? draft : Array(history[target])
        cursor = text.count
        return .redraw
    }

    /// ESC [ A … ESC [ D, ESC [ H/F, ESC O H/F, ESC [ 1~ 3~ 4~ 7~ 8~ (and modifiers, ignored).
    private mutating func continueEscape(_ byte: UInt8) -> Event {
        escape.append(byte)
        if escape.count == 2 {
            return byte == UInt8(ascii: "[") || byte == UInt8(ascii: "O") ? .none : finishEscape(.none)
        }
        // Parameters and intermediates until the final byte (0x40…0x7e).
        guard (0x40...0x7e).contains(byte) else { return escape.count > 16 ? finishEscape(.none) : .none }
        let parameters = String(decoding: escape.dropFirst(2).dropLast(), as: UTF8.self)
        switch (byte, parameters.split(separator: ";").first.map(String.init) ?? "") {
        case (UInt8(ascii: "A"), _): return finishEscape(walkHistory(by: -1))
        case (UInt8(ascii: "B"), _): return finishEscape(walkHistory(by: 1))
        case (UInt8(ascii: "C"), _): return finishEscape(move(to: cursor + 1))
        case (UInt8(ascii: "D"), _): return finishEscape(move(to: cursor - 1))
        case (UInt8(ascii: "H"), _), (UInt8(ascii: "~"), "1"), (UInt8(ascii: "~"), "7"):
            return finishEscape(move(to: 0))
        case (UInt8(ascii: "F"), _), (UInt8(ascii: "~"), "4"), (UInt8(ascii: "~"), "8"):
            return finishEscape(move(to: text.count))
        case (UInt8(ascii: "~"), "3"): return finishEscape(deleteForward())
        default: return finishEscape(.none)
        }
    }

    private mutating func finishEscape(_ event: Event) -> Event {
        escape = []
        return event
    }

    /// Gathers the bytes of one UTF-8 scalar; an invalid sequence is dropped.
    private mutating func continueUTF8(_ byte: UInt8) -> Event {
        utf8.append(byte)
        let expected: Int
        switch utf8[0] {
        case 0xc2...0xdf: expected = 2
        case 0xe0...0xef: expected = 3
        case 0xf0...0xf4: expected = 4
        default:
            utf8 = []
            return .none
        }
        if utf8.count > 1, byte & 0xc0 != 0x80 {
            utf8 = []
            return .none
        }
        guard utf8.count == expected else { return .none }
        defer { utf8 = [] }
        var decoder = UTF8()
        var iterator = utf8.makeIterator()
        guard case .scalarValue(let scalar) = decoder.decode(&iterator) else { return .none }
        return insert(Character(scalar))
    }

    private mutating func remember(_ line: String) {
        if History.worthKeeping(line), history.last != line { history.append(line) }
        if history.count > History.limit { history.removeFirst(history.count - History.limit) }
    }

    private mutating func reset() {
        text = []
        cursor = 0
        draft = []
        historyPosition = history.count
    }
}

/// The history file: one line per request, the newest last, readable by its owner only. Lines that
/// carry secrets (a `login`, an account's secret) are never kept.
public enum History {
    public static let limit = 1000

    public static func worthKeeping(_ line: String) -> Bool {
        let words = line.split(separator: " ")
        guard let first = words.first?.lowercased() else { return false }
        if ["login", "passwd", "password"].contains(first) { return false }
        return !line.lowercased().contains("secret")
    }

    /// `$XDG_STATE_HOME/sozialraum/history` or `~/.local/state/sozialraum/history`.
    public static func defaultPath(environment: [String: String]) -> String? {
        if let state = environment["XDG_STATE_HOME"], !state.isEmpty { return state + "/sozialraum/history" }
        return environment["HOME"].map { $0 + "/.local/state/sozialraum/history" }
    }

    public static func load(_ path: String) -> [String] {
        guard let text = readTextFile(path) else { return [] }
        return Array(text.split(separator: "\n").map(String.init).filter(worthKeeping).suffix(limit))
    }

    /// Writes the history (creating its directory), mode 0600.
    public static func save(_ lines: [String], to path: String) {
        var directory = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/").dropLast() {
            directory += "/" + part
            mkdir(directory, 0o700)
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        fchmod(fd, 0o600)
        let bytes = Array(lines.suffix(limit).filter(worthKeeping).map { $0 + "\n" }.joined().utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            offset += written
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
