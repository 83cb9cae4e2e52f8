#if canImport(Glibc)
import Glibc
#endif

/// A terminal switched to raw mode for line editing (no echo, byte by byte, no signals from
/// Ctrl-C), and back to how it was found. Only while a line is edited: replies print in the
/// terminal's own mode, where Ctrl-C interrupts as usual.
public final class RawTerminal {
    private let fd: Int32
    private var original = termios()
    private var raw = termios()
    private var isRaw = false

    /// nil when `fd` is not a terminal.
    public init?(fd: Int32 = STDIN_FILENO) {
        self.fd = fd
        guard isatty(fd) != 0, tcgetattr(fd, &original) == 0 else { return nil }
        raw = original
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | ISIG | IEXTEN)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL | BRKINT | INPCK | ISTRIP)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
    }

    deinit { leaveRawMode() }

    // TCSADRAIN, not TCSAFLUSH: switching modes between lines must keep what the user typed ahead
    // (or pasted) while a reply was printing; flushing dropped it, and the tool then waited for input
    // that had already been sent.
    public func enterRawMode() {
        guard !isRaw else { return }
        isRaw = tcsetattr(fd, TCSADRAIN, &raw) == 0
    }

    public func leaveRawMode() {
        guard isRaw else { return }
        tcsetattr(fd, TCSADRAIN, &original)
        isRaw = false
    }

    /// Edits one line with `editor`, drawing on standard output. Returns the line, or nil at the end
    /// of input (Ctrl-D on an empty line, or the terminal closed).
    public func readLine(prompt: String, editor: inout LineEditor) -> String? {
        enterRawMode()
        defer { leaveRawMode() }
        Self.show(editor.rendering(prompt: prompt))
        var byte: UInt8 = 0
        while true {
            let count = read(fd, &byte, 1)
            if count < 0, errno == EINTR { continue }
            guard count == 1 else {
                Self.show("\r\n")
                return nil
            }
            switch editor.feed(byte) {
            case .none: continue
            case .redraw: Self.show(editor.rendering(prompt: prompt))
            case .clearScreen: Self.show("\u{1b}[H\u{1b}[2J" + editor.rendering(prompt: prompt))
            case .interrupt: Self.show("^C\r\n" + editor.rendering(prompt: prompt))
            case .endOfInput:
                Self.show("\r\n")
                return nil
            case .submit(let line):
                Self.show("\r\n")
                return line
            }
        }
    }

    static func show(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            if written <= 0 { return }
            offset += written
        }
    }
}
