import Foundation
import Logging
import Synchronization

/// Log lines on stderr. Under systemd (`JOURNAL_STREAM` set) each line starts with the journald
/// priority `<N>` and carries no timestamp (the journal adds one); elsewhere a UTC timestamp.
///
/// What goes into metadata is the caller's discipline: tenant ids and request ids, never
/// payloads, case keys or secrets.
public struct DaemonLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    /// One level for the whole process, so that a reload changes every logger at once.
    static let processLevel = Mutex<Logger.Level>(.info)
    public var logLevel: Logger.Level {
        get { Self.processLevel.withLock { $0 } }
        set { Self.processLevel.withLock { $0 = newValue } }
    }
    private let label: String
    private let journal: Bool

    /// A handler for one logger. The level is the process's: a new logger (every label makes one) must
    /// not reset what `bootstrap` or a `log-level` command set.
    public init(label: String, journal: Bool) {
        self.label = label
        self.journal = journal
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// sd-daemon(3) priorities.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let line = Self.format(
            level: event.level, label: label, message: event.message.description, metadata: merged, journal: journal)
        // Handed to the writer thread: logging never blocks the calling thread on stderr.
        LogWriter.standardError.write(line)
    }

    /// One log line, newline included.
    static func format(
        level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, journal: Bool,
        now: Date = Date()
    ) -> String {
        var line = journal ? "<\(priority(level))>" : "\(timestamp(now)) \(level) "
        line += "\(label): \(singleLine(message))"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " \(key)=\(singleLine(value.description))"
        }
        return line + "\n"
    }

    /// One event, one line: control characters cannot forge further log lines.
    static func singleLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// Installs the handler for the process. Call once, at start.
    public static func bootstrap(
        level: Logger.Level, environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        let journal = environment["JOURNAL_STREAM"] != nil
        processLevel.withLock { $0 = level }
        LoggingSystem.bootstrap { label in DaemonLogHandler(label: label, journal: journal) }
        // Whatever way the process ends normally, the lines still waiting are written first.
        atexit { LogWriter.standardError.flush() }
    }
}

/// The process's log threshold, changed by a reload.
enum LoggingSystemLevel {
    static func set(_ level: Logger.Level) { DaemonLogHandler.processLevel.withLock { $0 = level } }
}
