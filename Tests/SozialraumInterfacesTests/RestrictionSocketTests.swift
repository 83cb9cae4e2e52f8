import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 31 (item 4) over the socket: a restricted case is absent for case workers and providers — hidden by
/// row-level security, set from the account's stored role — while the data-protection officer and the
/// auditor read it; its grants keep their figures under a placeholder key; every figure stays; restricting
/// and lifting are audited. On beta's 2025 case of `BudgetWorld.closedYearCase` (its billing is over).
@Suite struct RestrictionSocketTests {
    @Test(.timeLimit(.minutes(3))) func aRestrictedCaseIsAbsentButForTheOfficerAndTheAuditor() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let world = admin.world
        _ = try await world.closedYearCase()
        let accounts = AccountService(store: world.store, logger: Logger(label: "test.accounts"), scryptRounds: 1024)
        try await accounts.setAccount(
            name: "dsb", tenant: world.county.tenant, role: .dpo, secret: "dsb-token-00001",
            actingAs: world.county.tenant)
        let officer = try await admin.client()
        #expect(await officer.request("login dsb dsb-token-00001")?.status == "OK logged in as dsb role=dpo")
        let county = try await admin.client(loggedInAs: "kaemmerei")
        let auditor = try await admin.client(loggedInAs: "pruefer")
        let beta = try await admin.client(loggedInAs: "beta")
        let fundsBefore = await county.request("funds nord 2025 format=csv")

        // kaemmerei holds no erase; a case still billed (its grant's December is open) is not restricted.
        #expect(
            await county.request("restrict VER-2025-0001 ground=claims reference=x")?.status.hasPrefix(
                "ERR FORBIDDEN") == true)
        #expect(
            await officer.request("restrict VER-2026-0007 ground=claims reference=\"Az 7/26\"")?.status
                == "ERR CONFLICT conflict: the case is still billed: close 2026-12 first")
        #expect(
            await officer.request("restrict VER-2025-0001 ground=claims reference=\"Az 7/26\"")?.status
                == "OK case VER-2025-0001 restricted (claims)")
        #expect(
            await officer.request("restrict VER-2025-0001 ground=contested reference=\"Az 8/26\"")?.status
                == "ERR CONFLICT conflict: the case is restricted already")

        // Absent for the case worker and the provider: no case, and the grant under its placeholder, with
        // no Sozialraum (the residences are hidden too).
        #expect(await county.request("case VER-2025-0001")?.status == "ERR NOT_FOUND unknown case")
        let grantsOfCounty = await county.request("grants format=csv")?.data ?? []
        #expect(grantsOfCounty.contains { $0.contains(",RESTRICTED-1,Träger Beta,31,hour,") && $0.hasSuffix(",") })
        #expect(!grantsOfCounty.contains { $0.contains("VER-2025-0001") })
        let grantsOfBeta = await beta.request("grants format=csv")?.data ?? []
        #expect(
            grantsOfBeta.contains { $0.contains(",RESTRICTED-1,") }
                && !grantsOfBeta.contains { $0.contains("VER-2025") })
        // Present for the officer and the auditor.
        let seen = await officer.request("case VER-2025-0001 format=csv")
        #expect(seen?.status.hasPrefix("OK") == true && seen?.data.contains { $0.contains("residence") } == true)
        #expect(await auditor.request("case VER-2025-0001")?.status.hasPrefix("OK") == true)
        #expect(await officer.request("restrictions")?.status == "OK 1 restrictions")
        #expect(
            await auditor.request("restrictions format=csv")?.data.last?.hasPrefix("VER-2025-0001,claims,Az 7/26,dsb,")
                == true)
        #expect(await county.request("restrictions")?.status.hasPrefix("ERR FORBIDDEN") == true)
        // The figures are the figures.
        #expect(await county.request("funds nord 2025 format=csv")?.data == fundsBefore?.data)

        // Lifted by a county holder of erase: back as it was.
        try await accounts.setAccount(
            name: "dsb-loescht", tenant: world.county.tenant, role: .county, secret: "dsb-loescht-0001",
            actingAs: world.county.tenant, rights: [.erase])
        let eraser = try await admin.client()
        #expect(await eraser.request("login dsb-loescht dsb-loescht-0001")?.status.hasPrefix("OK logged in") == true)
        #expect(
            await eraser.request("restriction-lift VER-2025-0001")?.status
                == "OK case VER-2025-0001 no longer restricted")
        #expect(
            await eraser.request("restriction-lift VER-2025-0001")?.status
                == "ERR CONFLICT conflict: the case is not restricted")
        #expect(await county.request("case VER-2025-0001")?.status.hasPrefix("OK") == true)
        #expect(await county.request("grants format=csv")?.data.contains { $0.contains(",VER-2025-0001,") } == true)
        let audit = await auditor.request("audit action=restriction format=csv")?.data ?? []
        #expect(audit.filter { $0.contains("restriction.place") || $0.contains("restriction.lift") }.count == 2)
    }

    /// Item 8 for restrictions: the daemon's role cannot clear a case's flag, change or delete a restriction;
    /// each statement fails with its own SQLSTATE (in a transaction that sees restricted cases, so that the
    /// rows are there to touch).
    @Test(arguments: [
        ("UPDATE case_file SET restricted = false", "42501"),
        ("UPDATE residence SET restricted = false", "42501"),
        ("DELETE FROM case_restriction", "42501"),
        ("UPDATE case_restriction SET ground = 'contested'", "SZ009"),
        ("UPDATE grant_decision SET case_key = 'VER-2025-0001'", "42501"),
    ])
    func theRuntimeRoleCannotUndoARestriction(statement: String, sqlState: String) async throws {
        let world = try await BudgetWorld.make()
        _ = try await world.closedYearCase()
        let officer = Caller(tenant: world.county.tenant, role: .dpo, name: "dsb")
        try await RestrictionService(store: world.store, logger: Logger(label: "test")).restrict(
            officer, key: "VER-2025-0001", ground: .claims, reference: "Az 7/26")
        do {
            try await world.store.withTenant(world.county.tenant, seesRestricted: true) { tx in
                _ = try await tx.execute(unsafeSQL: statement)
            }
            Issue.record("\(statement) went through")
        } catch let error as PostgresError {
            #expect(error.sqlState?.rawValue == sqlState, "\(statement)")
        }
        let restricted = try await world.database.superuserConnection().query(
            PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM sozialraum.case_file WHERE restricted")
        ).single().decode(0, as: Int.self)
        #expect(restricted == 1)
    }
}
