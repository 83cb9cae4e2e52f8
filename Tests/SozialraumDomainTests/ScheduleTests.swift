import PropertyBased
import Testing

@testable import SozialraumDomain

@Suite struct ScheduleTests {
    func at(_ text: String) -> Instant { Instant(iso: text)! }
    func cron(_ text: String) -> CronSchedule { try! CronSchedule(parsing: text) }
    let berlin = ZoneRules.europeBerlin

    @Test func instantsPrintAndParse() {
        #expect(at("2026-03-29T01:00:00Z").description == "2026-03-29T01:00:00Z")
        #expect(at("1970-01-01T00:00Z").seconds == 0)
        #expect(
            Instant(iso: "2026-13-01T00:00Z") == nil && Instant(iso: "2026-03-29 01:00Z") == nil
                && Instant(iso: "2026-03-29T24:00Z") == nil)
    }

    @Test func berlinOffsetsFollowTheEURule() {
        // Summer time 2026: 29 March 01:00 UTC to 25 October 01:00 UTC.
        #expect(berlin.offset(at: at("2026-03-29T00:59:59Z")) == 3600)
        #expect(berlin.offset(at: at("2026-03-29T01:00:00Z")) == 7200)
        #expect(berlin.offset(at: at("2026-10-25T00:59:59Z")) == 7200)
        #expect(berlin.offset(at: at("2026-10-25T01:00:00Z")) == 3600)
        #expect(berlin.offset(at: at("2027-03-28T01:00:00Z")) == 7200)
        #expect(berlin.local(at("2026-07-01T10:15:00Z")).description == "2026-07-01 12:15")
        #expect(ZoneRules.utc.offset(at: at("2026-07-01T00:00:00Z")) == 0)
        #expect(ZoneRules(identifier: "Europe/Berlin") == berlin && ZoneRules(identifier: "Mars/Olympus") == nil)
    }

    /// 2026-03-29: clocks go from 02:00 to 03:00. A 02:30 job runs once, at 03:00 CEST (01:00 UTC).
    @Test func springForwardRunsTheSkippedTimeOnceAtTheEndOfTheGap() {
        let job = cron("30 2 * * *")
        let fires = job.fires(after: at("2026-03-27T12:00:00Z"), through: at("2026-03-31T12:00:00Z"), in: berlin)
        #expect(
            fires.map(\.description) == [
                "2026-03-28T01:30:00Z",  // 02:30 CET
                "2026-03-29T01:00:00Z",  // 03:00 CEST: the end of the gap
                "2026-03-30T00:30:00Z",  // 02:30 CEST
                "2026-03-31T00:30:00Z",
            ])
        // Every quarter of an hour: the gap's four times collapse into one firing at 03:00.
        let quarterly = cron("*/15 * * * *").fires(
            after: at("2026-03-29T00:40:00Z"), through: at("2026-03-29T01:20:00Z"), in: berlin)
        #expect(
            quarterly.map(\.description) == ["2026-03-29T00:45:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z"])
    }

    /// 2026-10-25: clocks go from 03:00 back to 02:00. A 02:30 job runs once (the first 02:30, CEST).
    @Test func fallBackRunsTheRepeatedTimeOnce() {
        let fires = cron("30 2 * * *").fires(
            after: at("2026-10-23T12:00:00Z"), through: at("2026-10-27T12:00:00Z"), in: berlin)
        #expect(
            fires.map(\.description) == [
                "2026-10-24T00:30:00Z",  // 02:30 CEST
                "2026-10-25T00:30:00Z",  // the first 02:30 (CEST); not again at 01:30 UTC
                "2026-10-26T01:30:00Z",  // 02:30 CET
                "2026-10-27T01:30:00Z",
            ])
        // Asked from inside the repeated hour (02:40 CET, 01:40 UTC), the next firing is the next day.
        #expect(
            cron("30 2 * * *").nextFire(after: at("2026-10-25T01:10:00Z"), in: berlin) == at("2026-10-26T01:30:00Z"))
    }

    @Test func theCountysSchedulesFireWhenExpected() {
        // Month to date nightly at 02:30; the previous month on the 1st at 06:00; last day of month 23:00.
        #expect(
            cron("30 2 * * *").nextFire(after: at("2026-11-25T10:00:00Z"), in: berlin) == at("2026-11-26T01:30:00Z"))
        #expect(cron("0 6 1 * *").nextFire(after: at("2026-11-25T10:00:00Z"), in: berlin) == at("2026-12-01T05:00:00Z"))
        #expect(
            cron("0 23 L * *").nextFire(after: at("2026-02-01T00:00:00Z"), in: berlin) == at("2026-02-28T22:00:00Z"))
        #expect(
            cron("0 23 L * *").nextFire(after: at("2028-02-01T00:00:00Z"), in: berlin) == at("2028-02-29T22:00:00Z"))
        #expect(cron("@monthly").nextFire(after: at("2026-12-15T00:00:00Z"), in: berlin) == at("2026-12-31T23:00:00Z"))
        #expect(cron("@daily").nextFire(after: at("2026-06-30T21:59:00Z"), in: berlin) == at("2026-06-30T22:00:00Z"))
        // Year-end preview in December, weekdays at 07:00.
        let december = cron("0 7 * dec mon-fri").fires(
            after: at("2026-11-30T12:00:00Z"), through: at("2026-12-08T12:00:00Z"), in: berlin)
        #expect(
            december.map(\.description) == [
                "2026-12-01T06:00:00Z", "2026-12-02T06:00:00Z", "2026-12-03T06:00:00Z", "2026-12-04T06:00:00Z",
                "2026-12-07T06:00:00Z", "2026-12-08T06:00:00Z",
            ])
        // Both day fields restricted: either matches (Vixie cron).
        let either = cron("0 12 13 * fri").fires(
            after: at("2026-11-01T00:00:00Z"), through: at("2026-11-30T00:00:00Z"), in: .utc)
        #expect(
            either.map(\.description) == [
                "2026-11-06T12:00:00Z", "2026-11-13T12:00:00Z", "2026-11-20T12:00:00Z", "2026-11-27T12:00:00Z",
            ])
        #expect(
            cron("0 0 * * 7") == cron("0 0 * * sun")
                || cron("0 0 * * 7").nextFire(after: at("2026-11-25T00:00:00Z"), in: .utc) == at("2026-11-29T00:00:00Z")
        )
    }

    @Test func badExpressionsAreRefusedWithTheField() {
        let bad: [(String, CronSchedule.ParseError)] = [
            ("* * * *", .fieldCount(4)), ("60 * * * *", .invalid(field: "minute", text: "60")),
            ("* 24 * * *", .invalid(field: "hour", text: "24")),
            ("* * 0 * *", .invalid(field: "day-of-month", text: "0")),
            ("* * * 13 *", .invalid(field: "month", text: "13")),
            ("* * * * 8", .invalid(field: "day-of-week", text: "8")),
            ("*/0 * * * *", .invalid(field: "minute", text: "*/0")),
            ("5-1 * * * *", .invalid(field: "minute", text: "5-1")),
            ("0 0 30 feb *", .invalid(field: "day-of-month", text: "30")),
            ("@fortnightly", .fieldCount(1)), ("1,,2 * * * *", .invalid(field: "minute", text: "1,,2")),
            ("a * * * *", .invalid(field: "minute", text: "a")),
        ]
        for (text, error) in bad {
            #expect(throws: error, "\(text)") { try CronSchedule(parsing: text) }
        }
    }

    /// Issue 21: `LW` is the month's last working day, `nW` the working day nearest to day n within its
    /// month (Quartz). Weekdays checked by hand against a calendar: 2026-11-30 is a Monday, 2027-01-31 a
    /// Sunday, 2026-02-28 a Saturday, 2026-08-01 a Saturday, 2026-11-01 a Sunday, 2026-12-01 a Tuesday,
    /// 2026-11-15 a Sunday, 2026-08-15 a Saturday, 2026-05-31 a Sunday.
    @Test func lastAndNearestWorkingDays() {
        let lastWorking = cron("0 6 LW * *")
        #expect(lastWorking.nextFire(after: at("2026-11-01T00:00:00Z"), in: .utc) == at("2026-11-30T06:00:00Z"))
        // January 2027 ends on a Sunday: Friday the 29th.
        #expect(lastWorking.nextFire(after: at("2027-01-01T00:00:00Z"), in: .utc) == at("2027-01-29T06:00:00Z"))
        // February 2026 ends on a Saturday: Friday the 27th.
        #expect(lastWorking.nextFire(after: at("2026-02-01T00:00:00Z"), in: .utc) == at("2026-02-27T06:00:00Z"))
        let firstWorking = cron("0 6 1W * *")
        // 1 August 2026 is a Saturday: not back into July, but on to Monday the 3rd.
        #expect(firstWorking.nextFire(after: at("2026-07-31T12:00:00Z"), in: .utc) == at("2026-08-03T06:00:00Z"))
        // 1 November 2026 is a Sunday: Monday the 2nd; 1 December a Tuesday: the 1st.
        #expect(firstWorking.nextFire(after: at("2026-10-31T12:00:00Z"), in: .utc) == at("2026-11-02T06:00:00Z"))
        #expect(firstWorking.nextFire(after: at("2026-11-30T12:00:00Z"), in: .utc) == at("2026-12-01T06:00:00Z"))
        let mid = cron("0 6 15W * *")
        // 15 November 2026, a Sunday: Monday the 16th; 15 August 2026, a Saturday: Friday the 14th.
        #expect(mid.nextFire(after: at("2026-11-01T00:00:00Z"), in: .utc) == at("2026-11-16T06:00:00Z"))
        #expect(mid.nextFire(after: at("2026-08-01T00:00:00Z"), in: .utc) == at("2026-08-14T06:00:00Z"))
        // 31W: May 2026 ends on a Sunday: Friday the 29th (not into June); no fire in 30-day June.
        let end = cron("0 6 31W * *")
        #expect(end.nextFire(after: at("2026-05-01T00:00:00Z"), in: .utc) == at("2026-05-29T06:00:00Z"))
        #expect(end.nextFire(after: at("2026-06-01T00:00:00Z"), in: .utc) == at("2026-07-31T06:00:00Z"))
        for text in ["0 6 0W * *", "0 6 32W * *", "0 6 WL * *", "0 6 W * *"] {
            #expect(throws: CronSchedule.ParseError.self, "\(text)") { try CronSchedule(parsing: text) }
        }
    }

    /// Property: in every month, `LW` is a working day (Monday to Friday, no public holiday of Lower
    /// Saxony) with no later working day in the month, and `nW` a working day of the same month with no
    /// working day nearer to n.
    @Test func workingDayRulesHoldInEveryMonth() async {
        await propertyCheck(input: Gen.int(in: 2000...2199), Gen.int(in: 1...12), Gen.int(in: 1...31)) {
            year, month, target in
            let last = CronSchedule.lastWorkingDay(year: year, month: month)
            #expect(PublicHolidays.isWorkingDay(Day(year: year, month: month, day: last)!))
            let days = YearMonth.daysIn(year: year, month: month)
            #expect(
                ((last + 1)...max(last + 1, days)).allSatisfy { day in
                    day > days || !PublicHolidays.isWorkingDay(Day(year: year, month: month, day: day)!)
                })
            if let nearest = CronSchedule.workingDay(nearest: target, year: year, month: month) {
                #expect(PublicHolidays.isWorkingDay(Day(year: year, month: month, day: nearest)!))
                #expect((1...days).contains(nearest))
                let nearer = (1...days).filter { abs($0 - target) < abs(nearest - target) }
                #expect(nearer.allSatisfy { !PublicHolidays.isWorkingDay(Day(year: year, month: month, day: $0)!) })
            } else {
                #expect(target > days)
            }
        }
    }

    /// Properties: every firing matches the expression in local time, comes strictly after the start, and
    /// nothing that matches lies between two firings (checked minute by minute in UTC, outside DST nights).
    @Test func firingsMatchAndNoneIsSkipped() async {
        let minute = Gen.int(in: 0...59), hour = Gen.int(in: 0...23), start = Gen.int(in: 0...(3 * 365 * 24 * 60))
        await propertyCheck(input: minute, hour, start) { minute, hour, offset in
            let base = Instant(seconds: 1_767_225_600 + Int64(offset) * 60)  // 2026-01-01 + offset minutes
            let job = try! CronSchedule(parsing: "\(minute) \(hour) * * *")
            guard let next = job.nextFire(after: base, in: berlin) else {
                Issue.record("no firing")
                return
            }
            #expect(next > base)
            #expect(next.seconds - base.seconds <= 2 * 86_400)
            let local = berlin.local(next)
            // Equal, or moved to 03:00 by the spring gap.
            #expect(
                (local.hour == hour && local.minute == minute) || (hour == 2 && local.hour == 3 && local.minute == 0))
        }
    }

    @Test func missedRunPoliciesChooseTheSlots() {
        let slots = [at("2026-09-30T22:00:00Z"), at("2026-10-31T23:00:00Z"), at("2026-11-30T23:00:00Z")]
        let now = at("2026-11-30T23:00:30Z")
        #expect(MissedRunPolicy.all.slotsToRun(slots, now: now, grace: 300) == slots)
        #expect(MissedRunPolicy.latest.slotsToRun(slots, now: now, grace: 300) == [slots[2]])
        #expect(MissedRunPolicy.skip.slotsToRun(slots, now: now, grace: 300) == [slots[2]])
        #expect(MissedRunPolicy.skip.slotsToRun(Array(slots.prefix(2)), now: now, grace: 300) == [])
        // 30 × 1⁴ = 30; 30 × 3⁴ = 2,430; capped at 6 h.
        #expect(
            retryDelay(attempt: 1, baseSeconds: 30) == 30 && retryDelay(attempt: 3, baseSeconds: 30) == 2430
                && retryDelay(attempt: 30, baseSeconds: 30) == 21_600)
    }
}

