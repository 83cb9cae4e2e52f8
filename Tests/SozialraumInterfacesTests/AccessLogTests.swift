import Foundation
import PostgresClient
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

@testable import SozialraumInterfaces

/// Issue 31 (item 6): a reply that shows case-level data leaves an entry in the access log (who, which
/// command, how many cases) before it goes out; one that shows none (funds) leaves none. Only the auditor
/// reads the log, and the daemon's role can neither change nor delete it.
@Suite struct AccessLogTests {
    @Test func readsOfCaseDataAreLoggedAndOnlyTheAuditorReadsTheLog() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        _ = try await admin.alphaDeliveredInMarch()
        let county = try await admin.client(loggedInAs: "kaemmerei")
        let alpha = try await admin.client(loggedInAs: "alpha")
        let auditor = try await admin.client(loggedInAs: "pruefer")

        #expect(await county.request("funds nord 2026")?.status.hasPrefix("OK") == true)
        #expect(await county.request("grants")?.status == "OK 1 grants")
        #expect(await alpha.request("grants")?.status == "OK 1 grants")
        #expect(await county.request("case VER-2026-0001")?.status.hasPrefix("OK ") == true)

        let log = await auditor.request("access-log format=csv")
        #expect(log?.status == "OK 3 entries")
        let rows = (log?.data ?? []).dropFirst().map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        // Newest first: at, tenant, account, command, case, cases. funds shows no case and is not there.
        #expect(
            rows.map { [$0[1], $0[2], $0[3], $0[5]] } == [
                [admin.world.county.tenant.description, "kaemmerei", "case", "1"],
                [admin.world.alpha.tenant.description, "alpha", "grants", "1"],
                [admin.world.county.tenant.description, "kaemmerei", "grants", "1"],
            ])
        #expect(await county.request("access-log")?.status == "ERR FORBIDDEN access-log is not for role county")

        // Append-only for the daemon's role, also in the county's own context.
        for statement in ["DELETE FROM case_access", "UPDATE case_access SET cases = 0"] {
            let refused = await #expect(throws: PostgresError.self) {
                try await admin.world.store.withTenant(admin.world.county.tenant) { tx in
                    _ = try await tx.execute(unsafeSQL: statement)
                }
            }
            #expect(refused?.sqlState == .insufficientPrivilege, "\(statement)")
        }
    }
}

/// Issue 31 (item 6): the log's own deletion rule. Entries of a year are due on 1 January of the year after
/// `years` more; the database erases nothing younger, and refuses fewer than one year.
@Suite struct AccessLogExpiryTests {
    @Test func onlyEntriesPastTheirRuleAreErased() async throws {
        let world = try await BudgetWorld.make()
        let admin = try await world.database.superuserConnection()
        // This year Y (by the database's clock, Europe/Berlin): one entry from Y-2, one from Y-1, one now.
        try await admin.runScript(
            unsafeSQL: """
                INSERT INTO sozialraum.case_access (tenant_id, account, command, cases, accessed_at)
                SELECT c.tenant_id, 'kaemmerei', 'grants', 1, at FROM sozialraum.county c,
                    unnest(ARRAY[make_timestamptz(extract(year FROM now())::int - 2, 6, 1, 12, 0, 0, 'Europe/Berlin'),
                                 make_timestamptz(extract(year FROM now())::int - 1, 6, 1, 12, 0, 0, 'Europe/Berlin'),
                                 now()]) at
                """)
        let service = AccessLogService(store: world.store)
        // One year: entries of Y-2 were due on 1 January Y; Y-1's are due on 1 January Y+1.
        #expect(try await service.eraseExpired(years: 1) == 1)
        #expect(try await world.count("sozialraum.case_access") == 2)
        #expect(try await service.eraseExpired(years: 1) == 0)
        let refused = await #expect(throws: PostgresError.self) { _ = try await service.eraseExpired(years: 0) }
        #expect(refused?.sqlState?.rawValue == "22023")
        #expect(try await world.count("sozialraum.case_access") == 2)
    }
}
