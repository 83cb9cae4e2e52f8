import Foundation
import PropertyBased
import SozialraumDomain
import Testing

@Suite struct ReconciliationTests {
    let nord = SocialSpaceCode("nord")!
    func month(_ text: String) -> YearMonth { YearMonth(iso: text)! }
    func euros(_ value: Int64) -> Money { Money(cents: value * 100) }

    @Test func scopesParseAndPrintBack() throws {
        for text in ["2026-03", "2026-Q1", "2026-Q4", "2026", "2026..2026-11"] {
            let scope = try #require(ReconciliationScope(parsing: text))
            #expect(scope.description == text)
        }
        #expect(ReconciliationScope(parsing: "2026-Q2")?.months == month("2026-04").through(month("2026-06")))
        #expect(ReconciliationScope(parsing: "2026..2026-11")?.months.count == 11)
        for bad in ["2026-Q5", "2026-13", "26", "2026..2027-01", "2026-Q", "", "2026-Q0", "1999"] {
            #expect(ReconciliationScope(parsing: bad) == nil, "\(bad)")
        }
    }

    /// A case overrun covered by milieu savings. Case: appropriation 100,000, actuals 90,000 through
    /// June, commitments 30,000 for July to December → available 100,000 − 30,000 − 90,000 = −20,000.
    /// Milieu: 50,000 − 12,000 actuals = 38,000. The pool {case, milieu} has 18,000: milieu covers
    /// 20,000 of the case line (transfer milieu→case 20,000), leaving milieu 18,000 and case 0.
    @Test func aCaseOverrunIsCoveredByMilieuSavings() throws {
        let ledger: [BudgetComponent: LineLedger] = [
            .case: LineLedger(
                appropriation: euros(100_000), commitments: [month("2026-07"): euros(30_000)],
                actuals: [month("2026-03"): euros(90_000)]),
            .milieu: LineLedger(
                appropriation: euros(50_000), actuals: [month("2026-02"): euros(6_000), month("2026-05"): euros(6_000)]),
            .structure: LineLedger(appropriation: euros(10_000)),
        ]
        let result = try SocialSpaceReconciliation(
            socialSpace: nord, scope: .year(2026, through: month("2026-06")), ledger: ledger, coverPools: .standard)
        #expect(result.transfers == [CoverTransfer(from: .milieu, to: .case, amount: euros(20_000))])
        #expect(result.line(.case).available == euros(-20_000))
        #expect(result.line(.case).coverTransfer == euros(20_000))
        #expect(result.line(.case).availableAfterCover == .zero)
        #expect(result.line(.case).overrun == .zero)
        #expect(result.line(.milieu).coverTransfer == euros(-20_000))
        #expect(result.line(.milieu).availableAfterCover == euros(18_000))
        // Milieu forecast: 12,000 in 6 months = 2,000 a month; 6 more months → 12,000 + 12,000 = 24,000.
        #expect(result.line(.milieu).forecast == euros(24_000))
        // Case forecast: actuals + commitments = 120,000.
        #expect(result.line(.case).forecast == euros(120_000))
        #expect(result.pools.first { $0.components == [.case, .milieu] }?.available == euros(18_000))
        // Pool forecast available: 150,000 − 144,000 = 6,000.
        #expect(result.pools.first { $0.components == [.case, .milieu] }?.forecastAvailable == euros(6_000))
        #expect(result.months.count == 18)
    }

    /// A milieu overrun covered by case savings: milieu 20,000 − 26,000 = −6,000; case 100,000 −
    /// 40,000 − 50,000 = 10,000 → case gives 6,000 to milieu, case keeps 4,000.
    @Test func aMilieuOverrunIsCoveredByCaseSavings() throws {
        let ledger: [BudgetComponent: LineLedger] = [
            .case: LineLedger(
                appropriation: euros(100_000), commitments: [month("2026-12"): euros(40_000)],
                actuals: [month("2026-01"): euros(50_000)]),
            .milieu: LineLedger(appropriation: euros(20_000), actuals: [month("2026-04"): euros(26_000)]),
        ]
        let result = try SocialSpaceReconciliation(
            socialSpace: nord, scope: .year(2026), ledger: ledger, coverPools: .standard)
        #expect(result.transfers == [CoverTransfer(from: .case, to: .milieu, amount: euros(6_000))])
        #expect(result.line(.milieu).availableAfterCover == .zero)
        #expect(result.line(.case).availableAfterCover == euros(4_000))
    }

