import Foundation
import SozialraumProtocol
import Testing

/// csv-de's German headings (issue 32, item 1): every column the daemon's tables name (found in the sources of
/// the admin socket, between `columns:` and `rows:`) has one, distinct within the catalogue, and the other
/// formats keep the names.
@Suite struct GermanHeadingsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func columnsInSources() throws -> Set<String> {
        let directory = root.appendingPathComponent("Sources/SozialraumInterfaces")
        var columns: Set<String> = []
        let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "swift" else { continue }
            let text = try String(contentsOf: file, encoding: .utf8)
            for table in text.matches(of: /columns:(?s)(.*?)rows:/) {
                for name in table.output.1.matches(of: /"([a-z][a-z0-9_]*)"/) { columns.insert(String(name.output.1)) }
            }
        }
        return columns
    }

    @Test func everyColumnHasAGermanHeading() throws {
        let columns = try Self.columnsInSources()
        #expect(columns.count > 150, "the scan finds the tables' columns")
        #expect(columns.subtracting(GermanHeadings.headings.keys).sorted() == [])
        // Two columns of one table must not read the same in German.
        let headings = Array(GermanHeadings.headings.values)
        #expect(Set(headings).count == headings.count, "a German heading used twice")
    }

    /// 1,234.56 in a column `amount`: csv-de has `Betrag` and a decimal comma; csv and jsonl keep `amount`.
    @Test func onlyCSVDEHasGermanHeadings() {
        let table = ResultTable(columns: ["provider", "amount"], rows: [[.text("Träger Alpha"), .amount(1_234_56)]])
        #expect(table.lines(.csvDE) == ["Träger;Betrag", "Träger Alpha;1234,56"])
        #expect(table.lines(.csv) == ["provider,amount", "Träger Alpha,1234.56"])
        #expect(table.lines(.jsonl) == ["{\"provider\":\"Träger Alpha\",\"amount\":\"1234.56\"}"])
    }
}
