import Foundation
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 18, rule 5: direct-access help (§28, §20) is booked under a standing agreement with its
/// provider, without a per-case grant, priced from the provider's rates and charged to the Sozialraum.
@Suite struct StandingAgreementTests {
    func agree(
        _ world: BudgetWorld, helpType: String = "28", hours: Int64 = 20_00, key: String = "agreement-eb-1"
    ) async throws -> UUID {
        try await world.grants.createStandingAgreement(
            world.county, provider: world.alpha.tenant, helpType: helpType, socialSpace: world.nord, unit: .hour,
            volumePerMonth: Quantity(hundredths: hours), startsOn: Day(iso: "2026-01-01")!,
            endsOn: Day(iso: "2026-12-31")!, idempotencyKey: world.key(key)
        ).grantID
    }

    @Test func deliveriesUnderAStandingAgreementArePricedAndChargedToItsSozialraum() async throws {
        let world = try await BudgetWorld.make()
        try await world.service.addRate(
            world.county, provider: world.alpha.tenant, helpType: "28", unit: .hour,
            validFrom: Day(iso: "2020-01-01")!, amount: Money(cents: 55_00))
        let casesBefore = try await world.count("case_file")
        let agreement = try await agree(world)
        // A retry is the same agreement: one grant, one collective case.
        #expect(try await agree(world) == agreement)
        #expect(try await world.count("case_file") == casesBefore + 1)
        // 20 h × 55.00 = 1,100.00 a month, 12 months: 13,200.00 committed in nord's case line.
        #expect(try await world.funds(world.nord).line(.case).funds.commitments == Money(cents: 13_200_00))
        let march = try await world.grants.recordDelivery(
            world.alpha, grantID: agreement, month: YearMonth(iso: "2026-03")!, quantity: Quantity(hundredths: 12_00),
            idempotencyKey: world.key("eb-delivery-03"))
        // 12 h × 55.00 = 660.00, charged to nord; March's commitment released: 13,200.00 − 1,100.00 = 12,100.00.
        #expect(march.cost == Money(cents: 660_00))
        let nord = try await world.funds(world.nord).line(.case).funds
        #expect(nord.actuals == Money(cents: 660_00))
        #expect(nord.commitments == Money(cents: 12_100_00))
        // Beyond the contingent: 25 h in April pays 20 h (1,100.00) and holds 5 h back as a finding.
        let april = try await world.grants.recordDelivery(
            world.alpha, grantID: agreement, month: YearMonth(iso: "2026-04")!, quantity: Quantity(hundredths: 25_00),
            idempotencyKey: world.key("eb-delivery-04"))
        #expect(april.cost == Money(cents: 1_100_00))
        #expect(april.excess == Quantity(hundredths: 5_00))
        // The provider sees its agreement; another provider does not.
        #expect(try await world.grants.standingAgreements(world.alpha).map(\.id) == [agreement])
        #expect(try await world.grants.standingAgreements(world.beta).isEmpty)
        #expect(try await world.grants.standingAgreements(world.county).first?.socialSpace == world.nord)
    }

    @Test func onlyDirectAccessHelpHasStandingAgreements() async throws {
        let world = try await BudgetWorld.make()
        let before = try await world.snapshot()
        let cases = try await world.count("case_file")
        await #expect(
            throws: ServiceError.invalid(
                field: "help-type", reason: "a standing agreement is for direct-access help (§28, §20) only")
        ) {
            _ = try await agree(world, helpType: "31", key: "agreement-spfh-1")
        }
        #expect(try await world.snapshot() == before)
        #expect(try await world.count("case_file") == cases)
        // The database refuses it too (SZ005), past the service's check.
        var state: String?
        _ = try await world.grantedCase()
        do {
            _ = try await world.store.withTenant(world.county.tenant) { tx in
                try await tx.execute(unsafeSQL: "UPDATE grant_decision SET standing = true WHERE help_type = '31'")
            }
        } catch {
            state = DatabaseFailure.sqlState(of: error)
        }
        #expect(state == "SZ005")
    }
}
