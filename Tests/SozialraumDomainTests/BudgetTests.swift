import PropertyBased
import SozialraumDomain
import Testing

@Suite struct BudgetTests {
    func funds(
        _ appropriation: Int64, commitments: Int64 = 0, actuals: Int64 = 0, carryIn: Int64 = 0
    ) throws -> LineFunds {
        try LineFunds(
            appropriation: Money(cents: appropriation), carryIn: Money(cents: carryIn),
            commitments: Money(cents: commitments), actuals: Money(cents: actuals))
    }

    @Test func availableIsAppropriationPlusCarryInMinusCommitmentsAndActuals() throws {
        #expect(
            try funds(100_000, commitments: 30_000, actuals: 20_000, carryIn: 5_000).available == Money(cents: 55_000))
    }

    @Test func anOverspentCaseLineIsCoveredByMilieuAndTheTransferIsExplained() throws {
        let report = try FundsReport(
            funds: [
                .case: funds(100_000, actuals: 130_000), .milieu: funds(50_000, actuals: 10_000),
                .structure: funds(20_000),
            ],
            coverPools: .standard)
        #expect(report.transfers == [CoverTransfer(from: .milieu, to: .case, amount: Money(cents: 30_000))])
        #expect(report.lines.first { $0.component == .case }?.availableAfterCover == .zero)
        #expect(report.lines.first { $0.component == .milieu }?.availableAfterCover == Money(cents: 10_000))
        #expect(report.pool(of: .case).available == Money(cents: 10_000))
        #expect(report.pool(of: .case).overrun == .zero)
    }

    @Test func structureCoversNothingAndIsCoveredByNothing() throws {
        let report = try FundsReport(
            funds: [.case: funds(100_000), .milieu: funds(50_000), .structure: funds(20_000, actuals: 25_000)],
            coverPools: .standard)
        #expect(report.transfers.isEmpty)
        #expect(report.pool(of: .structure).components == [.structure])
        #expect(report.pool(of: .structure).overrun == Money(cents: 5_000))
    }

    @Test func aPoolOverspentAsAWholeShowsTheOverrun() throws {
        let report = try FundsReport(
            funds: [.case: funds(100_000, actuals: 180_000), .milieu: funds(50_000, commitments: 10_000)],
            coverPools: .standard)
        #expect(report.pool(of: .milieu).available == Money(cents: -40_000))
        #expect(report.pool(of: .milieu).overrun == Money(cents: 40_000))
        #expect(report.transfers == [CoverTransfer(from: .milieu, to: .case, amount: Money(cents: 40_000))])
    }

    @Test func coverTransfersNeverChangeAPoolsTotal() async {
        let amount = Gen.int(in: -1_000_000...1_000_000).map { Int64($0) }
        await propertyCheck(input: amount, amount, amount, amount) { a, b, c, d in
            let input: [BudgetComponent: LineFunds] = try [
                .case: funds(a, actuals: b), .milieu: funds(c, commitments: d), .structure: funds(a),
            ]
            let report = try FundsReport(funds: input, coverPools: .standard)
            let before = input[.case]!.available.cents + input[.milieu]!.available.cents
            let after = report.lines.filter { $0.component != .structure }.reduce(Int64(0)) {
                $0 + $1.availableAfterCover.cents
            }
            #expect(before == after)
            // After cover, a line is negative only when its whole pool is.
            for line in report.lines where line.availableAfterCover.cents < 0 {
                #expect(report.pool(of: line.component).available.cents < 0)
            }
        }
    }

    @Test func coverPoolsAsStoredGroupByPoolNumber() {
        #expect(CoverPools(numbered: [(1, .case), (1, .milieu), (2, .structure)]) == .standard)
        #expect(
            CoverPools(numbered: [(1, .case), (1, .milieu), (1, .structure)]).pool(of: .structure) == [
                .case, .milieu, .structure,
            ])
        #expect(CoverPools(numbered: []).pools.isEmpty)
    }

    @Test func coverPoolsMustBeDisjoint() {
        #expect(CoverPools([[.case, .milieu], [.milieu, .structure]]) == nil)
        #expect(CoverPools([[.case]]) == nil)
        #expect(CoverPools([])?.pool(of: .case) == [.case])
    }

    @Test func legalClaimsAreNeverRefusedOnlyFlagged() throws {
        let empty = try FundsReport(funds: [.case: funds(10_000, actuals: 10_000)], coverPools: .standard)
        #expect(
            try SpendingDecision.decide(spending: Money(cents: 5_000), on: .case, report: empty, policy: .refuse)
                == .acceptWithOverrun(overrun: Money(cents: 5_000)))
    }

    @Test func milieuAndStructureSpendingFollowTheYearsPolicy() throws {
        let report = try FundsReport(funds: [.milieu: funds(10_000), .structure: funds(1_000)], coverPools: .standard)
        #expect(
            try SpendingDecision.decide(spending: Money(cents: 5_000), on: .milieu, report: report, policy: .refuse)
                == .accept)
        #expect(
            try SpendingDecision.decide(spending: Money(cents: 15_000), on: .milieu, report: report, policy: .refuse)
                == .refuse(shortfall: Money(cents: 5_000)))
        #expect(
            try SpendingDecision.decide(spending: Money(cents: 15_000), on: .milieu, report: report, policy: .warn)
                == .acceptWithOverrun(overrun: Money(cents: 5_000)))
        #expect(
            try SpendingDecision.decide(spending: Money(cents: 1_001), on: .structure, report: report, policy: .refuse)
                == .refuse(shortfall: Money(cents: 1)))
    }

    @Test func theProviderKeepsItsShareOfSavingsRoundedDown() {
        #expect(YearEnd.providerShare(of: Money(cents: 10_001), basisPoints: 2_500) == Money(cents: 2_500))
        #expect(YearEnd.providerShare(of: Money(cents: -500), basisPoints: 2_500) == .zero)
        #expect(YearEnd.providerShare(of: Money(cents: 999), basisPoints: 0) == .zero)
    }

    @Test func socialSpaceCodesAreShortLowerCaseWords() {
        #expect(SocialSpaceCode("achim-oyten") != nil)
        #expect(SocialSpaceCode("Achim") == nil)
        #expect(SocialSpaceCode("a") == nil)
        #expect(SocialSpaceCode("x'; drop") == nil)
    }
}
