import Foundation
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices

/// Payment orders (Kassenanordnungen) under four eyes, the Kasse's export and confirmations, the finance
/// mapping, creditor numbers and decisions on overruns (§ 117 NKomVG).
extension AdminCommands {
    static let paymentOrderCommands: [AdminCommand] = orderCommands + kasseCommands + overrunCommands

    static let orderCommands: [AdminCommand] = [
        AdminCommand(
            "orders", roles: [.county, .auditor, .provider],
            "payment orders: both signatures, Kassenzeichen, batch, what the Kasse paid", changes: .nothing,
            Arg.oneOf("state", as: PaymentOrderState.self).optional
        ) { invocation, wanted in
            let states: [PaymentOrderState] = wanted.map { $0 == .expired ? [.expired, .pending] : [$0] } ?? []
            let orders = try await invocation.commands.paymentOrders.orders(invocation.caller, states: states).filter {
                states.isEmpty || states.first == $0.state
            }
            let table = ResultTable(
                columns: [
                    "order", "kind", "payee", "amount", "state", "certified_by", "decided_by", "expires",
                    "kassenzeichen", "due", "batch", "paid", "payment",
                ],
                rows: orders.map { order in
                    [
                        .integer(order.id), .text(order.kind.rawValue), .text(order.payee), .amount(order.amount.cents),
                        .text(order.state.rawValue), .text(order.certifiedBy), order.decidedBy.map(Cell.text) ?? .null,
                        .text(order.expiresOn.description), order.kassenzeichen.map(Cell.text) ?? .null,
                        order.due.map { .text($0.description) } ?? .null, order.batch.map(Cell.integer) ?? .null,
                        .amount(order.paid.cents),
                        order.kassenzeichen == nil ? .null : .text(order.status.rawValue),
                    ]
                })
            // Ordered against paid: what went to the Kasse and what it confirmed.
            let toKasse = orders.filter { $0.state == .approved && $0.kind.paysTheKasse }
            let ordered = try Money.total(toKasse.map(\.amount))
            let paid = try Money.total(toKasse.map(\.paid))
            return .ok(
                invocation.say(AdminText.ordersListed(orders.count, ordered: ordered, paid: paid)),
                data: invocation.lines(table))
        },
        AdminCommand(
            "order-approve", roles: [.county], right: .order,
            "order a certified payment (second signature, right order): books it",
            changes: .naturally("the same account ordering again gets the same answer"), Arg.order,
            Arg.dayKeyword("due").optional
        ) { invocation, id, due in
            let ordered = try await invocation.commands.paymentOrders.approve(invocation.caller, orderID: id, due: due)
            return .ok(invocation.say(AdminText.ordered(ordered)))
        },
        // Either the right order or certify may reject: the service checks which.
        AdminCommand(
            "order-reject", roles: [.county], "reject a certified payment with a reason (second account)",
            changes: .naturally("a decided order is CONFLICT"), Arg.order, Arg.textKeyword("reason")
        ) { invocation, id, reason in
            try await invocation.commands.paymentOrders.reject(invocation.caller, orderID: id, reason: reason)
            return .ok(invocation.say(AdminText.orderRejected(id)))
        },
    ]

