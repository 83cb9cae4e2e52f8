/// The KJH-Statistik Teil IV (Statistik der Ausgaben und Einnahmen der öffentlichen Kinder- und Jugendhilfe,
/// §§ 98–103 SGB VIII; issue 33): what the Kasse paid in a calendar year (IST, by value date — a cash basis,
/// not accrual by service month), each euro in exactly one position of the survey, as the county maps its
/// help types and project kinds per year. Pure: the same receipts, lines, basis and mapping give the same
/// report.
///
/// How a payment finds its position:
/// 1. A receipt of the Kasse pays an order; the receipt's amount is split over the order's lines
///    (Sozialraum × component) in proportion to them (remainder cents by the largest remainder, rule 2).
/// 2. A line of the `milieu` or `structure` component is institutional spending: the key `projekt-milieu` or
///    `projekt-struktur` (Teil 2, Einrichtungen).
/// 3. A line of the `case` component is individual help (Teil 1, by §): split over the help types of what
///    the provider delivered in that Sozialraum in the line's service year (net of reversals), in
///    proportion to that cost. An instalment is paid before its month is billed; the year's deliveries are
///    the best knowledge of what it paid for.
/// 4. A key the year's mapping does not name, a line with no deliveries to split by, a receipt of an order
///    the daemon does not know, and a part payment of an order whose lines have both signs, land in the
///    position `ohne` ("nicht zugeordnet") and are findings: shown, never dropped.
/// Negative amounts (a provider repaying an overpaid statement) are income (Einnahmen) of their position.
public enum CashStatistics {
    /// What a position is keyed by: a help type (its code, e.g. `31`, `35a`) or a project kind.
    public static func key(helpType: String) -> String { helpType }
    public static func key(projects component: BudgetComponent) -> String {
        component == .milieu ? "projekt-milieu" : "projekt-struktur"
    }

