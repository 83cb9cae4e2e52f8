import Foundation
import PostgresClient
import PropertyBased
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

@Suite struct DeliveryImportParsingTests {
    let grant = UUID()

    @Test func aGoodFileParses() throws {
        let rows = try DeliveryImport.parse("grant_id,month,quantity\n\(grant),2026-03,8.5\r\n\(grant),2026-04,10\n")
            .get()
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

    /// The parser reads bytes, not Characters: a grant id is accepted exactly when it is 32 hex digits
    /// (either case) with hyphens after the 8th, 12th, 16th and 20th, and then means what Foundation's
    /// `UUID(uuidString:)` reads. (Foundation is laxer: it takes a space for a leading digit.)
    @Test func grantIDsAreReadStrictlyAndAsFoundationReadsThem() async {
        let inputs = (
            Gen.uint8(in: 0...255).array(of: 16), Gen.int(in: 0...35), Gen.uint8(in: 32...126), Gen.int(in: 0...2)
        )
        await propertyCheck(input: inputs.0, inputs.1, inputs.2, inputs.3) { bytes, position, replacement, variant in
            let id = UUID(
                uuid: (
                    bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                    bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
                ))
            var text = Array((variant == 0 ? id.uuidString.lowercased() : id.uuidString).utf8)
            if variant == 2 { text[position] = replacement }
            let hyphens: Set = [8, 13, 18, 23]
            let wellFormed = text.enumerated().allSatisfy { index, byte in
                hyphens.contains(index)
                    ? byte == UInt8(ascii: "-") : (byte < 128 && Character(Unicode.Scalar(byte)).isHexDigit)
            }
            let field = String(decoding: text, as: UTF8.self)
            switch DeliveryImport.parse("grant_id,month,quantity\n\(field),2026-03,1\n") {
            case .success(let rows): #expect(wellFormed && rows.map(\.grantID) == [UUID(uuidString: field)])
            case .failure: #expect(!wellFormed)
            }
        }
    }

    /// Non-ASCII text is an error of its field, and the line limit counts bytes.
    @Test func nonASCIIFieldsAreReportedWithTheirField() {
        let csv =
            "grant_id,month,quantity\r\n\(grant),2026-0ä,1\r\n\(grant),2026-03,8½\r\n\r\n\(grant),2026-04,\(String(repeating: "ä", count: 100))\n"
        guard case .failure(.rejectedRows(let errors)) = DeliveryImport.parse(csv) else {
            Issue.record("expected rejected rows")
            return
        }
        #expect(errors.map(\.line) == [2, 3, 5])
        #expect(errors.map(\.field) == ["month", "quantity", "line"])
    }

    @Test func aWrongHeaderOrAnEmptyFileIsRefused() {
        #expect(throws: ServiceError.invalid(field: "header", reason: "expected grant_id,month,quantity")) {
            try DeliveryImport.parse("grant,month,hours\n").get()
        }
        #expect(throws: ServiceError.invalid(field: "file", reason: "no deliveries")) {
            try DeliveryImport.parse("grant_id,month,quantity\n").get()
        }
    }
}

