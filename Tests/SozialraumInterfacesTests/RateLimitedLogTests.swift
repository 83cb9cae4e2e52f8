import Testing

@testable import SozialraumInterfaces

/// Issue 17: an outage is logged once and then at most every interval, with the count left out.
@Suite struct RateLimitedLogTests {
    @Test func theFirstIsWrittenThenOnePerIntervalWithTheCount() {
        let log = RateLimitedLog(interval: .seconds(10))
        let start = ContinuousClock.now
        #expect(log.admit(now: start) == 0)
        #expect(log.admit(now: start + .seconds(1)) == nil)
        #expect(log.admit(now: start + .seconds(9)) == nil)
        #expect(log.admit(now: start + .seconds(10)) == 2)
        #expect(log.admit(now: start + .seconds(11)) == nil)
        #expect(log.admit(now: start + .seconds(25)) == 1)
    }
}
