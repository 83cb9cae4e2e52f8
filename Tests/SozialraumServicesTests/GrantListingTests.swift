import Foundation
import Logging
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 29: a provider lists its grants (it needs their ids to deliver); the county those of a case or a
/// Sozialraum.
@Suite struct GrantListingTests {
    @Test func aProviderListsItsOwnGrantsAndTheCountyByCaseOrSozialraum() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase("VER-2026-0001")
        let alphaSees = try await world.grants.grantListing(world.alpha, caseKey: nil, socialSpace: nil)
        #expect(alphaSees.map(\.id) == [grant])
        #expect(
            alphaSees.map {
                "\($0.caseKey) \($0.providerName) \($0.helpType) \($0.volumePerMonth) \($0.socialSpace ?? "-")"
            }
                == ["VER-2026-0001 Träger Alpha 31 10.00 nord"])
        #expect(try await world.grants.grantListing(world.beta, caseKey: nil, socialSpace: nil).isEmpty)
        #expect(
            try await world.grants.grantListing(world.county, caseKey: "VER-2026-0001", socialSpace: nil).map(\.id)
                == [grant])
        #expect(
            try await world.grants.grantListing(world.county, caseKey: nil, socialSpace: world.sued).isEmpty)
        #expect(
            try await world.grants.grantListing(world.county, caseKey: nil, socialSpace: world.nord).map(\.id)
                == [grant])
    }
}
