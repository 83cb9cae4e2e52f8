import Foundation
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 18: a Fortschreibung changes a running grant's volume or end from a day; commitments follow
/// (rule 7), what was delivered stays as paid. Alpha's §31 rate is 60.00 an hour all year (BudgetWorld).
@Suite struct GrantAmendmentTests {
    func commitments(_ world: BudgetWorld) async throws -> Money {
        try await world.funds(world.nord).line(.case).funds.commitments
    }

    func deliver(_ world: BudgetWorld, _ grant: UUID, months: ClosedRange<Int>, tag: String) async throws {
        for month in months {
            _ = try await world.grants.recordDelivery(
                world.alpha, grantID: grant, month: YearMonth(year: 2026, month: month)!,
                quantity: Quantity(hundredths: 10_00),
                idempotencyKey: world.key("delivery-\(tag)-\(month)"))
        }
    }

    func amend(
        _ world: BudgetWorld, _ grant: UUID, from: String, volume: Int64? = nil, end: String? = nil, key: String
    ) async throws -> GrantService.AmendmentOutcome {
        try await world.grants.amendGrant(
            world.county,
            .init(
                grantID: grant, effectiveOn: Day(iso: from)!, volumePerMonth: volume.map { Quantity(hundredths: $0) },
                endsOn: end.map { Day(iso: $0)! }, reason: "Hilfeplan 2026-06: weniger Stunden"),
            idempotencyKey: world.key(key))
    }

