import Crypto
import Logging
import NIOPosix
import SozialraumDomain
import SozialraumStore
import Synchronization
import _CryptoExtras

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An account of the admin socket, as the services see it (never its secret).
public struct Account: Sendable, Equatable {
    public var name: String
    public var tenant: TenantID
    public var role: Role
    /// A county account's rights (empty for other roles).
    public var rights: Set<CountyRight> = []
    /// The secret's generation at login: a newer one (a rotated token, a disabled account) ends the session.
    public var generation: Int64 = 1
    /// The account's own choice of language at login; nil: the county's.
    public var language: Language? = nil

    public init(name: String, tenant: TenantID, role: Role, rights: Set<CountyRight> = [], generation: Int64 = 1) {
        self.name = name
        self.tenant = tenant
        self.role = role
        self.rights = rights
        self.generation = generation
    }

    init(_ stored: AccountStore.Credentials) {
        self.init(
            name: stored.name, tenant: stored.tenant, role: stored.role, rights: stored.rights ?? [],
            generation: stored.generation)
        language = stored.language
    }
}

/// Accounts: creation and rotation (secrets hashed with scrypt), and login with throttling.
///
/// Failed logins are counted per (name, source), per name from anywhere and per source (see
/// `LoginThrottle`); an unknown name counts like a known one, so that a lock says nothing about whether
/// the name exists.
public final class AccountService: Sendable {
    let store: Store
    let logger: Logger
    let throttle = Mutex(LoginThrottle())

    /// scrypt cost for new secrets. The default N = 2^15, r = 8, p = 1 (32 MiB, tens of milliseconds)
    /// is slow for guessing and fine for logins; tests use less. Each hash records its own N.
    let scryptRounds: Int
    public static let defaultScryptRounds = 1 << 15

    public init(store: Store, logger: Logger, scryptRounds: Int = AccountService.defaultScryptRounds) {
        precondition(
            scryptRounds >= 1024 && scryptRounds.nonzeroBitCount == 1, "scrypt N must be a power of two >= 1024")
        self.store = store
        self.logger = logger
        self.scryptRounds = scryptRounds
    }

    public enum LoginError: Error, Equatable, Sendable {
        /// Wrong name or secret: the same for both.
        case failed
        /// Too many failures for this name or source; try again later.
        case locked
    }

