import Foundation
import SozialraumDomain
import SozialraumServices

/// The case → move → grant → delivery setup most suites need, written once (issue 34). Each step goes
/// through the use cases as the county and the providers would, with readable dates and volumes:
///
///     let grant = try await world.openCase("VER-2026-0002").granted(help: "34", unit: .day, perMonth: "31")
///     try await grant.delivered("2026-03", "8")
extension BudgetWorld {
    /// A case opened by the county in `space` (default `nord`) from `from`.
    public func openCase(
        _ key: String, in space: SocialSpaceCode? = nil, from: String = "2026-01-01"
    ) async throws -> CaseScenario {
        try await grants.openCase(county, key: key, socialSpace: space ?? nord, from: Self.day(from))
        return CaseScenario(world: self, key: key)
    }

    /// A case opened elsewhere (e.g. by `grantedCase`), for its next steps.
    public func existingCase(_ key: String) -> CaseScenario {
        CaseScenario(world: self, key: key)
    }

    static func day(_ text: String) throws -> Day {
        guard let day = Day(iso: text) else { throw ScenarioError(description: "not a date: \(text)") }
        return day
    }
}

/// A step of a scenario that could not be written as given.
public struct ScenarioError: Error, CustomStringConvertible {
    public let description: String
}

/// An opened case.
public struct CaseScenario: Sendable {
    public let world: BudgetWorld
    public let key: String

    /// The case moves to `space` on `day` (rule 9).
    @discardableResult
    public func moves(to space: SocialSpaceCode, on day: String) async throws -> CaseScenario {
        try await world.grants.recordMove(world.county, key: key, to: space, on: BudgetWorld.day(day))
        return self
    }

    /// A help granted by the county to `provider` (default alpha): `perMonth` in the unit, e.g. "10" hours.
    /// The idempotency key is `grant-<case>-<from>` unless given.
    public func granted(
        help: String = "31", unit: RateUnit = .hour, perMonth volume: String, from: String = "2026-01-01",
        to: String = "2026-12-31", provider: Caller? = nil, reason: String? = nil, key: String? = nil
    ) async throws -> GrantScenario {
        let provider = provider ?? world.alpha
        let outcome = try await world.grants.grant(
            world.county,
            .init(
                caseKey: self.key, provider: provider.tenant, helpType: help, unit: unit,
                volumePerMonth: try Quantity(parsing: volume), startsOn: BudgetWorld.day(from),
                endsOn: BudgetWorld.day(to), outOfAreaReason: reason),
            idempotencyKey: world.key(key ?? "grant-\(self.key)-\(from)"))
        return GrantScenario(world: world, id: outcome.grantID, provider: provider, outcome: outcome)
    }
}

/// A granted help.
public struct GrantScenario: Sendable {
    public let world: BudgetWorld
    public let id: UUID
    /// The provider that delivers on it.
    public let provider: Caller
    /// What granting it committed and flagged (nil for a grant made elsewhere).
    public let outcome: GrantService.GrantOutcome?

    public init(world: BudgetWorld, id: UUID, provider: Caller, outcome: GrantService.GrantOutcome? = nil) {
        self.world = world
        self.id = id
        self.provider = provider
        self.outcome = outcome
    }

    /// A month's delivery of `quantity` by the grant's provider; the key is `delivery-<grant>-<month>`
    /// unless given.
    @discardableResult
    public func delivered(
        _ month: String, _ quantity: String, key: String? = nil
    ) async throws
        -> GrantService.DeliveryOutcome
    {
        guard let month = YearMonth(iso: month) else { throw ScenarioError(description: "not a month: \(month)") }
        return try await world.grants.recordDelivery(
            provider, grantID: id, month: month, quantity: try Quantity(parsing: quantity),
            idempotencyKey: world.key(key ?? "delivery-\(id.uuidString.prefix(8))-\(month)"))
    }
}
