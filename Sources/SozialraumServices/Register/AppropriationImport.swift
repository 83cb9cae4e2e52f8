import SozialraumDomain
import SozialraumStore

/// The appropriations (Ansätze) of a whole year in one CSV upload, all or nothing (rule 1).
///
/// Header `sozialraum,component,amount` (or with `;`, then amounts with a decimal comma as German
/// spreadsheets write them); one line per Sozialraum and component. Every line is checked first; if any
/// is wrong, the caller gets each bad line with field and reason and nothing is written.
public enum AppropriationImport {
    public struct Row: Sendable, Equatable {
        public var line: Int
        public var socialSpace: SocialSpaceCode
        public var component: BudgetComponent
        public var amount: Money
    }

    /// At most this many lines (a county has a few dozen Sozialräume × 3 components).
    public static let maximumRows = 10_000

    public static func parse(_ csv: String) -> Result<[Row], ServiceError> {
        let lines = TextLines.lines(csv)
        let delimiter: Character
        switch lines.first {
        case "sozialraum,component,amount": delimiter = ","
        case "sozialraum;component;amount": delimiter = ";"
        default: return .failure(.invalid(field: "header", reason: "expected sozialraum,component,amount"))
        }
        guard lines.count - 1 <= maximumRows else {
            return .failure(.invalid(field: "file", reason: "more than \(maximumRows) lines"))
        }
        var rows: [Row] = []
        var errors: [RowError] = []
        var seen: [String: Int] = [:]
        for (index, text) in lines.enumerated().dropFirst() where !text.isEmpty {
            let number = index + 1
            let fields = text.split(separator: delimiter, omittingEmptySubsequences: false)
            guard fields.count == 3 else {
                errors.append(RowError(line: number, field: "line", reason: "expected 3 fields, found \(fields.count)"))
                continue
            }
            guard let space = SocialSpaceCode(String(fields[0])) else {
                errors.append(RowError(line: number, field: "sozialraum", reason: "not a Sozialraum code"))
                continue
            }
            guard let component = BudgetComponent(rawValue: String(fields[1])) else {
                errors.append(RowError(line: number, field: "component", reason: "case, milieu or structure"))
                continue
            }
            let amount: Money
            do {
                amount = try Money(parsing: String(fields[2]), decimalComma: delimiter == ";")
            } catch {
                errors.append(RowError(line: number, field: "amount", reason: error.description))
                continue
            }
            guard amount.cents >= 0 else {
                errors.append(RowError(line: number, field: "amount", reason: "must not be negative"))
                continue
            }
            let key = "\(space)|\(component.rawValue)"
            if let first = seen[key] {
                errors.append(
                    RowError(
                        line: number, field: "component", reason: "second line for this line (first on line \(first))"))
                continue
            }
            seen[key] = number
            rows.append(Row(line: number, socialSpace: space, component: component, amount: amount))
        }
        if !errors.isEmpty { return .failure(.rejectedRows(Array(errors.prefix(1000)))) }
        guard !rows.isEmpty else { return .failure(.invalid(field: "file", reason: "no appropriations")) }
        return .success(rows)
    }
}

extension BudgetService {
    /// Sets the appropriations of `year` from CSV (see `AppropriationImport`), all or nothing; returns the
    /// number of lines and their total.
    public func setAppropriations(_ caller: Caller, year: Int, csv: String) async throws -> (lines: Int, total: Money) {
        try caller.require(.caseWork, for: "setting appropriations")
        let rows = try AppropriationImport.parse(csv).get()
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                try await requireYear(tx, year)
                let spaces = try await ReferenceDataStore.socialSpaces(tx)
                let errors = rows.filter { !spaces.contains($0.socialSpace) }.map {
                    RowError(line: $0.line, field: "sozialraum", reason: "unknown Sozialraum")
                }
                var changes: [RowError] = []
                for row in rows {
                    let line = BudgetLine(year: year, socialSpace: row.socialSpace, component: row.component)
                    if let current = try await ReferenceDataStore.appropriation(tx, line: line), current != .zero,
                        try needsTwoSignatures(from: current, to: row.amount)
                    {
                        changes.append(
                            RowError(
                                line: row.line, field: "amount",
                                reason: "changes the set Ansatz \(current) beyond the threshold: "
                                    + "set it with appropriation (two signatures)"))
                    }
                }
                if !(errors + changes).isEmpty { throw ServiceError.rejectedRows(errors + changes) }
                var total = Money.zero
                for row in rows {
                    let line = BudgetLine(year: year, socialSpace: row.socialSpace, component: row.component)
                    try await ReferenceDataStore.setAppropriation(tx, line: line, amount: row.amount)
                    total = try total + row.amount
                }
                try await tx.audit(caller, "appropriation.import", "fiscal_year", String(year))
                return (rows.count, total)
            }
        }
    }
}
