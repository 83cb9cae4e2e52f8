import Foundation
import PostgresClient
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

@Suite struct DeliveryImportParsingTests {
    let grant = UUID()

    @Test func aGoodFileParses() throws {
        let rows = try DeliveryImport.parse("grant_id,month,quantity\n\(grant),2026-03,8.5\r\n\(grant),2026-04,10\n").get()
        #expect(rows.map(\.quantity.hundredths) == [8_50, 10_00])
        #expect(rows.map(\.line) == [2, 3])
    }

    @Test func aGermanSpreadsheetParsesWithDecimalCommas() throws {
        let rows = try DeliveryImport.parse("\u{FEFF}grant_id;month;quantity\n\(grant);2026-03;8,5\n").get()
        #expect(rows.first?.quantity == Quantity(hundredths: 8_50))
    }

    @Test func everyBadLineIsReportedWithFieldAndReason() {
        let csv = """
            grant_id,month,quantity
            \(grant),2026-03,8
            not-a-uuid,2026-03,1
            \(grant),2026-13,1
            \(grant),2026-05,-1
            \(grant),2026-06,1.234
            \(grant),2026-07
            \(grant),2026-03,2
            \(grant),2026-08,\(String(repeating: "9", count: 300))
            """
        guard case .failure(.rejectedRows(let errors)) = DeliveryImport.parse(csv) else {
            Issue.record("expected rejected rows")
            return
        }
        #expect(errors.map(\.line) == [3, 4, 5, 6, 7, 8, 9])
        #expect(errors.map(\.field) == ["grant_id", "month", "quantity", "quantity", "line", "month", "line"])
        #expect(errors[5].reason.contains("first on line 2"))
    }

    @Test func aWrongHeaderOrAnEmptyFileIsRefused() {
        #expect(throws: ServiceError.invalid(field: "header", reason: "expected grant_id,month,quantity")) {
            try DeliveryImport.parse("grant,month,hours\n").get()
        }
        #expect(throws: ServiceError.invalid(field: "file", reason: "no deliveries")) { try DeliveryImport.parse("grant_id,month,quantity\n").get() }
    }
}

