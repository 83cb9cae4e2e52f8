import Crypto
import Logging
import SozialraumDomain
import SozialraumStore
import Synchronization

/// The Trägerportal's second factor (issue 32, item 5): a TOTP code beside the token, optional per account,
/// required before an account orders a payment in the browser. Each transaction here runs as the account
/// itself (`checkingEachTransaction`): the database shows an account its own factor only (sql/0038).
extension AccountService {
    /// A login of the portal: the token, a code of the account's second factor when it has set one up, and
    /// the connection's client certificate (its DER form) when the county pinned certificates to the
    /// account's tenant (sql/0040). A wrong code or certificate is a failed login like a wrong token
    /// (throttled; the reply does not say which was wrong), checked in that order: the certificate first, so
    /// that a code is not used up by a login that fails anyway. `secondFactor`: whether a code was shown;
    /// `certificate`: the pinned certificate the session is bound to, nil when the tenant pins none.
    public func portalLogin(
        name: String, secret: String, code: String, clientCertificate: [UInt8]?, source: String, unixTime: Int64
    ) async throws -> (account: Account, secondFactor: Bool, certificate: [UInt8]?) {
        enum Outcome { case wrongCertificate, wrongCode, passed(secondFactor: Bool, certificate: [UInt8]?) }
        let account = Account(try await checkSecret(name: name, secret: secret, source: source))
        let presented = clientCertificate.map { hexString(SHA256.hash(data: $0)) }
        let outcome: Outcome
        do {
            (outcome, _) = try await Self.checkingEachTransaction(for: account) {
                try await store.withTenant(account.tenant) { tx -> Outcome in
                    let pinned = try await PortalCertificateStore.ownFingerprints(tx)
                    if !pinned.isEmpty {
                        guard let presented, pinned.contains(presented) else { return .wrongCertificate }
                    }
                    let certificate = pinned.isEmpty ? nil : clientCertificate
                    guard let factor = try await SecondFactorStore.lockedFactor(tx, account: account.name) else {
                        return .passed(secondFactor: false, certificate: certificate)
                    }
                    guard
                        let step = OneTimePassword.acceptedStep(
                            code: code, secret: factor.secret, now: OneTimePassword.step(unixTime: unixTime),
                            after: factor.lastStep)
                    else { return .wrongCode }
                    try await SecondFactorStore.markUsed(tx, account: account.name, step: step)
                    return .passed(secondFactor: true, certificate: certificate)
                }
            }
        } catch {
            throttle.withLock { $0.undecided(name: name, source: source) }
            throw error
        }
        switch outcome {
        case .wrongCertificate:
            logger.notice("login failed: client certificate", metadata: ["source": "\(source)"])
            throw LoginError.failed
        case .wrongCode:
            logger.notice("login failed: second factor", metadata: ["source": "\(source)"])
            throw LoginError.failed
        case .passed(let secondFactor, let certificate):
            throttle.withLock { $0.succeeded(name: name, source: source) }
            return (account, secondFactor, certificate)
        }
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
