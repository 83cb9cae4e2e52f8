import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumInterfaces
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 15 over the admin socket: valid long input is never `INTERNAL`, findings show volumes in their
/// unit, cross-area grants show their Sozialraum and are reported with their reasons.
@Suite struct PaymentReportsSocketTests {
    @Test func longValidInputIsAnsweredAndTooLongInputNamesTheLimit() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let it = try await admin.client()
        #expect(await it.request("login it operator-secret-1")?.status.hasPrefix("OK logged in") == true)
        // A 64-character idempotency key is valid: the job's request key (tenant id + key) fits its column.
        let key = String(repeating: "k", count: 64)
        #expect(await it.request("run-now nightly-month-to-date key=\(key)")?.status.hasPrefix("OK job ") == true)
        let parameters = String(repeating: "p", count: 201)
        #expect(
            await it.request("schedule-set long \"@daily\" reconcile parameters=\(parameters)")?.status
                == "ERR INVALID parameters: at most 200 characters")

        _ = try await admin.alphaDeliveredInMarch()
        let county = try await admin.client(loggedInAs: "kaemmerei")
        let finding = try await admin.world.store.withTenant(admin.world.county.tenant, readOnly: true) { tx in
            try await tx.query(unsafeSQL: "SELECT id FROM finding").single().decode(0, as: UUID.self)
        }
        let before = try await admin.world.snapshot()
        // 500 characters to Swift, but 1,000 code points to PostgreSQL (e + combining accent): too long.
        let accented = String(repeating: "e\u{301}", count: 500)
        let tooLong = await county.request(
            "resolve-finding \(finding.uuidString.lowercased()) accept reason=\(accented)")
        #expect(tooLong?.status == "ERR INVALID invalid reason: 1 to 500 characters", "\(String(describing: tooLong))")
        #expect(try await admin.world.snapshot() == before)
        // 250 of them are 500 code points: accepted.
        let fits = String(repeating: "e\u{301}", count: 250)
        #expect(
            await county.request("resolve-finding \(finding.uuidString.lowercased()) accept reason=\(fits)")?.status
                .hasPrefix("OK order 1 certified: 120.00, waits for a second signature") == true)
    }

    @Test func findingsShowTheHeldBackVolumeInItsUnit() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let grant = try await admin.world.grantedCase()
        let alpha = try await admin.client(loggedInAs: "alpha")
        // 12.5 h against 10 h granted: 2.50 h held back, 2.5 × 60.00 = 150.00.
        #expect(
            await alpha.request("deliver \(grant) 2026-03 12.5 key=deliver-0001")?.status.hasSuffix(
                "held back 2.50 (finding)") == true)
        let findings = await alpha.request("findings format=csv")
        #expect(findings?.data.first == "finding,kind,month,grant,quantity,amount,status,provider,resolution,line")
        #expect(
            findings?.data.dropFirst().first?.contains(
                ",delivery_over_grant,2026-03,\(grant.uuidString.lowercased()),2.50,150.00,open,") == true,
            "\(String(describing: findings))")
        // Reversed, the finding is superseded, and says why.
        let booking = try await admin.world.deliveryBookings()[0]
        #expect(await alpha.request("reverse \(booking) key=reverse-0001")?.status.hasPrefix("OK reversal") == true)
        let all = await alpha.request("findings all format=csv")
        #expect(
            all?.data.dropFirst().first?.contains(
                ",superseded,Träger Alpha,superseded: the delivery was reversed (booking ") == true,
            "\(String(describing: all))")
    }

    @Test func aCrossAreaGrantShowsItsSozialraumAndIsReportedWithItsReason() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let world = admin.world
        // A case of süd served by alpha (who serves nord) because the family knows it: rule 9.
        let grant = try await world.openCase("VER-2026-0077", in: world.sued).granted(
            perMonth: "2", from: "2026-02-01", to: "2026-06-30", reason: "Familie kennt Alpha seit Jahren",
            key: "grant-cross-0077"
        ).id.uuidString.lowercased()
        _ = try await world.grantedCase()
        let county = try await admin.client(loggedInAs: "kaemmerei")
        #expect(await county.request("reconcile 2026-03")?.status.hasPrefix("OK run 1 ") == true)
        let items = await county.request("statement 1 items format=csv")
        // provider, item, id, case, help_type, unit, sozialraum, …
        #expect(
            items?.data.contains { $0.hasPrefix("Träger Alpha,grant,\(grant),VER-2026-0077,31,hour,sued,") } == true,
            "\(String(describing: items))")
        #expect(items?.data.contains { $0.contains(",VER-2026-0001,31,hour,nord,") } == true)
        let report = await county.request("cross-area 2026 format=csv")
        #expect(report?.status == "OK 1 cross-area grants")
        #expect(
            report?.data == [
                "sozialraum,provider,grant,case,help_type,from,to,reason",
                "sued,Träger Alpha,\(grant),VER-2026-0077,31,2026-02-01,2026-06-30,Familie kennt Alpha seit Jahren",
            ])
        #expect(await county.request("cross-area 2026 nord")?.status == "OK 0 cross-area grants")
        #expect(await county.request("cross-area 2025")?.status == "OK 0 cross-area grants")
    }
}
