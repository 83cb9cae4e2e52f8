import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 17, accounts: a role fits its tenant's kind, and an account never changes tenant (a rotation
/// onto another tenant would take the account over). Refused by the service and by the database.
@Suite struct AccountTenantTests {
    func accounts(_ world: BudgetWorld) -> AccountService {
        AccountService(store: world.store, logger: Logger(label: "test.accounts"), scryptRounds: 1024)
    }

    @Test func aRoleMustFitItsTenant() async throws {
        let world = try await BudgetWorld.make()
        let service = accounts(world)
        let county = await #expect(throws: ServiceError.self) {
            try await service.setAccount(
                name: "slip", tenant: world.alpha.tenant, role: .county, secret: "secret-of-length",
                actingAs: world.county.tenant)
        }
        #expect(county == .invalid(field: "role", reason: "a provider's tenant takes the role provider"))
        let provider = await #expect(throws: ServiceError.self) {
            try await service.setAccount(
                name: "slip", tenant: world.county.tenant, role: .provider, secret: "secret-of-length",
                actingAs: world.county.tenant)
        }
        #expect(provider == .invalid(field: "role", reason: "the county takes operator, county, auditor or dpo"))
        #expect(try await service.account(named: "slip") == nil)
        try await service.setAccount(
            name: "alpha-kasse", tenant: world.alpha.tenant, role: .provider, secret: "secret-of-length",
            actingAs: world.county.tenant)
        #expect(try await service.account(named: "alpha-kasse")?.tenant == world.alpha.tenant)
    }

    @Test func rotatingANameOntoAnotherTenantIsRefusedAndTheOwnerKeepsItsLogin() async throws {
        let world = try await BudgetWorld.make()
        let service = accounts(world)
        try await service.setAccount(
            name: "beta-kasse", tenant: world.beta.tenant, role: .provider, secret: "beta-secret-1234",
            actingAs: world.county.tenant)
        let takeover = await #expect(throws: ServiceError.self) {
            try await service.setAccount(
                name: "beta-kasse", tenant: world.alpha.tenant, role: .provider, secret: "alpha-secret-123",
                actingAs: world.county.tenant)
        }
        #expect(takeover == .conflict("the name beta-kasse belongs to another tenant's account"))
        let login = try await service.login(name: "beta-kasse", secret: "beta-secret-1234", source: "test")
        #expect(login.tenant == world.beta.tenant)
        // A rotation on the same tenant works: the old secret stops, the new one logs in.
        try await service.setAccount(
            name: "beta-kasse", tenant: world.beta.tenant, role: .provider, secret: "beta-secret-5678",
            actingAs: world.county.tenant)
        #expect(
            try await service.login(name: "beta-kasse", secret: "beta-secret-5678", source: "test").tenant
                == world.beta.tenant)
    }

    @Test func theDatabaseRefusesAMisfitRoleAndATenantChange() async throws {
        let world = try await BudgetWorld.make()
        try await accounts(world).setAccount(
            name: "beta-kasse", tenant: world.beta.tenant, role: .provider, secret: "beta-secret-1234",
            actingAs: world.county.tenant)
        let moved = await #expect(throws: PostgresError.self) {
            try await world.store.withTenant(world.county.tenant) { tx in
                try await tx.execute(
                    unsafeSQL:
                        "UPDATE account SET tenant_id = $1 WHERE name = 'beta-kasse'", [world.alpha.tenant.uuid])
            }
        }
        #expect(moved?.sqlState?.rawValue == "42501")
        let misfit = await #expect(throws: PostgresError.self) {
            try await world.store.withTenant(world.county.tenant) { tx in
                try await tx.execute(unsafeSQL: "UPDATE account SET role = 'county' WHERE name = 'beta-kasse'")
            }
        }
        #expect(misfit?.sqlState?.rawValue == "42501")
    }
}

/// Issue 17: a login attempt counts before its hash, so parallel wrong logins cannot all be evaluated.
@Suite struct LoginThrottleTests {
    @Test func parallelWrongLoginsPastTheLimitAreRefusedBeforeHashing() async throws {
        let world = try await BudgetWorld.make()
        let service = AccountService(store: world.store, logger: Logger(label: "test.accounts"), scryptRounds: 1024)
        try await service.setAccount(
            name: "beta-kasse", tenant: world.beta.tenant, role: .provider, secret: "beta-secret-1234",
            actingAs: world.county.tenant)
        let outcomes = try await withThrowingTaskGroup(of: AccountService.LoginError?.self) { group in
            for index in 0..<30 {
                group.addTask {
                    do {
                        _ = try await service.login(
                            name: "beta-kasse", secret: "wrong-\(index)-secret", source: "10.0.0.1")
                        return nil
                    } catch let error as AccountService.LoginError { return error }
                }
            }
            var all: [AccountService.LoginError?] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
        // From one source the pair's limit applies (5): exactly five are evaluated (and fail), the other
        // 25 are refused as locked before their hash.
        #expect(outcomes.filter { $0 == .failed }.count == LoginThrottle.pair.limit)
        #expect(outcomes.filter { $0 == .locked }.count == 30 - LoginThrottle.pair.limit)
        // A right login from a source with fewer failures than the limit is not held against it.
        let other = AccountService(store: world.store, logger: Logger(label: "test.accounts"), scryptRounds: 1024)
        for attempt in 0..<4 {
            await #expect(throws: AccountService.LoginError.failed) {
                try await other.login(name: "beta-kasse", secret: "wrong-\(attempt)-secret", source: "host")
            }
        }
        #expect(
            try await other.login(name: "beta-kasse", secret: "beta-secret-1234", source: "host").tenant
                == world.beta.tenant)
        #expect(
            try await other.login(name: "beta-kasse", secret: "beta-secret-1234", source: "host").tenant
                == world.beta.tenant)
    }
}

