import Foundation
import SozialraumDomain
import SozialraumProtocol
import Testing

@testable import SozialraumInterfaces

/// docs/protocol.md is the reference of the admin protocol: every command the daemon knows has a row
/// there (a reference that disagrees with the code is a bug), and the reference names no command the
/// daemon does not know.
@Suite struct ProtocolDocsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// docs/protocol.md; a missing or unreadable file fails the test that reads it.
    static func readReference() throws -> String {
        try String(contentsOf: root.appendingPathComponent("docs/protocol.md"), encoding: .utf8)
    }

    static let reference: String = (try? readReference()) ?? ""

    /// The roles cell's start as the spec says it: `county, auditor, provider`, `county (right `certify`)`.
    static func roles(of command: AdminCommand) -> String? {
        guard let roles = command.roles else { return nil }
        let order: [Role] = [.operator, .county, .auditor, .provider]
        let names = order.filter(roles.contains).map(\.rawValue).joined(separator: ", ")
        return names + (command.right.map { " (right `\($0.rawValue)`)" } ?? "")
    }

    /// Each command's row: its first cell is "`usage`" (a `|` inside a cell is written `\\|`); `hasRoles`
    /// when its table has a roles column.
    static var rows: [(name: String, usage: String, roles: String?, line: Substring?, hasRoles: Bool)] {
        var found: [String: (Substring, Bool)] = [:]
        var hasRoles = false
        for line in reference.split(separator: "\n") {
            if line.hasPrefix("| command |") { hasRoles = line.contains("| roles |") }
            guard line.hasPrefix("| `"), let end = line.dropFirst(3).firstIndex(of: "`") else { continue }
            let usage = String(line[line.index(line.startIndex, offsetBy: 3)..<end])
            if found[usage] == nil { found[usage] = (line, hasRoles) }
        }
        return AdminCommands.all.map { command in
            let usage = command.usage.replacingOccurrences(of: "|", with: "\\|")
            return (command.name, usage, roles(of: command), found[usage]?.0, found[usage]?.1 ?? false)
        }
    }

    /// The command names of the reference's table rows: "| `name …` |", also "| `a …` / `b …` |".
    static var documented: Set<String> {
        var names: Set<String> = []
        for line in reference.split(separator: "\n") where line.hasPrefix("| `") {
            let cell = line.dropFirst(2).prefix { $0 != "|" }
            for part in cell.components(separatedBy: " / ") where part.hasPrefix("`") {
                let name = part.dropFirst().prefix { $0 != " " && $0 != "`" }
                if !name.isEmpty { names.insert(String(name)) }
            }
        }
        return names
    }

    @Test func everyCommandIsDocumented() throws {
        #expect(try !Self.readReference().isEmpty)
        let known = Set(AdminCommands.all.map(\.name))
        #expect(known.subtracting(Self.documented).sorted() == [], "commands missing in docs/protocol.md")
    }

    /// docs/benutzerhandbuch.md names a task's command in parentheses (`(`funds`)`, `(`sozialraumctl import-deliveries
    /// …`)`): each such name is a command the daemon knows (session commands included).
    @Test func theUserGuideNamesOnlyRealCommands() throws {
        let guide = try String(
            contentsOf: Self.root.appendingPathComponent("docs/benutzerhandbuch.md"), encoding: .utf8)
        let known = Set(AdminCommands.all.map(\.name)).union(["help", "format", "login"])
        var named: [String] = []
        for group in guide.matches(of: /\(([^()]*)\)/) {
            for span in group.output.1.matches(of: /`([^`]+)`/) {
                let words = span.output.1.split(separator: " ")
                guard var first = words.first.map(String.init) else { continue }
                if first == "sozialraumctl" { first = words.dropFirst().first.map(String.init) ?? "" }
                // A command is lower-case words and hyphens; other spans are values (`2026-11`, `OVERRUN`).
                if first.wholeMatch(of: /[a-z][a-z-]*/) != nil { named.append(first) }
            }
        }
        #expect(named.count >= 15, "the guide names the commands of its tasks")
        #expect(named.filter { !known.contains($0) } == [], "not commands: docs/benutzerhandbuch.md")
    }

    @Test func theReferenceNamesOnlyRealCommands() {
        let known = Set(AdminCommands.all.map(\.name))
        // Rows of other tables (error codes, formats, keywords) start with an upper-case code or a symbol.
        let formats = Set(OutputFormat.allCases.map(\.rawValue))
        let commandLike = Self.documented.filter {
            $0.first?.isLowercase == true && !$0.contains("=") && !formats.contains($0)
        }
        #expect(
            commandLike.subtracting(known).sorted() == [],
            "docs/protocol.md documents commands the daemon does not have")
    }

    /// The reference's command rows start with the usage the daemon parses (from the command's spec) and
    /// the roles (and right) the spec declares. `SOZIALRAUM_COMMAND_TABLE=<file>` writes the expected starts
    /// of the rows, to bring the reference up to date after a spec changed.
    @Test func theCommandRowsSayWhatTheSpecsDeclare() throws {
        _ = try Self.readReference()
        if let path = ProcessInfo.processInfo.environment["SOZIALRAUM_COMMAND_TABLE"] {
            let text = Self.rows.map { "\($0.name)\t\($0.usage)\t\($0.roles ?? "")" }.joined(separator: "\n")
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        for row in Self.rows {
            #expect(row.line != nil, "docs/protocol.md has no row starting | `\(row.usage)` |")
            if let line = row.line, let roles = row.roles, row.hasRoles {
                // The first cell may go on after the usage ("+ CSV block + `.`"): the roles follow its `|`.
                let afterUsage = line.dropFirst("| `\(row.usage)`".count)
                let cell = afterUsage.drop { $0 != "|" }.dropFirst().drop { $0 == " " }
                #expect(cell.hasPrefix(roles), "\(row.name): the roles cell should start with \(roles)")
            }
        }
    }

    @Test func theErrorCodesAreExactlyTheDaemons() {
        let documented = Self.documented.filter { $0.first?.isUppercase == true }
        #expect(documented == Set(ErrorCode.allCases.map(\.rawValue)))
    }
}
