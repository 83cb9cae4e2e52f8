import Logging
import SozialraumDomain
import SozialraumStore
import Synchronization

/// The Trägerportal's second factor (issue 32, item 5): a TOTP code beside the token, optional per account,
/// required before an account orders a payment in the browser. Each transaction here runs as the account
/// itself (`checkingEachTransaction`): the database shows an account its own factor only (sql/0038).
extension AccountService {
    /// A login of the portal: the token and, when the account has set up a second factor, a code of it. A
    /// wrong code is a failed login like a wrong token (throttled; the reply does not say which was wrong).
    /// `secondFactor`: whether a code was shown.
    public func portalLogin(
        name: String, secret: String, code: String, source: String, unixTime: Int64
    ) async throws -> (account: Account, secondFactor: Bool) {
        let account = Account(try await checkSecret(name: name, secret: secret, source: source))
        let outcome: Bool?
        do {
            (outcome, _) = try await Self.checkingEachTransaction(for: account) {
                try await store.withTenant(account.tenant) { tx -> Bool? in
                    guard let factor = try await SecondFactorStore.lockedFactor(tx, account: account.name) else {
                        return false
                    }
                    guard
                        let step = OneTimePassword.acceptedStep(
                            code: code, secret: factor.secret, now: OneTimePassword.step(unixTime: unixTime),
                            after: factor.lastStep)
                    else { return nil }
                    try await SecondFactorStore.markUsed(tx, account: account.name, step: step)
                    return true
                }
            }
        } catch {
            throttle.withLock { $0.undecided(name: name, source: source) }
            throw error
        }
        guard let shown = outcome else {
            logger.notice("login failed: second factor", metadata: ["source": "\(source)"])
            throw LoginError.failed
        }
        throttle.withLock { $0.succeeded(name: name, source: source) }
        return (account, shown)
    }

    /// Whether the account has set up a second factor.
    public func hasSecondFactor(_ account: Account) async throws -> Bool {
        try await Self.checkingEachTransaction(for: account) {
            try await store.withTenant(account.tenant, readOnly: true) { tx in
                try await SecondFactorStore.isSet(tx, account: account.name)
            }
        }.result
    }

    /// Sets up the account's second factor once its holder shows a code of `secret` (so the app has it):
    /// `invalid` for a wrong code, `conflict` when one is set up already (the county resets a lost one).
    public func enrolSecondFactor(_ account: Account, secret: [UInt8], code: String, unixTime: Int64) async throws {
        guard
            let step = OneTimePassword.acceptedStep(
                code: code, secret: secret, now: OneTimePassword.step(unixTime: unixTime), after: 0)
        else { throw ServiceError.invalid(field: "code", reason: "not the code the app shows now") }
        let enrolled = try await Self.checkingEachTransaction(for: account) {
            try await store.withTenant(account.tenant) { tx in
                guard try await SecondFactorStore.enrol(tx, account: account.name, secret: secret, usedStep: step)
                else { return false }
                try await LedgerStore.audit(
                    tx, tenant: account.tenant, actor: account.name, action: "account.second_factor_set",
                    objectKind: "account", objectID: account.name, result: "ok", requestID: nil)
                return true
            }
        }.result
        guard enrolled else { throw ServiceError.conflict("a second factor is set up already") }
    }

    /// Removes another account's second factor (a lost phone), for a county holder of `accounts`; the
    /// account sets up a new one at its next login. `notFound` when it had none.
    public func resetSecondFactor(_ caller: Caller, account name: String) async throws {
        try caller.require(.county, for: "resetting a second factor")
        try caller.require(.accounts, for: "resetting a second factor")
        let removed = try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                guard try await SecondFactorStore.reset(tx, account: name) else { return false }
                try await LedgerStore.audit(
                    tx, tenant: caller.tenant, actor: caller.name, action: "account.second_factor_reset",
                    objectKind: "account", objectID: name, result: "ok", requestID: caller.requestID)
                return true
            }
        }
        guard removed else { throw ServiceError.notFound("second factor of \(name)") }
    }
}
