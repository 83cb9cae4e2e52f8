import SozialraumDomain
import SozialraumStore

/// The KJH-Statistik Teil IV (issue 33, items 3 and 4): the county's cash spending of a calendar year by the
/// survey's positions, and the mapping of help types and project kinds to those positions, set per year.
extension ReconciliationService {
    /// The report of `year`: what the Kasse paid (value date in the year), each euro in one position.
    public func cashStatistics(_ caller: Caller, year: Int) async throws -> CashStatistics.Report {
        try caller.require(.county, .auditor, for: "reading cost reports")
        guard (2000...2199).contains(year) else { throw ServiceError.invalid(field: "year", reason: "out of range") }
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await Self.cashStatistics(
                tx, year: year, mapping: try await CashStatisticsStore.mapping(tx, year: year))
        }
    }

    /// The county's working paper of `year` (HTML): the report with its mapping and every payment, read in
    /// one transaction (the figures and the mapping shown are the same).
    public func cashStatisticsPaper(_ caller: Caller, year: Int) async throws -> String {
        try caller.require(.county, .auditor, for: "reading cost reports")
        guard (2000...2199).contains(year) else { throw ServiceError.invalid(field: "year", reason: "out of range") }
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            let mapping = try await CashStatisticsStore.mapping(tx, year: year)
            return CashStatisticsPaper(
                county: try await ReferenceDataStore.countyName(tx),
                report: try await Self.cashStatistics(tx, year: year, mapping: mapping),
                mapping: Self.surveyOrder(mapping)
            ).html()
        }
    }

    static func cashStatistics(
        _ tx: TenantTransaction, year: Int, mapping: [String: CashStatistics.Position]
    ) async throws -> CashStatistics.Report {
        let receipts = try await CashStatisticsStore.receipts(tx, year: year)
        let lines = try await CashStatisticsStore.orderLines(tx, year: year)
        let years = Set(lines.values.flatMap { $0.map(\.serviceYear) })
        let basis = try await CashStatisticsStore.caseCostBasis(tx, years: years.sorted())
        do {
            return try CashStatistics.report(
                year: year, receipts: receipts, lines: lines, basis: basis, mapping: mapping)
        } catch {
            throw ServiceError.conflict("the year's payments exceed what an amount can hold")
        }
    }

    /// A mapping in the survey's order: part, then Schlüssel as people read it, then key.
    static func surveyOrder(
        _ mapping: [String: CashStatistics.Position]
    ) -> [(key: String, position: CashStatistics.Position)] {
        mapping.map { (key: $0.key, position: $0.value) }.sorted {
            ($0.position.part, CashStatistics.naturalOrder($0.position.code), $0.key)
                < ($1.position.part, CashStatistics.naturalOrder($1.position.code), $1.key)
        }
    }

    /// The mapping of `year`, in the survey's order.
    public func statisticsMapping(
        _ caller: Caller, year: Int
    ) async throws -> [(key: String, position: CashStatistics.Position)] {
        try caller.require(.county, .auditor, for: "reading the statistics mapping")
        return Self.surveyOrder(
            try await store.withTenant(caller.tenant, readOnly: true) { tx in
                try await CashStatisticsStore.mapping(tx, year: year)
            })
    }

    /// Replaces the mapping of `year` by a file `key;position;title` (header first; `,` also separates): a
    /// help type's code or `projekt-milieu` / `projekt-struktur`, the survey's Schlüssel, its wording. All or
    /// nothing, each bad line with its reason. Right `controller`, as the year's other closing figures.
    public func importStatisticsMapping(_ caller: Caller, year: Int, csv: String) async throws -> Int {
        try caller.require(.controller, for: "setting the statistics mapping")
        guard (2000...2199).contains(year) else { throw ServiceError.invalid(field: "year", reason: "out of range") }
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                let helpTypes = Set(try await MasterDataStore.helpTypes(tx).map(\.code))
                let entries = try Self.parseStatisticsMapping(csv, helpTypes: helpTypes).get()
                try await CashStatisticsStore.replaceMapping(tx, year: year, entries: entries)
                try await tx.audit(caller, "statistics.mapping", "year", String(year))
                return entries.count
            }
        }
    }

    static func parseStatisticsMapping(
        _ csv: String, helpTypes: Set<String>
    ) -> Result<[(key: String, position: CashStatistics.Position)], ServiceError> {
        let lines = csv.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? $0.dropLast() : $0
        }
        guard lines.count <= 1001 else { return .failure(.invalid(field: "file", reason: "more than 1000 lines")) }
        guard let header = lines.first.map({ String($0.filter { $0 != "\u{FEFF}" }) }),
            ["key;position;title", "key,position,title"].contains(header.lowercased())
        else { return .failure(.invalid(field: "file", reason: "expected key;position;title")) }
        let separator: Character = header.contains(";") ? ";" : ","
        var entries: [(key: String, position: CashStatistics.Position)] = []
        var errors: [RowError] = []
        var seen: [String: Int] = [:]
        for (index, line) in lines.enumerated().dropFirst() where !line.allSatisfy({ $0 == " " }) {
            let number = index + 1
            // The title is the rest of the line: it may hold the separator.
            let fields = line.split(separator: separator, maxSplits: 2, omittingEmptySubsequences: false).map {
                String($0.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
            }
            guard fields.count == 3 else {
                errors.append(RowError(line: number, field: "line", reason: "expected 3 fields, found \(fields.count)"))
                continue
            }
            let (key, code, title) = (fields[0], fields[1], fields[2])
            if !(helpTypes.contains(key) || key == "projekt-milieu" || key == "projekt-struktur") {
                errors.append(
                    RowError(
                        line: number, field: "key",
                        reason: "not a help type code or projekt-milieu / projekt-struktur"))
            } else if let first = seen[key] {
                errors.append(
                    RowError(line: number, field: "key", reason: "second line for this key (first on line \(first))"))
            }
            seen[key] = seen[key] ?? number
            if !Self.isPositionCode(code) {
                errors.append(
                    RowError(line: number, field: "position", reason: "1 to 20 letters, digits, '.' or '-', not ohne"))
            }
            if !(1...200).contains(title.count)
                || title.contains(where: { $0.isNewline || $0.asciiValue.map { $0 < 32 } == true })
            {
                errors.append(RowError(line: number, field: "title", reason: "1 to 200 characters"))
            }
            entries.append(
                (key, CashStatistics.Position(part: CashStatistics.Position.part(ofKey: key), code: code, title: title))
            )
        }
        if !errors.isEmpty { return .failure(.rejectedRows(Array(errors.prefix(1000)))) }
        guard !entries.isEmpty else { return .failure(.invalid(field: "file", reason: "no mappings")) }
        return .success(entries)
    }

    /// As the table's CHECK: a letter or digit, then up to 19 letters, digits, '.' or '-'; never `ohne`.
    static func isPositionCode(_ code: String) -> Bool {
        func alphanumeric(_ scalar: Unicode.Scalar) -> Bool {
            ("0"..."9").contains(scalar) || ("A"..."Z").contains(scalar) || ("a"..."z").contains(scalar)
        }
        guard (1...20).contains(code.unicodeScalars.count), code != CashStatistics.unassignedCode,
            let first = code.unicodeScalars.first, alphanumeric(first)
        else { return false }
        return code.unicodeScalars.allSatisfy { alphanumeric($0) || $0 == "." || $0 == "-" }
    }
}
