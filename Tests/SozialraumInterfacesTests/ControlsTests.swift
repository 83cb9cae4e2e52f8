import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

@testable import SozialraumInterfaces

/// Issue 35: controls a Rechnungsprüfungsamt can sign. Account administration is a right of its own under
/// four eyes, rights end at once, and the audit names people — through the real socket and, for what the
/// database enforces, as the runtime role.
@Suite struct ControlsTests {
    /// The socket world plus two holders of `accounts` (anna, bert) and a clerk who may only certify,
    /// each logged in at a session of their own.
    struct World {
        let admin: AdminWorld
        let sessions: [String: LineClient]

        static func make() async throws -> World {
            let admin = try await AdminWorld.start()
            let shell = AccountService(
                store: admin.world.store, logger: Logger(label: "test.accounts"), scryptRounds: 1024)
            for (name, rights) in [
                ("sachbearbeitung", Set([CountyRight.certify])), ("anna", [.accounts]), ("bert", [.accounts]),
            ] {
                try await shell.setAccount(
                    name: name, tenant: admin.world.county.tenant, role: .county, secret: "\(name)-secret-1234",
                    actingAs: admin.world.county.tenant, rights: rights)
            }
            var sessions: [String: LineClient] = [:]
            for name in ["sachbearbeitung", "anna", "bert"] {
                let client = try LineClient(path: admin.path)
                #expect(
                    await client.request("login \(name) \(name)-secret-1234")?.status
                        == "OK logged in as \(name) role=county")
                sessions[name] = client
            }
            for name in ["kaemmerei", "anordnung", "alpha"] {
                sessions[name] = try await admin.client(loggedInAs: name)
            }
            return World(admin: admin, sessions: sessions)
        }

        func status(_ account: String, _ line: String) async -> String {
            await sessions[account]!.request(line)?.status ?? "no answer"
        }

