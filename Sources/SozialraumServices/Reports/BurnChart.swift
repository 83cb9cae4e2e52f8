import SozialraumDomain

/// The budget-burn chart of one Sozialraum and year as a self-contained SVG: the appropriation
/// (incl. carry-in) as a line, the plan's cumulative share, and actuals + commitments summed month by
/// month. Pure: equal figures give byte-equal SVG.
public struct BurnChart: Sendable {
    public struct Month: Sendable {
        /// 1...12
        public let month: Int
        public let plan: Money
        public let actuals: Money
        public let commitments: Money

        public init(month: Int, plan: Money, actuals: Money, commitments: Money) {
            self.month = month
            self.plan = plan
            self.actuals = actuals
            self.commitments = commitments
        }
    }

    public let title: String
    public let appropriation: Money
    public let months: [Month]

    public init(title: String, appropriation: Money, months: [Month]) {
        self.title = title
        self.appropriation = appropriation
        self.months = months
    }

    static let width = 760, height = 420, left = 90, right = 20, top = 40, bottom = 50
    static let monthNames = ["Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"]

    public func svg() throws(Money.Overflow) -> String {
        var plan: [(Int, Money)] = [], actual: [(Int, Money)] = [], burn: [(Int, Money)] = []
        var sumPlan = Money.zero, sumActual = Money.zero, sumBurn = Money.zero
        for month in months.sorted(by: { $0.month < $1.month }) {
            sumPlan = try sumPlan + month.plan
            sumActual = try sumActual + month.actuals
            sumBurn = try sumBurn + month.actuals + month.commitments
            plan.append((month.month, sumPlan))
            actual.append((month.month, sumActual))
            burn.append((month.month, sumBurn))
        }
        // Drawn in euros as floating point: pixels need no cents, and no figure can overflow the scale.
        let maximum = max(
            1, ([appropriation, sumPlan, sumBurn, sumActual] + burn.map(\.1)).map(\.approximateEuros).max()!)
        // A round top of the scale: 1, 2 or 5 times a power of ten, in euros.
        var step = 1.0
        while step * 10 < maximum { step *= 10 }
        let scaleTop = [step, 2 * step, 5 * step, 10 * step].first { $0 >= maximum }!
        let plotWidth = Self.width - Self.left - Self.right, plotHeight = Self.height - Self.top - Self.bottom
        func x(_ month: Int) -> Int { Self.left + (month - 1) * plotWidth / 11 }
        func y(euros: Double) -> Int { Self.top + plotHeight - Int(Double(plotHeight) * max(0, euros) / scaleTop) }
        func y(_ amount: Money) -> Int { y(euros: amount.approximateEuros) }
        func polyline(_ points: [(Int, Money)], _ style: String) -> String {
            let coordinates = points.map { "\(x($0.0)),\(y($0.1))" }.joined(separator: " ")
            return "<polyline fill=\"none\" \(style) points=\"\(coordinates)\"/>"
        }
        var svg = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Self.width)\" height=\"\(Self.height)\" viewBox=\"0 0 \(Self.width) \(Self.height)\" font-family=\"sans-serif\" font-size=\"12\">",
            "<title>\(Self.escape(title))</title>",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"\(Self.left)\" y=\"24\" font-size=\"15\" font-weight=\"bold\">\(Self.escape(title))</text>",
        ]
        for tick in 0...5 {
            let euros = scaleTop * Double(tick) / 5
            svg.append(
                "<line x1=\"\(Self.left)\" x2=\"\(Self.width - Self.right)\" y1=\"\(y(euros: euros))\" y2=\"\(y(euros: euros))\" stroke=\"#ddd\"/>"
            )
            svg.append(
                "<text x=\"\(Self.left - 6)\" y=\"\(y(euros: euros) + 4)\" text-anchor=\"end\">\(Self.axisLabel(euros))</text>"
            )
        }
        for month in 1...12 {
            svg.append(
                "<text x=\"\(x(month))\" y=\"\(Self.height - Self.bottom + 18)\" text-anchor=\"middle\">\(Self.monthNames[month - 1])</text>"
            )
        }
        svg.append(
            "<line x1=\"\(x(1))\" x2=\"\(x(12))\" y1=\"\(y(appropriation))\" y2=\"\(y(appropriation))\" stroke=\"#1f4e79\" stroke-width=\"2\"/>"
        )
        svg.append(polyline(plan, "stroke=\"#1f4e79\" stroke-dasharray=\"6 4\""))
        svg.append(polyline(burn, "stroke=\"#c0392b\" stroke-width=\"2.5\""))
        svg.append(polyline(actual, "stroke=\"#e67e22\" stroke-width=\"1.5\""))
        let legend = [
            ("#1f4e79", "Ansatz + Rest \(appropriation)"), ("#1f4e79", "Plan (anteilig)"), ("#c0392b", "Ist + Obligo"),
            ("#e67e22", "Ist"),
        ]
        for (index, entry) in legend.enumerated() {
            let lx = Self.left + index * 165
            svg.append("<rect x=\"\(lx)\" y=\"\(Self.height - 18)\" width=\"14\" height=\"4\" fill=\"\(entry.0)\"/>")
            svg.append("<text x=\"\(lx + 18)\" y=\"\(Self.height - 12)\">\(Self.escape(entry.1))</text>")
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    /// Whole euros with thousands dots (German), for the axis.
    static func axisLabel(_ euros: Double) -> String {
        let digits = String(Int64(euros.rounded(.down)))
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(".") }
            out.append(character)
        }
        return out + " €"
    }

    static func escape(_ text: String) -> String { Markup.escape(text) }
}