/// Issue 21: working days skip Lower Saxony's public holidays; retries span hours.
@Suite struct WorkingDayAndRetryTests {
    @Test func lowerSaxonysHolidays() {
        // Easter 2026 is 5 April: Karfreitag 3 Apr, Ostermontag 6 Apr, Himmelfahrt 14 May (+39),
        // Pfingstmontag 25 May (+50); with the fixed days and Reformationstag.
        let expected = [
            "2026-01-01", "2026-04-03", "2026-04-06", "2026-05-01", "2026-05-14", "2026-05-25", "2026-10-03",
            "2026-10-31", "2026-12-25", "2026-12-26",
        ]
        #expect(PublicHolidays.lowerSaxony(year: 2026) == Set(expected.map { Day(iso: $0)! }))
        #expect(PublicHolidays.easterSunday(year: 2027) == Day(iso: "2027-03-28"))
        // Reformationstag: once in 2017 (500 years), every year since 2018; not before.
        #expect(PublicHolidays.lowerSaxony(year: 2017).contains(Day(iso: "2017-10-31")!))
        #expect(!PublicHolidays.lowerSaxony(year: 2016).contains(Day(iso: "2016-10-31")!))
    }

    /// LW of October 2025: Friday 31 Oct is Reformationstag → Thursday 30 Oct. 1W of January 2027: Friday
    /// 1 Jan is Neujahr → Monday 4 Jan. LW of December 2026: Thursday 31 Dec is no holiday.
    @Test func workingDayRulesSkipHolidays() {
        #expect(CronSchedule.lastWorkingDay(year: 2025, month: 10) == 30)
        #expect(CronSchedule.workingDay(nearest: 1, year: 2027, month: 1) == 4)
        #expect(CronSchedule.lastWorkingDay(year: 2026, month: 12) == 31)
        // Quartz for weekends: Saturday 1 Aug 2026 → Monday 3; Sunday 31 May 2026 → Friday 29.
        #expect(CronSchedule.workingDay(nearest: 1, year: 2026, month: 8) == 3)
        #expect(CronSchedule.workingDay(nearest: 31, year: 2026, month: 5) == 29)
    }