    static func hash(_ secret: String, salt: [UInt8], rounds: Int) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(
            from: Array(secret.utf8), salt: salt, outputByteCount: 32, rounds: rounds, blockSize: 8, parallelism: 1)
        return key.withUnsafeBytes { Array($0) }
    }

    /// scrypt is heavy on purpose (N = 2^15: 32 MiB and tens of milliseconds a hash). On the cooperative
    /// pool two logins would occupy both cores' threads and stall every session and the scheduler's
    /// heartbeat; so hashes run on two threads of their own. At most two run at once (64 MiB); further
    /// logins wait for a thread.
    static let hashingThreads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        return pool
    }()

    /// `hash` on the hashing threads.
    static func hashOffThePool(_ secret: String, salt: [UInt8], rounds: Int) async throws -> [UInt8] {
        try await onHashingThread { try hash(secret, salt: salt, rounds: rounds) }
    }

    static func onHashingThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await hashingThreads.runIfActive(body)
    }

    /// A long random token (32 bytes, hex): for accounts used by programs.
    public static func generateToken() -> String {
        (0..<32).map { _ in UInt8.random(in: 0...255) }.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// Who the audit names for an account set from the machine's shell: the county's IT, outside the socket.
    public static let itActor = "county IT (sozialraumd user set)"

    /// `rights case,certify → case,certify,order` for the audit trail.
    static func rightsChange(before: Set<CountyRight>?, after: Set<CountyRight>) -> String {
        "rights \(before.map(CountyRight.list) ?? "(new)") → \(CountyRight.list(after))"
    }

    /// Creates an account or sets a new secret for it (rotation), from the machine's shell or setup (county
    /// IT, named in the audit trail by `actor`). Runs as the county. Once two accounts administer the others,
    /// the database gives rights only under four eyes: then only the owner's connection sets them here.
    public func setAccount(
        name: String, tenant: TenantID, role: Role, secret: String, actingAs county: TenantID,
        rights: Set<CountyRight>? = nil, actor: String = AccountService.itActor
    ) async throws {
        guard Self.isValidName(name) else {
            throw ServiceError.invalid(
                field: "name", reason: "2 to 40 of a-z, 0-9, '.', '_', '-', starting with a letter")
        }
        guard secret.count >= 12 else { throw ServiceError.invalid(field: "secret", reason: "at least 12 characters") }
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let hash = try await Self.hashOffThePool(secret, salt: salt, rounds: scryptRounds)
        try await ServiceError.translating {
            try await store.withTenant(county) { tx in
                try await Self.requireRoleFits(tx, role: role, tenant: tenant)
                let before = try await AccountStore.lock(tx, name: name)
                let stored = try await AccountStore.set(
                    tx,
                    AccountStore.Credentials(
                        name: name, tenant: tenant, role: role, secretHash: hash, salt: salt,
                        scryptRounds: scryptRounds,
                        rights: rights))
                guard stored else {
                    throw ServiceError.conflict("the name \(name) belongs to another tenant's account")
                }
                let after = try await AccountStore.lock(tx, name: name)
                try await LedgerStore.audit(
                    tx, tenant: county, actor: actor, action: "account.set", objectKind: "account",
                    objectID: name, result: "ok", requestID: nil,
                    detail: Self.rightsChange(before: before?.rights, after: after?.rights ?? []))
            }
        }
    }

    /// The role fits the tenant's kind (`provider` for a provider's tenant; `operator`, `county`, `auditor` or
    /// `dpo` for the county), and the tenant exists.
    static func requireRoleFits(_ tx: TenantTransaction, role: Role, tenant: TenantID) async throws {
        guard let kind = try await AccountStore.tenantKind(tx, tenant) else { throw ServiceError.notFound("tenant") }
        guard role.fits(kind) else {
            throw ServiceError.invalid(
                field: "role",
                reason: kind == .provider
                    ? "a provider's tenant takes the role provider"
                    : "the county takes operator, county, auditor or dpo")
        }
    }

    /// Every account with its role and rights (county, auditor): who may sign what.
    public func accounts(_ caller: Caller) async throws -> [AccountListing] {
        try caller.require(.county, .auditor, for: "reading accounts")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in try await AccountStore.accounts(tx) }
    }

    /// The account of `name`, without checking a secret (peer-credential logins on the Unix socket).
    public func account(named name: String) async throws -> Account? {
        try await AccountStore.credentials(store, name: name).map {
            Account(name: $0.name, tenant: $0.tenant, role: $0.role, rights: $0.rights ?? [], generation: $0.generation)
        }
    }

    /// Checks name and secret. `source` identifies the peer (address or uid) for throttling.
    public func login(name: String, secret: String, source: String) async throws -> Account {
        let stored = try await checkSecret(name: name, secret: secret, source: source)
        throttle.withLock { $0.succeeded(name: name, source: source) }
        return Account(stored)
    }

    /// The stored account when `secret` is its secret; throttled (the attempt counts as a failure until the
    /// caller says it `succeeded`).
    func checkSecret(name: String, secret: String, source: String) async throws -> AccountStore.Credentials {
        let now = ContinuousClock.now
        // Every attempt counts as a failure before the (slow) hash, in one step with the lock check:
        // parallel attempts cannot all get past the limit while their hashes run.
        let admitted = throttle.withLock { $0.admit(name: name, source: source, now: now) }
        guard admitted else {
            logger.notice("login refused: locked", metadata: ["source": "\(source)"])
            throw LoginError.locked
        }
        let stored: AccountStore.Credentials?
        let computed: [UInt8]
        do {
            stored = try await AccountStore.credentials(store, name: name)
            // Hash even for an unknown name, so that timing does not tell whether the name exists.
            let salt = stored?.salt ?? Array(repeating: 0, count: 16)
            computed = try await Self.hashOffThePool(secret, salt: salt, rounds: stored?.scryptRounds ?? scryptRounds)
        } catch {
            // Nothing was checked (the database was away, the daemon stopping): only a wrong secret counts.
            throttle.withLock { $0.undecided(name: name, source: source) }
            throw error
        }
        if let stored, Self.constantTimeEqual(computed, stored.secretHash) { return stored }
        logger.notice("login failed", metadata: ["source": "\(source)"])
        throw LoginError.failed
    }

    /// 2 to 40 of a-z, 0-9, '.', '_', '-', starting with a letter (as the table's CHECK).
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (2...40).contains(bytes.count), (97...122).contains(bytes[0]) else { return false }
        return bytes.allSatisfy {
            (97...122).contains($0) || (48...57).contains($0) || $0 == 46 || $0 == 95 || $0 == 45
        }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}

