import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumStore

/// Bulk import of a month's deliveries (Leistungsnachweise) from CSV: all or nothing.
///
/// The file has a header `grant_id,month,quantity` (or the same with `;`, then quantities use a
/// decimal comma, as German spreadsheets write them). Every line is checked first, against the
/// file and against the database; if anything is wrong, the caller gets every bad line with field
/// and reason and nothing is written. Otherwise deliveries, their ledger bookings, released
/// commitments and findings are streamed with COPY into temporary tables and inserted from there,
/// in one transaction.
public struct DeliveryImport: Sendable {
    /// The most lines one file may have (a year of a large provider at 100 × Verden's size).
    public static let maximumRows = 2_000_000
    /// The longest line accepted, in bytes.
    public static let maximumLineBytes = 200
    /// The most row errors reported; the count says how many there were in all.
    public static let maximumReportedErrors = 1000

    public struct Row: Sendable, Hashable {
        public var line: Int
        public var grantID: UUID
        public var month: YearMonth
        public var quantity: Quantity
    }

    public struct Outcome: Sendable, Equatable {
        public var deliveries: Int
        public var bookings: Int
        public var findings: Int
        public var total: Money
    }

    /// The row errors of a file: every one counts, the first `maximumReportedErrors` are reported.
    struct RowErrors {
        private(set) var reported: [RowError] = []
        private var count = 0
        var isEmpty: Bool { count == 0 }

        mutating func add(_ line: Int, _ field: String, _ reason: String) {
            count += 1
            if reported.count < DeliveryImport.maximumReportedErrors { reported.append(RowError(line: line, field: field, reason: reason)) }
        }
    }

    /// Parses the file. Returns the rows, or every line error (at most `maximumReportedErrors`).
    ///
    /// Works on the UTF-8 bytes (lines end at LF, an optional CR before it is dropped): splitting a
    /// large file into Characters cost more than all the checks against the database.
    public static func parse(_ csv: String) -> Result<[Row], ServiceError> {
        var csv = csv
        return csv.withUTF8 { parse(bytes: $0) }
    }

    private static func parse(bytes: UnsafeBufferPointer<UInt8>) -> Result<[Row], ServiceError> {
        let newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
        var lineStart = 0
        /// The next line without its line end, or nil at the end of the file.
        func nextLine() -> UnsafeBufferPointer<UInt8>? {
            guard lineStart < bytes.count else { return nil }
            var end = lineStart
            while end < bytes.count, bytes[end] != newline { end += 1 }
            var line = UnsafeBufferPointer(rebasing: bytes[lineStart..<end])
            lineStart = end + 1
            if line.last == carriageReturn { line = UnsafeBufferPointer(rebasing: line.dropLast()) }
            return line
        }
        guard var header = nextLine() else { return .failure(.invalid(field: "file", reason: "empty")) }
        if header.starts(with: [0xEF, 0xBB, 0xBF]) { header = UnsafeBufferPointer(rebasing: header.dropFirst(3)) }
        let delimiter: UInt8
        switch String(decoding: header, as: UTF8.self) {
        case "grant_id,month,quantity": delimiter = UInt8(ascii: ",")
        case "grant_id;month;quantity": delimiter = UInt8(ascii: ";")
        default: return .failure(.invalid(field: "header", reason: "expected grant_id,month,quantity"))
        }
        var rows: [Row] = []
        rows.reserveCapacity(bytes.count / 50)
        var errors = RowErrors()
        var seen: [GrantMonth: Int] = [:]
        var number = 1
        while let text = nextLine() {
            number += 1
            if text.isEmpty { continue }
            guard number - 1 <= maximumRows else {
                return .failure(.invalid(field: "file", reason: "more than \(maximumRows) lines"))
            }
            guard text.count <= maximumLineBytes else { errors.add(number, "line", "longer than \(maximumLineBytes) bytes"); continue }
            let fields = text.split(separator: delimiter, omittingEmptySubsequences: false)
            guard fields.count == 3 else { errors.add(number, "line", "expected 3 fields, found \(fields.count)"); continue }
            guard let grant = UUID(hyphenatedUTF8: UnsafeBufferPointer(rebasing: fields[0])) else { errors.add(number, "grant_id", "not a grant id"); continue }
            guard let month = YearMonth(iso: String(decoding: fields[1], as: UTF8.self)) else {
                errors.add(number, "month", "not a month (expected YYYY-MM)")
                continue
            }
            let quantity: Quantity
            do {
                quantity = try Quantity(parsing: String(decoding: fields[2], as: UTF8.self), decimalComma: delimiter == UInt8(ascii: ";"))
            } catch {
                errors.add(number, "quantity", error.description)
                continue
            }
            let key = GrantMonth(grant: grant, month: month)
            if let first = seen[key] { errors.add(number, "month", "second delivery for this grant and month (first on line \(first))"); continue }
            seen[key] = number
            rows.append(Row(line: number, grantID: grant, month: month, quantity: quantity))
        }
        if !errors.isEmpty { return .failure(.rejectedRows(errors.reported)) }
        guard !rows.isEmpty else { return .failure(.invalid(field: "file", reason: "no deliveries")) }
        return .success(rows)
    }

