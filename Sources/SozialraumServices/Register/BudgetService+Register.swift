import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The county's register (Stammdaten) over the socket: providers with their codes and the end of their
/// cooperation, Sozialräume and assignments as listed, fiscal years, help types, rates, projects, the
/// audit trail, and appropriations as one upload. Changes are the county's and audited; reads follow
/// row-level security (a provider sees itself, its assignments, its rates and projects).
extension BudgetService {
    // MARK: Providers

    /// Registers a provider (freier Träger) under its short code; returns its tenant id.
    public func registerProvider(_ caller: Caller, code: ProviderCode, name: String) async throws -> TenantID {
        try caller.require(.caseWork, for: "registering providers")
        try Self.checkText(name, field: "name", .name)
        return try await store.withTenant(caller.tenant) { tx in
            guard let provider = try await MasterDataStore.registerProvider(tx, code: code, name: name) else {
                throw ServiceError.duplicate("provider code \(code)")
            }
            try await tx.audit(caller, "provider.register", "tenant", provider.description)
            return provider
        }
    }

    /// The provider named by its tenant id or its code, among those the caller may see.
    public func provider(_ caller: Caller, idOrCode: String) async throws -> TenantID {
        try await store.withTenant(caller.tenant) { tx in
            guard let provider = try await MasterDataStore.provider(tx, idOrCode: idOrCode) else {
                throw ServiceError.notFound("provider \(idOrCode)")
            }
            return provider
        }
    }

    public func renameProvider(_ caller: Caller, _ provider: TenantID, name: String) async throws {
        try caller.require(.caseWork, for: "renaming providers")
        try Self.checkText(name, field: "name", .name)
        try await store.withTenant(caller.tenant) { tx in
            try await requireProvider(tx, provider)
            try await MasterDataStore.renameProvider(tx, provider, name: name)
            try await tx.audit(caller, "provider.rename", "tenant", provider.description)
        }
    }

    /// Ends the cooperation with a provider after `day` (nil: it goes on). Its history stays; no grant
    /// or project of it may run past that day, so those running past it are ended first.
    public func endCooperation(_ caller: Caller, _ provider: TenantID, after day: Day?) async throws {
        try caller.require(.caseWork, for: "ending a provider's cooperation")
        try await store.withTenant(caller.tenant) { tx in
            try await requireProvider(tx, provider)
            if let day {
                let running = try await MasterDataStore.runningPast(tx, provider, day)
                guard running == 0 else {
                    throw ServiceError.conflict(
                        "\(running) grants or projects of the provider run past \(day); end them first")
                }
            }
            try await MasterDataStore.endCooperation(tx, provider, on: day)
            try await tx.audit(
                caller, day == nil ? "provider.continue" : "provider.end", "tenant", provider.description)
        }
    }

    public func providers(_ caller: Caller) async throws -> [ProviderRecord] {
        try await store.withTenant(caller.tenant) { tx in try await MasterDataStore.providers(tx) }
    }

    // MARK: Sozialräume and assignments

    /// Every Sozialraum with its municipalities over time (any role may read the county's geography).
    public func socialSpaces(_ caller: Caller) async throws -> [MembershipRecord] {
        try await store.withTenant(caller.tenant) { tx in try await MasterDataStore.memberships(tx) }
    }

    public func assignments(_ caller: Caller) async throws -> [AssignmentRecord] {
        try await store.withTenant(caller.tenant) { tx in try await MasterDataStore.assignments(tx) }
    }

    /// Ends a provider's assignment to a Sozialraum on `day` (its last day of serving it).
    public func endAssignment(
        _ caller: Caller, provider: TenantID, socialSpace: SocialSpaceCode, on day: Day
    ) async throws {
        try caller.require(.caseWork, for: "ending assignments")
        try await store.withTenant(caller.tenant) { tx in
            guard try await MasterDataStore.endAssignment(tx, provider: provider, socialSpace: socialSpace, on: day)
            else {
                // Ended on that very day already (a retry): the state the request asks for.
                if try await MasterDataStore.assignmentEnds(tx, provider: provider, socialSpace: socialSpace, on: day) {
                    return
                }
                throw ServiceError.notFound("an assignment of the provider to \(socialSpace) open on \(day)")
            }
            try await tx.audit(caller, "provider.unassign", "tenant", provider.description)
        }
    }

    // MARK: Years, help types, rates, projects

    public func fiscalYears(_ caller: Caller) async throws -> [FiscalYearRecord] {
        try await store.withTenant(caller.tenant) { tx in try await MasterDataStore.fiscalYears(tx) }
    }

    public func helpTypes(_ caller: Caller) async throws -> [HelpType] {
        try await store.withTenant(caller.tenant) { tx in try await MasterDataStore.helpTypes(tx) }
    }

    /// A provider's rate agreements; with `on`, the price valid that day per help type and unit.
    public func rates(_ caller: Caller, provider: TenantID, on day: Day?) async throws -> [RateRecord] {
        try await store.withTenant(caller.tenant) { tx in
            try await requireProvider(tx, provider)
            return try await MasterDataStore.rates(tx, provider: provider, on: day)
        }
    }

    public func projects(_ caller: Caller, year: Int?) async throws -> [ProjectListing] {
        try await store.withTenant(caller.tenant) { tx in try await MasterDataStore.projects(tx, year: year) }
    }

    /// Ends a project early on `day` (its last day); not before its start or a month it has spent in.
    public func endProject(_ caller: Caller, _ id: UUID, on day: Day) async throws {
        try caller.require(.caseWork, for: "ending projects")
        try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                guard let project = try await MasterDataStore.project(tx, id) else {
                    throw ServiceError.notFound("project")
                }
                guard project.period.contains(day) else {
                    throw ServiceError.invalid(field: "date", reason: "within the project's period")
                }
                if let last = project.lastExpense, last.yearMonth > day.yearMonth {
                    throw ServiceError.conflict("the project has expenses in \(last.yearMonth), after \(day)")
                }
                try await MasterDataStore.endProject(tx, id, on: day)
                try await tx.audit(caller, "project.end", "project", id.uuidString)
            }
        }
    }

    // MARK: Audit trail

    /// Who did what when (county and auditor): newest first, at most `filter.limit` (1 to 5000).
    public func auditTrail(_ caller: Caller, _ filter: AuditFilter) async throws -> [AuditEventRecord] {
        try caller.require(.county, .auditor, for: "reading the audit trail")
        guard (1...5000).contains(filter.limit) else {
            throw ServiceError.invalid(field: "limit", reason: "1 to 5000")
        }
        return try await store.withTenant(caller.tenant) { tx in try await MasterDataStore.auditEvents(tx, filter) }
    }
}
