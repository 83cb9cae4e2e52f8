import Foundation
import SozialraumProtocol
import Testing

@testable import SozialraumInterfaces

/// docs/protocol.md is the reference of the admin protocol: every command the daemon knows has a row
/// there (a reference that disagrees with the code is a bug), and the reference names no command the
/// daemon does not know.
@Suite struct ProtocolDocsTests {
    static let reference: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("docs/protocol.md"), encoding: .utf8)) ?? ""
    }()

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

    @Test func everyCommandIsDocumented() {
        #expect(!Self.reference.isEmpty, "docs/protocol.md not found")
        let known = Set(AdminCommands.all.map(\.name))
        #expect(known.subtracting(Self.documented).sorted() == [], "commands missing in docs/protocol.md")
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

    @Test func theErrorCodesAreExactlyTheDaemons() {
        let documented = Self.documented.filter { $0.first?.isUppercase == true }
        #expect(documented == Set(ErrorCode.allCases.map(\.rawValue)))
    }
}