    /// A grant and a month: the key of a delivery (one per grant and month counts).
    struct GrantMonth: Hashable {
        var grant: UUID
        var month: YearMonth
    }
}

extension BudgetService {
    /// Imports deliveries from CSV for the calling provider (see `DeliveryImport`), all or nothing.
    public func importDeliveries(_ caller: Caller, csv: String, idempotencyKey: IdempotencyKey) async throws -> DeliveryImport.Outcome {
        try caller.require(.provider, for: "importing deliveries")
        let parseStart = ContinuousClock.now
        let rows = try DeliveryImport.parse(csv).get()
        logger.debug(
            "delivery import phase",
            metadata: ["phase": "parse", "duration": "\(ContinuousClock.now - parseStart)", "request": "\(caller.requestID ?? "-")"])
        // The fingerprint of the whole file: a retried upload of the same file returns the first result.
        var file = csv
        let digest = file.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
        let fingerprint = digest.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        let content = "import|\(fingerprint)"
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                if let result = try await replayed(tx, key: idempotencyKey, content: content) { return try Self.decodeOutcome(result) }
                let outcome = try await importChecked(tx, caller: caller, rows: rows)
                try await BudgetSQL.remember(tx, key: idempotencyKey, content: content, result: Self.encodeOutcome(outcome))
                try await tx.audit(caller, "delivery.import", "deliveries", String(outcome.deliveries))
                return outcome
            }
        }
    }

    static func encodeOutcome(_ outcome: DeliveryImport.Outcome) -> String {
        "\(outcome.deliveries) \(outcome.bookings) \(outcome.findings) \(outcome.total.cents)"
    }

    static func decodeOutcome(_ text: String) throws -> DeliveryImport.Outcome {
        let parts = text.split(separator: " ").compactMap { Int64($0) }
        guard parts.count == 4 else { throw ServiceError.conflict("stored result unreadable") }
        return DeliveryImport.Outcome(deliveries: Int(parts[0]), bookings: Int(parts[1]), findings: Int(parts[2]), total: Money(cents: parts[3]))
    }

    private struct Priced {
        var row: DeliveryImport.Row
        var grant: GrantRecord
        /// Earlier (reversed) deliveries of the grant and month: 0 for the first.
        var generation: Int
        /// The month the bookings go into: the delivery's own, or for the correction of a closed
        /// month the current open month (rule 11), then with the original booking it corrects.
        var bookedMonth: YearMonth
        var corrects: Int64?
        var payable: Quantity
        var excess: Quantity
        var cost: Money
        var excessCost: Money
        /// The ledger entries of the cost (never empty: a delivery of nothing has one zero entry).
        var parts: [CostShare]
    }

    private func importChecked(_ tx: TenantTransaction, caller: Caller, rows: [DeliveryImport.Row]) async throws -> DeliveryImport.Outcome {
        let provider = caller.tenant
        var phase = ContinuousClock.now
        // Phase timings at debug level: where a slow import spends its time, without any row data.
        func mark(_ name: String) {
            let now = ContinuousClock.now
            logger.debug("delivery import phase", metadata: ["phase": "\(name)", "duration": "\(now - phase)", "request": "\(caller.requestID ?? "-")"])
            phase = now
        }
        let years = Set(rows.map(\.month.year))
        var grants: [UUID: GrantRecord] = [:]
        for year in years {
            for grant in try await BudgetSQL.grants(tx, provider: provider, year: year) { grants[grant.id] = grant }
        }
        var rates: [String: [Rate]] = [:]
        for row in try await tx.query(
            "SELECT help_type, unit, valid_from, amount FROM rate_agreement WHERE tenant_id = $1 ORDER BY valid_from", [provider.uuid])
        {
            rates["\(try row.decode(0, as: String.self))|\(try row.decode(1, as: String.self))", default: []]
                .append(Rate(validFrom: try row.day(2), amount: Money(cents: try row.decode(3, as: Int64.self))))
        }
        var residences: [UUID: [ResidenceHistory.Entry]] = [:]
        for row in try await tx.query(
            "SELECT r.case_id, r.valid_from, r.social_space FROM residence r ORDER BY r.case_id, r.valid_from")
        {
            residences[try row.decode(0, as: UUID.self), default: []]
                .append(.init(from: try row.day(1), socialSpace: try row.decode(2, as: SocialSpaceCode.self)))
        }
        let months = rows.map(\.month)
        let first = months.min()!, last = months.max()!
        // Through a few months past today: where the corrections of closed months are booked.
        let today = today().yearMonth
        let horizon = max(last, today).next.next.next
        let periods = Set(try await tx.query("SELECT month FROM period WHERE month BETWEEN $1 AND $2", [first, horizon]).map { try $0.day(0).yearMonth })
        let closed = try await BudgetSQL.closedMonths(tx, from: first, through: horizon)
        // Earlier deliveries per grant and month: how many (the next one's generation), whether one
        // still counts (not reversed), which refuses another, and the first booking of the latest.
        var existing: [DeliveryImport.GrantMonth: (count: Int, active: Bool, latestBooking: Int64?)] = [:]
        for row in try await tx.query(
            """
            SELECT d.grant_id, d.month, count(*)::int, count(a.id) > 0,
                   (SELECT min(b.id) FROM booking b WHERE b.grant_id = d.grant_id AND b.kind = 'delivery'
                       AND b.delivery_id = (array_agg(d.id ORDER BY d.generation DESC))[1])
            FROM delivery d LEFT JOIN active_delivery a ON a.id = d.id
            WHERE d.tenant_id = $1 AND d.month BETWEEN $2 AND $3
            GROUP BY d.grant_id, d.month
            """, [provider.uuid, first, last])
        {
            existing[DeliveryImport.GrantMonth(grant: try row.decode(0, as: UUID.self), month: try row.day(1).yearMonth)] =
                (try row.decode(2, as: Int.self), try row.decode(3, as: Bool.self), try row.decode(4, as: Int64?.self))
        }

        mark("load")
        var errors = DeliveryImport.RowErrors()
        var priced: [Priced] = []
        priced.reserveCapacity(rows.count)
        for row in rows {
            // Another provider's grant is not among ours: reported like an unknown id.
            guard let grant = grants[row.grantID] else { errors.add(row.line, "grant_id", "unknown grant"); continue }
            let grantRates = rates["\(grant.helpType)|\(grant.unit.rawValue)"] ?? []
            let terms = terms(grant, rates: grantRates)
            guard let entries = residences[grant.caseID], !entries.isEmpty else { errors.add(row.line, "grant_id", "unknown grant"); continue }
            let pricedRow: PricedDelivery
            do { pricedRow = try PricedDelivery.price(delivered: row.quantity, month: row.month, terms: terms, residence: ResidenceHistory(entries)) } catch {
                // Refusals in the order of the checks of a single delivery: the grant's period and the quantity first.
                if case .pricing = error, !periods.contains(row.month) { errors.add(row.line, "month", "no fiscal period \(row.month)"); continue }
                let (field, reason) = BudgetService.rowError(error, month: row.month)
                errors.add(row.line, field == "grant" ? "grant_id" : field, reason); continue
            }
            guard periods.contains(row.month) else { errors.add(row.line, "month", "no fiscal period \(row.month)"); continue }
            let earlier = existing[DeliveryImport.GrantMonth(grant: row.grantID, month: row.month)]
            guard earlier?.active != true else {
                errors.add(row.line, "month", "a delivery for this grant and month exists (reverse it to correct it)"); continue
            }
            // Into a closed month only as the correction of a reversed delivery (rule 11).
            let replaced = earlier?.latestBooking
            guard let bookedMonth = try? BookingPeriod.target(
                serviceMonth: row.month, isCorrection: replaced != nil, closedMonths: closed, today: today),
                periods.contains(bookedMonth)
            else { errors.add(row.line, "month", "period \(row.month) is closed"); continue }
            priced.append(
                Priced(
                    row: row, grant: grant, generation: earlier?.count ?? 0, bookedMonth: bookedMonth,
                    corrects: bookedMonth == row.month ? nil : replaced, payable: pricedRow.payable, excess: pricedRow.excess,
                    cost: pricedRow.cost, excessCost: pricedRow.excessCost, parts: pricedRow.bookings))
        }
        if !errors.isEmpty { throw ServiceError.rejectedRows(errors.reported) }
        mark("price")

        // Everything checked: write with COPY. Ids are made here so that bookings can name deliveries.
        let deliveryIDs = priced.map { _ in UUID() }
        var monthText: [YearMonth: String] = [:]
        for item in priced {
            for month in [item.row.month, item.bookedMonth] where monthText[month] == nil { monthText[month] = month.firstDay.description }
        }
        let tenant = provider.description
        let tenantText = Array(tenant.utf8)
        // COPY is not allowed into tables with row-level security: rows go through a temporary table
        // (private to this session, dropped at commit) and then INSERT ... SELECT, which the policies
        // check. One row per delivery carries its bookings too: the Sozialraum parts of its cost
        // (rule 9), in order (`ordinal`), so that booking numbers follow the file.
        try await tx.execute(
            """
            CREATE TEMPORARY TABLE import_delivery (ordinal int, id uuid, tenant_id uuid, grant_id uuid, month date, quantity bigint,
                payable bigint, cost bigint, generation int, booked_month date, corrects bigint, part_spaces text[],
                part_amounts bigint[]) ON COMMIT DROP
            """)
        var bookings = 0
        var total: Int64 = 0
        try await tx.copyIn(
            """
            COPY import_delivery (ordinal, id, tenant_id, grant_id, month, quantity, payable, cost, generation, booked_month,
                                  corrects, part_spaces, part_amounts)
            FROM STDIN
            """
        ) { writer in
            // Built as bytes: string interpolation of 100,000 lines cost more than the server's COPY.
            var line: [UInt8] = []
            line.reserveCapacity(256)
            for (ordinal, (item, id)) in zip(priced, deliveryIDs).enumerated() {
                let parts = item.parts
                bookings += parts.count
                line.removeAll(keepingCapacity: true)
                line.appendCopyField(ordinal)
                line.appendCopyField(id)
                line.appendCopyField(tenantText)
                line.appendCopyField(item.row.grantID)
                line.appendCopyField(monthText[item.row.month]!)
                line.appendCopyField(item.row.quantity.hundredths)
                line.appendCopyField(item.payable.hundredths)
                line.appendCopyField(item.cost.cents)
                line.appendCopyField(item.generation)
                line.appendCopyField(monthText[item.bookedMonth]!)
                if let corrects = item.corrects { line.appendCopyField(corrects) } else { line.appendCopyField("\\N") }
                // Sozialraum codes are [a-z0-9-] (sozialraum.code): safe in array text unquoted.
                line.append(UInt8(ascii: "{"))
                for (index, part) in parts.enumerated() {
                    if index > 0 { line.append(UInt8(ascii: ",")) }
                    line.append(contentsOf: part.socialSpace.rawValue.utf8)
                }
                line.append(contentsOf: "}\t{".utf8)
                for (index, part) in parts.enumerated() {
                    if index > 0 { line.append(UInt8(ascii: ",")) }
                    line.append(contentsOf: String(part.amount.cents).utf8)
                    total += part.amount.cents
                }
                line.append(contentsOf: "}\n".utf8)
                try await writer.write(line)
            }
        }
        mark("copy")
        // Temporary tables have no statistics until analysed; the joins below need them.
        try await tx.execute("ANALYZE import_delivery")
        try await tx.execute(
            """
            INSERT INTO delivery (id, tenant_id, grant_id, month, quantity, payable, cost, generation)
            SELECT id, tenant_id, grant_id, month, quantity, payable, cost, generation FROM import_delivery
            """)
        mark("insert delivery")
        try await tx.query(
            """
            INSERT INTO booking (tenant_id, kind, booked_month, service_month, social_space, component, amount, grant_id,
                                 delivery_id, corrects, actor, request_id)
            SELECT d.tenant_id, 'delivery', d.booked_month, d.month, p.social_space, 'case', p.amount, d.grant_id, d.id, d.corrects, $1, $2
            FROM import_delivery d CROSS JOIN LATERAL unnest(d.part_spaces, d.part_amounts) WITH ORDINALITY AS p(social_space, amount, part)
            ORDER BY d.ordinal, p.part
            """, [caller.name, caller.requestID])
        mark("insert booking")
        // Rule 7: release the delivered months' commitments (and mark months that had none).
        try await tx.execute(
            "UPDATE commitment c SET released = true FROM import_delivery d WHERE c.grant_id = d.grant_id AND c.month = d.month AND NOT c.released")
        try await tx.execute(
            """
            INSERT INTO commitment (tenant_id, grant_id, month, social_space, amount, released)
            SELECT g.tenant_id, d.grant_id, d.month, (SELECT r.social_space FROM residence r WHERE r.case_id = g.case_id
                                                       ORDER BY r.valid_from LIMIT 1), 0, true
            FROM import_delivery d JOIN grant_decision g ON g.id = d.grant_id
            WHERE NOT EXISTS (SELECT 1 FROM commitment c WHERE c.grant_id = d.grant_id AND c.month = d.month)
            """)
        mark("commitments")
        let excessive = zip(priced, deliveryIDs).filter { $0.0.excess.hundredths > 0 }
        if !excessive.isEmpty {
            try await tx.execute(
                """
                CREATE TEMPORARY TABLE import_finding (id uuid, tenant_id uuid, kind text, month date, grant_id uuid,
                    delivery_id uuid, quantity bigint, amount bigint) ON COMMIT DROP
                """)
            try await tx.copyIn("COPY import_finding FROM STDIN") { writer in
                for (item, id) in excessive {
                    try await writer.write(
                        "\(UUID())\t\(tenant)\tdelivery_over_grant\t\(item.row.month.firstDay)\t\(item.row.grantID)\t\(id)\t\(item.excess.hundredths)\t\(item.excessCost.cents)\n")
                }
            }
            try await tx.execute(
                "INSERT INTO finding (id, tenant_id, kind, month, grant_id, delivery_id, quantity, amount) SELECT * FROM import_finding")
        }
        return DeliveryImport.Outcome(deliveries: priced.count, bookings: bookings, findings: excessive.count, total: Money(cents: total))
    }
}

/// Fields of a line in COPY's text format, each followed by a tab. Only values that need no
/// escaping (numbers, UUIDs, dates, codes) are written this way.
extension [UInt8] {
    mutating func appendCopyField(_ bytes: [UInt8]) {
        append(contentsOf: bytes)
        append(UInt8(ascii: "\t"))
    }

    mutating func appendCopyField(_ text: String) {
        append(contentsOf: text.utf8)
        append(UInt8(ascii: "\t"))
    }

    mutating func appendCopyField(_ number: some BinaryInteger) {
        append(contentsOf: String(number).utf8)
        append(UInt8(ascii: "\t"))
    }

    mutating func appendCopyField(_ id: UUID) {
        appendHyphenated(id)
        append(UInt8(ascii: "\t"))
    }
}
