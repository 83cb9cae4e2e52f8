import Foundation
import Testing

@testable import SozialraumApp

/// docs/data-protection.md names the test behind each measure and the settings of each deletion rule:
/// a renamed or removed test, or a setting that is not read, makes the document wrong (issue 31).
@Suite struct DataProtectionDocTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func everyTestAndSettingTheDocumentNamesExists() throws {
        let document = try String(
            contentsOf: Self.repository.appendingPathComponent("docs/data-protection.md"), encoding: .utf8)
        var suites: Set<String> = []
        var sources = ""
        let files = FileManager.default.enumerator(atPath: Self.repository.appendingPathComponent("Tests").path)
        while let file = files?.nextObject() as? String {
            guard file.hasSuffix(".swift") else { continue }
            let text = try String(
                contentsOf: Self.repository.appendingPathComponent("Tests/\(file)"), encoding: .utf8)
            sources += text
            for match in text.matches(of: /struct (\w+Tests)\b/) { suites.insert(String(match.1)) }
        }
        let named = document.matches(of: /`(\w+Tests)(?:\.(\w+))?`/)
        #expect(named.count >= 15)
        for match in named {
            #expect(suites.contains(String(match.1)), "docs/data-protection.md names \(match.1)")
            if let test = match.2 {
                #expect(sources.contains("func \(test)("), "docs/data-protection.md names \(test)")
            }
        }
        for match in document.matches(of: /`(retention\.\w+)`/) {
            #expect(Settings.keys.contains(String(match.1)), "\(match.1)")
        }
        #expect(Settings.keys.filter { $0.hasPrefix("retention.") }.allSatisfy { document.contains("`\($0)`") })
    }
}
