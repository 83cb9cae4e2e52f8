import Crypto
import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The Kasse's side: Kontierung and creditor numbers (county data), export batches of ordered payments,
/// and the Kasse's confirmations (IST) coming back.
extension PaymentOrderService {
    /// Sets where payments of `kind` for a Sozialraum and component are booked in `year` (Produkt,
    /// Sachkonto, Kostenstelle). Orders already ordered keep the Kontierung they were ordered with.
    public func setFinanceMapping(
        _ caller: Caller, year: Int, socialSpace: SocialSpaceCode, component: BudgetComponent, kind: PaymentOrderKind,
        mapping: FinanceMapping
    ) async throws {
        try caller.require(.controller, for: "setting the finance mapping")
        guard kind.paysTheKasse else {
            throw ServiceError.invalid(
                field: "kind", reason: "instalment, settlement or surplus_share (a finding is paid by a statement)")
        }
        guard FinanceMapping.isValidCode(mapping.product) else {
            throw ServiceError.invalid(field: "produkt", reason: "1 to 20 letters, digits or '.'")
        }
        guard FinanceMapping.isValidCode(mapping.account) else {
            throw ServiceError.invalid(field: "sachkonto", reason: "1 to 20 letters, digits or '.'")
        }
        guard FinanceMapping.isValidCode(mapping.costCentre, allowingSeparators: true) else {
            throw ServiceError.invalid(field: "kostenstelle", reason: "1 to 20 letters, digits, '.', '/' or '-'")
        }
        try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                try await requireYear(tx, year)
                try await requireSocialSpace(tx, socialSpace)
                try await PaymentOrderStore.setMapping(
                    tx, year: year, socialSpace: socialSpace, component: component, kind: kind, mapping: mapping)
                try await tx.audit(caller, "finance.map", "finance_mapping", "\(year)/\(socialSpace)/\(component)")
            }
        }
    }

    public func financeMappings(_ caller: Caller, year: Int) async throws -> [FinanceMappingListing] {
        try caller.require(.county, .auditor, for: "reading the finance mapping")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await PaymentOrderStore.mappings(tx, year: year)
        }
    }

    /// Records a provider's creditor number in the finance system (Kreditorennummer).
    public func setCreditorNumber(_ caller: Caller, provider: TenantID, number: String) async throws {
        try caller.require(.caseWork, for: "recording creditor numbers")
        guard FinanceMapping.isValidCode(number, allowingSeparators: true), !number.contains("."),
            !number.contains("/")
        else { throw ServiceError.invalid(field: "creditor", reason: "1 to 20 letters, digits or '-'") }
        try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                guard try await PaymentOrderStore.setCreditorNumber(tx, provider: provider, number: number) else {
                    throw ServiceError.notFound("provider")
                }
                try await tx.audit(caller, "provider.creditor", "tenant", provider.description)
            }
        }
    }

    // MARK: Export

    /// Puts every ordered payment not yet exported into a new batch file for the Kasse and stores it.
    /// An order goes into one batch only; the stored file is handed out byte for byte ever after.
    public func export(_ caller: Caller, encoding: PaymentFile.Encoding? = nil) async throws -> PaymentBatch {
        try caller.require(.order, for: "exporting payment orders")
        let encoding = encoding ?? settings.exportEncoding
        let columns = settings.exportColumns
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                let lines = try await PaymentOrderStore.unexportedLines(tx)
                guard !lines.isEmpty else { throw ServiceError.conflict("no ordered payment waits for export") }
                let id = try await PaymentOrderStore.nextBatchID(tx)
                let body: [UInt8]
                do throws(PaymentFile.UnencodableText) {
                    body = try PaymentFile.body(batch: id, lines: lines, columns: columns, encoding: encoding)
                } catch { throw ServiceError.invalid(field: "encoding", reason: error.description) }
                let total = try Money.total(lines.map(\.amount))
                let file =
                    body
                    + PaymentFile.checksumLine(
                        lines: lines.count, total: total, sha256: hexString(SHA256.hash(data: body)))
                var orders: [Int64] = []
                for line in lines where orders.last != line.order { orders.append(line.order) }
                var batch = PaymentBatch(
                    id: id, created: "", createdBy: caller.name, encoding: encoding, orders: orders.count, total: total,
                    sha256: hexString(SHA256.hash(data: file)), content: file)
                batch.signature = try settings.signingKey.map { try BatchSignature.sign(file, key: $0) }
                try await PaymentOrderStore.insertBatch(tx, county: caller.tenant, batch: batch, orders: orders)
                try await tx.audit(caller, "orders.export", "payment_batch", String(id))
                return batch
            }
        }
    }

    /// The county's public key for the Kasse (PEM), or nil when batches are not signed.
    public func signingKey(_ caller: Caller) throws -> String? {
        try caller.require(.county, .auditor, for: "reading the signing key")
        return try settings.signingKey.map { try BatchSignature.publicKeyPEM(key: $0) }
    }

    /// Whether `file` (as the Kasse received batch `id`) is exactly what was signed: an edit of a single byte
    /// fails. `CONFLICT` for a batch exported unsigned.
    public func verifyBatch(_ caller: Caller, id: Int64, file: [UInt8]) async throws -> Bool {
        try caller.require(.county, .auditor, for: "verifying payment batches")
        guard let key = settings.signingKey else {
            throw ServiceError.conflict("batches are not signed: set payments.signingKeyFile")
        }
        let stored = try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await PaymentOrderStore.batch(tx, id: id)
        }
        guard let stored else { throw ServiceError.notFound("payment batch") }
        guard let signature = stored.signature else { throw ServiceError.conflict("batch \(id) was exported unsigned") }
        return try BatchSignature.verify(file, signature: signature, key: key)
    }

    /// A stored batch file, as exported.
    public func batch(_ caller: Caller, id: Int64) async throws -> PaymentBatch {
        try caller.require(.county, .auditor, for: "reading export batches")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            guard let batch = try await PaymentOrderStore.batch(tx, id: id) else {
                throw ServiceError.notFound("batch")
            }
            return batch
        }
    }

    public func batches(_ caller: Caller) async throws -> [PaymentBatch] {
        try caller.require(.county, .auditor, for: "reading export batches")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await PaymentOrderStore.batches(tx)
        }
    }

    // MARK: The Kasse's confirmations (IST)

    /// What importing a confirmation file found, per order it names.
    public struct Confirmations: Sendable, Equatable {
        public var lines = 0
        public var paid = 0
        public var partlyPaid = 0
        public var returned = 0
        public var overpaid = 0
        public var unknown = 0
        public var findings = 0

        public init(
            lines: Int = 0, paid: Int = 0, partlyPaid: Int = 0, returned: Int = 0, overpaid: Int = 0, unknown: Int = 0,
            findings: Int = 0
        ) {
            self.lines = lines
            self.paid = paid
            self.partlyPaid = partlyPaid
            self.returned = returned
            self.overpaid = overpaid
            self.unknown = unknown
            self.findings = findings
        }
    }

    /// Imports the Kasse's payment confirmations (`Kassenzeichen;Betrag;Valuta`, German amounts, a negative
    /// amount is a return), all or nothing: each line is kept with its order, every order it names is then
    /// paid, partly paid, returned or overpaid, and any difference or unknown Kassenzeichen is a finding.
    /// A file is imported once.
    public func importConfirmations(
        _ caller: Caller, csv: String, idempotencyKey: IdempotencyKey
    ) async throws
        -> Confirmations
    {
        try caller.require(.order, for: "importing payment confirmations")
        let rows: [ConfirmationFile.Row]
        switch ConfirmationFile.parse(csv) {
        case .success(let parsed): rows = parsed
        case .failure(let error): throw error
        }
        // A file's identity is its content lines, not its bytes: the same confirmations saved again by Excel
        // (a byte-order mark, CRLF) or with a blank line more are the same file.
        let source = sha256Hex(ConfirmationFile.identity(csv))
        let content = "confirmations|\(source)"
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                if let result = try await replayed(tx, key: idempotencyKey, content: content) {
                    return Confirmations(stored: result)
                }
                try await PaymentOrderStore.lockConfirmationSource(tx, source: source)
                // Files imported before version 0028 are known by the hash of their bytes.
                guard !(try await PaymentOrderStore.confirmationsImported(tx, sources: [source, sha256Hex(csv)])) else {
                    throw ServiceError.duplicate("this confirmation file (imported under another key)")
                }
                // The Kasse pays only what it was sent: a confirmation of an order that never went out in a
                // batch would mark it paid without the Kasse knowing it, and it would still go out later.
                var orders: [(id: Int64, amount: Money)?] = []
                var neverSent: [RowError] = []
                for row in rows {
                    let order = try await PaymentOrderStore.orderedOrder(tx, kassenzeichen: row.kassenzeichen)
                    if let order, !order.exported {
                        neverSent.append(
                            RowError(
                                line: row.line, field: "Kassenzeichen",
                                reason: "order \(order.id) was never sent to the Kasse (payment-export first)"))
                    }
                    orders.append(order.map { ($0.id, $0.amount) })
                }
                guard neverSent.isEmpty else { throw ServiceError.rejectedRows(Array(neverSent.prefix(1000))) }
                var outcome = Confirmations()
                var touched: [Int64: (ordered: Money, lastReceipt: Int64, month: YearMonth)] = [:]
                for (row, order) in zip(rows, orders) {
                    outcome.lines += 1
                    let receipt = try await PaymentOrderStore.insertReceipt(
                        tx, county: caller.tenant, source: source, line: row.line, kassenzeichen: row.kassenzeichen,
                        order: order?.id, amount: row.amount, valueDate: row.valueDate, actor: caller.name)
                    if let (id, ordered) = order {
                        touched[id] = (ordered, receipt, row.valueDate.yearMonth)
                    } else {
                        outcome.unknown += 1
                        try await PaymentOrderStore.recordFinding(
                            tx, county: caller.tenant, kind: .paymentUnknown, month: row.valueDate.yearMonth,
                            amount: row.amount, receipt: receipt)
                        outcome.findings += 1
                    }
                }
                for (id, order) in touched.sorted(by: { $0.key < $1.key }) {
                    let (paid, count) = try await PaymentOrderStore.confirmed(tx, order: id)
                    let status = PaymentStatus.of(ordered: order.ordered, paid: paid, confirmations: count)
                    switch status {
                    case .paid, .open: outcome.paid += status == .paid ? 1 : 0
                    case .partlyPaid: outcome.partlyPaid += 1
                    case .returned: outcome.returned += 1
                    case .overpaid: outcome.overpaid += 1
                    }
                    if status != .paid {
                        try await PaymentOrderStore.recordFinding(
                            tx, county: caller.tenant, kind: .paymentDifference, month: order.month,
                            amount: try order.ordered - paid, receipt: order.lastReceipt)
                        outcome.findings += 1
                    }
                }
                try await LedgerStore.remember(tx, key: idempotencyKey, content: content, result: outcome.stored)
                try await tx.audit(caller, "orders.confirm", "payment_receipt", String(source.prefix(16)))
                return outcome
            }
        }
    }
}