    /// A starting point for a county's mapping (`report-mapping-import`): every help type of the catalogue
    /// under a placeholder Schlüssel `HzE-<code>` to be replaced by the year's form, milieu projects as
    /// Familienförderung (20) and structure projects as Jugendarbeit (10), the facility codes of Teil 2.
    public static var suggestedMappingFile: String {
        var lines = ["key;position;title"]
        for type in HelpType.catalogue {
            let paragraph = type.code.split(separator: ".").joined(separator: " Abs. ")
            lines.append("\(type.code);HzE-\(type.code);\(type.title) (§ \(paragraph) SGB VIII)")
        }
        lines.append("projekt-milieu;20;Einrichtungen der Familienförderung (Milieuarbeit, Gemeinwesenarbeit)")
        lines.append("projekt-struktur;10;Einrichtungen der Jugendarbeit (Strukturprojekte)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The code of the position that collects what no mapping names.
    public static let unassignedCode = "ohne"

    /// A position of the survey, as the county maps it (Schlüssel and wording of the year's Erhebungsbogen).
    public struct Position: Sendable, Equatable, Hashable {
        /// 1: Einzel- und Gruppenhilfen (by §); 2: Einrichtungen (institutional).
        public var part: Int
        public var code: String
        public var title: String

        public init(part: Int, code: String, title: String) {
            self.part = part
            self.code = code
            self.title = title
        }

        /// A mapping's key is a help type (part 1) or a project kind (part 2).
        public static func part(ofKey key: String) -> Int { key.hasPrefix("projekt-") ? 2 : 1 }

        public static let unassigned = Position(part: 0, code: unassignedCode, title: "nicht zugeordnet")
    }

    /// A payment the Kasse confirmed (Valuta in the reporting year).
    public struct Receipt: Sendable, Equatable {
        public var id: Int64
        public var kassenzeichen: String
        public var valueDate: Day
        public var amount: Money
        /// The order it pays; nil when the Kasse named one the daemon does not know.
        public var order: Int64?
        public var provider: String

        public init(id: Int64, kassenzeichen: String, valueDate: Day, amount: Money, order: Int64?, provider: String) {
            self.id = id
            self.kassenzeichen = kassenzeichen
            self.valueDate = valueDate
            self.amount = amount
            self.order = order
            self.provider = provider
        }
    }

    /// A line of an order: what it pays for one Sozialraum and component.
    public struct OrderLine: Sendable, Equatable {
        public var order: Int64
        public var provider: String
        public var socialSpace: String
        public var component: BudgetComponent
        public var amount: Money
        /// The year of the month the payment is for (its booking's service month).
        public var serviceYear: Int

        public init(
            order: Int64, provider: String, socialSpace: String, component: BudgetComponent, amount: Money,
            serviceYear: Int
        ) {
            self.order = order
            self.provider = provider
            self.socialSpace = socialSpace
            self.component = component
            self.amount = amount
            self.serviceYear = serviceYear
        }
    }

    /// Where the split of a case line looks: a provider's deliveries in a Sozialraum and service year.
    public struct BasisKey: Sendable, Hashable {
        public var provider: String
        public var socialSpace: String
        public var year: Int

        public init(provider: String, socialSpace: String, year: Int) {
            self.provider = provider
            self.socialSpace = socialSpace
            self.year = year
        }
    }

    /// One part of a receipt in one position.
    public struct Attribution: Sendable, Equatable {
        public var receipt: Int64
        public var kassenzeichen: String
        public var valueDate: Day
        public var provider: String
        public var socialSpace: String?
        public var component: BudgetComponent?
        /// The help type or project kind; nil when none could be found.
        public var key: String?
        public var position: Position
        public var amount: Money
    }

    /// Why euros landed in `ohne`.
    public struct Finding: Sendable, Equatable {
        public enum Kind: String, Sendable {
            /// The key has no position in the year's mapping.
            case unmapped
            /// A case line with no deliveries of the provider in its Sozialraum and year to split by.
            case noBasis = "no-basis"
            /// The Kasse paid an order the daemon does not know.
            case unknownOrder = "unknown-order"
            /// A part payment of an order whose lines have both signs cannot be split by them.
            case mixedSigns = "mixed-signs"
        }
        public var kind: Kind
        public var receipt: Int64
        public var kassenzeichen: String
        /// The key, or the Sozialraum and component, it concerns.
        public var subject: String
        public var amount: Money
    }

    /// A position's totals: expenditure and income in cents, and in whole euros as the survey wants them.
    public struct Total: Sendable, Equatable {
        public var position: Position
        public var expenditure: Money
        public var income: Money
        public var expenditureEuros: Int64
        public var incomeEuros: Int64
    }

    public struct Report: Sendable, Equatable {
        public var year: Int
        /// In the survey's order (part, then code), `ohne` last when anything landed there.
        public var totals: [Total]
        public var attributions: [Attribution]
        public var findings: [Finding]
        /// Every receipt of the year, summed: what the positions add up to.
        public var paid: Money
        public var received: Money
    }

    /// The report of `year` from the year's receipts, the lines of the orders they pay, the providers' cost
    /// by help type for each basis key, and the year's mapping (key → position).
    public static func report(
        year: Int, receipts: [Receipt], lines: [Int64: [OrderLine]],
        basis: [BasisKey: [(helpType: String, cost: Money)]],
        mapping: [String: Position]
    ) throws(Money.Overflow) -> Report {
        var attributions: [Attribution] = []
        var findings: [Finding] = []
        for receipt in receipts.sorted(by: { ($0.valueDate, $0.id) < ($1.valueDate, $1.id) }) {
            func note(_ kind: Finding.Kind, _ subject: String, _ amount: Money) {
                findings.append(
                    Finding(
                        kind: kind, receipt: receipt.id, kassenzeichen: receipt.kassenzeichen, subject: subject,
                        amount: amount))
            }
            func attribute(_ line: OrderLine?, key: String?, _ amount: Money) {
                let position = key.flatMap { mapping[$0] } ?? .unassigned
                attributions.append(
                    Attribution(
                        receipt: receipt.id, kassenzeichen: receipt.kassenzeichen, valueDate: receipt.valueDate,
                        provider: receipt.provider, socialSpace: line?.socialSpace, component: line?.component,
                        key: key, position: position, amount: amount))
                if let key, mapping[key] == nil { note(.unmapped, key, amount) }
            }
            guard let order = receipt.order, let orderLines = lines[order], !orderLines.isEmpty else {
                attribute(nil, key: nil, receipt.amount)
                note(.unknownOrder, receipt.kassenzeichen, receipt.amount)
                continue
            }
            guard let parts = try split(receipt.amount, over: orderLines.map(\.amount)) else {
                attribute(nil, key: nil, receipt.amount)
                note(.mixedSigns, receipt.kassenzeichen, receipt.amount)
                continue
            }
            for (line, part) in zip(orderLines, parts) where part != .zero {
                if line.component != .case {
                    attribute(line, key: key(projects: line.component), part)
                    continue
                }
                let costs =
                    (basis[BasisKey(provider: line.provider, socialSpace: line.socialSpace, year: line.serviceYear)]
                    ?? []).filter { $0.cost.isPositive }.sorted { $0.helpType < $1.helpType }
                guard !costs.isEmpty else {
                    attribute(line, key: nil, part)
                    note(.noBasis, "\(line.socialSpace) \(line.component.rawValue) \(line.serviceYear)", part)
                    continue
                }
                for (cost, share) in zip(costs, part.split(weights: costs.map(\.cost.cents))) where share != .zero {
                    attribute(line, key: key(helpType: cost.helpType), share)
                }
            }
        }
        var byPosition: [Position: (expenditure: Money, income: Money)] = [:]
        var paid = Money.zero, received = Money.zero
        for attribution in attributions {
            var sums = byPosition[attribution.position] ?? (.zero, .zero)
            if attribution.amount.isNegative {
                let income = try attribution.amount.magnitude()
                sums.income = try sums.income + income
                received = try received + income
            } else {
                sums.expenditure = try sums.expenditure + attribution.amount
                paid = try paid + attribution.amount
            }
            byPosition[attribution.position] = sums
        }
        // Every mapped position is listed (a zero is an answer too); `ohne` only when something landed there.
        for position in Set(mapping.values) where byPosition[position] == nil { byPosition[position] = (.zero, .zero) }
        let ordered = byPosition.keys.sorted { a, b in
            (a.part == 0 ? 9 : a.part, naturalOrder(a.code)) < (b.part == 0 ? 9 : b.part, naturalOrder(b.code))
        }
        let expenditureEuros = try wholeEuros(ordered.map { byPosition[$0]!.expenditure })
        let incomeEuros = try wholeEuros(ordered.map { byPosition[$0]!.income })
        let totals = ordered.enumerated().map { index, position in
            Total(
                position: position, expenditure: byPosition[position]!.expenditure,
                income: byPosition[position]!.income, expenditureEuros: expenditureEuros[index],
                incomeEuros: incomeEuros[index])
        }
        return Report(
            year: year, totals: totals, attributions: attributions, findings: findings, paid: paid, received: received)
    }

    /// `amount` split over an order's lines: the lines themselves when it pays them in full; else in
    /// proportion to them when they all have the amount's sign; nil for a part payment of mixed lines.
    static func split(_ amount: Money, over lines: [Money]) throws(Money.Overflow) -> [Money]? {
        let total = try Money.total(lines)
        if amount == total { return lines }
        guard total != .zero, lines.allSatisfy({ $0 == .zero || $0.isNegative == total.isNegative }),
            amount == .zero || amount.isNegative == total.isNegative
        else { return nil }
        var weights: [Int64] = []
        for line in lines { weights.append(try line.magnitude().cents) }
        return amount.split(weights: weights)
    }

    /// Whole euros that add up to the rounded total (`Money.wholeEuros`).
    public static func wholeEuros(_ amounts: [Money]) throws(Money.Overflow) -> [Int64] {
        try Money.wholeEuros(amounts)
    }

    /// Codes compared as people read them: `2-10` after `2-9` (runs of digits padded to 12 places).
    public static func naturalOrder(_ code: String) -> String {
        var result = ""
        var digits = ""
        for character in code {
            if character.isASCII, character.isNumber {
                digits.append(character)
                continue
            }
            if !digits.isEmpty { result += String(repeating: "0", count: max(0, 12 - digits.count)) + digits }
            digits = ""
            result.append(character)
        }
        return result + (digits.isEmpty ? "" : String(repeating: "0", count: max(0, 12 - digits.count)) + digits)
    }
}