    /// A structure overrun nothing covers: structure 10,000 − 13,500 = −3,500, alone in its pool,
    /// while the case line has 100,000 spare. The overrun stays 3,500 (überplanmäßig).
    @Test func aStructureOverrunIsCoveredByNothing() throws {
        let ledger: [BudgetComponent: LineLedger] = [
            .case: LineLedger(appropriation: euros(100_000)),
            .structure: LineLedger(appropriation: euros(10_000), actuals: [month("2026-09"): euros(13_500)]),
        ]
        let result = try SocialSpaceReconciliation(
            socialSpace: nord, scope: .month(month("2026-09")), ledger: ledger, coverPools: .standard)
        #expect(result.transfers.isEmpty)
        #expect(result.line(.structure).overrun == Money(cents: 3_500_00))
        #expect(result.pools.first { $0.components == [.structure] }?.overrun == Money(cents: 3_500_00))
        #expect(result.months.count == 3)
        #expect(result.months.allSatisfy { $0.month == month("2026-09") })
    }

    @Test func monthlyPlanSumsToTheAppropriationAndTheBurnAccumulates() throws {
        let ledger: [BudgetComponent: LineLedger] = [
            .case: LineLedger(
                appropriation: Money(cents: 100_000_01), carryIn: Money(cents: 5),
                commitments: [month("2026-02"): euros(10)],
                actuals: [month("2026-01"): euros(7), month("2026-02"): euros(3)])
        ]
        let result = try SocialSpaceReconciliation(
            socialSpace: nord, scope: .year(2026), ledger: ledger, coverPools: .standard)
        let caseMonths = result.months.filter { $0.component == .case }
        #expect(caseMonths.reduce(0) { $0 + $1.plan.cents } == 100_000_06)
        #expect(caseMonths.last?.cumulativePlan == Money(cents: 100_000_06))
        #expect(caseMonths[1].cumulativeActualsAndCommitments == euros(20))
        #expect(caseMonths[11].cumulativeActualsAndCommitments == euros(20))
    }