extension PaymentOrderService.Confirmations {
    var stored: String {
        [lines, paid, partlyPaid, returned, overpaid, unknown, findings].map(String.init).joined(separator: ",")
    }

    init(stored: String) {
        let numbers = stored.split(separator: ",").map { Int($0) ?? 0 } + Array(repeating: 0, count: 7)
        self.init(
            lines: numbers[0], paid: numbers[1], partlyPaid: numbers[2], returned: numbers[3], overpaid: numbers[4],
            unknown: numbers[5], findings: numbers[6])
    }
}

/// The Kasse's confirmation file: `Kassenzeichen;Betrag;Valuta`, German amounts (`1234,56`, negative for
/// a return) and dates (`31.01.2027` or `2027-01-31`). Every line is checked first; a bad line names its
/// number, field and reason, and nothing is imported.
public enum ConfirmationFile {
    public struct Row: Sendable, Equatable {
        public var line: Int
        public var kassenzeichen: String
        public var amount: Money
        public var valueDate: Day
    }

    public static let maximumRows = 100_000

    static func isBlank(_ line: Substring) -> Bool { line.allSatisfy { $0 == " " || $0 == "\t" } }

    /// What makes two files the same confirmations: their non-blank lines (no byte-order mark, line ends
    /// normalised), one per line.
    public static func identity(_ csv: String) -> String {
        TextLines.lines(csv).filter { !isBlank($0) }.joined(separator: "\n")
    }

