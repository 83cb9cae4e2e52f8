import SozialraumDomain
import Testing

/// Issue 31 (item 1): the deletion rules (Löschregeln) count whole years from the 1 January after the
/// start event.
@Suite struct RetentionTests {
    func day(_ text: String) -> Day { Day(iso: text)! }

    @Test func aRuleIsDueOnTheFirstOfJanuaryAfterItsYears() {
        let rules = RetentionRules()
        // A case whose last booking was in 2026: 2026 ends, then 10 whole years (2027–2036): due 1 January 2037.
        #expect(rules.rule(for: .caseLink).dueOn(startYear: 2026) == day("2037-01-01"))
        #expect(!rules.rule(for: .caseLink).isDue(startYear: 2026, on: day("2036-12-31")))
        #expect(rules.rule(for: .caseLink).isDue(startYear: 2026, on: day("2037-01-01")))
        // An access-log entry of 2026: one whole year (2027), due 1 January 2028.
        #expect(rules.rule(for: .accessLog).dueOn(startYear: 2026) == day("2028-01-01"))
        // Books of 2026: ten whole years after the year, due 1 January 2037.
        #expect(rules.rule(for: .accounting).dueOn(startYear: 2026) == day("2037-01-01"))
    }

    @Test func aCaseLinkWaitsForItsClosedYearAndAnyLegalHold() {
        let rules = RetentionRules(caseLinkYears: 5)
        // Last booking 2020, 5 whole years (2021–2025): due 1 January 2026.
        let due = day("2026-01-01")
        #expect(rules.caseLinkIsDue(lastBookingYear: 2020, lastYearClosed: true, legalHold: false, on: due))
        #expect(
            !rules.caseLinkIsDue(lastBookingYear: 2020, lastYearClosed: true, legalHold: false, on: day("2025-12-31")))
        // Its year not yet closed (a late correction could still come): not due.
        #expect(!rules.caseLinkIsDue(lastBookingYear: 2020, lastYearClosed: false, legalHold: false, on: due))
        // A legal hold (a pending claim, a court case) stops it until lifted.
        #expect(!rules.caseLinkIsDue(lastBookingYear: 2020, lastYearClosed: true, legalHold: true, on: due))
    }
}
