import PropertyBased
import SozialraumDomain
import Testing

/// The KJH-Statistik Teil IV's arithmetic (issue 33, item 3): each euro the Kasse paid lands in exactly one
/// position; a case line is split by the provider's cost per help type; what no mapping names lands in
/// `ohne` as a finding; repayments are income; whole euros add up to the rounded total.
@Suite struct CashStatisticsTests {
    static let alpha = "alpha-id", beta = "beta-id"
    static let hzE31 = CashStatistics.Position(part: 1, code: "HzE-31", title: "Sozialpädagogische Familienhilfe")
    static let hzE35a = CashStatistics.Position(part: 1, code: "HzE-35a", title: "Eingliederungshilfe § 35a")
    static let familien = CashStatistics.Position(part: 2, code: "20", title: "Einrichtungen der Familienförderung")

    static func day(_ text: String) -> Day { Day(iso: text)! }
    static func euros(_ cents: Int64) -> Money { Money(cents: cents) }

    /// Five receipts of 2026 (figures by hand):
    /// - R1 pays order 1 (alpha nord case 1,300.00) in full; alpha delivered in nord 2026 §31 600.00 and
    ///   §34 2,000.00: 1,300 × 600/2,600 = 300.00 (§31), 1,000.00 (§34).
    /// - R2 pays 150.00 of order 2 (nord case 260.00, nord milieu 40.00): 150 × 260/300 = 130.00 case and 20.00
    ///   milieu; the case part 130 × 600/2,600 = 30.00 (§31), 100.00 (§34).
    /// - R3 pays order 3 (beta süd case 400.00): beta delivered nothing there: 400.00 without a position.
    /// - R4 is alpha repaying 52.00 (order 4, nord case −52.00): income, −12.00 (§31), −40.00 (§34).
    /// - R5 names an order nobody knows: 10.00 without a position.
    /// Mapped: §31, §35a (nothing paid), milieu projects. §34 is not.
    /// HzE-31: paid 300 + 30 = 330.00, received 12.00; HzE-35a: 0; 20: paid 20.00;
    /// ohne: paid 1,000 + 100 + 400 + 10 = 1,510.00, received 40.00.
    /// Check: paid 1,300 + 150 + 400 + 10 = 1,860.00 = 330 + 20 + 1,510; received 52.00 = 12 + 40.
    @Test func aYearOfReceiptsLandsEachEuroInOnePosition() throws {
        let receipts = [
            CashStatistics.Receipt(
                id: 1, kassenzeichen: "K1", valueDate: Self.day("2026-04-02"), amount: Self.euros(1_300_00), order: 1,
                provider: "Alpha"),
            CashStatistics.Receipt(
                id: 2, kassenzeichen: "K2", valueDate: Self.day("2026-05-02"), amount: Self.euros(150_00), order: 2,
                provider: "Alpha"),
            CashStatistics.Receipt(
                id: 3, kassenzeichen: "K3", valueDate: Self.day("2026-06-02"), amount: Self.euros(400_00), order: 3,
                provider: "Beta"),
            CashStatistics.Receipt(
                id: 4, kassenzeichen: "K4", valueDate: Self.day("2026-07-02"), amount: Self.euros(-52_00), order: 4,
                provider: "Alpha"),
            CashStatistics.Receipt(
                id: 5, kassenzeichen: "K5", valueDate: Self.day("2026-08-02"), amount: Self.euros(10_00), order: nil,
                provider: ""),
        ]
        func line(
            _ order: Int64, _ provider: String, _ space: String, _ component: BudgetComponent, _ cents: Int64
        )
            -> CashStatistics.OrderLine
        {
            CashStatistics.OrderLine(
                order: order, provider: provider, socialSpace: space, component: component, amount: Self.euros(cents),
                serviceYear: 2026)
        }
        let lines: [Int64: [CashStatistics.OrderLine]] = [
            1: [line(1, Self.alpha, "nord", .case, 1_300_00)],
            2: [line(2, Self.alpha, "nord", .case, 260_00), line(2, Self.alpha, "nord", .milieu, 40_00)],
            3: [line(3, Self.beta, "sued", .case, 400_00)],
            4: [line(4, Self.alpha, "nord", .case, -52_00)],
        ]
        let basis: [CashStatistics.BasisKey: [(helpType: String, cost: Money)]] = [
            CashStatistics.BasisKey(provider: Self.alpha, socialSpace: "nord", year: 2026): [
                ("34", Self.euros(2_000_00)), ("31", Self.euros(600_00)),
            ]
        ]
        let mapping = ["31": Self.hzE31, "35a": Self.hzE35a, "projekt-milieu": Self.familien]
        let report = try CashStatistics.report(
            year: 2026, receipts: receipts, lines: lines, basis: basis, mapping: mapping)

        #expect(report.totals.map(\.position.code) == ["HzE-31", "HzE-35a", "20", "ohne"])
        #expect(report.totals.map(\.expenditure.cents) == [330_00, 0, 20_00, 1_510_00])
        #expect(report.totals.map(\.income.cents) == [12_00, 0, 0, 40_00])
        #expect(report.totals.map(\.expenditureEuros) == [330, 0, 20, 1_510])
        #expect(report.paid.cents == 1_860_00 && report.received.cents == 52_00)
        #expect(
            report.findings.map { "\($0.kind.rawValue) \($0.subject) \($0.amount.cents)" } == [
                "unmapped 34 100000", "unmapped 34 10000", "no-basis sued case 2026 40000", "unmapped 34 -4000",
                "unknown-order K5 1000",
            ])
        // The working paper lists every part: R1 two, R2 three, R3 one, R4 two, R5 one.
        #expect(report.attributions.count == 9)
        #expect(report.attributions.reduce(Int64(0)) { $0 + $1.amount.cents } == 1_860_00 - 52_00)
    }

    /// Whole euros add up to the rounded total: 0.50 + 0.50 + 0.49 = 1.49 → 1 euro, to the first of the two
    /// largest remainders; 1.60 + 2.70 = 4.30 → 4 euros: 1 and 3.
    @Test func wholeEurosAddUpToTheRoundedTotal() throws {
        #expect(try CashStatistics.wholeEuros([Money(cents: 50), Money(cents: 50), Money(cents: 49)]) == [1, 0, 0])
        #expect(try CashStatistics.wholeEuros([Money(cents: 1_60), Money(cents: 2_70)]) == [1, 3])
        #expect(try CashStatistics.wholeEuros([]) == [])
    }

    /// A part payment of an order whose lines have both signs cannot be split by them: a finding, in `ohne`.
    @Test func aPartPaymentOfMixedLinesIsAFinding() throws {
        let report = try CashStatistics.report(
            year: 2026,
            receipts: [
                CashStatistics.Receipt(
                    id: 1, kassenzeichen: "K1", valueDate: Self.day("2026-04-02"), amount: Self.euros(50_00), order: 1,
                    provider: "Alpha")
            ],
            lines: [
                1: [
                    CashStatistics.OrderLine(
                        order: 1, provider: Self.alpha, socialSpace: "nord", component: .case,
                        amount: Self.euros(100_00), serviceYear: 2026),
                    CashStatistics.OrderLine(
                        order: 1, provider: Self.alpha, socialSpace: "nord", component: .milieu,
                        amount: Self.euros(-30_00), serviceYear: 2026),
                ]
            ], basis: [:], mapping: ["projekt-milieu": Self.familien])
        #expect(report.findings.map(\.kind) == [.mixedSigns])
        #expect(report.totals.map(\.position.code) == ["20", "ohne"] && report.totals[1].expenditure.cents == 50_00)
    }

    /// For any receipts, lines, basis and mapping: the positions add up to the receipts (paid − received),
    /// every part sits in a mapped position or `ohne`, and the whole euros add up to the rounded paid total.
    @Test func theSumOfThePositionsIsTheSumOfTheReceipts() async {
        // Each receipt from three numbers: its amount, its order (0: unknown) and the shape of its lines.
        await propertyCheck(input: Gen.int(in: -50_000...500_000).array(of: 3...36), Gen.int(in: 0...3)) {
            numbers, mapped in
            let drawn = stride(from: 0, to: numbers.count - 2, by: 3).map {
                (Int64(numbers[$0]), numbers[$0 + 1].magnitude % 6, numbers[$0 + 2].magnitude % 4)
            }
            var receipts: [CashStatistics.Receipt] = []
            var lines: [Int64: [CashStatistics.OrderLine]] = [:]
            for (index, (amount, order, shape)) in drawn.enumerated() {
                let id = Int64(index + 1)
                receipts.append(
                    CashStatistics.Receipt(
                        id: id, kassenzeichen: "K\(id)", valueDate: Self.day("2026-03-01"),
                        amount: Money(cents: amount),
                        order: order == 0 ? nil : id, provider: "Alpha"))
                // Lines: the receipt in full, in two thirds, or a part payment.
                let parts: [(BudgetComponent, Int64)] =
                    switch shape {
                    case 0: [(.case, amount)]
                    case 1: [(.case, amount / 3), (.milieu, amount - amount / 3)]
                    case 2: [(.structure, amount * 2), (.case, amount)]
                    default: [(.case, amount + 7), (.milieu, -3)]
                    }
                lines[id] = parts.map {
                    CashStatistics.OrderLine(
                        order: id, provider: order.isMultiple(of: 2) ? Self.alpha : Self.beta, socialSpace: "nord",
                        component: $0.0, amount: Money(cents: $0.1), serviceYear: 2026)
                }
            }
            let basis: [CashStatistics.BasisKey: [(helpType: String, cost: Money)]] = [
                CashStatistics.BasisKey(provider: Self.alpha, socialSpace: "nord", year: 2026): [
                    ("31", Money(cents: 600_00)), ("34", Money(cents: 2_000_01)), ("35a", Money(cents: 7)),
                ]
            ]
            let all: [String: CashStatistics.Position] = [
                "31": Self.hzE31, "35a": Self.hzE35a, "projekt-milieu": Self.familien,
            ]
            let mapping = all.filter { _ in mapped > 0 }.filter { $0.key != "35a" || mapped > 1 }
            let report = try CashStatistics.report(
                year: 2026, receipts: receipts, lines: lines, basis: basis, mapping: mapping)
            let total = receipts.reduce(Int64(0)) { $0 + $1.amount.cents }
            #expect(report.attributions.reduce(Int64(0)) { $0 + $1.amount.cents } == total)
            #expect(report.paid.cents - report.received.cents == total)
            #expect(report.totals.reduce(Int64(0)) { $0 + $1.expenditure.cents - $1.income.cents } == total)
            #expect(report.totals.reduce(Int64(0)) { $0 + $1.expenditureEuros } == (report.paid.cents + 50) / 100)
            let allowed = Set(mapping.values).union([CashStatistics.Position.unassigned])
            #expect(report.attributions.allSatisfy { allowed.contains($0.position) })
            // What sits in `ohne` is exactly what the findings name.
            let unassigned = report.attributions.filter { $0.position == .unassigned }.reduce(Int64(0)) {
                $0 + $1.amount.cents
            }
            #expect(report.findings.reduce(Int64(0)) { $0 + $1.amount.cents } == unassigned)
        }
    }
}
