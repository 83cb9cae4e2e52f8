import SozialraumDomain
import SozialraumStore

/// What ordering (Anordnung, the second signature) an order of one kind does. The area that certifies a
/// kind registers its effect with the workflow (`PaymentOrderService`), which checks four eyes, the
/// orderer's limits, expiry and what the Kasse needs, hands the ordered order to the effect inside the
/// same transaction, and writes the Kasse's lines for what it booked. No area calls the workflow back.
protocol OrderEffect: Sendable {
    /// Books or applies the ordered order.
    func order(
        _ tx: TenantTransaction, _ order: PaymentOrderStore.Record, _ caller: Caller
    ) async throws
        -> OrderEffectOutcome

    /// What a retried ordering of an order that moved no cash is told again; nil: its bookings say it.
    func appliedAgain(_ order: PaymentOrderStore.NewOrder) -> String?
}

extension OrderEffect {
    func appliedAgain(_ order: PaymentOrderStore.NewOrder) -> String? { nil }
}

/// What an effect did: the bookings (each becomes a line of the Kasse's file when the kind pays the Kasse)
/// and, for an order that moves no cash, what it applied.
struct OrderEffectOutcome: Sendable {
    var parts: [BookedPart]
    var applied: String?
}

/// The effects by kind, one for each kind of order.
struct OrderEffects: Sendable {
    let byKind: [PaymentOrderKind: any OrderEffect]

    init(
        payments: PaymentService, grants: GrantService, reconciliation: ReconciliationService,
        yearEnd: YearEndService, budget: BudgetService
    ) {
        byKind = [
            .instalment: BookingEffect(book: payments.bookInstalment),
            .settlement: BookingEffect(book: reconciliation.bookSettlement),
            .finding: BookingEffect(book: grants.bookAcceptedFinding),
            .yearEnd: YearEndOrdered(yearEnd: yearEnd),
            .surplusShare: BookingEffect(book: yearEnd.bookSurplusShare),
            .appropriation: AppropriationOrdered(budget: budget),
        ]
    }

    /// The effect of `kind`; every kind has one (`PaymentOrderTests.everyKindOfOrderHasItsEffect`).
    func effect(of kind: PaymentOrderKind) throws -> any OrderEffect {
        guard let effect = byKind[kind] else {
            throw ServiceError.conflict("no effect registered for orders of kind \(kind.rawValue)")
        }
        return effect
    }
}

/// An order whose effect is its bookings, made by the area's booking function: an instalment
/// (`PaymentService`), a statement's balance (`ReconciliationService`), an accepted finding (`GrantService`),
/// a lead provider's share (`YearEndService`).
struct BookingEffect: OrderEffect {
    let book: @Sendable (TenantTransaction, PaymentOrderStore.Record, Caller) async throws -> [BookedPart]

    func order(
        _ tx: TenantTransaction, _ order: PaymentOrderStore.Record, _ caller: Caller
    ) async throws
        -> OrderEffectOutcome
    {
        OrderEffectOutcome(parts: try await book(tx, order, caller))
    }
}

/// The year end: carry-forwards applied and the shares certified; no cash moves (`YearEndService`).
struct YearEndOrdered: OrderEffect {
    let yearEnd: YearEndService
    func order(
        _ tx: TenantTransaction, _ order: PaymentOrderStore.Record, _ caller: Caller
    ) async throws
        -> OrderEffectOutcome
    {
        let done = try await yearEnd.applyYearEnd(tx, order, caller)
        let shares = done.shares.map { "order \($0.orderID) (\($0.amount))" }
        return OrderEffectOutcome(
            parts: [],
            applied: "year end \(done.year) applied: carried \(done.carried) into \(done.year + 1); "
                + (shares.isEmpty
                    ? "no provider shares" : "provider shares certified: \(shares.joined(separator: ", "))"))
    }

    func appliedAgain(_ order: PaymentOrderStore.NewOrder) -> String? {
        order.month.map { "year end \($0.year) applied" }
    }
}

/// A change of an Ansatz above the threshold: set (`BudgetService`); no cash moves.
struct AppropriationOrdered: OrderEffect {
    let budget: BudgetService
    func order(
        _ tx: TenantTransaction, _ order: PaymentOrderStore.Record, _ caller: Caller
    ) async throws
        -> OrderEffectOutcome
    {
        try await budget.applyAppropriation(tx, order, caller)
        return OrderEffectOutcome(parts: [], applied: appliedAgain(order.order))
    }

    func appliedAgain(_ order: PaymentOrderStore.NewOrder) -> String? {
        guard let space = order.socialSpace, let component = order.component, let month = order.month else {
            return nil
        }
        return "appropriation \(space) \(month.year) \(component.rawValue) set to \(order.amount)"
    }
}
