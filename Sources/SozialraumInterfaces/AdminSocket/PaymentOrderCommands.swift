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
            name: "orders", roles: [.county, .auditor, .provider],
            usage: "orders [pending|approved|rejected|expired]",
            summary: "payment orders: both signatures, Kassenzeichen, batch, what the Kasse paid", changes: .nothing
        ) { commands, request, state, _ in
            var states: [PaymentOrderState] = []
            if let text = request.positional.first {
                guard let wanted = PaymentOrderState(rawValue: text) else {
                    throw ArgumentError(name: "state", reason: "pending, approved, rejected or expired")
                }
                states = wanted == .expired ? [.expired, .pending] : [wanted]
            }
            let orders = try await commands.paymentOrders.orders(commands.caller(state), states: states).filter {
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
                "\(orders.count) orders; ordered \(ordered), paid by the Kasse \(paid)",
                data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "order-approve", roles: [.county], usage: "order-approve <order> [due=<date>]",
            summary: "order a certified payment (second signature, right order): books it",
            changes: .naturally("the same account ordering again gets the same answer")
        ) { commands, request, state, _ in
            let ordered = try await commands.paymentOrders.approve(
                commands.caller(state), orderID: try commands.orderID(request),
                due: try commands.keywordDay(request, "due"))
            let bookings = "bookings " + ordered.bookingIDs.map(String.init).joined(separator: ",")
            if let applied = ordered.applied {
                return .ok("order \(ordered.orderID) ordered: \(applied)")
            }
            guard let kassenzeichen = ordered.kassenzeichen, let due = ordered.due else {
                return .ok(
                    "order \(ordered.orderID) ordered: \(ordered.amount) \(bookings) (paid with the next statement)")
            }
            return .ok(
                "order \(ordered.orderID) ordered: \(ordered.amount) kassenzeichen \(kassenzeichen) due \(due) \(bookings)"
            )
        },
        AdminCommand(
            name: "order-reject", roles: [.county], usage: "order-reject <order> reason=<text>",
            summary: "reject a certified payment with a reason (second account)",
            changes: .naturally("a decided order is CONFLICT")
        ) { commands, request, state, _ in
            guard let reason = request.keywords["reason"] else {
                throw ArgumentError(name: "reason", reason: "required")
            }
            let id = try commands.orderID(request)
            try await commands.paymentOrders.reject(commands.caller(state), orderID: id, reason: reason)
            return .ok("order \(id) rejected")
        },
    ]

    static let kasseCommands: [AdminCommand] = [
        AdminCommand(
            name: "payment-export", roles: [.county], usage: "payment-export [encoding=utf-8|windows-1252]",
            summary: "put every ordered payment not yet exported into a new batch file for the Kasse",
            changes: .naturally("exports what waits; nothing waiting is CONFLICT")
        ) { commands, request, state, _ in
            var encoding: PaymentFile.Encoding?
            if let text = request.keywords["encoding"] {
                guard let chosen = PaymentFile.Encoding(rawValue: text.lowercased()) else {
                    throw ArgumentError(name: "encoding", reason: "utf-8 or windows-1252")
                }
                encoding = chosen
            }
            let batch = try await commands.paymentOrders.export(commands.caller(state), encoding: encoding)
            return .ok(
                "batch \(batch.id): \(batch.orders) orders, total \(batch.total), \(batch.content.count) bytes "
                    + "\(batch.encoding.rawValue), sha256 \(batch.sha256)")
        },
        AdminCommand(
            name: "payment-batch", roles: [.county, .auditor], usage: "payment-batch <batch>",
            summary: "a batch file exactly as exported, base64 (sozialraumctl --save writes the file)",
            changes: .nothing
        ) { commands, request, state, _ in
            let id = try commands.number(request, 0, name: "batch", reason: "a batch number")
            let batch = try await commands.paymentOrders.batch(commands.caller(state), id: id)
            let encoded = Data(batch.content).base64EncodedString()
            let lines = stride(from: 0, to: encoded.count, by: 76).map { start -> String in
                let from = encoded.index(encoded.startIndex, offsetBy: start)
                let to = encoded.index(from, offsetBy: min(76, encoded.count - start))
                return String(encoded[from..<to])
            }
            return .ok("batch \(batch.id) base64 \(batch.content.count) bytes sha256 \(batch.sha256)", data: lines)
        },
        AdminCommand(
            name: "payment-batch-signature", roles: [.county, .auditor], usage: "payment-batch-signature <batch>",
            summary: "the batch's Ed25519 signature, base64 (sozialraumctl --save writes the 64 bytes for openssl)",
            changes: .nothing
        ) { commands, request, state, _ in
            let id = try commands.number(request, 0, name: "batch", reason: "a batch number")
            let batch = try await commands.paymentOrders.batch(commands.caller(state), id: id)
            guard let signature = batch.signature else {
                return .error(.conflict, "batch \(id) was exported unsigned (payments.signingKeyFile)")
            }
            return .ok(
                "signature of batch \(id) base64 \(signature.count) bytes",
                data: [Data(signature).base64EncodedString()])
        },
        AdminCommand(
            name: "payment-signing-key", roles: [.county, .auditor], usage: "payment-signing-key",
            summary: "the public key that verifies the batches (PEM, for the Kasse)", changes: .nothing
        ) { commands, _, state, _ in
            guard let pem = try commands.paymentOrders.signingKey(commands.caller(state)) else {
                return .error(.conflict, "batches are not signed: set payments.signingKeyFile")
            }
            return .ok("Ed25519 public key", data: pem.split(separator: "\n").map(String.init))
        },
        AdminCommand(
            name: "payment-batch-verify", roles: [.county, .auditor], usage: "payment-batch-verify <batch> <<",
            summary: "whether a UTF-8 batch file as the Kasse received it is exactly the one signed",
            changes: .nothing, takesUpload: true
        ) { commands, request, state, upload in
            let id = try commands.number(request, 0, name: "batch", reason: "a batch number")
            // The file's lines end in CRLF (docs/payments.md): the upload's lines are joined back that way.
            let text = try await commands.upload(upload, of: "the batch file").text()
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
                $0.hasSuffix("\r") ? $0.dropLast() : $0
            }
            let file = Array(lines.map { $0 + "\r\n" }.joined().utf8)
            guard try await commands.paymentOrders.verifyBatch(commands.caller(state), id: id, file: file) else {
                return .error(.conflict, "batch \(id): the file is not the one signed (edited or damaged)")
            }
            return .ok("batch \(id): the file is the one signed (\(file.count) bytes)")
        },
        AdminCommand(
            name: "payment-batches", roles: [.county, .auditor], usage: "payment-batches",
            summary: "the export batches: when, by whom, orders, total, checksum", changes: .nothing
        ) { commands, request, state, _ in
            let batches = try await commands.paymentOrders.batches(commands.caller(state))
            let table = ResultTable(
                columns: ["batch", "created", "by", "encoding", "orders", "total", "sha256"],
                rows: batches.map {
                    [
                        .integer($0.id), .text($0.created), .text($0.createdBy), .text($0.encoding.rawValue),
                        .integer(Int64($0.orders)), .amount($0.total.cents), .text($0.sha256),
                    ]
                })
            return .ok("\(batches.count) batches", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "payment-confirm", roles: [.county], usage: "payment-confirm key=<idempotency-key> <<",
            summary: "import the Kasse's confirmations (Kassenzeichen;Betrag;Valuta); all or nothing",
            changes: .withKey,
            takesUpload: true
        ) { commands, request, state, upload in
            let upload = try commands.upload(upload)
            let caller = commands.caller(state)
            let key = try commands.idempotencyKey(request)
            let outcome = try await commands.imports.run {
                try await commands.paymentOrders.importConfirmations(
                    caller, csv: try await upload.text(), idempotencyKey: key)
            }
            return .ok(
                "\(outcome.lines) confirmations: \(outcome.paid) paid, \(outcome.partlyPaid) partly paid, "
                    + "\(outcome.returned) returned, \(outcome.overpaid) overpaid, \(outcome.unknown) unknown, "
                    + "\(outcome.findings) findings")
        },
        AdminCommand(
            name: "finance-map", roles: [.county],
            usage:
                "finance-map <year> <sozialraum> <component> instalment|settlement|surplus_share produkt=<p> sachkonto=<s> kostenstelle=<k>",
            summary: "where payments of a line are booked in the finance system (Kontierung), per year",
            changes: .naturally("sets the mapping")
        ) { commands, request, state, _ in
            let year = try commands.year(request, 0)
            let space = try commands.socialSpace(request, 1)
            let component = try commands.component(request, 2)
            guard let kind = PaymentOrderKind(rawValue: try commands.positional(request, 3, name: "kind")),
                kind.paysTheKasse
            else { throw ArgumentError(name: "kind", reason: "instalment, settlement or surplus_share") }
            var fields: [String] = []
            for name in ["produkt", "sachkonto", "kostenstelle"] {
                guard let value = request.keywords[name] else { throw ArgumentError(name: name, reason: "required") }
                fields.append(value)
            }
            try await commands.paymentOrders.setFinanceMapping(
                commands.caller(state), year: year, socialSpace: space, component: component, kind: kind,
                mapping: FinanceMapping(product: fields[0], account: fields[1], costCentre: fields[2]))
            return .ok("finance mapping \(year) \(space) \(component.rawValue) \(kind.rawValue) set")
        },
        AdminCommand(
            name: "finance-mappings", roles: [.county, .auditor], usage: "finance-mappings <year>",
            summary: "the Kontierung of a year", changes: .nothing
        ) { commands, request, state, _ in
            let year = try commands.year(request, 0)
            let mappings = try await commands.paymentOrders.financeMappings(commands.caller(state), year: year)
            let table = ResultTable(
                columns: ["sozialraum", "component", "kind", "produkt", "sachkonto", "kostenstelle"],
                rows: mappings.map {
                    [
                        .text($0.socialSpace), .text($0.component), .text($0.kind), .text($0.mapping.product),
                        .text($0.mapping.account), .text($0.mapping.costCentre),
                    ]
                })
            return .ok("\(mappings.count) mappings", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "provider-creditor", roles: [.county], usage: "provider-creditor <provider> <creditor-number>",
            summary: "the provider's creditor number in the finance system (Kreditor)",
            changes: .naturally("sets the number")
        ) { commands, request, state, _ in
            let provider = try await commands.tenant(request, 0, state, name: "provider")
            let number = try commands.positional(request, 1, name: "creditor-number")
            try await commands.paymentOrders.setCreditorNumber(
                commands.caller(state), provider: provider, number: number)
            return .ok("creditor number of \(provider) set")
        },
    ]

    static let overrunCommands: [AdminCommand] = [
        AdminCommand(
            name: "overrun-decide", roles: [.county],
            usage:
                "overrun-decide <year> <sozialraum> <component> <amount> reason=<text> [cover=<sozialraum>/<component>] [kreistag=<date>] key=<key>",
            summary: "record the decision on an over- or unplanned overrun (§ 117 NKomVG, right order)",
            changes: .withKey
        ) { commands, request, state, _ in
            var cover: BudgetLineRef?
            if let text = request.keywords["cover"] {
                guard let line = BudgetLineRef(text) else {
                    throw ArgumentError(name: "cover", reason: "<sozialraum>/<component>, e.g. sued/milieu")
                }
                cover = line
            }
            guard let reason = request.keywords["reason"] else {
                throw ArgumentError(name: "reason", reason: "required")
            }
            let caller = commands.caller(state)
            let decided = try await commands.paymentOrders.decideOverrun(
                caller,
                OverrunDecision(
                    year: try commands.year(request, 0), socialSpace: try commands.socialSpace(request, 1),
                    component: try commands.component(request, 2), kind: .overPlan,
                    amount: try commands.amount(request, 3),
                    reason: reason, cover: cover, councilInformedOn: try commands.keywordDay(request, "kreistag"),
                    decidedBy: caller.name),
                idempotencyKey: try commands.idempotencyKey(request))
            return .ok(
                "overrun decision \(decided.id) (\(decided.kind.rawValue)), \(decided.settledFindings) findings decided"
            )
        },
        AdminCommand(
            name: "overruns", roles: [.county, .auditor], usage: "overruns <year>",
            summary: "the decisions on overruns of a year, and how many wait for one", changes: .nothing
        ) { commands, request, state, _ in
            let year = try commands.year(request, 0)
            let (decisions, undecided) = try await commands.paymentOrders.overrunDecisions(
                commands.caller(state), year: year)
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
                "\(decisions.count) decisions, \(undecided) undecided overruns",
                data: table.lines(commands.format(request: request, state)))
        },
    ]

    func year(_ request: Request, _ index: Int) throws -> Int {
        try integer(request, index, name: "year", range: 2000...2199)
    }

    func orderID(_ request: Request) throws -> Int64 {
        try number(request, 0, name: "order", reason: "an order number")
    }
}

extension CertifiedOrder {
    /// What the first signer is told: the order waits for a second account.
    var replyText: String {
        "order \(orderID) certified\(alreadyPending ? " already" : ""): \(amount), waits for a second signature "
            + "(order-approve \(orderID)) until \(expiresOn)"
    }
}

typealias Cell = ResultTable.Cell
