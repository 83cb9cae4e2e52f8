import Foundation
import SozialraumDomain
import SozialraumStore

/// The access log (Protokollierung, issue 31): which account was shown which case-level data. A command
/// that shows case data records it before its reply leaves; a reply that shows no case records nothing.
public struct AccessLogService: Sendable {
    let store: Store

    public init(store: Store) {
        self.store = store
    }

    /// Records that `caller` was shown `cases` cases by `command` (`caseID` when it was one case).
    public func record(_ caller: Caller, command: String, cases: Int, caseID: UUID? = nil) async throws {
        guard cases > 0 else { return }
        try await store.withTenant(caller.tenant) { tx in
            try await AccessLogStore.record(
                tx,
                CaseAccess(tenant: caller.tenant, account: caller.name, command: command, caseID: caseID, cases: cases))
        }
    }

    /// The newest entries, for the auditor and the data-protection officer.
    public func entries(_ caller: Caller, limit: Int) async throws -> [CaseAccess] {
        try caller.require(.auditor, .dpo, for: "reading the access log")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await AccessLogStore.entries(tx, limit: limit)
        }
    }

    /// Erases the entries past their deletion rule (`retention.accessLogYears`); run by the nightly job.
    public func eraseExpired(years: Int) async throws -> Int {
        try await store.withoutTenant { tx in try await AccessLogStore.eraseExpired(tx, years: years) }
    }
}
