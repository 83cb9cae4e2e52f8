import SozialraumDomain
import SozialraumProtocol
import SozialraumServices

/// Statements as documents (Abrechnung): issuing a run's draft, reading issued statements and their
/// frozen items, withdrawing one.
extension AdminCommands {
    static let statementCommands: [AdminCommand] = [
        AdminCommand(
            "statement-issue", roles: [.county], right: .certify,
            "issue a provider's statement of a run: its items frozen with a content hash (right certify)",
            changes: .naturally("an issued statement is DUPLICATE"), Arg.run, Arg.tenant()
        ) { invocation, run, reference in
            let document = try await invocation.commands.reconciliation.issueStatement(
                invocation.caller, runID: run, provider: try await invocation.tenant(reference))
            return .ok(invocation.say(AdminText.statementIssued(document)))
        },
        AdminCommand(
            "issued-statements", roles: [.county, .auditor, .provider],
            "issued statements (a provider: its own), newest first", changes: .nothing, Arg.tenant().optional,
            Arg.runKeyword.optional
        ) { invocation, reference, run in
            var provider: TenantID?
            if let reference { provider = try await invocation.tenant(reference) }
            let table = StatementTables.documents(
                try await invocation.commands.reconciliation.issuedStatements(
                    invocation.caller, provider: provider, runID: run))
            return .ok(invocation.say(AdminText.counted(table.rows.count, "statements")), data: invocation.lines(table))
        },
        AdminCommand(
            "issued-statement", roles: [.county, .auditor, .provider],
            "an issued statement, or with items its frozen payment advice (the same bytes every time)",
            changes: .nothing, Arg.statement, Argument.word("items", ["items"])
        ) { invocation, id, items in
            let (document, frozen) = try await invocation.commands.reconciliation.issuedStatement(
                invocation.caller, id: id)
            if items != nil {
                try await invocation.showingCases(keys: frozen.map(\.caseKey), command: "issued-statement")
            }
            let table =
                items != nil
                ? ReconciliationTables.statementItems(frozen, issued: true) : StatementTables.documents([document])
            return .ok(
                "statement \(id) \(document.state.rawValue) sha256 \(document.contentHash)",
                data: invocation.lines(table))
        },
        AdminCommand(
            "statement-withdraw", roles: [.county], right: .certify,
            "withdraw an issued statement (not once settled or under a settlement order; right certify)",
            changes: .naturally("a withdrawn statement is CONFLICT"), Arg.statement,
            Arg.textKeyword("reason", missing: "say why: reason=\"…\"")
        ) { invocation, id, reason in
            let document = try await invocation.commands.reconciliation.withdrawStatement(
                invocation.caller, id: id, reason: reason)
            return .ok(invocation.say(AdminText.statementWithdrawn(document)))
        },
    ]
}

extension Arg {
    static var statement: Argument<Int64> { number("statement", "<id>", reason: "a statement number") }
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
