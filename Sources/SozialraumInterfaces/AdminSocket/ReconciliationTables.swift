import Foundation
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices

/// The tables of the reconciliation commands: typed results → the columns the protocol reference names.
public enum ReconciliationTables {
    static func runs(_ runs: [ReconciliationRunListing]) -> ResultTable {
        ResultTable(
            columns: ["run", "scope", "months", "sozialraum", "ledger_position", "digest", "by", "finished", "slot"],
            rows: runs.map {
                [
                    .integer($0.id), .text($0.scope), .text($0.months), .text($0.socialSpace),
                    .integer($0.ledgerPosition), .text($0.digestPrefix), .text($0.requestedBy), .text($0.finished),
                    .text($0.slot),
                ]
            })
    }

    static func runResult(_ result: ReconciliationService.RunResult) -> ResultTable {
        switch result {
        case .lines(let lines):
            ResultTable(
                columns: [
                    "sozialraum", "line", "appropriation", "carry_in", "commitments", "actuals", "available",
                    "cover_transfer", "after_cover", "forecast", "forecast_available", "overrun",
                ],
                rows: lines.map { line in
                    [.text(line.socialSpace), .text(line.line)] + line.figures.map { $0.map { .amount($0) } ?? .null }
                })
        case .months(let months):
            ResultTable(
                columns: [
                    "sozialraum", "component", "month", "plan", "commitments", "actuals", "cumulative_plan",
                    "cumulative_burn",
                ],
                rows: months.map { month in
                    [.text(month.socialSpace), .text(month.component), .text(month.month)]
                        + month.figures.map { .amount($0) }
                })
        case .transfers(let transfers):
            ResultTable(
                columns: ["sozialraum", "from", "to", "amount"],
                rows: transfers.map { [.text($0.socialSpace), .text($0.from), .text($0.to), .amount($0.amount.cents)] })
        }
    }

    static func diff(_ changes: [RunChange]) -> ResultTable {
        ResultTable(
            columns: ["sozialraum", "line", "field", "before", "after", "change"],
            rows: changes.map {
                [
                    .text($0.socialSpace), .text($0.line), .text($0.field), $0.before.map { .amount($0) } ?? .null,
                    $0.after.map { .amount($0) } ?? .null, .amount(($0.after ?? 0) - ($0.before ?? 0)),
                ]
            })
    }

    static func statements(_ statements: [StatementSummary]) -> ResultTable {
        ResultTable(
            columns: ["provider", "tenant", "accrued", "instalments", "settlements", "balance", "due"],
            rows: statements.map {
                let balance = $0.balance.cents
                return [
                    .text($0.providerName), .text($0.provider.description), .amount($0.accrued.cents),
                    .amount($0.instalments.cents), .amount($0.settlements.cents), .amount(balance),
                    .text(balance > 0 ? "county pays" : balance < 0 ? "provider repays" : "settled"),
                ]
            })
    }

    /// A draft's items, or (`issued`) an issued statement's with each item's hash (docs/statements.md).
    public static func statementItems(_ items: [StatementItem], issued: Bool = false) -> ResultTable {
        // Volumes in hundredths, written like amounts (a German comma in csv-de).
        let volume = { (quantity: Quantity?) -> ResultTable.Cell in quantity.map { .amount($0.hundredths) } ?? .null }
        return ResultTable(
            columns: [
                "provider", "item", "id", "case", "help_type", "unit", "sozialraum", "granted", "delivered", "payable",
                "cost",
            ] + (issued ? ["item_sha256"] : []),
            rows: items.map {
                [
                    .text($0.providerName), .text($0.item), .text($0.id.uuidString.lowercased()), .text($0.caseKey),
                    .text($0.helpType), .text($0.unit), .text($0.socialSpace), volume($0.granted),
                    volume($0.delivered), volume($0.payable), .amount($0.cost.cents),
                ] + (issued ? [$0.itemHash.map { .text($0) } ?? .null] : [])
            })
    }

    static func yearEnd(_ proposals: [SocialSpaceCode: YearEndProposal]) -> ResultTable {
        var rows: [[ResultTable.Cell]] = []
        for space in proposals.keys.sorted() {
            let proposal = proposals[space]!
            for line in proposal.lines {
                rows.append([
                    .text(space.rawValue), .text(line.component.rawValue), .amount(line.result.cents),
                    .amount(line.surplus.cents), .amount(line.deficit.cents), .amount(line.providerShare.cents),
                    .amount(line.carryForward.cents), .null,
                ])
            }
            for share in proposal.shares {
                rows.append([
                    .text(space.rawValue), .text("share"), .null, .null, .null, .amount(share.amount.cents), .null,
                    .text(share.provider.description),
                ])
            }
        }
        return ResultTable(
            columns: [
                "sozialraum", "line", "result", "surplus", "deficit", "provider_share", "carry_forward", "provider",
            ], rows: rows)
    }

    static func crossAreaGrants(_ grants: [CrossAreaGrant]) -> ResultTable {
        ResultTable(
            columns: ["sozialraum", "provider", "grant", "case", "help_type", "from", "to", "reason"],
            rows: grants.map {
                [
                    .text($0.socialSpace), .text($0.providerName), .text($0.grant.uuidString.lowercased()),
                    .text($0.caseKey), .text($0.helpType), .text($0.from.description), .text($0.to.description),
                    .text($0.reason),
                ]
            })
    }

    static func costDevelopment(_ rows: [CostDevelopmentRow]) -> ResultTable {
        ResultTable(
            columns: [
                "year", "sozialraum", "help_type", "setting", "case_cost", "ambulant", "day", "residential", "milieu",
                "structure", "milieu_structure_share", "young_inhabitants", "case_cost_per_1000", "grants",
                "average_days",
            ],
            rows: rows.map {
                [
                    .integer($0.year), .text($0.socialSpace), .text($0.helpType), .text($0.setting),
                    .amount($0.caseCost.cents), .amount($0.ambulant.cents), .amount($0.day.cents),
                    .amount($0.residential.cents), .amount($0.milieu.cents), .amount($0.structure.cents),
                    $0.milieuStructureShare.map { .text(percent(basisPoints: $0)) } ?? .null,
                    $0.youngInhabitants.map { .integer($0) } ?? .null,
                    $0.caseCostPer1000.map { .amount($0.cents) } ?? .null,
                    .integer($0.grants), $0.averageDays.map { .integer($0) } ?? .null,
                ]
            })
    }

    /// 1234 basis points → "12.34%" (rounded down).
    static func percent(basisPoints: Int64) -> String {
        let whole = basisPoints / 100, rest = basisPoints % 100
        return "\(whole).\(rest < 10 ? "0" : "")\(rest)%"
    }
}
