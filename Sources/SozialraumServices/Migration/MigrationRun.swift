import Logging
import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One migration inside its transaction: applies the files in order, collecting every refusal.
struct MigrationRun {
    let tx: TenantTransaction
    let caller: Caller
    let goLive: Day
    let service: MigrationService
    var errors: [RowError] = []
    var summary = MigrationService.Summary()
    var providers: [ProviderCode: TenantID] = [:]
    /// The Sozialräume, read once the bundle's own are defined.
    var spaces: Set<SocialSpaceCode> = []
    /// Spending before go-live per provider, Sozialraum and component.
    var opening: [String: (provider: TenantID, space: SocialSpaceCode, component: BudgetComponent, amount: Money)] =
        [:]

    init(tx: TenantTransaction, caller: Caller, goLive: Day, service: MigrationService) {
        self.tx = tx
        self.caller = caller
        self.goLive = goLive
        self.service = service
    }

    mutating func refuse(_ kind: MigrationBundle.Kind, _ line: Int, _ column: String, _ reason: String) {
        errors.append(RowError(line: line, field: "\(kind.rawValue).\(column)", reason: reason))
    }

    mutating func provider(_ code: ProviderCode) async throws -> TenantID? {
        if let known = providers[code] { return known }
        let found = try await MasterDataStore.provider(tx, idOrCode: code.rawValue)
        providers[code] = found
        return found
    }

    mutating func apply(_ bundle: MigrationBundle) async throws -> MigrationService.Summary {
        guard try await ReferenceDataStore.yearExists(tx, goLive.year) else {
            throw ServiceError.conflict("open the fiscal year \(goLive.year) first (year-open)")
        }
        let year = goLive.year
        for row in bundle.providers {
            guard let id = try await MasterDataStore.registerProvider(tx, code: row.code, name: row.name) else {
                refuse(.providers, row.line, "code", "provider \(row.code) exists already")
                continue
            }
            providers[row.code] = id
            summary.providers += 1
        }
        // A migration defines new Sozialräume only: an existing code or municipality is the register's
        // (`sozialraum-define`), and a line naming one is refused with its reason.
        let existingSpaces = try await ReferenceDataStore.socialSpaces(tx)
        let existingMembers = try await ReferenceDataStore.municipalitiesWithMembership(tx)
        var bundleMembers: Set<SocialSpaceCode> = []
        for row in bundle.memberships {
            if existingSpaces.contains(row.socialSpace) {
                refuse(.sozialraeume, row.line, "sozialraum", "Sozialraum \(row.socialSpace) exists already")
                continue
            }
            if existingMembers.contains(row.municipality) {
                refuse(
                    .sozialraeume, row.line, "municipality",
                    "municipality \(row.municipality) belongs to a Sozialraum already")
                continue
            }
            guard bundleMembers.insert(row.municipality).inserted else {
                refuse(.sozialraeume, row.line, "municipality", "municipality \(row.municipality) named twice")
                continue
            }
            try await ReferenceDataStore.defineSocialSpace(
                tx, code: row.socialSpace, name: row.name, municipalities: [(row.municipality, row.municipalityName)],
                validFrom: row.validFrom)
            summary.memberships += 1
        }
        spaces = try await ReferenceDataStore.socialSpaces(tx)
        for row in bundle.assignments {
            guard let id = try await provider(row.provider) else {
                refuse(.assignments, row.line, "provider", "unknown provider \(row.provider)")
                continue
            }
            guard spaces.contains(row.socialSpace) else {
                refuse(.assignments, row.line, "sozialraum", "unknown Sozialraum")
                continue
            }
            try await ReferenceDataStore.assignProvider(
                tx, provider: id, socialSpace: row.socialSpace, lead: row.lead, from: row.validFrom, to: row.validTo)
            summary.assignments += 1
        }
        for row in bundle.rates {
            guard let id = try await provider(row.provider) else {
                refuse(.rates, row.line, "provider", "unknown provider \(row.provider)")
                continue
            }
            guard try await !MasterDataStore.closedMonthFrom(tx, row.validFrom) else {
                refuse(.rates, row.line, "valid_from", "in or before a closed month")
                continue
            }
            guard
                try await ReferenceDataStore.addRate(
                    tx, provider: id, helpType: row.helpType, unit: row.unit, validFrom: row.validFrom,
                    amount: row.amount)
            else {
                refuse(.rates, row.line, "valid_from", "this rate exists already")
                continue
            }
            summary.rates += 1
        }
        // A migration sets the Ansätze that are not set yet; changing a set one takes two people
        // (`appropriation`), so such a line is refused, as is a line named twice.
        var appropriated: [BudgetLine: Int] = [:]
        for row in bundle.appropriations {
            guard spaces.contains(row.socialSpace) else {
                refuse(.appropriations, row.line, "sozialraum", "unknown Sozialraum")
                continue
            }
            let line = BudgetLine(year: year, socialSpace: row.socialSpace, component: row.component)
            if let first = appropriated[line] {
                refuse(.appropriations, row.line, "component", "the same Sozialraum and component as line \(first)")
                continue
            }
            appropriated[line] = row.line
            guard try await ReferenceDataStore.insertAppropriation(tx, line: line, amount: row.amount) else {
                let set = try await ReferenceDataStore.appropriation(tx, line: line) ?? .zero
                refuse(
                    .appropriations, row.line, "amount",
                    "the Ansatz is set already (\(set)); change it with appropriation (two signatures)")
                continue
            }
            summary.appropriations += 1
            summary.appropriated = try Money.total([summary.appropriated, row.amount])
        }
        let opened = try await applyCases(bundle)
        try await applyGrants(bundle, opened: opened)
        try await applyProjects(bundle)
        try await bookOpening()
        if !errors.isEmpty { throw ServiceError.rejectedRows(Array(errors.prefix(1000))) }
        return summary
    }

