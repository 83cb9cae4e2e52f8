import PropertyBased
import SozialraumDomain
import Testing

@Suite struct GrantTests {
    func day(_ text: String) -> Day { Day(iso: text)! }
    func month(_ text: String) -> YearMonth { YearMonth(iso: text)! }
    let hourly = [Rate(validFrom: Day(iso: "2025-01-01")!, amount: Money(cents: 60_00))]

    func terms(_ start: String, _ end: String?, hours: Int64 = 10_00, endedOn: String? = nil) -> GrantTerms {
        GrantTerms(
            period: DayRange(start: day(start), end: end.map(day))!, volumePerMonth: Quantity(hundredths: hours),
            unit: .hour, rates: hourly, endedOn: endedOn.map(day))
    }

    @Test func commitmentsRunFromStartToEndCappedAtTheYearsEnd() throws {
        let grant = terms("2026-10-01", "2027-03-31")
        let commitments = try grant.commitments(year: 2026, deliveredMonths: [])
        #expect(commitments.keys.sorted() == [month("2026-10"), month("2026-11"), month("2026-12")])
        #expect(commitments.values.reduce(0) { $0 + $1.cents } == 3 * 600_00)
        #expect(try grant.commitments(year: 2027, deliveredMonths: []).count == 3)
    }

    @Test func aBookedDeliveryReleasesItsMonthsCommitment() throws {
        let grant = terms("2026-01-01", "2026-12-31")
        let commitments = try grant.commitments(year: 2026, deliveredMonths: [month("2026-01"), month("2026-02")])
        #expect(commitments.count == 10)
        #expect(commitments[month("2026-01")] == nil)
    }

    @Test func anEarlyEndReleasesTheRest() throws {
        let grant = terms("2026-01-01", "2026-12-31", endedOn: "2026-06-15")
        let commitments = try grant.commitments(year: 2026, deliveredMonths: [])
        #expect(commitments.keys.max() == month("2026-06"))
        // Half of June: 15 of 30 days → 5 hours → 300.00.
        #expect(commitments[month("2026-06")] == Money(cents: 300_00))
    }

    @Test func aPartFirstMonthIsProRata() {
        let grant = terms("2026-03-17", nil, hours: 31_00)
        #expect(grant.grantedVolume(in: month("2026-03")) == Quantity(hundredths: 15_00))
        #expect(grant.grantedVolume(in: month("2026-02")) == nil)
    }

    @Test func deliveriesAboveTheGrantAreHeldBackAsExcess() throws {
        let grant = terms("2026-01-01", "2026-12-31")
        let within = try DeliveryCheck.check(
            delivered: Quantity(hundredths: 9_50), month: month("2026-04"), terms: grant)
        #expect(within.payable == Quantity(hundredths: 9_50) && within.excess == .zero)
        let above = try DeliveryCheck.check(
            delivered: Quantity(hundredths: 12_00), month: month("2026-04"), terms: grant)
        #expect(above.payable == Quantity(hundredths: 10_00) && above.excess == Quantity(hundredths: 2_00))
        #expect(throws: DeliveryCheck.Refusal.outsideGrantPeriod) {
            try DeliveryCheck.check(delivered: Quantity(hundredths: 1_00), month: month("2027-01"), terms: grant)
        }
    }

    @Test func payableAndExcessAlwaysSumToTheDelivery() async {
        await propertyCheck(input: Gen.int(in: 0...74_400), Gen.int(in: 0...74_400)) { delivered, granted in
            let grant = terms("2026-01-01", nil, hours: Int64(granted))
            let outcome = try? DeliveryCheck.check(
                delivered: Quantity(hundredths: Int64(delivered)), month: month("2026-05"), terms: grant)
            #expect(outcome.map { $0.payable + $0.excess } == Quantity(hundredths: Int64(delivered)))
            #expect(outcome.map { $0.payable.hundredths <= granted } == true)
        }
    }

    @Test func fromAMoveOnTheNewSozialraumPays() {
        let achim = SocialSpaceCode("achim")!
        let verden = SocialSpaceCode("verden")!
        let history = ResidenceHistory([
            .init(from: day("2026-05-20"), socialSpace: verden), .init(from: day("2024-01-01"), socialSpace: achim),
        ])
        #expect(history.socialSpace(on: day("2026-05-19")) == achim)
        #expect(history.socialSpace(on: day("2026-05-20")) == verden)
        #expect(history.socialSpace(on: day("2023-12-31")) == nil)
        let parts = history.split(first: day("2026-05-01"), last: day("2026-05-31"))
        #expect(
            parts.map { "\($0.socialSpace!):\($0.first)..\($0.last)" } == [
                "achim:2026-05-01..2026-05-19", "verden:2026-05-20..2026-05-31",
            ])
    }

    @Test(arguments: ["VER-2026-0001", "A1B2", "K-77-X"])
    func pseudonymousCaseKeysAreAccepted(_ key: String) { #expect(CaseKey(key) != nil) }

    @Test(arguments: [
        "Max Mustermann", "MUELLER", "abc-123", "X1", "VER 2026", String(repeating: "A1", count: 17), "ÄRGER-1",
    ])
    func keysThatCouldCarryPersonalDataAreRefused(_ key: String) { #expect(CaseKey(key) == nil) }
}

@Suite struct LedgerRuleTests {
    let closed: Set<YearMonth> = [YearMonth(iso: "2026-09")!, YearMonth(iso: "2026-10")!]
    let today = YearMonth(iso: "2026-11")!

    @Test func anOpenMonthTakesItsBookings() throws {
        #expect(
            try BookingPeriod.target(serviceMonth: today, isCorrection: false, closedMonths: closed, today: today)
                == today)
        // An open past month (not yet closed) still takes bookings.
        let august = YearMonth(iso: "2026-08")!
        #expect(
            try BookingPeriod.target(serviceMonth: august, isCorrection: false, closedMonths: closed, today: today)
                == august)
    }

    @Test func nothingIsBookedIntoAClosedMonth() {
        #expect(throws: BookingPeriod.Refusal.closed(YearMonth(iso: "2026-09")!)) {
            try BookingPeriod.target(
                serviceMonth: YearMonth(iso: "2026-09")!, isCorrection: false, closedMonths: closed, today: today)
        }
    }

    @Test func aLateCorrectionGoesIntoTheCurrentOpenMonth() throws {
        #expect(
            try BookingPeriod.target(
                serviceMonth: YearMonth(iso: "2026-09")!, isCorrection: true, closedMonths: closed, today: today)
                == today)
        let alsoNovemberClosed = closed.union([today])
        #expect(
            try BookingPeriod.target(
                serviceMonth: YearMonth(iso: "2026-09")!, isCorrection: true, closedMonths: alsoNovemberClosed,
                today: today)
                == YearMonth(iso: "2026-12")!)
    }

    @Test func idempotencyKeysAreBounded() {
        #expect(IdempotencyKey("import-2026-11-provider-a") != nil)
        #expect(IdempotencyKey("short") == nil)
        #expect(IdempotencyKey(String(repeating: "k", count: 65)) == nil)
        #expect(IdempotencyKey("with space 123") == nil)
    }
}
