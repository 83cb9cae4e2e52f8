import Logging
import SozialraumDomain
import SozialraumStore
import UUIDText

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

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
            if reported.count < DeliveryImport.maximumReportedErrors {
                reported.append(RowError(line: line, field: field, reason: reason))
            }
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
        var seen: [DeliveryStore.GrantMonth: Int] = [:]
        var number = 1
        while let text = nextLine() {
            number += 1
            if text.isEmpty { continue }
            guard number - 1 <= maximumRows else {
                return .failure(.invalid(field: "file", reason: "more than \(maximumRows) lines"))
            }
            guard text.count <= maximumLineBytes else {
                errors.add(number, "line", "longer than \(maximumLineBytes) bytes")
                continue
            }
            let fields = text.split(separator: delimiter, omittingEmptySubsequences: false)
            guard fields.count == 3 else {
                errors.add(number, "line", "expected 3 fields, found \(fields.count)")
                continue
            }
            guard let grant = UUID(hyphenatedUTF8: UnsafeBufferPointer(rebasing: fields[0])) else {
                errors.add(number, "grant_id", "not a grant id")
                continue
            }
            guard let month = YearMonth(iso: String(decoding: fields[1], as: UTF8.self)) else {
                errors.add(number, "month", "not a month (expected YYYY-MM)")
                continue
            }
            let quantity: Quantity
            do {
                quantity = try Quantity(
                    parsing: String(decoding: fields[2], as: UTF8.self), decimalComma: delimiter == UInt8(ascii: ";"))
            } catch {
                errors.add(number, "quantity", error.description)
                continue
            }
            let key = DeliveryStore.GrantMonth(grant: grant, month: month)
            if let first = seen[key] {
                errors.add(number, "month", "second delivery for this grant and month (first on line \(first))")
                continue
            }
            seen[key] = number
            rows.append(Row(line: number, grantID: grant, month: month, quantity: quantity))
        }
        if !errors.isEmpty { return .failure(.rejectedRows(errors.reported)) }
        guard !rows.isEmpty else { return .failure(.invalid(field: "file", reason: "no deliveries")) }
        return .success(rows)
    }

}

