import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumInterfaces
import SozialraumServices
import SozialraumTestSupport
import Testing

/// Issue 31 over the socket and through the real `sozialraumctl`: legal holds, an erasure order proposed,
/// certified and ordered by two holders of `erase` (each step sent twice: the second is CONFLICT naming the
/// state), replies that count and never name a case, and beta's issued statement downloaded after the
/// redaction and verified from the file alone. The deletion rule is 0 years: beta's 2025 case
/// (`BudgetWorld.closedYearCase`) is due.
@Suite struct ErasureSocketTests {
    @Test(.timeLimit(.minutes(3))) func twoPeopleEraseACaseAndItsStatementStillVerifies() async throws {
        let admin = try await AdminWorld.start(retention: RetentionRules(caseLinkYears: 0))
        defer { admin.stop() }
        let world = admin.world
        let closed = try await world.closedYearCase()
        let accounts = AccountService(store: world.store, logger: Logger(label: "test.accounts"), scryptRounds: 1024)
        var erasers: [LineClient] = []
        for name in ["dsb-erste", "dsb-zweite"] {
            try await accounts.setAccount(
                name: name, tenant: world.county.tenant, role: .county, secret: "\(name)-token-0001",
                actingAs: world.county.tenant, rights: [.erase])
            let client = try await admin.client()
            #expect(await client.request("login \(name) \(name)-token-0001")?.status.hasPrefix("OK logged in") == true)
            erasers.append(client)
        }
        let county = try await admin.client(loggedInAs: "kaemmerei")

        // A legal hold, placed once, lifted once.
        #expect(
            await county.request("hold VER-2025-0001 reference=\"LG Verden 3 O 12/26\"")?.status
                == "OK case VER-2025-0001 held")
        #expect(
            await county.request("hold VER-2025-0001 reference=zweimal")?.status
                == "ERR CONFLICT conflict: the case is under a legal hold already")
        #expect(await county.request("holds")?.data.count == 2)  // header and one hold
        #expect(await county.request("erasure-propose")?.status == "OK nothing due: no case is past its deletion rule")
        #expect(await county.request("hold-lift VER-2025-0001")?.status == "OK case VER-2025-0001 no longer held")
        #expect(
            await county.request("hold-lift VER-2025-0001")?.status
                == "ERR CONFLICT conflict: the case is under no legal hold")

        // Proposed: counted per last year and kind, no key in the reply.
        let today = CountyCalendar.today()
        let proposed = await county.request("erasure-propose format=csv")
        #expect(proposed?.status == "OK erasure order 1 proposed: 1 cases due under 0 years on \(today)")
        #expect(proposed?.data == ["last_year,cases,residences,grants,statement_items,texts", "2025,1,1,1,1,2"])
        #expect(
            await county.request("erasure-propose")?.status
                == "ERR CONFLICT erasure order 1 is proposed: decide it first")
        // kaemmerei may not sign (no right erase); the first holder certifies, then may not order.
        #expect(await county.request("erasure-certify 1")?.status.hasPrefix("ERR FORBIDDEN") == true)
        #expect(
            await erasers[0].request("erasure-certify 1")?.status
                == "OK erasure order 1 certified: 1 cases due under 0 years on \(today), certified by dsb-erste")
        #expect(
            await erasers[0].request("erasure-certify 1")?.status
                == "ERR CONFLICT conflict: erasure order 1 is certified, not proposed")
        #expect(await erasers[0].request("erasure-order 1")?.status.hasPrefix("ERR FORBIDDEN") == true)
        let ordered = await erasers[1].request("erasure-order 1")
        #expect(
            ordered?.status
                == "OK erasure order 1 done: 1 cases due under 0 years on \(today), certified by dsb-erste, "
                + "ordered by dsb-zweite, erased 1, kept 0; this run erased 1, kept 0")
        #expect(
            await erasers[1].request("erasure-order 1")?.status
                == "ERR CONFLICT conflict: erasure order 1 is done, not certified")
        #expect(
            await erasers[1].request("erasure-reject 1 reason=spät")?.status
                == "ERR CONFLICT conflict: erasure order 1 is done, not proposed or certified")
        let auditor = try await admin.client(loggedInAs: "pruefer")
        #expect(await auditor.request("erasures")?.status == "OK 1 erasure orders")
        #expect(await county.request("case VER-2025-0001")?.status == "ERR NOT_FOUND unknown case")

        // Beta downloads its statement with the real client and verifies it from the file alone.
        let directory = NSTemporaryDirectory() + "erased-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (status, lines) = try await admin.ctl(
            as: "beta",
            [
                "--format", "csv", "--save", "\(directory)/abrechnung.csv", "issued-statement",
                String(closed.statement), "items",
            ])
        #expect(status == 0, "\(lines)")
        let hash = String(lines.first?.split(separator: " ").last ?? "")
        let rows = try String(contentsOfFile: "\(directory)/abrechnung.csv", encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        // The one item, its case key redacted; its hash is the one its line had (30 h granted, 32 delivered,
        // 30 payable, 1,800.00).
        #expect(rows.count == 1 && rows.first?[3] == "")
        let database = try await world.database.superuserConnection()
        let original = "grant|\(closed.grant.uuidString.lowercased())|VER-2025-0001|31|hour|nord|3000|3200|3000|180000"
        #expect(rows.first.map { String($0[11]) } == (try await database.sha256Hex(original)))
        #expect(try await database.sha256Hex(rows.map { String($0[11]) }.joined(separator: "\n")) == hash)
    }
}
