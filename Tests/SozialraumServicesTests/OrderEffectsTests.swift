import SozialraumDomain
import SozialraumTestSupport
import Testing

@testable import SozialraumServices

/// Issue 34: one payment-order workflow; each kind of order has the effect its area registered, so a new
/// kind cannot be ordered before it says what ordering it does.
@Suite struct OrderEffectsTests {
    @Test func everyKindOfOrderHasItsEffect() async throws {
        let world = try await BudgetWorld.make()
        #expect(Set(world.orders.effects.byKind.keys) == Set(PaymentOrderKind.allCases))
        for kind in PaymentOrderKind.allCases {
            #expect(throws: Never.self) { _ = try world.orders.effects.effect(of: kind) }
        }
    }
}
