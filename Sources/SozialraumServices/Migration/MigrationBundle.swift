import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The files of a migration (Datenübernahme) in one upload: each starts with a line `#file <kind>`,
/// then its CSV with a header (`,`, or `;` with decimal commas). Kinds, in the order they are applied:
/// providers, sozialraeume, assignments, rates, appropriations, cases, grants, projects. Each is
/// optional; each line is checked and every bad one reported with its file, line and field.
/// Formats in docs/migration.md.
public struct MigrationBundle: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case providers, sozialraeume, assignments, rates, appropriations, cases, grants, projects

        /// The header each file must have.
        var columns: [String] {
            switch self {
            case .providers: ["code", "name"]
            case .sozialraeume: ["sozialraum", "name", "municipality", "municipality_name", "valid_from"]
            case .assignments: ["provider", "sozialraum", "lead", "valid_from", "valid_to"]
            case .rates: ["provider", "help_type", "unit", "valid_from", "amount"]
            case .appropriations: ["sozialraum", "component", "amount"]
            case .cases: ["case_key", "sozialraum", "valid_from"]
            case .grants:
                [
                    "case_key", "provider", "help_type", "unit", "volume", "starts_on", "ends_on", "paid_this_year",
                    "reason",
                ]
            case .projects:
                [
                    "provider", "sozialraum", "component", "title", "starts_on", "ends_on", "budget",
                    "spent_this_year", "volunteers", "professionals",
                ]
            }
        }
    }

    public struct Provider: Sendable, Equatable {
        public var line: Int
        public var code: ProviderCode
        public var name: String
    }

    public struct Membership: Sendable, Equatable {
        public var line: Int
        public var socialSpace: SocialSpaceCode
        public var name: String
        public var municipality: SocialSpaceCode
        public var municipalityName: String
        public var validFrom: Day
    }

    public struct Assignment: Sendable, Equatable {
        public var line: Int
        public var provider: ProviderCode
        public var socialSpace: SocialSpaceCode
        public var lead: Bool
        public var validFrom: Day
        public var validTo: Day?
    }

    public struct RateLine: Sendable, Equatable {
        public var line: Int
        public var provider: ProviderCode
        public var helpType: String
        public var unit: RateUnit
        public var validFrom: Day
        public var amount: Money
    }

    public struct Appropriation: Sendable, Equatable {
        public var line: Int
        public var socialSpace: SocialSpaceCode
        public var component: BudgetComponent
        public var amount: Money
    }

    public struct Residence: Sendable, Equatable {
        public var line: Int
        public var caseKey: CaseKey
        public var socialSpace: SocialSpaceCode
        public var validFrom: Day
    }

    public struct Grant: Sendable, Equatable {
        public var line: Int
        public var caseKey: CaseKey
        public var provider: ProviderCode
        public var helpType: String
        public var unit: RateUnit
        public var volume: Quantity
        public var startsOn: Day
        public var endsOn: Day
        /// What the previous system paid for it in the go-live year before go-live.
        public var paidThisYear: Money
        public var reason: String?
    }

    public struct Project: Sendable, Equatable {
        public var line: Int
        public var provider: ProviderCode
        public var socialSpace: SocialSpaceCode
        public var component: BudgetComponent
        public var title: String
        public var startsOn: Day
        public var endsOn: Day
        public var budget: Money
        public var spentThisYear: Money
        public var volunteers: Int
        public var professionals: Int
    }

    public var providers: [Provider] = []
    public var memberships: [Membership] = []
    public var assignments: [Assignment] = []
    public var rates: [RateLine] = []
    public var appropriations: [Appropriation] = []
    public var residences: [Residence] = []
    public var grants: [Grant] = []
    public var projects: [Project] = []

    /// At most this many lines in all (100 × Verden's running cases and projects, with room).
    public static let maximumLines = 1_000_000

    /// Reads the bundle; every bad line is reported (at most 1000), `file.field` naming where.
    public static func parse(_ text: String) -> Result<MigrationBundle, ServiceError> {
        var bundle = MigrationBundle()
        var errors: [RowError] = []
        var kind: Kind?
        var delimiter: Character = ","
        var lineInFile = 0
        var expectHeader = false
        var seen = Set<Kind>()
        var total = 0
        for line in TextLines.lines(text) {
            total += 1
            guard total <= maximumLines else {
                return .failure(.invalid(field: "file", reason: "more than \(maximumLines) lines"))
            }
            if line.hasPrefix("#file ") {
                guard let next = Kind(rawValue: trimmed(line.dropFirst(6))) else {
                    errors.append(
                        RowError(
                            line: total, field: "file",
                            reason: "unknown kind (\(Kind.allCases.map(\.rawValue).joined(separator: ", ")))"))
                    kind = nil
                    continue
                }
                guard seen.insert(next).inserted else {
                    errors.append(RowError(line: total, field: "file", reason: "\(next.rawValue) given twice"))
                    kind = nil
                    continue
                }
                kind = next
                lineInFile = 0
                expectHeader = true
                continue
            }
            guard let current = kind else {
                if !line.isEmpty, errors.isEmpty {
                    errors.append(
                        RowError(line: total, field: "file", reason: "a file starts with a line #file <kind>"))
                }
                continue
            }
            lineInFile += 1
            if expectHeader {
                expectHeader = false
                if line == current.columns.joined(separator: ",")[...] {
                    delimiter = ","
                } else if line == current.columns.joined(separator: ";")[...] {
                    delimiter = ";"
                } else {
                    errors.append(
                        RowError(
                            line: 1, field: "\(current.rawValue).header",
                            reason: "expected \(current.columns.joined(separator: ","))"))
                    kind = nil
                }
                continue
            }
            if line.isEmpty { continue }
            let fields = line.split(separator: delimiter, omittingEmptySubsequences: false).map(trimmed)
            var row = RowReader(
                kind: current, line: lineInFile, fields: fields, decimalComma: delimiter == ";")
            guard fields.count == current.columns.count else {
                errors.append(
                    RowError(
                        line: lineInFile, field: "\(current.rawValue).line",
                        reason: "expected \(current.columns.count) fields, found \(fields.count)"))
                continue
            }
            do {
                try bundle.add(current, &row)
            } catch let error as RowError {
                errors.append(error)
            } catch {
                errors.append(RowError(line: lineInFile, field: "\(current.rawValue).line", reason: "\(error)"))
            }
        }
        if !errors.isEmpty { return .failure(.rejectedRows(Array(errors.prefix(1000)))) }
        guard !seen.isEmpty else { return .failure(.invalid(field: "file", reason: "no files (#file <kind>)")) }
        return .success(bundle)
    }

    private mutating func add(_ kind: Kind, _ row: inout RowReader) throws {
        let line = row.line
        switch kind {
        case .providers:
            providers.append(Provider(line: line, code: try row.providerCode(0), name: try row.text(1, .name)))
        case .sozialraeume:
            memberships.append(
                Membership(
                    line: line, socialSpace: try row.code(0), name: try row.text(1, .name),
                    municipality: try row.code(2), municipalityName: try row.text(3, .name), validFrom: try row.day(4)))
        case .assignments:
            assignments.append(
                Assignment(
                    line: line, provider: try row.providerCode(0), socialSpace: try row.code(1), lead: try row.yesNo(2),
                    validFrom: try row.day(3), validTo: try row.optionalDay(4)))
        case .rates:
            rates.append(
                RateLine(
                    line: line, provider: try row.providerCode(0), helpType: try row.helpType(1), unit: try row.unit(2),
                    validFrom: try row.day(3), amount: try row.money(4, positive: true)))
        case .appropriations:
            appropriations.append(
                Appropriation(
                    line: line, socialSpace: try row.code(0), component: try row.component(1), amount: try row.money(2))
            )
        case .cases:
            residences.append(
                Residence(
                    line: line, caseKey: try row.caseKey(0), socialSpace: try row.code(1), validFrom: try row.day(2)))
        case .grants:
            let grant = Grant(
                line: line, caseKey: try row.caseKey(0), provider: try row.providerCode(1),
                helpType: try row.helpType(2),
                unit: try row.unit(3), volume: try row.quantity(4), startsOn: try row.day(5), endsOn: try row.day(6),
                paidThisYear: try row.money(7), reason: try row.optionalText(8, .reason))
            guard grant.endsOn >= grant.startsOn else { throw row.error(6, "before starts_on") }
            grants.append(grant)
        case .projects:
            let project = Project(
                line: line, provider: try row.providerCode(0), socialSpace: try row.code(1),
                component: try row.component(2), title: try row.text(3, .title), startsOn: try row.day(4),
                endsOn: try row.day(5), budget: try row.money(6), spentThisYear: try row.money(7),
                volunteers: try row.count(8), professionals: try row.count(9))
            guard project.component != .case else { throw row.error(2, "projects are milieu or structure") }
            guard project.endsOn >= project.startsOn else { throw row.error(5, "before starts_on") }
            projects.append(project)
        }
    }
}

