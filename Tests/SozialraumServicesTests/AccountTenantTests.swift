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
        #expect(provider == .invalid(field: "role", reason: "the county takes operator, county or auditor"))
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
                            name: "beta-kasse", secret: "wrong-\(index)-secret", source: "10.0.0.\(index)")
                        return nil
                    } catch let error as AccountService.LoginError { return error }
                }
            }
            var all: [AccountService.LoginError?] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
        // The limit is 5 per name: exactly five are evaluated (and fail), the other 25 are refused as locked.
        #expect(outcomes.filter { $0 == .failed }.count == AccountService.maximumFailures)
        #expect(outcomes.filter { $0 == .locked }.count == 30 - AccountService.maximumFailures)
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