@Suite struct DeliveryImportTests {
    /// Rule 11 in the import: a closed month takes a corrected delivery (after the reversal), booked in
    /// the current open month and referring to the original; a first delivery for a closed month is refused.
    /// Bookings are numbered in the order of the file, the parts of a cost split by a move together:
    /// case 1 (600.00 a month) moves from nord to sued on 16 July, so its July is nord 15/31 = 290.32 and
    /// sued 16/31 = 309.68; case 2 delivers 5 hours in June (300.00) and 10 in July (600.00).
    @Test func bookingsFollowTheFileWithTheSplitPartsTogether() async throws {
        let world = try await BudgetWorld.make()
        let moving = try await world.grantedCase("VER-2026-0001")
        let staying = try await world.grantedCase("VER-2026-0002")
        try await world.existingCase("VER-2026-0001").moves(to: world.sued, on: "2026-07-16")
        let outcome = try await world.grants.importDeliveries(
            world.alpha,
            csv: "grant_id,month,quantity\n\(staying),2026-06,5\n\(moving),2026-07,10\n\(staying),2026-07,10\n",
            idempotencyKey: world.key("import-ordered"))
        #expect(outcome.deliveries == 3 && outcome.bookings == 4 && outcome.total == Money(cents: 1_500_00))
        let bookings = try await world.store.withTenant(world.alpha.tenant, readOnly: true) { tx in
            try await tx.query(
                unsafeSQL:
                    "SELECT grant_id, service_month, social_space, amount FROM booking WHERE kind = 'delivery' ORDER BY id"
            ).map {
                "\(try $0.decode(0, as: UUID.self) == moving ? "moving" : "staying") \(try $0.day(1).yearMonth) \(try $0.decode(2, as: String.self)) \(try $0.decode(3, as: Int64.self))"
            }
        }
        #expect(
            bookings == [
                "staying 2026-06 nord 30000", "moving 2026-07 nord 29032", "moving 2026-07 sued 30968",
                "staying 2026-07 nord 60000",
            ])
    }

    @Test func theImportBooksTheCorrectionOfAClosedMonthInTheCurrentMonth() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        let march = YearMonth(iso: "2026-03")!, april = YearMonth(iso: "2026-04")!
        _ = try await world.grants.importDeliveries(
            world.alpha, csv: "grant_id,month,quantity\n\(grant),2026-03,8\n", idempotencyKey: world.key("import-march")
        )
        try await world.service.closeMonth(world.county, month: march)
        try await world.service.closeMonth(world.county, month: april)
        let original = try #require(try await world.deliveryBookings().first)
        _ = try await world.payments.reverse(
            world.alpha, bookingID: original, idempotencyKey: world.key("reverse-march"))
        let before = try await world.snapshot()
        let refused = await #expect(throws: ServiceError.self) {
            try await world.grants.importDeliveries(
                world.alpha, csv: "grant_id,month,quantity\n\(grant),2026-03,6\n\(grant),2026-04,5\n",
                idempotencyKey: world.key("import-both"))
        }
        guard case .rejectedRows(let rows) = refused else {
            Issue.record("expected row errors")
            return
        }
        #expect(rows.map(\.line) == [3] && rows.first?.reason == "period 2026-04 is closed")
        #expect(try await world.snapshot() == before)
        let outcome = try await world.grants.importDeliveries(
            world.alpha, csv: "grant_id,month,quantity\n\(grant),2026-03,6\n", idempotencyKey: world.key("import-fix"))
        #expect(outcome.deliveries == 1 && outcome.total == Money(cents: 360_00))
        let corrected = try await world.store.withTenant(world.alpha.tenant, readOnly: true) { tx in
            try await LedgerStore.booking(tx, id: try #require(try await world.deliveryBookings().last))
        }
        #expect(
            corrected?.bookedMonth == YearMonth(iso: "2026-11")! && corrected?.serviceMonth == march
                && corrected?.corrects == original)
        #expect(try await world.funds(world.nord).line(.case).funds.actuals == Money(cents: 360_00))
        #expect(try await world.funds(world.nord).line(.case).funds.commitments == Money(cents: 11 * 600_00))
    }

    @Test func aMonthsDeliveriesAreImportedBookedAndReleaseTheirCommitments() async throws {
        let world = try await BudgetWorld.make()
        let first = try await world.grantedCase("VER-2026-0001")
        let second = try await world.grantedCase("VER-2026-0002")
        let csv = "grant_id,month,quantity\n\(first),2026-03,8\n\(second),2026-03,12\n\(first),2026-04,10\n"
        let outcome = try await world.grants.importDeliveries(
            world.alpha, csv: csv, idempotencyKey: world.key("import-2026-03"))
        #expect(outcome.deliveries == 3)
        #expect(outcome.findings == 1)
        #expect(outcome.total == Money(cents: 480_00 + 600_00 + 600_00))
        let funds = try await world.funds(world.nord)
        #expect(funds.line(.case).funds.actuals == outcome.total)
        #expect(funds.line(.case).funds.commitments == Money(cents: (24 - 3) * 600_00))

        // The same file again under the same key: the first result, nothing new.
        let before = try await world.snapshot()
        #expect(
            try await world.grants.importDeliveries(world.alpha, csv: csv, idempotencyKey: world.key("import-2026-03"))
                == outcome)
        #expect(try await world.snapshot() == before)
    }

    @Test func oneBadLineRejectsTheWholeFileAndWritesNothing() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        try await world.service.closeMonth(world.county, month: YearMonth(iso: "2026-02")!)
        _ = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: YearMonth(iso: "2026-05")!, quantity: Quantity(hundredths: 1_00),
            idempotencyKey: world.key("single-may"))
        let foreign = try await world.grants.grant(
            world.county,
            .init(
                caseKey: "VER-2026-0001", provider: world.beta.tenant, helpType: "31", unit: .hour,
                volumePerMonth: Quantity(hundredths: 1_00),
                startsOn: Day(iso: "2026-01-01")!, endsOn: Day(iso: "2026-12-31")!, outOfAreaReason: "Sprachkenntnisse"),
            idempotencyKey: world.key("grant-beta-0001")
        ).grantID
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
            try await world.grants.importDeliveries(world.alpha, csv: csv, idempotencyKey: world.key("import-bad"))
        }
        guard case .rejectedRows(let rows) = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(rows.map(\.line) == [3, 4, 5, 6, 7])
        #expect(
            rows.map(\.reason) == [
                "period 2026-02 is closed", "outside the grant period",
                "a delivery for this grant and month exists (reverse it to correct it)", "unknown grant",
                "unknown grant",
            ])
        #expect(try await world.snapshot() == before)
    }

    @Test func onlyProvidersImportTheirDeliveries() async throws {
        let world = try await BudgetWorld.make()
        await #expect(throws: ServiceError.forbidden("importing deliveries")) {
            try await world.grants.importDeliveries(
                world.county, csv: "grant_id,month,quantity\n", idempotencyKey: world.key("import-county"))
        }
    }
}