    /// Opens the new cases with their residences (in batches); returns them by key with their history.
    mutating func applyCases(
        _ bundle: MigrationBundle
    ) async throws -> [String: (id: UUID, residence: ResidenceHistory)] {
        var cases: [String: (id: UUID, line: Int, entries: [ResidenceHistory.Entry])] = [:]
        var order: [String] = []
        for row in bundle.residences {
            guard spaces.contains(row.socialSpace) else {
                refuse(.cases, row.line, "sozialraum", "unknown Sozialraum")
                continue
            }
            let key = row.caseKey.rawValue
            if var known = cases[key] {
                guard !known.entries.contains(where: { $0.from == row.validFrom }) else {
                    refuse(.cases, row.line, "valid_from", "a second residence on the same day")
                    continue
                }
                known.entries.append(.init(from: row.validFrom, socialSpace: row.socialSpace))
                cases[key] = known
            } else {
                cases[key] = (UUID(), row.line, [.init(from: row.validFrom, socialSpace: row.socialSpace)])
                order.append(key)
            }
        }
        let existing = try await MigrationStore.openCases(
            tx, order.map { (cases[$0]!.id, CaseKey($0)!) })
        var opened: [String: (id: UUID, residence: ResidenceHistory)] = [:]
        var residences: [(caseID: UUID, from: Day, socialSpace: SocialSpaceCode)] = []
        for key in order {
            let entry = cases[key]!
            if existing.contains(key) {
                refuse(.cases, entry.line, "case_key", "the case exists already")
                continue
            }
            opened[key] = (entry.id, ResidenceHistory(entry.entries))
            residences += entry.entries.map { (entry.id, $0.from, $0.socialSpace) }
        }
        try await MigrationStore.addResidences(tx, residences)
        summary.cases = opened.count
        return opened
    }

