import Logging
import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Account administration at the socket (Benutzerverwaltung, issue 35, sql/0029): only holders of the right
/// `accounts` create accounts, rotate others' tokens, disable and enable them and change rights; a right is
/// given only when a second holder approves the change (nobody changes their own account); narrowing and
/// disabling take effect at once. Every event names the acting account and the rights before and after.
extension AccountService {
    /// A change of rights waiting for its second signature.
    public struct PendingChange: Sendable, Equatable {
        public var id: Int64
        public var rights: Set<CountyRight>
        public var expiresOn: Day
        /// The same change was requested before and still waits (nothing new was requested).
        public var alreadyPending = false
    }

    /// What a change of rights did: applied at once (narrowing), or waiting for a second holder of `accounts`.
    public enum RightsOutcome: Sendable, Equatable {
        case applied(Set<CountyRight>)
        case pending(PendingChange)
    }

    /// Days a requested change waits for its second signature.
    static let changePendingDays = 14

    /// Creates an account (its token returned once) or rotates another account's token. A new county
    /// account starts without rights; the rights named (all but `accounts` by default) are requested as a
    /// change for a second holder of `accounts` to approve.
    public func administer(
        _ caller: Caller, name: String, tenant: TenantID, role: Role, rights: Set<CountyRight>?
    ) async throws -> (token: String, change: PendingChange?) {
        try caller.require(.accounts, for: "administering accounts")
        guard Self.isValidName(name) else {
            throw ServiceError.invalid(
                field: "name", reason: "2 to 40 of a-z, 0-9, '.', '_', '-', starting with a letter")
        }
        if rights != nil, role != .county {
            throw ServiceError.invalid(field: "rights", reason: "only county accounts hold rights")
        }
        let token = Self.generateToken()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let hash = try await Self.hashOffThePool(token, salt: salt, rounds: scryptRounds)
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                if let existing = try await AccountStore.lock(tx, name: name) {
                    guard existing.tenant == tenant, existing.role == role else {
                        throw ServiceError.conflict("the name \(name) belongs to another account; choose another")
                    }
                    // The rights named are the account's, or the change waiting for them (a retried creation).
                    var waiting: PendingChange?
                    if let rights, rights != existing.rights {
                        guard let pending = try await AccountStore.pendingChange(tx, name: name, rights: rights) else {
                            throw ServiceError.invalid(
                                field: "rights", reason: "change an account's rights with account-rights")
                        }
                        waiting = PendingChange(
                            id: pending.id, rights: rights, expiresOn: pending.expiresOn, alreadyPending: true)
                    }
                    guard name != caller.name else {
                        throw ServiceError.forbidden("rotating your own token here; use token-rotate")
                    }
                    try await AccountStore.rotate(
                        tx, name: name, secretHash: hash, salt: salt, scryptRounds: scryptRounds)
                    try await tx.audit(caller, "account.rotate", "account", name)
                    return (token, waiting)
                }
                try await Self.requireRoleFits(tx, role: role, tenant: tenant)
                _ = try await AccountStore.create(
                    tx, name: name, tenant: tenant, role: role, secretHash: hash, salt: salt,
                    scryptRounds: scryptRounds)
                try await tx.audit(
                    caller, "account.create", "account", name,
                    detail: "role \(role.rawValue); " + Self.rightsChange(before: nil, after: []))
                let wanted = role == .county ? (rights ?? CountyRight.defaultForCounty) : []
                guard !wanted.isEmpty else { return (token, nil) }
                return (token, try await request(tx, caller, name: name, from: [], to: wanted))
            }
        }
    }

    /// Changes a county account's rights: narrowing at once, widening as a change for a second holder of
    /// `accounts` (the same change requested again answers the one waiting).
    public func changeRights(_ caller: Caller, name: String, rights: Set<CountyRight>) async throws -> RightsOutcome {
        try caller.require(.accounts, for: "changing rights")
        guard name != caller.name else { throw ServiceError.forbidden("changing your own rights (four eyes)") }
        if rights.isSuperset(of: [.accounts, .order]) {
            throw ServiceError.invalid(field: "rights", reason: "accounts and order are never held together")
        }
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                guard let account = try await AccountStore.lock(tx, name: name) else {
                    throw ServiceError.notFound("account")
                }
                guard account.role == .county else {
                    throw ServiceError.invalid(field: "rights", reason: "only county accounts hold rights")
                }
                if rights.isSubset(of: account.rights) {
                    try await AccountStore.setRights(tx, name: name, rights: rights)
                    try await tx.audit(
                        caller, "account.rights", "account", name,
                        detail: Self.rightsChange(before: account.rights, after: rights))
                    return .applied(rights)
                }
                return .pending(try await request(tx, caller, name: name, from: account.rights, to: rights))
            }
        }
    }

    private func request(
        _ tx: TenantTransaction, _ caller: Caller, name: String, from: Set<CountyRight>, to rights: Set<CountyRight>
    ) async throws -> PendingChange {
        if let waiting = try await AccountStore.pendingChange(tx, name: name, rights: rights) {
            return PendingChange(id: waiting.id, rights: rights, expiresOn: waiting.expiresOn, alreadyPending: true)
        }
        let change = try await AccountStore.requestChange(
            tx, county: caller.tenant, name: name, rights: rights, requestedBy: caller.name,
            pendingDays: Self.changePendingDays, requestID: caller.requestID)
        try await tx.audit(
            caller, "account.rights.request", "account_change", String(change.id),
            detail: "\(name): " + Self.rightsChange(before: from, after: rights))
        return PendingChange(id: change.id, rights: rights, expiresOn: change.expiresOn)
    }

    /// The second signature on a change of rights: applies it. Not the requester, not the account itself.
    public func approveChange(_ caller: Caller, id: Int64) async throws -> (account: String, rights: Set<CountyRight>) {
        try caller.require(.accounts, for: "approving account changes")
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                let change = try await decidable(tx, caller, id: id)
                guard let account = try await AccountStore.lock(tx, name: change.account) else {
                    throw ServiceError.notFound("account")
                }
                try await AccountStore.decideChange(tx, id: id, state: "approved", by: caller.name, reason: nil)
                try await AccountStore.setRights(tx, name: change.account, rights: change.rights)
                try await tx.audit(
                    caller, "account.rights.approve", "account_change", String(id),
                    detail: "\(change.account) (requested by \(change.requestedBy)): "
                        + Self.rightsChange(before: account.rights, after: change.rights))
                return (change.account, change.rights)
            }
        }
    }

    /// Refuses a change of rights with a reason (a second holder of `accounts`).
    public func rejectChange(_ caller: Caller, id: Int64, reason: String) async throws {
        try caller.require(.accounts, for: "rejecting account changes")
        try BudgetService.checkText(reason, field: "reason", .reason)
        try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                let change = try await decidable(tx, caller, id: id)
                try await AccountStore.decideChange(tx, id: id, state: "rejected", by: caller.name, reason: reason)
                try await tx.audit(
                    caller, "account.rights.reject", "account_change", String(id), detail: change.account)
            }
        }
    }

    private func decidable(_ tx: TenantTransaction, _ caller: Caller, id: Int64) async throws -> AccountChange {
        guard let change = try await AccountStore.lockChange(tx, id: id) else {
            throw ServiceError.notFound("account change")
        }
        guard change.state == "pending" else { throw ServiceError.conflict("the change is \(change.state)") }
        guard change.requestedBy != caller.name, change.account != caller.name else {
            throw ServiceError.forbidden("deciding a change you requested or one to your own account (four eyes)")
        }
        guard !(try await AccountStore.isExpired(tx, change)) else {
            try await AccountStore.decideChange(tx, id: id, state: "expired", by: nil, reason: nil)
            throw ServiceError.conflict("the change expired after \(change.expiresOn); request it again")
        }
        return change
    }

    /// The changes of rights, newest first: who asked, who decided.
    public func changes(_ caller: Caller) async throws -> [AccountChange] {
        try caller.require(.county, .auditor, for: "reading account changes")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in try await AccountStore.changes(tx) }
    }

    /// Disables an account (its sessions end at their next request) or enables it again. Nobody disables
    /// their own account; two holders of `accounts` stay (the database refuses otherwise).
    public func setDisabled(_ caller: Caller, name: String, disabled: Bool) async throws {
        try caller.require(.accounts, for: disabled ? "disabling accounts" : "enabling accounts")
        guard name != caller.name else { throw ServiceError.forbidden("disabling or enabling your own account") }
        try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                guard let account = try await AccountStore.lock(tx, name: name) else {
                    throw ServiceError.notFound("account")
                }
                guard account.disabled != disabled else { return }
                try await AccountStore.setDisabled(tx, name: name, disabled: disabled)
                try await tx.audit(
                    caller, disabled ? "account.disable" : "account.enable", "account", name,
                    detail: "rights \(CountyRight.list(account.rights))")
            }
        }
    }

    /// Limits a county account's orders (Anordnungsbefugnis): an amount per order and the Sozialräume it
    /// orders for (nil: no limit). The database checks them whenever the account approves an order.
    public func setOrderingLimits(
        _ caller: Caller, name: String, limit: Money?, scope: [SocialSpaceCode]?
    ) async throws {
        try caller.require(.accounts, for: "limiting orders")
        guard name != caller.name else { throw ServiceError.forbidden("limiting your own orders") }
        if let limit, limit.cents <= 0 { throw ServiceError.invalid(field: "limit", reason: "must be positive") }
        if let scope, scope.isEmpty { throw ServiceError.invalid(field: "sozialraeume", reason: "name at least one") }
        try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                guard let account = try await AccountStore.lock(tx, name: name), account.role == .county else {
                    throw ServiceError.notFound("county account")
                }
                let before = try await AccountStore.orderingLimits(tx, name: name)
                try await AccountStore.setOrderingLimits(tx, name: name, limit: limit, scope: scope)
                try await tx.audit(
                    caller, "account.limits", "account", name,
                    detail:
                        "limit \(before.limit.map(\.description) ?? "none") → \(limit.map(\.description) ?? "none"); "
                        + "sozialraeume \(before.scope.map { $0.map(\.rawValue).joined(separator: ",") } ?? "all") → "
                        + (scope.map { $0.map(\.rawValue).joined(separator: ",") } ?? "all"))
            }
        }
    }

    /// A new token for the caller's own account; every session under the old one ends.
    public func rotateOwnToken(_ caller: Caller) async throws -> String {
        let token = Self.generateToken()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let hash = try await Self.hashOffThePool(token, salt: salt, rounds: scryptRounds)
        // Accounts are the county's rows: a provider's own rotation is written in the county's context, for
        // the caller's own name only.
        guard let county = try await store.countyTenant() else { throw ServiceError.notFound("county") }
        try await ServiceError.translating {
            try await store.withTenant(county) { tx in
                try await AccountStore.rotate(
                    tx, name: caller.name, secretHash: hash, salt: salt, scryptRounds: scryptRounds)
                try await LedgerStore.audit(
                    tx, tenant: county, actor: caller.name, action: "account.rotate", objectKind: "account",
                    objectID: caller.name, result: "ok", requestID: caller.requestID)
            }
        }
        return token
    }

    /// The caller's own choice of language (nil: the county's), kept for its next sessions. Accounts are the
    /// county's rows: written in the county's context, for the caller's own name only (like `rotateOwnToken`).
    public func setOwnLanguage(_ caller: Caller, _ language: Language?) async throws {
        guard let county = try await store.countyTenant() else { throw ServiceError.notFound("county") }
        try await ServiceError.translating {
            try await store.withTenant(county) { tx in
                try await AccountStore.setLanguage(tx, name: caller.name, language: language)
            }
        }
    }

    /// The request's account was disabled, its token rotated or its rights changed since the session read it.
    public struct AccountNoLongerAsRead: Error, Sendable {}

    /// Whether `error` says the request's account changed under it (see `checkingEachTransaction`).
    public static func isAccountChange(_ error: any Error) -> Bool {
        error is AccountChanged || error is AccountNoLongerAsRead
    }

    /// Runs a command with its account checked in every tenant transaction it opens, in the statement that
    /// sets the tenant context (no extra round trip); `checked` says whether any transaction did.
    public static func checkingEachTransaction<T>(
        for account: Account, _ body: () async throws -> T
    ) async throws -> (result: T, checked: Bool) {
        let check = AccountCheck(name: account.name, generation: account.generation, rights: account.rights)
        let result = try await RequestAccount.$check.withValue(check) { try await body() }
        return (result, check.wasPerformed)
    }

    /// The account as it stands now, for each request (rights end at once): nil when it was disabled or its
    /// token rotated since `account` logged in.
    public func current(_ account: Account) async throws -> Account? {
        guard let now = try await AccountStore.current(store, name: account.name),
            now.generation == account.generation, now.tenant == account.tenant
        else { return nil }
        return Account(now)
    }
}
