import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 31 (item 7) over the socket: `case-export` gives everything stored about one case key as JSON
/// lines, also for a restricted case (to the officer), and is itself logged; `case-rekey` corrects a wrongly
/// entered key, the ledger untouched. On beta's 2025 case of `BudgetWorld.closedYearCase`.
@Suite struct AuskunftSocketTests {
    @Test(.timeLimit(.minutes(3))) func everythingAboutACaseAsJSONLines() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let world = admin.world
        let closed = try await world.closedYearCase()
        let accounts = AccountService(store: world.store, logger: Logger(label: "test.accounts"), scryptRounds: 1024)
        try await accounts.setAccount(
            name: "dsb", tenant: world.county.tenant, role: .dpo, secret: "dsb-token-00001",
            actingAs: world.county.tenant)
        let officer = try await admin.client()
        #expect(await officer.request("login dsb dsb-token-00001")?.status == "OK logged in as dsb role=dpo")
        #expect(
            await officer.request("restrict VER-2025-0001 ground=claims reference=\"Az 7/26\"")?.status.hasPrefix("OK")
                == true)

        let export = await officer.request("case-export VER-2025-0001")
        let records = (export?.data ?? []).compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(
            records.count == export?.data.count && export?.status == "OK \(records.count) records of case VER-2025-0001"
        )
        var kinds: [String: Int] = [:]
        for record in records { kinds[record["kind"] as? String ?? "?", default: 0] += 1 }
        // One case, its residence, its grant, three deliveries with one booking each, the March finding, the
        // issued statement's item and the restriction; no access yet (this export is logged after it).
        #expect(
            kinds == [
                "case": 1, "residence": 1, "grant": 1, "delivery": 3, "booking": 3, "finding": 1,
                "statement_item": 1, "restriction": 1,
            ])
        let byKind = { (kind: String) in records.filter { $0["kind"] as? String == kind } }
        #expect(byKind("case").first?["case_key"] as? String == "VER-2025-0001")
        #expect(byKind("case").first?["restricted"] as? String == "true")
        #expect(byKind("residence").first?["sozialraum"] as? String == "nord")
        #expect(byKind("grant").first?["out_of_area_reason"] as? String == "Geschwisterkind von Frau M. bei Beta")
        #expect(byKind("grant").first?["ended_on"] is NSNull)
        // 10 + 12 + 10 hours delivered; 600.00 booked each month (10 hours payable at 60.00), 1,800.00 in all.
        #expect(byKind("delivery").compactMap { $0["quantity"] as? String } == ["10.00", "12.00", "10.00"])
        #expect(byKind("booking").compactMap { $0["amount"] as? String } == ["600.00", "600.00", "600.00"])
        #expect(byKind("finding").first?["resolution"] as? String == "Frau M. war im März krank")
        #expect(byKind("statement_item").first?["cost"] as? String == "1800.00")
        #expect(byKind("statement_item").first?["grant"] as? String == closed.grant.uuidString.lowercased())

        // The export is logged like any read of case data; the case worker finds the restricted case absent.
        let log = await officer.request("access-log format=csv")?.data ?? []
        #expect(log.contains { $0.contains(",dsb,case-export,") })
        let county = try await admin.client(loggedInAs: "kaemmerei")
        #expect(await county.request("case-export VER-2025-0001")?.status == "ERR NOT_FOUND unknown case")
        #expect(await officer.request("restriction-lift VER-2025-0001")?.status.hasPrefix("OK") == true)

        // A key entered wrongly is corrected: the case and its grants; the statement keeps its key.
        #expect(
            await county.request("case-rekey VER-2025-0001 VER-2025-0009")?.status
                == "OK case VER-2025-0001 is now VER-2025-0009")
        #expect(await county.request("case VER-2025-0001")?.status == "ERR NOT_FOUND unknown case")
        #expect(await county.request("case VER-2025-0009")?.status.hasPrefix("OK") == true)
        #expect(await county.request("grants format=csv")?.data.contains { $0.contains(",VER-2025-0009,") } == true)
        #expect(
            await county.request("case-rekey VER-2025-0009 VER-2026-0007")?.status
                == "ERR DUPLICATE already recorded: case VER-2026-0007")
        let tombstoneLike = await county.request("case-rekey VER-2025-0009 ERASED-0001")
        #expect(tombstoneLike?.status.hasPrefix("ERR INVALID invalid new-key") == true)
        let items = await county.request("issued-statement \(closed.statement) items format=csv")?.data ?? []
        #expect(items.count == 2 && items[1].contains(",VER-2025-0001,"))
    }

    /// The database checks the corrector's right: an account without `case` (the orderer) is refused, whatever
    /// the daemon's check said.
    @Test func onlyAHolderOfCaseCorrectsAKey() async throws {
        let world = try await BudgetWorld.make()
        _ = try await world.openCase("VER-2026-0003")
        let ordererOnly = Caller(tenant: world.county.tenant, role: .county, name: "anordnung", rights: [.caseWork])
        await #expect(throws: ServiceError.forbidden("this change")) {
            try await AuskunftService(store: world.store, logger: Logger(label: "test")).correctKey(
                ordererOnly, key: "VER-2026-0003", to: "VER-2026-0004")
        }
        let kept = try await world.database.superuserConnection().query(
            PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM sozialraum.case_file WHERE case_key = 'VER-2026-0003'")
        ).single().decode(0, as: Int.self)
        #expect(kept == 1)
    }
}