    /// The running grants (in batches), committed from the go-live month (rule 7, as `GrantStore`
    /// does for a new grant); what was paid before goes into the opening balance.
    mutating func applyGrants(
        _ bundle: MigrationBundle, opened: [String: (id: UUID, residence: ResidenceHistory)]
    ) async throws {
        var rates: [TenantID: [String: [Rate]]] = [:]
        var serving: [String: [AssignmentRecord]] = [:]
        for assignment in try await MasterDataStore.assignments(tx) {
            serving["\(assignment.provider)|\(assignment.socialSpace)", default: []].append(assignment)
        }
        var grants: [GrantRecord] = []
        var commitments:
            [(provider: TenantID, grantID: UUID, month: YearMonth, socialSpace: SocialSpaceCode, amount: Money)] = []
        for row in bundle.grants {
            let known: (id: UUID, residence: ResidenceHistory)
            if let new = opened[row.caseKey.rawValue] {
                known = new
            } else if let id = try await CaseStore.caseID(tx, key: row.caseKey.rawValue) {
                known = (id, try await CaseStore.residence(tx, caseID: id))
            } else {
                refuse(.grants, row.line, "case_key", "unknown case")
                continue
            }
            guard let provider = try await provider(row.provider) else {
                refuse(.grants, row.line, "provider", "unknown provider \(row.provider)")
                continue
            }
            guard row.endsOn >= goLive else {
                refuse(
                    .grants, row.line, "ends_on",
                    "ended before go-live: put what it cost into another grant's paid_this_year")
                continue
            }
            guard row.unit != .flatMonth || row.volume == .one else {
                refuse(.grants, row.line, "volume", "a flat monthly unit is granted as 1 a month")
                continue
            }
            let residence = known.residence
            let firstDay = max(row.startsOn, goLive)
            let home = residence.socialSpace(on: firstDay) ?? residence.entries[0].socialSpace
            let serves = (serving["\(provider)|\(home)"] ?? []).contains {
                $0.validFrom <= firstDay && ($0.validTo.map { firstDay <= $0 } ?? true)
            }
            if !serves, row.reason == nil {
                refuse(.grants, row.line, "reason", "the provider does not serve \(home); give a reason")
                continue
            }
            if rates[provider] == nil { rates[provider] = try await ReferenceDataStore.rates(tx, provider: provider) }
            let record = GrantRecord(
                id: UUID(), provider: provider, caseID: known.id, caseKey: row.caseKey.rawValue, helpType: row.helpType,
                unit: row.unit, volumePerMonth: row.volume, startsOn: row.startsOn, endsOn: row.endsOn, endedOn: nil,
                outOfAreaReason: serves ? nil : row.reason)
            let terms = GrantTerms(
                period: DayRange(start: row.startsOn, end: row.endsOn)!, volumePerMonth: row.volume, unit: row.unit,
                rates: rates[provider]![ReferenceDataStore.ratesKey(helpType: row.helpType, unit: row.unit)] ?? [])
            // Commitments from the go-live month on; what came before is in the opening balance.
            var planned:
                [(provider: TenantID, grantID: UUID, month: YearMonth, socialSpace: SocialSpaceCode, amount: Money)] =
                    []
            do {
                for (month, _, shares) in try terms.commitments(from: goLive.yearMonth, residence: residence) {
                    planned += shares.map { (provider, record.id, month, $0.socialSpace, $0.amount) }
                }
            } catch {
                refuse(.grants, row.line, "help_type", "no rate of the provider: \(error.description)")
                continue
            }
            grants.append(record)
            commitments += planned
            let thisYear = try Money.total(planned.filter { $0.month.year == goLive.year }.map(\.amount))
            summary.committed = try Money.total([summary.committed, thisYear])
            summary.grants += 1
            let paidIn = residence.socialSpace(on: goLive.adding(days: -1)) ?? home
            try addOpening(provider, paidIn, .case, row.paidThisYear)
        }
        try await MigrationStore.insertGrants(tx, grants)
        try await MigrationStore.insertCommitments(tx, commitments)
    }

    mutating func applyProjects(_ bundle: MigrationBundle) async throws {
        for row in bundle.projects {
            guard let provider = try await provider(row.provider) else {
                refuse(.projects, row.line, "provider", "unknown provider \(row.provider)")
                continue
            }
            guard spaces.contains(row.socialSpace) else {
                refuse(.projects, row.line, "sozialraum", "unknown Sozialraum")
                continue
            }
            var project = ProjectStore.Record(
                id: UUID(), provider: provider, title: row.title, socialSpace: row.socialSpace,
                component: row.component, period: DayRange(start: row.startsOn, end: row.endsOn)!,
                budget: row.budget, volunteers: row.volunteers, professionals: row.professionals)
            project.spentBeforeGoLive = row.spentThisYear
            try await ProjectStore.insert(tx, project)
            summary.projects += 1
            try addOpening(provider, row.socialSpace, row.component, row.spentThisYear)
        }
    }

    mutating func addOpening(
        _ provider: TenantID, _ space: SocialSpaceCode, _ component: BudgetComponent, _ amount: Money
    ) throws {
        guard amount.cents > 0 else { return }
        let key = "\(provider)|\(space)|\(component.rawValue)"
        let before = opening[key]?.amount ?? .zero
        opening[key] = (provider, space, component, try Money.total([before, amount]))
    }

    /// One `opening` booking per provider, Sozialraum and component, in the month before go-live.
    mutating func bookOpening() async throws {
        guard !opening.isEmpty else { return }
        let month = goLive.yearMonth.previous
        guard month.year == goLive.year else {
            errors.append(
                RowError(
                    line: 0, field: "grants.paid_this_year",
                    reason: "going live on \(goLive), nothing of the year was paid before it"))
            return
        }
        guard !(try await ReferenceDataStore.closedMonths(tx, from: month, through: month).contains(month)) else {
            errors.append(
                RowError(
                    line: 0, field: "grants.paid_this_year", reason: "\(month), the month before go-live, is closed"))
            return
        }
        for (_, entry) in opening.sorted(by: { $0.key < $1.key }) {
            try await LedgerStore.book(
                tx,
                LedgerStore.NewBooking(
                    tenant: entry.provider, kind: .opening, bookedMonth: month, serviceMonth: month,
                    socialSpace: entry.space, component: entry.component, amount: entry.amount),
                actor: caller.name, requestID: caller.requestID)
            summary.openings += 1
            summary.opening = try Money.total([summary.opening, entry.amount])
        }
    }
}