/// Reads the fields of one line, each refusal naming the file, line and column.
private struct RowReader {
    let kind: MigrationBundle.Kind
    let line: Int
    let fields: [String]
    let decimalComma: Bool

    func error(_ index: Int, _ reason: String) -> RowError {
        RowError(line: line, field: "\(kind.rawValue).\(kind.columns[index])", reason: reason)
    }

    func text(_ index: Int, _ limit: TextLimit) throws -> String {
        let value = fields[index]
        guard limit.allows(value) else { throw error(index, limit.description) }
        guard !TextLimit.hasHiddenCharacters(value) else { throw error(index, TextLimit.hiddenCharactersReason) }
        return value
    }

    func optionalText(_ index: Int, _ limit: TextLimit) throws -> String? {
        fields[index].isEmpty ? nil : try text(index, limit)
    }

    func code(_ index: Int) throws -> SocialSpaceCode {
        guard let code = SocialSpaceCode(fields[index]) else { throw error(index, "a code of a-z, 0-9, '-'") }
        return code
    }

    func providerCode(_ index: Int) throws -> ProviderCode {
        guard let code = ProviderCode(fields[index]) else {
            throw error(index, "a provider code (2 to 32 of a-z, 0-9, '-', starting with a letter)")
        }
        return code
    }