extension GrantService {
    /// Imports deliveries from CSV for the calling provider (see `DeliveryImport`), all or nothing.
    public func importDeliveries(
        _ caller: Caller, csv: String, idempotencyKey: IdempotencyKey
    ) async throws -> DeliveryImport.Outcome {
        try caller.require(.provider, for: "importing deliveries")
        let parseStart = ContinuousClock.now
        let rows = try DeliveryImport.parse(csv).get()
        logger.debug(
            "delivery import phase",
            metadata: [
                "phase": "parse", "duration": "\(ContinuousClock.now - parseStart)",
                "request": "\(caller.requestID ?? "-")",
            ])
        // The fingerprint of the whole file: a retried upload of the same file returns the first result.
        let content = "import|\(sha256Hex(csv))"
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                if let result = try await replayed(tx, key: idempotencyKey, content: content) {
                    return try Self.decodeOutcome(result)
                }
                let outcome = try await importChecked(tx, caller: caller, rows: rows)
                try await LedgerStore.remember(
                    tx, key: idempotencyKey, content: content, result: Self.encodeOutcome(outcome))
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
        return DeliveryImport.Outcome(
            deliveries: Int(parts[0]), bookings: Int(parts[1]), findings: Int(parts[2]), total: Money(cents: parts[3]))
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

    private func importChecked(
        _ tx: TenantTransaction, caller: Caller, rows: [DeliveryImport.Row]
    ) async throws -> DeliveryImport.Outcome {
        let provider = caller.tenant
        var phase = ContinuousClock.now
        // Phase timings at debug level: where a slow import spends its time, without any row data.
        func mark(_ name: String) {
            let now = ContinuousClock.now
            logger.debug(
                "delivery import phase",
                metadata: ["phase": "\(name)", "duration": "\(now - phase)", "request": "\(caller.requestID ?? "-")"])
            phase = now
        }
        let years = Set(rows.map(\.month.year))
        var grants: [UUID: GrantRecord] = [:]
        for year in years {
            for grant in try await GrantStore.grants(tx, provider: provider, year: year) { grants[grant.id] = grant }
        }
        let rates = try await ReferenceDataStore.rates(tx, provider: provider)
        let residences = try await CaseStore.residences(tx)
        let months = rows.map(\.month)
        let first = months.min()!, last = months.max()!
        // Through a few months past today: where the corrections of closed months are booked.
        let today = today().yearMonth
        let horizon = max(last, today).next.next.next
        let periods = try await ReferenceDataStore.periods(tx, from: first, through: horizon)
        let closed = try await ReferenceDataStore.closedMonths(tx, from: first, through: horizon)
        // Earlier deliveries per grant and month: how many (the next one's generation), whether one
        // still counts (not reversed), which refuses another, and the first booking of the latest.
        let existing = try await DeliveryStore.earlier(tx, provider: provider, from: first, through: last)

        mark("load")
        var errors = DeliveryImport.RowErrors()
        var priced: [Priced] = []
        priced.reserveCapacity(rows.count)
        for row in rows {
            // Another provider's grant is not among ours: reported like an unknown id.
            guard let grant = grants[row.grantID] else {
                errors.add(row.line, "grant_id", "unknown grant")
                continue
            }
            let grantRates = rates[ReferenceDataStore.ratesKey(helpType: grant.helpType, unit: grant.unit)] ?? []
            let terms = terms(grant, rates: grantRates)
            guard let residence = residences[grant.caseID] else {
                errors.add(row.line, "grant_id", "unknown grant")
                continue
            }
            let pricedRow: PricedDelivery
            do {
                pricedRow = try PricedDelivery.price(
                    delivered: row.quantity, month: row.month, terms: terms, residence: residence)
            } catch {
                // Refusals in the order of the checks of a single delivery: the grant's period and the quantity first.
                if case .pricing = error, !periods.contains(row.month) {
                    errors.add(row.line, "month", "no fiscal period \(row.month)")
                    continue
                }
                let (field, reason) = GrantService.rowError(error, month: row.month)
                errors.add(row.line, field == "grant" ? "grant_id" : field, reason)
                continue
            }
            guard periods.contains(row.month) else {
                errors.add(row.line, "month", "no fiscal period \(row.month)")
                continue
            }
            let earlier = existing[DeliveryStore.GrantMonth(grant: row.grantID, month: row.month)]
            guard earlier?.active != true else {
                errors.add(row.line, "month", "a delivery for this grant and month exists (reverse it to correct it)")
                continue
            }
            // Into a closed month only as the correction of a reversed delivery (rule 11).
            let replaced = earlier?.latestBooking
            guard
                let bookedMonth = try? BookingPeriod.target(
                    serviceMonth: row.month, isCorrection: replaced != nil, closedMonths: closed, today: today),
                periods.contains(bookedMonth)
            else {
                errors.add(row.line, "month", "period \(row.month) is closed")
                continue
            }
            priced.append(
                Priced(
                    row: row, grant: grant, generation: earlier?.count ?? 0, bookedMonth: bookedMonth,
                    corrects: bookedMonth == row.month ? nil : replaced, payable: pricedRow.payable,
                    excess: pricedRow.excess,
                    cost: pricedRow.cost, excessCost: pricedRow.excessCost, parts: pricedRow.bookings))
        }
        if !errors.isEmpty { throw ServiceError.rejectedRows(errors.reported) }
        mark("price")

        let written = try await DeliveryStore.importDeliveries(
            tx,
            priced.map { item in
                DeliveryStore.Imported(
                    id: UUID(), grantID: item.row.grantID, month: item.row.month, quantity: item.row.quantity,
                    payable: item.payable,
                    cost: item.cost, generation: item.generation, bookedMonth: item.bookedMonth,
                    corrects: item.corrects, parts: item.parts,
                    excess: item.excess, excessCost: item.excessCost)
            },
            provider: provider, actor: caller.name, requestID: caller.requestID, mark: mark)
        return DeliveryImport.Outcome(
            deliveries: priced.count, bookings: written.bookings, findings: written.findings, total: written.total)
    }
}
