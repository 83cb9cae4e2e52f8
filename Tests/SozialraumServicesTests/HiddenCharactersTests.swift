import Foundation
import Logging
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 35, item 7: names that reach files (providers, payees, projects) refuse bidi controls and line
/// and paragraph separators like other control characters: nothing is written.
@Suite struct HiddenCharactersTests {
    static let hidden = ["\u{2028}", "\u{2029}", "\u{202A}", "\u{202E}", "\u{2066}", "\u{2069}", "\u{200B}"]

    @Test(arguments: hidden) func aProviderNameWithAHiddenCharacterIsRefused(character: String) async throws {
        let world = try await BudgetWorld.make()
        let before = try await world.count("sozialraum.tenant")
        await #expect(
            throws: ServiceError.invalid(
                field: "name", reason: "control, bidi or line-separator characters are not allowed")
        ) {
            _ = try await world.service.registerProvider(world.county, name: "Träger\(character)Gamma")
        }
        await #expect(throws: ServiceError.self) {
            _ = try await world.payments.createProject(
                world.county, provider: world.alpha.tenant, title: "Treff\(character)", socialSpace: world.nord,
                component: .milieu, startsOn: Day(iso: "2026-01-01")!, endsOn: Day(iso: "2026-12-31")!,
                budget: Money(cents: 100_00), volunteers: 1, professionals: 1)
        }
        #expect(try await world.count("sozialraum.tenant") == before)
        #expect(try await world.count("sozialraum.project") == 0)
    }

    /// A German name with umlauts and ß passes: only hidden characters are refused.
    @Test func ordinaryNamesPass() {
        #expect(!TextLimit.hasHiddenCharacters("Diakonisches Werk Verden – Straße Nr. 5 (Öffnungszeiten)"))
        #expect(TextLimit.hasHiddenCharacters("abc\u{202E}fdp.exe"))
    }
}
