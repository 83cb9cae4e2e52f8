import Foundation
import Testing

/// The layering of docs/architecture.md, checked on the source tree: the Store owns every SQL string,
/// and files stay small enough to read (issue 16).
@Suite struct LayeringTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func swiftFiles(under folder: String) throws -> [(path: String, text: String)] {
        let base = root.appendingPathComponent(folder)
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { return [] }
        var files: [(String, String)] = []
        for case let url as URL in walker where url.pathExtension == "swift" {
            files.append(
                (String(url.path.dropFirst(root.path.count + 1)), try String(contentsOf: url, encoding: .utf8)))
        }
        return files.sorted { $0.0 < $1.0 }
    }

    /// A line that starts an SQL statement, in a string literal or a multi-line one.
    static func looksLikeSQL(_ line: Substring) -> Bool {
        let text = line.drop { $0 == " " || $0 == "\"" || $0 == "(" }
        let statements = [
            "SELECT ", "INSERT INTO ", "UPDATE ", "DELETE FROM ", "WITH ", "CREATE ", "ALTER ", "DROP ", "COPY ",
            "GRANT ",
            "SET LOCAL ", "LISTEN ",
        ]
        return statements.contains { text.hasPrefix($0) } && (line.contains("\"") || line.hasPrefix("            "))
            && !line.trimmingCharacters(in: .whitespaces).hasPrefix("//")
    }

    @Test func noSQLOutsideTheStoreAndTheClient() throws {
        var offenders: [String] = []
        for (path, text) in try Self.swiftFiles(under: "Sources") {
            guard !path.hasPrefix("Sources/SozialraumStore/"), !path.hasPrefix("Sources/PostgresClient/") else {
                continue
            }
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where Self.looksLikeSQL(line) {
                offenders.append("\(path):\(number + 1)")
            }
        }
        #expect(offenders == [], "SQL outside Sources/SozialraumStore and Sources/PostgresClient")
        // The check finds SQL where there is some.
        let store = try Self.swiftFiles(under: "Sources/SozialraumStore")
        #expect(store.contains { $0.text.split(separator: "\n").contains(where: Self.looksLikeSQL) })
    }

    /// What each target may import (docs/architecture.md, "may import"): the layers point one way. A new
    /// import fails here until the picture and this table say it is meant.
    static let allowedImports: [String: Set<String>] = [
        "CLibPQ": [],
        "UUIDText": ["Foundation", "FoundationEssentials"],
        "PostgresClient": [
            "CLibPQ", "Darwin", "Dispatch", "Foundation", "FoundationEssentials", "Glibc", "Logging", "Synchronization",
            "UUIDText",
        ],
        "PostgresEmbedded": ["Foundation", "Glibc", "Logging"],
        "SozialraumDomain": ["Foundation", "FoundationEssentials"],
        "SozialraumProtocol": [],
        "SozialraumStore": [
            "Foundation", "FoundationEssentials", "Logging", "PostgresClient", "SozialraumDomain", "UUIDText",
        ],
        "SozialraumServices": [
            "Crypto", "_CryptoExtras", "Foundation", "FoundationEssentials", "Logging", "NIOPosix", "SozialraumDomain",
            "SozialraumStore", "Synchronization", "UUIDText",
        ],
        "SozialraumDemo": ["Foundation", "FoundationEssentials", "Logging", "SozialraumDomain", "SozialraumServices"],
        "SozialraumInterfaces": [
            "CoreMetrics", "Foundation", "Logging", "NIOCore", "NIOHTTP1", "NIOPosix", "NIOSSL", "Prometheus",
            "ServiceLifecycle", "SozialraumDomain", "SozialraumProtocol", "SozialraumServices", "Synchronization",
            "UUIDText",
        ],
        "SozialraumPortal": [
            "Foundation", "HTTPTypes", "Hummingbird", "HummingbirdTLS", "Logging", "MultipartKit", "NIOCore",
            "NIOSSL", "SozialraumDomain",
            "SozialraumInterfaces", "SozialraumProtocol", "SozialraumServices", "Synchronization",
        ],
        "SozialraumApp": [
            "ArgumentParser", "Configuration", "Foundation", "Logging", "NIOCore", "NIOPosix", "PostgresClient",
            "PostgresEmbedded",
            "ServiceLifecycle", "SozialraumDemo", "SozialraumDomain", "SozialraumInterfaces", "SozialraumPortal",
            "SozialraumProtocol",
            "SozialraumServices",
            "SozialraumStore",
            "Synchronization",
            "SystemPackage", "UnixSignals",
        ],
        "SozialraumCtlKit": ["Dispatch", "Glibc", "NIOConcurrencyHelpers", "NIOCore", "NIOPosix", "NIOSSL", "NIOTLS"],
        "sozialraumd": ["SozialraumApp"],
        "sozialraumctl": ["ArgumentParser", "Foundation", "Glibc", "SozialraumCtlKit", "SozialraumProtocol"],
    ]

    /// Rows are read by column name (issue 34): a column added in the middle of a SELECT cannot shift what a
    /// repository reads, and a name the result holds twice is an error at run time (`PostgresRow.column`).
    @Test func theStoreReadsColumnsByName() throws {
        let byIndex = try Regex(#"(decode|\.day|optionalDay|isNull)\(\s*[0-9]"#)
        var offending: [String] = []
        let files = try Self.swiftFiles(under: "Sources/SozialraumStore")
        for file in files {
            for (number, line) in file.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where line.contains(byIndex) {
                offending.append("\(file.path):\(number + 1)")
            }
        }
        #expect(files.count > 20)
        #expect(offending == [], "columns read by index")
    }

    /// Values reach a statement by interpolation (`PostgresQuery`), which numbers the parameters: no `$n`
    /// is written by hand. Two statements are kept as text on purpose: the funds read, which the benchmark
    /// runs through pgbench too, and the migration's multi-row inserts, whose placeholders are generated.
    @Test func theStoreCountsNoPlaceholdersByHand() throws {
        let placeholder = try Regex(#"\$[0-9]"#)
        let literal = try Regex(#""(?:[^"\\]|\\.)*""#)
        var offending: [String] = []
        for file in try Self.swiftFiles(under: "Sources/SozialraumStore") {
            var inLiteral = false
            var inFundsSQL = false
            for (number, line) in file.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if line.contains("\"\"\"") {
                    if line.contains("public static let fundsSQL") { inFundsSQL = true }
                    if inLiteral { inFundsSQL = false }
                    inLiteral.toggle()
                    continue
                }
                // Inside a multi-line statement: the line; otherwise its one-line string literals.
                let sql = inLiteral ? [line[...]] : line.matches(of: literal).map { line[$0.range] }
                if !inFundsSQL, sql.contains(where: { $0.contains(placeholder) }) {
                    offending.append("\(file.path):\(number + 1)")
                }
            }
        }
        #expect(offending == [], "hand-numbered placeholders")
    }

    @Test func everyTargetImportsOnlyWhatItsLayerMay() throws {
        var imports: [String: Set<String>] = [:]
        for (path, text) in try Self.swiftFiles(under: "Sources") {
            let target = String(path.split(separator: "/")[1])
            for line in text.split(separator: "\n")
            where line.hasPrefix("import ") || line.hasPrefix("@testable import ") {
                imports[target, default: []].insert(String(line.split(separator: " ").last!))
            }
        }
        for (target, used) in imports.sorted(by: { $0.key < $1.key }) {
            #expect(
                used.subtracting(Self.allowedImports[target] ?? []) == [], "\(target) imports more than its layer may")
        }
        // Every target stands in the architecture page's table.
        let page = try String(contentsOf: Self.root.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        for target in Self.allowedImports.keys {
            #expect(page.contains("`\(target)`"), "\(target) missing in docs/architecture.md")
        }
        // Use cases know no driver and no wire format; the interfaces reach the database only through them.
        #expect(Self.allowedImports["SozialraumServices"]!.isDisjoint(with: ["PostgresClient", "SozialraumProtocol"]))
        #expect(Self.allowedImports["SozialraumInterfaces"]!.isDisjoint(with: ["PostgresClient", "SozialraumStore"]))
        #expect(Self.allowedImports["SozialraumPortal"]!.isDisjoint(with: ["PostgresClient", "SozialraumStore"]))
        // Nothing below the Store reaches up, and the domain stays pure.
        #expect(
            Self.allowedImports["SozialraumDomain"]!.isDisjoint(with: [
                "PostgresClient", "SozialraumStore", "NIOCore", "Logging",
            ]))
    }

    /// Files over ~400 lines, each with the reason it may be longer for now.
    static let longFiles: [String: String] = [
        "Sources/PostgresClient/PostgresValues.swift": "every value type's text encoding and decoding, one per type",
        "Benchmarks/SozialraumBenchmarks/BudgetBenchmarks.swift":
            "the import and funds benchmarks with their baselines",
    ]

    @Test func filesStaySmallOrSayWhy() throws {
        var long: [String] = []
        for folder in ["Sources", "Benchmarks"] {
            for (path, text) in try Self.swiftFiles(under: folder)
            where text.split(separator: "\n", omittingEmptySubsequences: false).count > 420 {
                long.append(path)
            }
        }
        #expect(Set(long) == Set(Self.longFiles.keys))
    }
}