/// Counts failed logins and locks, without I/O (the clock is passed in):
/// - one name from one source (`pair`): after 5 failures for 5 minutes — a guesser at one terminal;
/// - one name from anywhere (`name`): after 10 failures for 30 seconds, and only for sources that have
///   failed for this name themselves, so that a storm of guesses from elsewhere locks nobody out who has
///   not guessed (the accountant at her own desk still logs in);
/// - one source, any names (`source`): after 20 failures for 5 minutes — one machine trying many names.
/// An attempt counts before its (slow) hash, atomically with the check, so parallel attempts cannot all
/// get past a limit; a right login takes its own count back.
public struct LoginThrottle: Sendable {
    public struct Rule: Sendable {
        public var limit: Int
        public var lock: Duration
    }

    public static let pair = Rule(limit: 5, lock: .seconds(300))
    public static let name = Rule(limit: 10, lock: .seconds(30))
    public static let source = Rule(limit: 20, lock: .seconds(300))

    struct Entry {
        var count = 0
        var until: ContinuousClock.Instant?
    }

    var entries: [String: Entry] = [:]

    public init() {}

    static func keys(name: String, source: String) -> [(key: String, rule: Rule)] {
        [("pair:\(name)|\(source)", pair), ("name:" + name, Self.name), ("source:" + source, Self.source)]
    }

    /// Whether an attempt may go on to the hash; if so it is counted as a failure already.
    public mutating func admit(name: String, source: String, now: ContinuousClock.Instant) -> Bool {
        let keys = Self.keys(name: name, source: source)
        let pairHasFailed = (entries[keys[0].key]?.count ?? 0) > 0
        guard !isLocked(keys[0].key, now: now), !isLocked(keys[2].key, now: now),
            !(isLocked(keys[1].key, now: now) && pairHasFailed)
        else { return false }
        for (key, rule) in keys {
            var entry = entries[key] ?? Entry()
            entry.count += 1
            if entry.count >= rule.limit { entry.until = now + rule.lock }
            entries[key] = entry
        }
        // Bounded memory under a flood of random names: forget the unlocked entries.
        if entries.count > 100_000 { entries = entries.filter { $0.value.until != nil } }
        return true
    }

    /// The admitted attempt was right: it takes its count back, and its own pair starts afresh.
    public mutating func succeeded(name: String, source: String) {
        for (key, rule) in Self.keys(name: name, source: source) {
            guard var entry = entries[key] else { continue }
            entry.count -= 1
            if entry.count < rule.limit { entry.until = nil }
            entries[key] = entry.count > 0 && !key.hasPrefix("pair:") ? entry : nil
        }
    }

    /// The admitted attempt was never decided (the account could not be looked up): it takes its count
    /// back and lifts a lock only it had reached; the pair is not reset, as it is after a right secret.
    public mutating func undecided(name: String, source: String) {
        for (key, rule) in Self.keys(name: name, source: source) {
            guard var entry = entries[key] else { continue }
            entry.count -= 1
            if entry.count < rule.limit { entry.until = nil }
            entries[key] = entry.count > 0 ? entry : nil
        }
    }

    mutating func isLocked(_ key: String, now: ContinuousClock.Instant) -> Bool {
        guard let until = entries[key]?.until else { return false }
        if until > now { return true }
        entries[key] = nil
        return false
    }
}
