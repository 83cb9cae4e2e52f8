import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumServices
import SozialraumTestSupport
import Testing

/// Issue 20 over the socket and through the real `sozialraumctl`: a draft is the same bytes after the
/// ledger moved, an issued statement is downloaded by its provider, and its hash is recomputed from the
/// download by the recipe of docs/statements.md.
@Suite struct StatementSocketTests {
    @Test(.timeLimit(.minutes(3))) func aProviderDownloadsItsIssuedStatement() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        // Alpha delivered 12 h in March (10 h granted: 600.00 paid, 2 h held back).
        let grant = try await admin.alphaDeliveredInMarch()
        let county = try await admin.client(loggedInAs: "kaemmerei")
        #expect(await county.request("reconcile 2026")?.status.hasPrefix("OK run 1 ") == true)
        let draft = await county.request("statement 1 items \(admin.world.alpha.tenant) format=csv")
        // The ledger moves after the run: the draft of run 1 stays the same bytes.
        _ = try await admin.world.payInstalment(
            provider: admin.world.alpha.tenant, socialSpace: admin.world.nord, component: .case,
            month: YearMonth(iso: "2026-04")!, amount: Money(cents: 100_00), key: "after-the-run")
        #expect(await county.request("statement 1 items \(admin.world.alpha.tenant) format=csv")?.data == draft?.data)

        let issued = await county.request("statement-issue 1 \(admin.world.alpha.tenant)")
        #expect(
            issued?.status.hasPrefix("OK statement 1 issued: run 1, 1 items, balance 600.00, sha256 ") == true,
            "\(String(describing: issued))")
        let hash = String(issued?.status.split(separator: " ").last ?? "")
        #expect(
            await county.request("statement-issue 1 \(admin.world.alpha.tenant)")?.status.hasPrefix("ERR DUPLICATE")
                == true)
        #expect(await county.request("issued-statements")?.status == "OK 1 statements")

        // Alpha downloads it with the real client, as csv and as csv-de; both are the frozen items.
        let directory = NSTemporaryDirectory() + "statement-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (status, lines) = try await admin.ctl(
            as: "alpha",
            ["--format", "csv", "--save", "\(directory)/abrechnung.csv", "issued-statement", "1", "items"])
        #expect(
            status == 0 && lines.count == 1 && lines[0].hasPrefix("OK statement 1 issued sha256 \(hash)"), "\(lines)")
        let csv = try String(contentsOfFile: "\(directory)/abrechnung.csv", encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(
            csv.first == "provider,item,id,case,help_type,unit,sozialraum,granted,delivered,payable,cost,item_sha256")
        #expect(csv.count == 2)
        let (germanStatus, _) = try await admin.ctl(
            as: "alpha",
            ["--format", "csv-de", "--save", "\(directory)/abrechnung-de.csv", "issued-statement", "1", "items"])
        let german = try String(contentsOfFile: "\(directory)/abrechnung-de.csv", encoding: .utf8)
        #expect(germanStatus == 0 && german.contains(";12,00;10,00;600,00"), "\(german)")
        // And as JSON lines, for programs: one object, amounts as exact strings.
        let (jsonStatus, _) = try await admin.ctl(
            as: "alpha",
            ["--format", "jsonl", "--save", "\(directory)/abrechnung.jsonl", "issued-statement", "1", "items"])
        let json = try String(contentsOfFile: "\(directory)/abrechnung.jsonl", encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(jsonStatus == 0 && json.count == 1, "\(json)")
        let object = try JSONSerialization.jsonObject(with: Data((json.first ?? "").utf8)) as? [String: Any]
        #expect(object?["case"] as? String == "VER-2026-0001")
        #expect(object?["cost"] as? String == "600.00")
        #expect(object?["granted"] as? String == "120.00")

        // The recipe: item|id|case|help_type|unit|sozialraum|granted|delivered|payable|cost, volumes in
        // hundredths and cost in cents: the year grants 12 × 10 h = 120 h; 12 h delivered, 10 h payable,
        // 10 × 60.00 = 600.00.
        let fields = csv[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let cents = { (text: String) in text.replacingOccurrences(of: ".", with: "") }
        let line =
            ([fields[1], fields[2], fields[3], fields[4], fields[5], fields[6]]
            + [fields[7], fields[8], fields[9], fields[10]].map(cents)).joined(separator: "|")
        #expect(line == "grant|\(grant.uuidString.lowercased())|VER-2026-0001|31|hour|nord|12000|1200|1000|60000")
        // The item's hash is sha256 of its line; the document's, sha256 of the items' hashes, one per line.
        let database = try await admin.world.database.superuserConnection()
        #expect(try await database.sha256Hex(line) == fields[11])
        #expect(try await database.sha256Hex(fields[11]) == hash)

        // Beta sees none of it; alpha cannot issue or withdraw.
        let beta = try await admin.client(loggedInAs: "beta")
        #expect(await beta.request("issued-statement 1 items")?.status == "ERR NOT_FOUND unknown statement")
        let alpha = try await admin.client(loggedInAs: "alpha")
        #expect(await alpha.request("statement-withdraw 1 reason=mine")?.status.hasPrefix("ERR FORBIDDEN") == true)
        #expect(await county.request("statement-withdraw 1")?.status.hasPrefix("ERR INVALID reason") == true)
        #expect(
            await county.request("statement-withdraw 1 reason=\"März falsch\"")?.status
                == "OK statement 1 withdrawn; a new one may be issued for run 1")
        #expect(await county.request("issued-statement one")?.status == "ERR INVALID statement: a statement number")
    }
}