@Suite struct DeliveryImportTests {
    /// Rule 11 in the import: a closed month takes a corrected delivery (after the reversal), booked in
    /// the current open month and referring to the original; a first delivery for a closed month is refused.
    @Test func theImportBooksTheCorrectionOfAClosedMonthInTheCurrentMonth() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        let march = YearMonth(iso: "2026-03")!, april = YearMonth(iso: "2026-04")!
        _ = try await world.service.importDeliveries(
            world.alpha, csv: "grant_id,month,quantity\n\(grant),2026-03,8\n", idempotencyKey: world.key("import-march"))
        try await world.service.closeMonth(world.county, month: march)
        try await world.service.closeMonth(world.county, month: april)
        let original = try #require(try await world.deliveryBookings().first)
        _ = try await world.service.reverse(world.alpha, bookingID: original, idempotencyKey: world.key("reverse-march"))
        let before = try await world.snapshot()
        let refused = await #expect(throws: ServiceError.self) {
            try await world.service.importDeliveries(
                world.alpha, csv: "grant_id,month,quantity\n\(grant),2026-03,6\n\(grant),2026-04,5\n", idempotencyKey: world.key("import-both"))
        }
        guard case .rejectedRows(let rows) = refused else { Issue.record("expected row errors"); return }
        #expect(rows.map(\.line) == [3] && rows.first?.reason == "period 2026-04 is closed")
        #expect(try await world.snapshot() == before)
        let outcome = try await world.service.importDeliveries(
            world.alpha, csv: "grant_id,month,quantity\n\(grant),2026-03,6\n", idempotencyKey: world.key("import-fix"))
        #expect(outcome.deliveries == 1 && outcome.total == Money(cents: 360_00))
        let corrected = try await world.store.withTenant(world.alpha.tenant, readOnly: true) { tx in
            try await BudgetSQL.booking(tx, id: try #require(try await world.deliveryBookings().last))
        }
        #expect(corrected?.bookedMonth == YearMonth(iso: "2026-11")! && corrected?.serviceMonth == march && corrected?.corrects == original)
        #expect(try await world.funds(world.nord).line(.case).funds.actuals == Money(cents: 360_00))
        #expect(try await world.funds(world.nord).line(.case).funds.commitments == Money(cents: 11 * 600_00))
    }

    @Test func aMonthsDeliveriesAreImportedBookedAndReleaseTheirCommitments() async throws {
        let world = try await BudgetWorld.make()
        let first = try await world.grantedCase("VER-2026-0001")
        let second = try await world.grantedCase("VER-2026-0002")
        let csv = "grant_id,month,quantity\n\(first),2026-03,8\n\(second),2026-03,12\n\(first),2026-04,10\n"
        let outcome = try await world.service.importDeliveries(world.alpha, csv: csv, idempotencyKey: world.key("import-2026-03"))
        #expect(outcome.deliveries == 3)
        #expect(outcome.findings == 1)
        #expect(outcome.total == Money(cents: 480_00 + 600_00 + 600_00))
        let funds = try await world.funds(world.nord)
        #expect(funds.line(.case).funds.actuals == outcome.total)
        #expect(funds.line(.case).funds.commitments == Money(cents: (24 - 3) * 600_00))

        // The same file again under the same key: the first result, nothing new.
        let before = try await world.snapshot()
        #expect(try await world.service.importDeliveries(world.alpha, csv: csv, idempotencyKey: world.key("import-2026-03")) == outcome)
        #expect(try await world.snapshot() == before)
    }

    @Test func oneBadLineRejectsTheWholeFileAndWritesNothing() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        try await world.service.closeMonth(world.county, month: YearMonth(iso: "2026-02")!)
        _ = try await world.service.recordDelivery(
            world.alpha, grantID: grant, month: YearMonth(iso: "2026-05")!, quantity: Quantity(hundredths: 1_00), idempotencyKey: world.key("single-may"))
        let foreign = try await world.service.grant(
            world.county,
            .init(caseKey: "VER-2026-0001", provider: world.beta.tenant, helpType: "31", unit: .hour, volumePerMonth: Quantity(hundredths: 1_00),
                  startsOn: Day(iso: "2026-01-01")!, endsOn: Day(iso: "2026-12-31")!, outOfAreaReason: "Sprachkenntnisse"),
            idempotencyKey: world.key("grant-beta-0001")).grantID
        let before = try await world.snapshot()
        let csv = """
            grant_id,month,quantity
            \(grant),2026-03,8
            \(grant),2026-02,8
            \(grant),2027-01,8
            \(grant),2026-05,8
            \(foreign),2026-03,1
            \(UUID()),2026-03,1
            """
        let error = await #expect(throws: ServiceError.self) {
            try await world.service.importDeliveries(world.alpha, csv: csv, idempotencyKey: world.key("import-bad"))
        }
        guard case .rejectedRows(let rows) = error else { Issue.record("unexpected \(String(describing: error))"); return }
        #expect(rows.map(\.line) == [3, 4, 5, 6, 7])
        #expect(rows.map(\.reason) == [
            "period 2026-02 is closed", "outside the grant period", "a delivery for this grant and month exists (reverse it to correct it)", "unknown grant", "unknown grant",
        ])
        #expect(try await world.snapshot() == before)
    }

    @Test func onlyProvidersImportTheirDeliveries() async throws {
        let world = try await BudgetWorld.make()
        await #expect(throws: ServiceError.forbidden("importing deliveries")) {
            try await world.service.importDeliveries(world.county, csv: "grant_id,month,quantity\n", idempotencyKey: world.key("import-county"))
        }
    }
}
