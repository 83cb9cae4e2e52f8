import Logging
import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Periods and available funds (rules 3, 11).
extension BudgetService {
    // MARK: Periods (county)

    /// Closes a month (Periodenabschluss, rule 11). Refused while the month has open findings, unless
    /// forced with a reason.
    public func closeMonth(_ caller: Caller, month: YearMonth, forceReason: String? = nil) async throws {
        try caller.require(.controller, for: "closing periods")
        if let forceReason { try Self.checkText(forceReason, field: "reason", .reason) }
        try await store.withTenant(caller.tenant) { tx in
            guard let closed = try await ReferenceDataStore.lockPeriod(tx, month) else {
                throw ServiceError.notFound("period \(month)")
            }
            guard !closed else { throw ServiceError.duplicate("period \(month) is already closed") }
            let open = try await FindingStore.openCount(tx, month: month)
            if open > 0, forceReason == nil {
                throw ServiceError.conflict("\(open) open findings in \(month); resolve them or force with a reason")
            }
            try await ReferenceDataStore.closePeriod(
                tx, month, by: caller.name, forcedReason: open > 0 ? forceReason : nil)
            try await tx.audit(caller, "period.close", "period", month.description)
        }
    }

    // MARK: Funds (rule 3)

    /// Available funds of a Sozialraum and year, by line and pool, with cover transfers. The county
    /// and auditors see everything; a provider only a Sozialraum it serves, with its own spending.
    public func availableFunds(_ caller: Caller, socialSpace: SocialSpaceCode, year: Int) async throws -> FundsReport {
        try caller.require(.county, .auditor, .provider, for: "reading budgets")
        let snapshot = try await LedgerStore.fundsSnapshot(
            store, tenant: caller.tenant, socialSpace: socialSpace, year: year)
        guard snapshot.socialSpaceExists else { throw ServiceError.notFound("Sozialraum \(socialSpace)") }
        guard snapshot.yearExists else { throw ServiceError.notFound("fiscal year \(year)") }
        guard snapshot.appropriationVisible || caller.role != .provider else { throw ServiceError.notFound("budget") }
        var report = try FundsReport(funds: snapshot.funds, coverPools: snapshot.coverPools)
        report.providerShares = snapshot.providerShares
        return report
    }

    // MARK: What providers see (sql/0014)

    /// What providers see of a Sozialraum they share: its totals, or their own figures only.
    public func providerView(_ caller: Caller) async throws -> ProviderView {
        try await store.withTenant(caller.tenant, readOnly: true) { tx in try await ReferenceDataStore.providerView(tx)
        }
    }

    /// The county's choice of what providers see, for every command alike.
    public func setProviderView(_ caller: Caller, _ view: ProviderView) async throws {
        try caller.require(.controller, for: "choosing what providers see")
        try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                try await ReferenceDataStore.setProviderView(tx, view)
                try await tx.audit(caller, "provider_view.set", "county", view.rawValue)
            }
        }
    }
}