    /// A Kassenzeichen is printable text: no control, format (bidi) or separator characters, which could
    /// hide what a line says or break the file it is written to.
    static func isPrintable(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { scalar in
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .spaceSeparator, .surrogate, .privateUse,
                .unassigned:
                false
            default: true
            }
        }
    }

    public static func parse(_ csv: String) -> Result<[Row], ServiceError> {
        let lines = TextLines.lines(csv)
        guard lines.first?.lowercased() == "kassenzeichen;betrag;valuta" else {
            return .failure(.invalid(field: "header", reason: "expected Kassenzeichen;Betrag;Valuta"))
        }
        guard lines.count - 1 <= maximumRows else {
            return .failure(.invalid(field: "file", reason: "more than \(maximumRows) lines"))
        }
        var rows: [Row] = []
        var errors: [RowError] = []
        for (index, text) in lines.enumerated().dropFirst() where !isBlank(text) {
            let number = index + 1
            let fields = text.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else {
                errors.append(RowError(line: number, field: "line", reason: "expected 3 fields, found \(fields.count)"))
                continue
            }
            guard (1...30).contains(fields[0].count), !fields[0].contains(where: { $0.isWhitespace }),
                isPrintable(fields[0])
            else {
                errors.append(
                    RowError(
                        line: number, field: "Kassenzeichen",
                        reason: "1 to 30 characters, no spaces or control characters"))
                continue
            }
            let amount: Money
            do { amount = try Money(parsing: fields[1], decimalComma: true) } catch {
                errors.append(RowError(line: number, field: "Betrag", reason: error.description))
                continue
            }
            guard let day = germanOrISODay(fields[2]) else {
                errors.append(RowError(line: number, field: "Valuta", reason: "a date like 31.01.2027"))
                continue
            }
            rows.append(Row(line: number, kassenzeichen: fields[0], amount: amount, valueDate: day))
        }
        if !errors.isEmpty { return .failure(.rejectedRows(Array(errors.prefix(1000)))) }
        guard !rows.isEmpty else { return .failure(.invalid(field: "file", reason: "no confirmations")) }
        return .success(rows)
    }

    static func germanOrISODay(_ text: String) -> Day? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 2, parts[1].count == 2, parts[2].count == 4 else {
            return Day(iso: text)
        }
        return Day(iso: "\(parts[2])-\(parts[1])-\(parts[0])")
    }
}