    /// Property: cover transfers never create or destroy money; a pool's total equals the sum of its
    /// lines before and after cover; the month figures add up to the line figures.
    @Test func transfersConserveMoneyAndMonthsAddUpToLines() async {
        let amount = Gen.int(in: 0...5_000_000).map { Int64($0) }
        let monthIndex = Gen.int(in: 1...12)
        await propertyCheck(input: amount, amount, amount, amount, monthIndex, amount) {
            caseBudget, caseSpent, milieuBudget, milieuSpent, at, structureSpent in
            let m = YearMonth(year: 2026, month: at)!
            let ledger: [BudgetComponent: LineLedger] = [
                .case: LineLedger(
                    appropriation: Money(cents: caseBudget), commitments: [m: Money(cents: caseSpent / 3)],
                    actuals: [m: Money(cents: caseSpent)]),
                .milieu: LineLedger(appropriation: Money(cents: milieuBudget), actuals: [m: Money(cents: milieuSpent)]),
                .structure: LineLedger(
                    appropriation: Money(cents: caseBudget / 7), actuals: [m: Money(cents: structureSpent)]),
            ]
            let result = try SocialSpaceReconciliation(
                socialSpace: nord, scope: .year(2026), ledger: ledger, coverPools: .standard)
            let before = result.lines.reduce(Int64(0)) { $0 + $1.available.cents }
            let after = result.lines.reduce(Int64(0)) { $0 + $1.availableAfterCover.cents }
            #expect(before == after)
            #expect(result.lines.reduce(Int64(0)) { $0 + $1.coverTransfer.cents } == 0)
            #expect(
                result.transfers.reduce(Int64(0)) { $0 + $1.amount.cents }
                    == result.lines.filter { $0.coverTransfer.cents > 0 }.reduce(0) { $0 + $1.coverTransfer.cents })
            for pool in result.pools {
                #expect(
                    pool.available.cents
                        == result.lines.filter { pool.components.contains($0.component) }.reduce(0) {
                            $0 + $1.available.cents
                        })
            }
            for line in result.lines {
                let months = result.months.filter { $0.component == line.component }
                #expect(months.reduce(0) { $0 + $1.actuals.cents } == line.funds.actuals.cents)
                #expect(months.reduce(0) { $0 + $1.commitments.cents } == line.funds.commitments.cents)
                #expect(
                    months.reduce(0) { $0 + $1.plan.cents } == line.funds.appropriation.cents + line.funds.carryIn.cents
                )
            }
        }
    }

    /// Property: the result does not depend on the order the bookings came in (the per-month sums are
    /// built by adding bookings in any order).
    @Test func resultsAreIndependentOfBookingOrder() async {
        let bookings = Gen.int(in: 1...12).array(of: 1...40)
        await propertyCheck(input: bookings) { months in
            // The same multiset of bookings, reversed: equal sums per month, equal results.
            let pairs = months.enumerated().map { ($0.offset % 3, $0.element) }
            var a = LineLedger(appropriation: euros(1_000)), b = LineLedger(appropriation: euros(1_000))
            for (extra, value) in pairs {
                let m = YearMonth(year: 2026, month: value)!
                a.actuals[m] = Money(cents: a.actuals[m, default: .zero].cents + Int64(value * 1_000 + extra))
            }
            for (extra, value) in pairs.reversed() {
                let m = YearMonth(year: 2026, month: value)!
                b.actuals[m] = Money(cents: b.actuals[m, default: .zero].cents + Int64(value * 1_000 + extra))
            }
            let scope = ReconciliationScope.year(2026, through: YearMonth(year: 2026, month: 6)!)
            // Small amounts: neither throws (an overflow would make both nil and fail the first check).
            let left = try? SocialSpaceReconciliation(
                socialSpace: nord, scope: scope, ledger: [.milieu: a], coverPools: .standard)
            let right = try? SocialSpaceReconciliation(
                socialSpace: nord, scope: scope, ledger: [.milieu: b], coverPools: .standard)
            #expect(left != nil)
            #expect(left == right)
        }
    }

    /// Year end with carry-forward and surplus share: case leaves 10,000.00, milieu 2,000.01, structure
    /// −500. Share 25 %: 2,500.00 and 500.00 (rounded down from 500.0025) → 3,000.00 for the lead;
    /// carried forward: 7,500.00 and 1,500.01; the structure deficit carries nothing.
    @Test func yearEndProposesCarryForwardAndProviderShare() throws {
        let lead = TenantID(UUID(uuidString: "00000000-0000-0000-0000-00000000000a")!)
        let proposal = try YearEndProposal(
            resultsAfterCover: [.case: euros(10_000), .milieu: Money(cents: 2_000_01), .structure: euros(-500)],
            carryForwardAllowed: true, providerShareBasisPoints: 2_500, leadProviders: [lead])
        let line = { (c: BudgetComponent) in proposal.lines.first { $0.component == c }! }
        #expect(line(.case).providerShare == euros(2_500))
        #expect(line(.case).carryForward == euros(7_500))
        #expect(line(.milieu).providerShare == euros(500))
        #expect(line(.milieu).carryForward == Money(cents: 1_500_01))
        #expect(line(.structure).deficit == euros(500))
        #expect(line(.structure).carryForward == .zero)
        #expect(proposal.shares == [YearEndProposal.Share(provider: lead, amount: euros(3_000))])
        // Parts of the surplus always sum to the whole.
        for entry in proposal.lines {
            #expect(entry.providerShare.cents + entry.carryForward.cents == entry.surplus.cents)
        }
        // No lead provider: no share, all is carried; carry-forward not allowed: nothing is carried.
        let noLead = try YearEndProposal(
            resultsAfterCover: [.case: euros(100)], carryForwardAllowed: true, providerShareBasisPoints: 2_500,
            leadProviders: [])
        #expect(noLead.lines.first!.carryForward == euros(100) && noLead.shares.isEmpty)
        let noCarry = try YearEndProposal(
            resultsAfterCover: [.case: euros(100)], carryForwardAllowed: false, providerShareBasisPoints: 0,
            leadProviders: [lead])
        #expect(noCarry.lines.first!.carryForward == .zero)
    }
}