        func accounts() async throws -> Int { try await admin.world.count("sozialraum.account") }
    }

    /// Who holds only `certify` cannot create an account with `order`, rotate the orderer's token or
    /// widen anyone's rights; nothing changes.
    @Test func anAccountWithoutTheRightAccountsAdministersNothing() async throws {
        let world = try await World.make()
        defer { world.admin.stop() }
        let before = try await world.accounts()
        for line in [
            "account-set mallory county county rights=order", "account-set anordnung county county",
            "account-rights sachbearbeitung certify,order", "account-disable anordnung",
        ] {
            #expect(
                await world.status("sachbearbeitung", line)
                    == "ERR FORBIDDEN not allowed: \(line.hasPrefix("account-rights") ? "changing rights" : line.hasPrefix("account-disable") ? "disabling accounts" : "administering accounts") needs the right accounts",
                "\(line)")
        }
        #expect(try await world.accounts() == before)
        #expect(await world.status("anordnung", "whoami").hasPrefix("OK anordnung@"))
    }

    /// anna creates an account with the right to order: it starts without rights; anna cannot approve her
    /// own request, bert can; the new account orders from its next request on, without logging in again.
    /// Nobody gives themselves a right, and `accounts` never comes with `order`.
    @Test func aRightIsGivenByASecondHolderOfAccounts() async throws {
        let world = try await World.make()
        defer { world.admin.stop() }
        let created = await world.status("anna", "account-set kasse county county rights=order")
        #expect(created.hasPrefix("OK token ") && created.contains("; rights order requested: change 1 waits"))
        let token = created.dropFirst("OK token ".count).prefix { $0 != ";" }
        let kasse = try LineClient(path: world.admin.path)
        #expect(await kasse.request("login kasse \(token)")?.status.hasPrefix("OK logged in as kasse") == true)
        #expect(
            await kasse.request("payment-export")?.status
                == "ERR FORBIDDEN not allowed: exporting payment orders needs the right order")
        #expect(
            await world.status("anna", "account-approve 1")
                == "ERR FORBIDDEN not allowed: deciding a change you requested or one to your own account (four eyes)")
        #expect(await world.status("bert", "account-approve 1") == "OK change 1 approved: kasse holds order")
        #expect(
            await kasse.request("payment-export")?.status
                == "ERR CONFLICT conflict: no ordered payment waits for export")
        #expect(
            await world.status("anna", "account-rights anna accounts,case")
                == "ERR FORBIDDEN not allowed: changing your own rights (four eyes)")
        #expect(
            await world.status("bert", "account-rights anna accounts,order")
                == "ERR INVALID invalid rights: accounts and order are never held together")
    }

    /// Once two people administer accounts, PostgreSQL refuses the runtime role a right given without an
    /// approved change, and refuses to leave fewer than two administrators, whoever sends it.
    @Test func theDatabaseRefusesARightWithoutItsSignatures() async throws {
        let world = try await World.make()
        defer { world.admin.stop() }
        let store = world.admin.world.store
        let county = world.admin.world.county.tenant
        for statement in [
            "UPDATE account SET rights = '{certify,order}' WHERE name = 'sachbearbeitung'",
            """
            INSERT INTO account (name, tenant_id, role, secret_hash, salt, scrypt_n, rights)
            VALUES ('mallory', '\(county)', 'county', '\\x00', '\\x00', 1024, '{order}')
            """,
            "UPDATE account SET disabled = true WHERE name = 'bert'",
            "UPDATE account SET rights = '{accounts,order}' WHERE name = 'anna'",
        ] {
            let refused = await #expect(throws: PostgresError.self) {
                _ = try await store.withTenant(county) { tx in try await tx.execute(unsafeSQL: statement) }
            }
            #expect(["42501", "SZ008", "23514"].contains(refused?.sqlState?.rawValue ?? "-"), "\(statement)")
        }
        #expect(await world.status("anna", "account-disable bert").hasPrefix("ERR CONFLICT"))
        // Nothing changed: the same accounts with the same rights, bert still enabled.
        let listed = await world.sessions["kaemmerei"]!.request("accounts format=csv")?.data ?? []
        #expect(listed.contains { $0.hasPrefix("sachbearbeitung,") && $0.hasSuffix(",county,certify,no") })
        #expect(listed.contains { $0.hasPrefix("anna,") && $0.hasSuffix(",county,accounts,no") })
        #expect(listed.contains { $0.hasPrefix("bert,") && $0.hasSuffix(",county,accounts,no") })
        #expect(!listed.contains { $0.hasPrefix("mallory,") })
    }

    /// Rights end at once: a narrowed right is refused at the next command; a rotated token and a disabled
    /// account end the sessions (`NOT_LOGGED_IN`); one's own token rotation ends one's own session too.
    @Test func rightsEndAtOnce() async throws {
        let world = try await World.make()
        defer { world.admin.stop() }
        #expect(await world.status("anordnung", "payment-export").hasPrefix("ERR CONFLICT"))
        #expect(await world.status("anna", "account-rights anordnung none") == "OK rights - set")
        #expect(
            await world.status("anordnung", "payment-export")
                == "ERR FORBIDDEN not allowed: exporting payment orders needs the right order")
        #expect(await world.status("anna", "account-set anordnung county county").hasPrefix("OK token "))
        let ended = "ERR NOT_LOGGED_IN your session ended (token rotated or account disabled); log in again"
        #expect(await world.status("anordnung", "whoami") == ended)
        #expect(await world.status("anna", "account-disable alpha") == "OK account alpha disabled")
        #expect(await world.status("alpha", "orders") == ended)
        let rotated = await world.status("kaemmerei", "token-rotate")
        #expect(rotated.hasPrefix("OK token "))
        #expect(await world.status("kaemmerei", "whoami") == ended)
        let again = try LineClient(path: world.admin.path)
        #expect(
            await again.request("login kaemmerei \(rotated.dropFirst("OK token ".count))")?.status.hasPrefix(
                "OK logged in as kaemmerei") == true)
        #expect(await again.request("token-rotate")?.status.hasPrefix("OK token ") == true)
    }

    /// The audit names the person who acted and what an account change changed.
    @Test func theAuditNamesPeople() async throws {
        let world = try await World.make()
        defer { world.admin.stop() }
        _ = await world.status("anna", "account-rights anordnung none")
        let events = await world.sessions["kaemmerei"]!.request("audit account=anna action=account format=csv")
        #expect(events?.status == "OK 1 events", "\(String(describing: events))")
        let row = events?.data.dropFirst().first ?? ""
        #expect(row.contains(",anna,account.rights,account,anordnung,ok,"), "\(row)")
        #expect(row.hasSuffix(",rights order → -"), "\(row)")
        #expect(!(events?.data.joined().contains("account-admin") ?? true))
    }

    /// Anordnungsbefugnis: anna limits anordnung to 500.00 and to Sozialraum süd. An instalment of 600.00
    /// for nord is refused with the limit named, then (limit raised) with the Sozialräume named; the order
    /// stays pending; approved directly as the runtime role, PostgreSQL refuses it too. For süd and
    /// 400.00 it is ordered.
    @Test func anOrdererOrdersWithinItsLimitAndSozialraeume() async throws {
        let world = try await World.make()
        defer { world.admin.stop() }
        #expect(
            await world.status("anna", "account-limits anordnung limit=500.00 sozialraeume=sued")
                == "OK account anordnung orders up to 500.00 for sued")
        let alpha = world.admin.world.alpha.tenant
        let certified = await world.status("kaemmerei", "instalment \(alpha) nord case 2026-11 600.00 key=limit-nord-1")
        let order = try #require(RetryTests.number(after: "order ", in: certified))
        #expect(
            await world.status("anordnung", "order-approve \(order)")
                == "ERR FORBIDDEN not allowed: ordering 600.00: your limit is 500.00")
        _ = await world.status("anna", "account-limits anordnung limit=1000.00 sozialraeume=sued")
        #expect(
            await world.status("anordnung", "order-approve \(order)")
                == "ERR FORBIDDEN not allowed: ordering for nord: you order for sued")
        let refused = await #expect(throws: PostgresError.self) {
            _ = try await world.admin.world.store.withTenant(world.admin.world.county.tenant) { tx in
                try await tx.execute(
                    unsafeSQL: """
                        UPDATE payment_order SET state = 'approved', decided_by = 'anordnung', decided_at = now(),
                               kassenzeichen = 'LIMIT1', due_on = current_date + 3
                        WHERE id = $1
                        """, [Int64(order)!])
            }
        }
        #expect(refused?.sqlState?.rawValue == "42501")
        #expect(await world.status("kaemmerei", "orders pending").hasPrefix("OK 1 orders"))
        let beta = world.admin.world.beta.tenant
        let sued = await world.status("kaemmerei", "instalment \(beta) sued case 2026-11 400.00 key=limit-sued-1")
        let allowed = try #require(RetryTests.number(after: "order ", in: sued))
        #expect(
            await world.status("anordnung", "order-approve \(allowed)").hasPrefix("OK order \(allowed) ordered: 400.00")
        )
    }
}
