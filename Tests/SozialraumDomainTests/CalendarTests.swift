import PropertyBased
import SozialraumDomain
import Testing

@Suite struct CalendarTests {
    @Test func knownDaysHaveKnownOrdinals() {
        #expect(Day(year: 1970, month: 1, day: 1)?.ordinal == 0)
        #expect(Day(year: 2000, month: 3, day: 1)?.ordinal == 11017)
        #expect(Day(year: 2026, month: 11, day: 25)?.description == "2026-11-25")
    }

    @Test func everyDayRoundTripsThroughItsOrdinal() async {
        await propertyCheck(input: Gen.int(in: -25_567...83_000)) { ordinal in
            let day = Day(ordinal: Int32(ordinal))
            let parts = day.components
            #expect(Day(year: parts.year, month: parts.month, day: parts.day) == day)
            #expect(Day(iso: day.description) == day)
            #expect(day.adding(days: 1).ordinal == day.ordinal + 1)
        }
    }

    @Test(arguments: [
        "2026-02-29", "2026-13-01", "2026-00-10", "2026-1-01", "26-01-01", "2026/01/01", "2026-01-32", "", "２026-01-01",
        "2026-01-01T00:00",
    ])
    func impossibleOrMalformedDatesAreRefused(_ text: String) {
        #expect(Day(iso: text) == nil)
    }

    @Test func leapYearsFollowTheGregorianRule() {
        #expect(Day(iso: "2024-02-29") != nil)
        #expect(Day(iso: "2000-02-29") != nil)
        #expect(Day(iso: "2100-02-29") == nil)
        #expect(YearMonth(year: 2028, month: 2)?.dayCount == 29)
    }

    @Test func monthsStepAcrossYearEnds() {
        let december = YearMonth(iso: "2026-12")!
        #expect(december.next.description == "2027-01")
        #expect(december.next.previous == december)
        #expect(YearMonth.months(of: 2026).count == 12)
        #expect(
            YearMonth(iso: "2026-11")!.through(YearMonth(iso: "2027-02")!).map(\.description) == [
                "2026-11", "2026-12", "2027-01", "2027-02",
            ])
        #expect(YearMonth(iso: "2026-13") == nil)
    }

    @Test func rangesClipToMonths() {
        let range = DayRange(start: Day(iso: "2026-03-15")!, end: Day(iso: "2026-05-10"))!
        #expect(
            range.clipped(to: YearMonth(iso: "2026-03")!).map { "\($0.first)..\($0.last)" } == "2026-03-15..2026-03-31")
        #expect(
            range.clipped(to: YearMonth(iso: "2026-04")!).map { "\($0.first)..\($0.last)" } == "2026-04-01..2026-04-30")
        #expect(range.clipped(to: YearMonth(iso: "2026-06")!) == nil)
        #expect(DayRange(start: Day(iso: "2026-03-15")!, end: Day(iso: "2026-03-14")) == nil)
    }
}