    @Test func aLowerVolumeFromJulyCommitsTheNewVolumeFromJulyOn() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        try await deliver(world, grant, months: 1...3, tag: "a")
        // 10 h × 60.00 = 600.00 a month; January to March delivered, April to December committed: 9 × 600.00.
        #expect(try await commitments(world) == Money(cents: 5_400_00))
        let outcome = try await amend(world, grant, from: "2026-07-01", volume: 5_00, key: "amend-volume-1")
        // April to June stay at 600.00 (3 × 600.00 = 1,800.00); July to December at 5 h × 60.00 = 300.00
        // (6 × 300.00 = 1,800.00): 3,600.00 together; the successor alone commits 1,800.00.
        #expect(outcome.grantID != grant)
        #expect(outcome.committed == [2026: Money(cents: 1_800_00)])
        #expect(try await commitments(world) == Money(cents: 3_600_00))
        // Delivered months stay as paid: 3 × 600.00.
        #expect(try await world.funds(world.nord).line(.case).funds.actuals == Money(cents: 1_800_00))
        // July is delivered on the successor, at its volume (5 h: nothing held back).
        let july = try await world.grants.recordDelivery(
            world.alpha, grantID: outcome.grantID, month: YearMonth(iso: "2026-07")!,
            quantity: Quantity(hundredths: 5_00),
            idempotencyKey: world.key("del-successor-07"))
        #expect(july.cost == Money(cents: 300_00))
        // And no longer on the predecessor, which ended on 30 June.
        await #expect(throws: ServiceError.self) {
            _ = try await world.grants.recordDelivery(
                world.alpha, grantID: grant, month: YearMonth(iso: "2026-08")!, quantity: Quantity(hundredths: 5_00),
                idempotencyKey: world.key("del-predecessor-08"))
        }
    }

    @Test func aLaterEndKeepsTheGrantAndCommitsTheAddedMonths() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.openCase("VER-2026-0101", from: "2025-06-01")
            .granted(perMonth: "10", to: "2026-06-30", key: "grant-0101").id
        // January to June: 6 × 600.00.
        #expect(try await commitments(world) == Money(cents: 3_600_00))
        let outcome = try await amend(world, grant, from: "2026-06-01", end: "2026-09-30", key: "amend-end-1")
        // The same grant, now January to September: 9 × 600.00.
        #expect(outcome.grantID == grant)
        #expect(outcome.committed == [2026: Money(cents: 5_400_00)])
        #expect(try await commitments(world) == Money(cents: 5_400_00))
        // Issue 29: an extension alone may be dated the day after the last (1 October for a grant to
        // 30 September): to 31 October, 10 × 600.00 — but not a day later, and not with another volume.
        let extended = try await amend(world, grant, from: "2026-10-01", end: "2026-10-31", key: "amend-end-after")
        #expect(extended.grantID == grant && extended.committed == [2026: Money(cents: 6_000_00)])
        await #expect(throws: ServiceError.self) {
            _ = try await amend(world, grant, from: "2026-11-02", end: "2026-11-30", key: "amend-end-late")
        }
        await #expect(throws: ServiceError.self) {
            _ = try await amend(world, grant, from: "2026-11-01", volume: 5_00, key: "amend-volume-late")
        }
        #expect(try await commitments(world) == Money(cents: 6_000_00))
        // An earlier end from the same grant: to 31 August, 8 × 600.00.
        _ = try await amend(world, grant, from: "2026-09-01", end: "2026-08-31", key: "amend-end-2")
        #expect(try await commitments(world) == Money(cents: 4_800_00))
        // A grant ended early is not extended again.
        await #expect(throws: ServiceError.conflict("the grant was ended early; grant again instead of extending it")) {
            _ = try await amend(world, grant, from: "2026-08-01", end: "2026-12-31", key: "amend-end-3")
        }
    }

    @Test func refusalsWriteNothingAndARetryAmendsOnce() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        try await deliver(world, grant, months: 1...7, tag: "r")
        let before = try await world.snapshot()
        // July is delivered: a volume from July would move it to the successor.
        await #expect(throws: ServiceError.conflict("deliveries exist from 2026-07; reverse them first")) {
            _ = try await amend(world, grant, from: "2026-07-01", volume: 5_00, key: "amend-refused-1")
        }
        await #expect(throws: ServiceError.self) {
            _ = try await amend(world, grant, from: "2026-08-01", key: "amend-refused-2")
        }
        #expect(try await world.snapshot() == before)
        #expect(try await world.count("grant_amendment") == 0)
        let first = try await amend(world, grant, from: "2026-08-01", volume: 8_00, key: "amend-once-1")
        let retried = try await amend(world, grant, from: "2026-08-01", volume: 8_00, key: "amend-once-1")
        #expect(retried == first)
        #expect(try await world.count("grant_amendment") == 1)
        // August to December at 8 h × 60.00 = 480.00: 5 × 480.00 = 2,400.00.
        #expect(try await commitments(world) == Money(cents: 2_400_00))
        await #expect(throws: ServiceError.idempotencyConflict) {
            _ = try await amend(world, grant, from: "2026-09-01", volume: 8_00, key: "amend-once-1")
        }
    }

    /// Whatever was delivered and whatever the new volume and day: commitments afterwards are the old
    /// volume's undelivered months before the day plus the new volume's months from it, and a retry
    /// changes nothing.
    @Test func commitmentsAfterAnAmendmentAreTheOldBeforeAndTheNewFrom() async throws {
        let world = try await BudgetWorld.make()
        var generator = SeededGenerator(seed: 18)
        var expected = Money.zero
        for index in 0..<6 {
            let delivered = Int.random(in: 0...4, using: &generator)
            let effective = Int.random(in: (delivered + 1)...12, using: &generator)
            let hours = Int64.random(in: 0...20, using: &generator)
            let key = "VER-2026-08\(index)0"
            let grant = try await world.grantedCase(key)
            if delivered > 0 { try await deliver(world, grant, months: 1...delivered, tag: "p\(index)") }
            let from = Day(year: 2026, month: effective, day: 1)!
            let amendKey = "amend-prop-\(index)"
            if hours == 10 {
                // The same volume and end: nothing to amend.
                await #expect(throws: ServiceError.self) {
                    _ = try await amend(world, grant, from: from.description, volume: 10_00, key: amendKey)
                }
            } else {
                _ = try await amend(world, grant, from: from.description, volume: hours * 100, key: amendKey)
                _ = try await amend(world, grant, from: from.description, volume: hours * 100, key: amendKey)
            }
            // Months delivered+1 … effective−1 at 600.00; effective … 12 at hours × 60.00.
            let old = Int64(effective - 1 - delivered) * 600_00
            let new = Int64(13 - effective) * (hours == 10 ? 600_00 : hours * 60_00)
            expected = Money(cents: expected.cents + old + new)
            #expect(try await commitments(world) == expected, "scenario \(index): \(delivered) \(effective) \(hours)")
        }
    }
}