/// Issue 29: logins refused because the database was away are not failed logins. The test database
/// refuses connections for 12 retries of a provider's login (past the pair's limit of 5 and the name's
/// of 10); once it is back, the right secret logs in at once.
@Suite struct LoginDuringAnOutageTests {
    @Test func anOutageLocksNobody() async throws {
        let world = try await BudgetWorld.make()
        // PostgreSQL does not close the database one is connected to: the superuser works from `postgres`.
        let admin = try await world.database.maintenanceConnection()
        let store = world.database.runtimeStore(maxConnections: 1)
        let service = AccountService(store: store, logger: Logger(label: "test.accounts"), scryptRounds: 1024)
        try await service.setAccount(
            name: "beta-kasse", tenant: world.beta.tenant, role: .provider, secret: "beta-secret-1234",
            actingAs: world.county.tenant)
        // No new connections to the database, and the open ones cut: an outage as the daemon sees it.
        try await admin.runScript(unsafeSQL: "ALTER DATABASE \(world.database.name) ALLOW_CONNECTIONS false")
        _ = try await admin.query(
            PostgresQuery(
                unsafeSQL: "SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity WHERE datname = $1",
                [world.database.name]))
        for _ in 0..<12 {
            let error = await #expect(throws: (any Error).self) {
                try await service.login(name: "beta-kasse", secret: "beta-secret-1234", source: "10.0.0.7")
            }
            #expect(!(error is AccountService.LoginError))
        }
        try await admin.runScript(unsafeSQL: "ALTER DATABASE \(world.database.name) ALLOW_CONNECTIONS true")
        #expect(
            try await service.login(name: "beta-kasse", secret: "beta-secret-1234", source: "10.0.0.7").tenant
                == world.beta.tenant)
    }

    @Test func anUndecidedAttemptTakesItsCountBackWithoutResettingThePair() {
        let throttle = ThrottleProbe()
        let now = ContinuousClock.now
        for _ in 0..<5 { #expect(throttle.admit("alpha", "a", now)) }
        throttle.throttle.undecided(name: "alpha", source: "a")
        // Four wrong attempts stand: one more is admitted, and then the pair locks.
        #expect(throttle.admit("alpha", "a", now))
        #expect(!throttle.admit("alpha", "a", now))
    }
}

/// Issue 17: the lock rules on a hand-moved clock, without I/O.
@Suite struct LoginThrottleRuleTests {
    let start = ContinuousClock.now

    @Test func aGuesserAtOneSourceLocksOnlyThatSourceForTheName() {
        let throttle = ThrottleProbe()
        for _ in 0..<LoginThrottle.pair.limit { #expect(throttle.admit("alpha", "a", start)) }
        #expect(!throttle.admit("alpha", "a", start))
        // The accountant at another machine, and a colleague at the guesser's, still get in.
        #expect(throttle.admit("alpha", "b", start))
        #expect(throttle.admit("beta", "a", start))
        // Five minutes later the pair is open again.
        #expect(throttle.admit("alpha", "a", start + LoginThrottle.pair.lock))
    }

    @Test func manySourcesLockTheNameBriefly() {
        let throttle = ThrottleProbe()
        for index in 0..<LoginThrottle.name.limit {
            #expect(throttle.admit("alpha", "s\(index)", start))
        }
        // A source that has guessed is locked for the name for 30 s ...
        #expect(!throttle.admit("alpha", "s0", start))
        #expect(!throttle.admit("alpha", "s0", start + .seconds(29)))
        #expect(throttle.admit("alpha", "s0", start + LoginThrottle.name.lock))
        // ... one that has not (the accountant at her desk) is not locked out by the others' guesses.
        #expect(throttle.admit("alpha", "desk", start))
    }

    @Test func oneSourceTryingManyNamesIsLocked() {
        let throttle = ThrottleProbe()
        for index in 0..<LoginThrottle.source.limit {
            #expect(throttle.admit("n\(index)", "x", start))
        }
        #expect(!throttle.admit("someone", "x", start))
        #expect(throttle.admit("someone", "y", start))
    }

    @Test func aRightLoginTakesItsCountBackAndClearsItsPair() {
        let throttle = ThrottleProbe()
        for _ in 0..<(LoginThrottle.pair.limit - 1) { #expect(throttle.admit("alpha", "a", start)) }
        #expect(throttle.admit("alpha", "a", start))
        throttle.succeeded("alpha", "a")
        // The pair starts afresh: five more attempts before it locks.
        for _ in 0..<LoginThrottle.pair.limit { #expect(throttle.admit("alpha", "a", start)) }
        #expect(!throttle.admit("alpha", "a", start))
    }
}

/// `LoginThrottle` behind a reference, so that `#expect` can call its mutating methods.
final class ThrottleProbe {
    var throttle = LoginThrottle()

    func admit(_ name: String, _ source: String, _ now: ContinuousClock.Instant) -> Bool {
        throttle.admit(name: name, source: source, now: now)
    }

    func succeeded(_ name: String, _ source: String) { throttle.succeeded(name: name, source: source) }
}