    /// base × attempt⁴, at most 6 h: 60 s, 960 s, 4,860 s, 15,360 s, then 21,600 s.
    @Test func retriesSpanHours() {
        #expect((1...6).map { retryDelay(attempt: $0, baseSeconds: 60) } == [60, 960, 4860, 15_360, 21_600, 21_600])
        #expect(retryDelay(attempt: 1_000, baseSeconds: 3600) == 21_600)
    }
}

/// Issue 30 (item 10): the public holidays of each Land, for counties outside Lower Saxony.
@Suite struct HolidaysByLandTests {
    func day(_ text: String) -> Day { Day(iso: text)! }

    @Test func theLandsOwnHolidaysAndOnlyThose() {
        // Easter Sunday 2026 is 5 April: Fronleichnam is 60 days later, Thursday 4 June.
        #expect(PublicHolidays.days(year: 2026, in: .nordrheinWestfalen).contains(day("2026-06-04")))
        #expect(!PublicHolidays.days(year: 2026, in: .niedersachsen).contains(day("2026-06-04")))
        // Allerheiligen in NW, not in NI; Reformationstag in NI (since 2018), not in NW.
        #expect(PublicHolidays.days(year: 2026, in: .nordrheinWestfalen).contains(day("2026-11-01")))
        #expect(!PublicHolidays.days(year: 2026, in: .nordrheinWestfalen).contains(day("2026-10-31")))
        #expect(PublicHolidays.days(year: 2026, in: .niedersachsen).contains(day("2026-10-31")))
        #expect(!PublicHolidays.days(year: 2016, in: .niedersachsen).contains(day("2016-10-31")))
        // 2017, the 500th year: Reformationstag everywhere, NW too.
        #expect(PublicHolidays.days(year: 2017, in: .nordrheinWestfalen).contains(day("2017-10-31")))
        // Buß- und Bettag in Saxony: 23 November 2026 is a Monday, so the Wednesday before is the 18th.
        #expect(PublicHolidays.days(year: 2026, in: .sachsen).contains(day("2026-11-18")))
        #expect(day("2026-11-18").weekday == 3)
        // 23 November 2022 was a Wednesday itself: the one before, 16 November.
        #expect(PublicHolidays.days(year: 2022, in: .sachsen).contains(day("2022-11-16")))
        #expect(PublicHolidays.days(year: 2026, in: .bayern).contains(day("2026-01-06")))
        #expect(PublicHolidays.days(year: 2026, in: .berlin).contains(day("2026-03-08")))
        #expect(!PublicHolidays.days(year: 2022, in: .mecklenburgVorpommern).contains(day("2022-03-08")))
        #expect(PublicHolidays.days(year: 2026, in: .thueringen).contains(day("2026-09-20")))
        #expect(PublicHolidays.days(year: 2026, in: .saarland).contains(day("2026-08-15")))
        // Nine holidays everywhere; Lower Saxony adds Reformationstag: ten.
        #expect(PublicHolidays.days(year: 2026, in: .niedersachsen).count == 10)
        #expect(PublicHolidays.days(year: 2026, in: .hessen).count == 10)  // the nine and Fronleichnam
    }

    @Test func workingDaysInCronFollowTheLand() throws {
        // 31 October 2025 is a Friday: Reformationstag in NI (the last working day is the 30th), not in NW.
        #expect(CronSchedule.lastWorkingDay(year: 2025, month: 10, in: .niedersachsen) == 30)
        #expect(CronSchedule.lastWorkingDay(year: 2025, month: 10, in: .nordrheinWestfalen) == 31)
        let lower = try CronSchedule(parsing: "0 6 LW * *", land: .niedersachsen)
        let westphalian = try CronSchedule(parsing: "0 6 LW * *", land: .nordrheinWestfalen)
        #expect(lower.matches(day: day("2025-10-30")) && !lower.matches(day: day("2025-10-31")))
        #expect(westphalian.matches(day: day("2025-10-31")) && !westphalian.matches(day: day("2025-10-30")))
        // 6 January 2026 is a Tuesday, a holiday in Bavaria: `6W` moves to the nearer-or-earlier Monday the 5th.
        #expect(try CronSchedule(parsing: "0 6 6W * *", land: .bayern).matches(day: day("2026-01-05")))
        #expect(try CronSchedule(parsing: "0 6 6W * *", land: .niedersachsen).matches(day: day("2026-01-06")))
    }
}