    static let kasseCommands: [AdminCommand] = [
        AdminCommand(
            "payment-export", roles: [.county], right: .order,
            "put every ordered payment not yet exported into a new batch file for the Kasse",
            changes: .naturally("exports what waits; nothing waiting is CONFLICT"),
            Argument<PaymentFile.Encoding>.keyword("encoding", "utf-8|windows-1252", reason: "utf-8 or windows-1252") {
                PaymentFile.Encoding(rawValue: $0.lowercased())
            }.optional
        ) { invocation, encoding in
            let batch = try await invocation.commands.paymentOrders.export(invocation.caller, encoding: encoding)
            return .ok(invocation.say(AdminText.batchExported(batch)))
        },
        AdminCommand(
            "payment-batch", roles: [.county, .auditor],
            "a batch file exactly as exported, base64 (sozialraumctl --save writes the file)", changes: .nothing,
            Arg.batch
        ) { invocation, id in
            let batch = try await invocation.commands.paymentOrders.batch(invocation.caller, id: id)
            let encoded = Data(batch.content).base64EncodedString()
            let lines = stride(from: 0, to: encoded.count, by: 76).map { start -> String in
                let from = encoded.index(encoded.startIndex, offsetBy: start)
                let to = encoded.index(from, offsetBy: min(76, encoded.count - start))
                return String(encoded[from..<to])
            }
            return .ok("batch \(batch.id) base64 \(batch.content.count) bytes sha256 \(batch.sha256)", data: lines)
        },
        AdminCommand(
            "payment-batch-signature", roles: [.county, .auditor],
            "the batch's Ed25519 signature, base64 (sozialraumctl --save writes the 64 bytes for openssl)",
            changes: .nothing, Arg.batch
        ) { invocation, id in
            let batch = try await invocation.commands.paymentOrders.batch(invocation.caller, id: id)
            guard let signature = batch.signature else {
                return .error(.conflict, AdminText.batchUnsigned(id), invocation.language)
            }
            return .ok(
                "signature of batch \(id) base64 \(signature.count) bytes",
                data: [Data(signature).base64EncodedString()])
        },
        AdminCommand(
            "payment-signing-key", roles: [.county, .auditor],
            "the public key that verifies the batches (PEM, for the Kasse)",
            changes: .nothing
        ) { invocation in
            guard let pem = try invocation.commands.paymentOrders.signingKey(invocation.caller) else {
                return .error(.conflict, AdminText.batchesUnsigned, invocation.language)
            }
            return .ok("Ed25519 public key", data: pem.split(separator: "\n").map(String.init))
        },
        AdminCommand(
            "payment-batch-verify", roles: [.county, .auditor],
            "whether a UTF-8 batch file as the Kasse received it is exactly the one signed", changes: .nothing,
            upload: true, Arg.batch
        ) { invocation, id in
            // The file's lines end in CRLF (docs/payments.md): the upload's lines are joined back that way.
            let text = try await invocation.upload(of: "the batch file").text()
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
                $0.hasSuffix("\r") ? $0.dropLast() : $0
            }
            let file = Array(lines.map { $0 + "\r\n" }.joined().utf8)
            guard try await invocation.commands.paymentOrders.verifyBatch(invocation.caller, id: id, file: file) else {
                return .error(.conflict, AdminText.batchNotTheSigned(id), invocation.language)
            }
            return .ok(invocation.say(AdminText.batchVerified(id, bytes: file.count)))
        },
        AdminCommand(
            "payment-batches", roles: [.county, .auditor], "the export batches: when, by whom, orders, total, checksum",
            changes: .nothing
        ) { invocation in
            let batches = try await invocation.commands.paymentOrders.batches(invocation.caller)
            let table = ResultTable(
                columns: ["batch", "created", "by", "encoding", "orders", "total", "sha256"],
                rows: batches.map {
                    [
                        .integer($0.id), .text($0.created), .text($0.createdBy), .text($0.encoding.rawValue),
                        .integer(Int64($0.orders)), .amount($0.total.cents), .text($0.sha256),
                    ]
                })
            return .ok(invocation.say(AdminText.counted(batches.count, "batches")), data: invocation.lines(table))
        },
        AdminCommand(
            "payment-confirm", roles: [.county], right: .order,
            "import the Kasse's confirmations (Kassenzeichen;Betrag;Valuta); all or nothing", changes: .withKey,
            upload: true, Arg.key
        ) { invocation, key in
            let upload = try invocation.upload()
            let (commands, caller) = (invocation.commands, invocation.caller)
            let outcome = try await commands.imports.run {
                try await commands.paymentOrders.importConfirmations(
                    caller, csv: try await upload.text(), idempotencyKey: key)
            }
            return .ok(invocation.say(AdminText.confirmationsImported(outcome)))
        },
        AdminCommand(
            "finance-map", roles: [.county], right: .controller,
            "where payments of a line are booked in the finance system (Kontierung), per year",
            changes: .naturally("sets the mapping"), Arg.year, Arg.socialSpace, Arg.component,
            Argument<PaymentOrderKind>.required(
                "kind", "instalment|settlement|surplus_share", reason: "instalment, settlement or surplus_share"
            ) { PaymentOrderKind(rawValue: $0).flatMap { $0.paysTheKasse ? $0 : nil } },
            Arg.textKeyword("produkt", "<p>"), Arg.textKeyword("sachkonto", "<s>"),
            Arg.textKeyword("kostenstelle", "<k>")
        ) { invocation, year, space, component, kind, product, account, costCentre in
            try await invocation.commands.paymentOrders.setFinanceMapping(
                invocation.caller, year: year, socialSpace: space, component: component, kind: kind,
                mapping: FinanceMapping(product: product, account: account, costCentre: costCentre))
            return .ok(invocation.say(AdminText.mappingSet("\(year) \(space) \(component.rawValue) \(kind.rawValue)")))
        },
        AdminCommand(
            "finance-mappings", roles: [.county, .auditor], "the Kontierung of a year", changes: .nothing, Arg.year
        ) { invocation, year in
            let mappings = try await invocation.commands.paymentOrders.financeMappings(invocation.caller, year: year)
            let table = ResultTable(
                columns: ["sozialraum", "component", "kind", "produkt", "sachkonto", "kostenstelle"],
                rows: mappings.map {
                    [
                        .text($0.socialSpace), .text($0.component), .text($0.kind), .text($0.mapping.product),
                        .text($0.mapping.account), .text($0.mapping.costCentre),
                    ]
                })
            return .ok(invocation.say(AdminText.counted(mappings.count, "mappings")), data: invocation.lines(table))
        },
        AdminCommand(
            "provider-creditor", roles: [.county], right: .caseWork,
            "the provider's creditor number in the finance system (Kreditor)", changes: .naturally("sets the number"),
            Arg.tenant(), Arg.text("creditor-number")
        ) { invocation, reference, number in
            let provider = try await invocation.tenant(reference)
            try await invocation.commands.paymentOrders.setCreditorNumber(
                invocation.caller, provider: provider, number: number)
            return .ok(invocation.say(AdminText.creditorSet("\(provider)")))
        },
    ]

    static let overrunCommands: [AdminCommand] = [
        AdminCommand(
            "overrun-decide", roles: [.county], right: .order,
            "record the decision on an over- or unplanned overrun (§ 117 NKomVG, right order)", changes: .withKey,
            Arg.year, Arg.socialSpace, Arg.component, Arg.amount, Arg.textKeyword("reason"),
            Argument<BudgetLineRef>.keyword(
                "cover", "<sozialraum>/<component>", reason: "<sozialraum>/<component>, e.g. sued/milieu"
            ) { BudgetLineRef($0) }.optional,
            Arg.dayKeyword("kreistag").optional, Arg.key
        ) { invocation, year, space, component, amount, reason, cover, kreistag, key in
            let caller = invocation.caller
            let decided = try await invocation.commands.paymentOrders.decideOverrun(
                caller,
                OverrunDecision(
                    year: year, socialSpace: space, component: component, kind: .overPlan, amount: amount,
                    reason: reason, cover: cover, councilInformedOn: kreistag, decidedBy: caller.name),
                idempotencyKey: key)
            return .ok(
                invocation.say(
                    AdminText.overrunDecided(decided.id, decided.kind.rawValue, findings: decided.settledFindings)))
        },
        AdminCommand(
            "overruns", roles: [.county, .auditor], "the decisions on overruns of a year, and how many wait for one",
            changes: .nothing, Arg.year
        ) { invocation, year in
            let (decisions, undecided) = try await invocation.commands.paymentOrders.overrunDecisions(
                invocation.caller, year: year)
            let table = ResultTable(
                columns: [
                    "decision", "sozialraum", "component", "kind", "amount", "reason", "cover", "kreistag",
                    "decided_by", "decided_at",
                ],
                rows: decisions.map {
                    [
                        .integer($0.id), .text($0.socialSpace), .text($0.component), .text($0.kind.rawValue),
                        .amount($0.amount.cents), .text($0.reason), .text($0.cover),
                        $0.councilInformedOn.map(Cell.text) ?? .null, .text($0.decidedBy), .text($0.decidedAt),
                    ]
                })
            return .ok(
                invocation.say(AdminText.overrunsListed(decisions.count, undecided: undecided)),
                data: invocation.lines(table))
        },
    ]
}

extension Arg {
    static var order: Argument<Int64> { number("order", reason: "an order number") }
    static var batch: Argument<Int64> { number("batch", reason: "a batch number") }
}

typealias Cell = ResultTable.Cell
