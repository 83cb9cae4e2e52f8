import Foundation
import SozialraumDomain
import SozialraumServices
import SozialraumTestSupport
import Testing

@testable import SozialraumInterfaces

/// The reasons a delivery import gives for a bad row, in German (issue 32, item 1): every reason the file's
/// checks and the database's give has its German wording, for the socket's rejected rows and the portal.
@Suite struct RowReasonsTests {
    static func reasons(_ error: ServiceError?) -> [String] {
        guard case .rejectedRows(let rows) = error else { return [] }
        return rows.map(\.reason)
    }

    /// One line for each check of the file itself: too long, fields, grant id, month, each kind of bad quantity,
    /// a second line for the same grant and month.
    @Test func theFilesChecksAreWordedInGerman() {
        let grant = "0a5c1e52-2f4e-4bd3-9c7e-3d2b1f0e9a11"
        let csv = [
            "grant_id,month,quantity", String(repeating: "x", count: 250), "\(grant),2026-03", "kein-grant,2026-03,1",
            "\(grant),März,1", "\(grant),2026-04,zehn", "\(grant),2026-05,-1", "\(grant),2026-06,1.234",
            "\(grant),2026-07,745", "\(grant),2026-08,1", "\(grant),2026-08,2",
        ].joined(separator: "\n")
        guard case .failure(let error) = DeliveryImport.parse(csv) else {
            Issue.record("the file was accepted")
            return
        }
        let reasons = Self.reasons(error)
        #expect(reasons.count == 9, "\(reasons)")
        for reason in reasons { #expect(RowReasons.german(reason) != reason, "not in German: \(reason)") }
        #expect(RowReasons.german("expected 3 fields, found 2") == "3 Felder erwartet, 2 gefunden")
    }

    /// The database's checks: an unknown grant, a month of no fiscal year, a month with a delivery already.
    @Test func theDatabasesChecksAreWordedInGerman() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        _ = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: YearMonth(iso: "2026-03")!, quantity: Quantity(hundredths: 10_00),
            idempotencyKey: world.key("delivery-march"))
        let id = grant.uuidString.lowercased()
        let csv =
            "grant_id,month,quantity\n\(UUID().uuidString.lowercased()),2026-04,1\n\(id),2027-01,1\n\(id),2026-03,1\n"
        let error = await #expect(throws: ServiceError.self) {
            try await world.grants.importDeliveries(world.alpha, csv: csv, idempotencyKey: world.key("import-bad-1"))
        }
        let reasons = Self.reasons(error)
        #expect(reasons.count == 3, "\(reasons)")
        for reason in reasons { #expect(RowReasons.german(reason) != reason, "not in German: \(reason)") }
    }
}