    func caseKey(_ index: Int) throws -> CaseKey {
        guard let key = CaseKey(fields[index]) else {
            throw error(index, "a pseudonymous case key (A-Z, 0-9, '-', 4 to 32, with a digit)")
        }
        return key
    }

    func day(_ index: Int) throws -> Day {
        guard let day = Day(iso: fields[index]) else { throw error(index, "a date YYYY-MM-DD") }
        return day
    }

    func optionalDay(_ index: Int) throws -> Day? { fields[index].isEmpty ? nil : try day(index) }

    func yesNo(_ index: Int) throws -> Bool {
        switch fields[index] {
        case "yes", "ja": return true
        case "no", "nein": return false
        default: throw error(index, "yes or no")
        }
    }

    func helpType(_ index: Int) throws -> String {
        guard HelpType.named(fields[index]) != nil else { throw error(index, "not a help type of the catalogue") }
        return fields[index]
    }

    func unit(_ index: Int) throws -> RateUnit {
        guard let unit = RateUnit(rawValue: fields[index]) else { throw error(index, "hour, day or flat_month") }
        return unit
    }

    func component(_ index: Int) throws -> BudgetComponent {
        guard let component = BudgetComponent(rawValue: fields[index]) else {
            throw error(index, "case, milieu or structure")
        }
        return component
    }

    func money(_ index: Int, positive: Bool = false) throws -> Money {
        let amount: Money
        do { amount = try Money(parsing: fields[index], decimalComma: decimalComma) } catch {
            throw self.error(index, error.description)
        }
        guard positive ? amount.cents > 0 : amount.cents >= 0 else {
            throw error(index, positive ? "must be positive" : "must not be negative")
        }
        return amount
    }

    func quantity(_ index: Int) throws -> Quantity {
        do { return try Quantity(parsing: fields[index], decimalComma: decimalComma) } catch {
            throw self.error(index, error.description)
        }
    }

    func count(_ index: Int) throws -> Int {
        if fields[index].isEmpty { return 0 }
        guard let value = Int(fields[index]), (0...100_000).contains(value) else {
            throw error(index, "a whole number 0 to 100000")
        }
        return value
    }
}

extension RowError: Error {}

/// Without spaces and tabs around it (spreadsheets pad cells).
private func trimmed(_ text: Substring) -> String {
    let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
    guard let first = text.firstIndex(where: { !blank($0) }), let last = text.lastIndex(where: { !blank($0) }) else {
        return ""
    }
    return String(text[first...last])
}
