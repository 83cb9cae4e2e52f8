import SozialraumDomain
import SozialraumProtocol
import SozialraumServices

/// Statements as documents (Abrechnung): issuing a run's draft, reading issued statements and their
/// frozen items, withdrawing one.
extension AdminCommands {
    static let statementCommands: [AdminCommand] = [
        AdminCommand(
            name: "statement-issue", roles: [.county], usage: "statement-issue <run> <provider>",
            summary: "issue a provider's statement of a run: its items frozen with a content hash (right certify)",
            changes: .naturally("an issued statement is DUPLICATE")
        ) { commands, request, state, _ in
            let document = try await commands.reconciliation.issueStatement(
                commands.caller(state), runID: try commands.runID(request, 0),
                provider: try await commands.tenant(request, 1, state, name: "provider"))
            return .ok(
                "statement \(document.id) issued: run \(document.runID), \(document.items) items, balance "
                    + "\(document.balance), sha256 \(document.contentHash)")
        },
        AdminCommand(
            name: "issued-statements", roles: [.county, .auditor, .provider],
            usage: "issued-statements [provider] [run=<run>]",
            summary: "issued statements (a provider: its own), newest first", changes: .nothing
        ) { commands, request, state, _ in
            let provider =
                request.positional.isEmpty ? nil : try await commands.tenant(request, 0, state, name: "provider")
            let table = StatementTables.documents(
                try await commands.reconciliation.issuedStatements(
                    commands.caller(state), provider: provider, runID: try commands.runKeyword(request)))
            return .ok("\(table.rows.count) statements", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "issued-statement", roles: [.county, .auditor, .provider], usage: "issued-statement <id> [items]",
            summary: "an issued statement, or with items its frozen payment advice (the same bytes every time)",
            changes: .nothing
        ) { commands, request, state, _ in
            let id = try commands.statementID(request, 0)
            let (document, items) = try await commands.reconciliation.issuedStatement(commands.caller(state), id: id)
            let table: ResultTable
            if request.positional.count > 1 {
                guard request.positional[1] == "items" else {
                    throw ArgumentError(name: "items", reason: "the word items or nothing")
                }
                table = ReconciliationTables.statementItems(items)
            } else {
                table = StatementTables.documents([document])
            }
            return .ok(
                "statement \(id) \(document.state.rawValue) sha256 \(document.contentHash)",
                data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "statement-withdraw", roles: [.county], usage: "statement-withdraw <id> reason=<text>",
            summary: "withdraw an issued statement (not once settled or under a settlement order; right certify)",
            changes: .naturally("a withdrawn statement is CONFLICT")
        ) { commands, request, state, _ in
            let id = try commands.statementID(request, 0)
            guard let reason = request.keywords["reason"] else {
                throw ArgumentError(name: "reason", reason: "say why: reason=\"…\"")
            }
            let document = try await commands.reconciliation.withdrawStatement(
                commands.caller(state), id: id, reason: reason)
            return .ok("statement \(document.id) withdrawn; a new one may be issued for run \(document.runID)")
        },
    ]

    func statementID(_ request: Request, _ index: Int) throws -> Int64 {
        try number(request, index, name: "statement", reason: "a statement number")
    }
}

/// Issued statements as tables.
enum StatementTables {
    static func documents(_ documents: [StatementDocument]) -> ResultTable {
        ResultTable(
            columns: [
                "statement", "run", "provider", "tenant", "state", "accrued", "instalments", "settlements", "balance",
                "items", "sha256", "issued_by", "issued_at", "order", "settled_at", "withdrawn_by", "withdrawn_at",
                "reason",
            ],
            rows: documents.map { d in
                [
                    .integer(d.id), .integer(d.runID), .text(d.providerName), .text(d.provider.description),
                    .text(d.state.rawValue), .amount(d.accrued.cents), .amount(d.instalments.cents),
                    .amount(d.settlements.cents), .amount(d.balance.cents), .integer(Int64(d.items)),
                    .text(d.contentHash), .text(d.issuedBy), .text(d.issuedAt),
                    d.paymentOrderID.map { .integer($0) } ?? .null,
                    d.settledAt.map { .text($0) } ?? .null, d.withdrawnBy.map { .text($0) } ?? .null,
                    d.withdrawnAt.map { .text($0) } ?? .null, d.withdrawalReason.map { .text($0) } ?? .null,
                ]
            })
    }
}
