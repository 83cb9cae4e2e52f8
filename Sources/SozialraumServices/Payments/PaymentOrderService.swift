import Logging
import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A certified payment order (first signature), waiting for its second.
public struct CertifiedOrder: Sendable, Equatable {
    public var orderID: Int64
    public var amount: Money
    public var expiresOn: Day
    /// The same request found its order waiting already (nothing new was certified).
    public var alreadyPending = false

    /// As remembered for a retried request: `order:<id>:<cents>:<yyyy-mm-dd>`.
    var stored: String { "order:\(orderID):\(amount.cents):\(expiresOn)" }

    init(orderID: Int64, amount: Money, expiresOn: Day) {
        self.orderID = orderID
        self.amount = amount
        self.expiresOn = expiresOn
    }

    init(stored: String) throws {
        let parts = stored.split(separator: ":")
        guard parts.count == 4, parts[0] == "order", let id = Int64(parts[1]), let cents = Int64(parts[2]),
            let day = Day(iso: parts[3])
        else { throw ServiceError.conflict("stored result unreadable") }
        self.init(orderID: id, amount: Money(cents: cents), expiresOn: day)
    }
}

/// One booking an ordered payment made.
struct BookedPart: Sendable {
    var bookingID: Int64
    var bookedMonth: YearMonth
    var socialSpace: SocialSpaceCode
    var component: BudgetComponent
    var amount: Money
}

/// The workflow's one entry for a first signature: an area stores the pending order it certifies here (the
/// database checks the certifier's right again); what ordering it does is the area's `OrderEffect`.
enum PaymentOrders {
    /// Stores a pending order certified by `caller` (the database checks the right again).
    static func certify(
        _ tx: TenantTransaction, _ caller: Caller, _ order: PaymentOrderStore.NewOrder
    ) async throws
        -> CertifiedOrder
    {
        let id = try await PaymentOrderStore.insert(tx, order)
        return CertifiedOrder(orderID: id, amount: order.amount, expiresOn: order.expiresOn)
    }
}

/// Payment orders (Kassenanordnungen) under the four-eyes rule: one account certifies (instalment,
/// settle, resolve-finding accept), a second one with the right to order approves, and only then is
/// money booked; rejection with a reason; expiry after `PaymentSettings.pendingDays`. Ordered payments
/// go to the Kasse in export batches, and the Kasse's confirmations come back (see `+Kasse`).
public struct PaymentOrderService: BudgetArea {
    /// The store, the log, today's date and the payment settings every budget area works with.
    let context: ServiceContext
    let payments: PaymentService
    let grants: GrantService
    let reconciliation: ReconciliationService
    let budget: BudgetService
    let yearEnd: YearEndService
    /// What ordering each kind of order does, registered by the areas that certify them.
    let effects: OrderEffects

    public init(
        store: Store, logger: Logger, today: @escaping @Sendable () -> Day, settings: PaymentSettings,
        payments: PaymentService, grants: GrantService, reconciliation: ReconciliationService,
        budget: BudgetService? = nil
    ) {
        self.context = ServiceContext(store: store, logger: logger, today: today, settings: settings)
        self.payments = payments
        self.grants = grants
        self.reconciliation = reconciliation
        self.budget = budget ?? BudgetService(store: store, logger: logger, today: today, settings: settings)
        self.yearEnd = YearEndService(reconciliation: reconciliation)
        self.effects = OrderEffects(
            payments: payments, grants: grants, reconciliation: reconciliation, yearEnd: yearEnd, budget: self.budget)
    }

    /// What ordering a payment did.
    public struct Ordered: Sendable, Equatable {
        public var orderID: Int64
        public var amount: Money
        /// Nil for an accepted finding, which the next statement pays.
        public var kassenzeichen: String?
        public var due: Day?
        public var bookingIDs: [Int64]
        /// What an order that moves no cash applied instead (a year end, an appropriation change).
        public var applied: String? = nil
    }

    enum Decision {
        case ordered(Ordered)
        case expired(Day)
    }

    /// Orders a certified payment (Anordnung, second signature): books it under the order and freezes its
    /// Kontierung. The certifier cannot order it, whatever rights it holds. Ordering it again answers the
    /// same.
    public func approve(_ caller: Caller, orderID: Int64, due: Day? = nil) async throws -> Ordered {
        try caller.require(.order, for: "ordering payments")
        if let due, due < today() {
            throw ServiceError.invalid(field: "due", reason: "in the past: the Kasse cannot pay before today")
        }
        let decision: Decision = try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                guard let order = try await PaymentOrderStore.lock(tx, id: orderID) else {
                    throw ServiceError.notFound("payment order")
                }
                if order.state == .approved, order.decidedBy == caller.name {
                    let stored = try await PaymentOrderStore.ordered(tx, id: orderID)
                    return .ordered(
                        Ordered(
                            orderID: orderID, amount: stored.amount, kassenzeichen: stored.kassenzeichen,
                            due: stored.due, bookingIDs: stored.bookings,
                            applied: try effects.effect(of: order.order.kind).appliedAgain(order.order)))
                }
                guard order.state == .pending else {
                    throw ServiceError.conflict("the order is \(order.state.rawValue)")
                }
                guard order.order.certifiedBy != caller.name else {
                    throw ServiceError.forbidden("ordering a payment you certified (four eyes)")
                }
                // Anordnungsbefugnis: the orderer's limit and Sozialräume (the database checks them again).
                let limits = try await AccountStore.orderingLimits(tx, name: caller.name)
                if let limit = limits.limit, try order.order.amount.magnitude() > limit.magnitude() {
                    throw ServiceError.forbidden("ordering \(order.order.amount): your limit is \(limit)")
                }
                if let scope = limits.scope, order.order.socialSpace.map({ !scope.contains($0) }) ?? true {
                    throw ServiceError.forbidden(
                        "ordering for \(order.order.socialSpace?.rawValue ?? "several Sozialräume"): you order for "
                            + scope.map(\.rawValue).joined(separator: ", "))
                }
                let today = today()
                guard today <= order.order.expiresOn else {
                    try await PaymentOrderStore.expire(tx, id: orderID)
                    try await tx.audit(caller, "order.expire", "payment_order", String(orderID))
                    return .expired(order.order.expiresOn)
                }
                let paysTheKasse = order.order.kind.paysTheKasse
                let kassenzeichen = settings.kassenzeichen(order: orderID, year: today.year)
                let dueDay = due ?? today.adding(days: settings.dueAfterDays)
                if paysTheKasse {
                    guard try await PaymentOrderStore.creditorNumber(tx, provider: order.order.payee) != nil else {
                        throw ServiceError.conflict(
                            "the provider has no creditor number; set it with provider-creditor")
                    }
                }
                try await PaymentOrderStore.approve(
                    tx, id: orderID, by: caller.name, kassenzeichen: paysTheKasse ? kassenzeichen : nil,
                    due: paysTheKasse ? dueDay : nil)
                let outcome = try await effects.effect(of: order.order.kind).order(tx, order, caller)
                let (parts, applied) = (outcome.parts, outcome.applied)
                if paysTheKasse {
                    for part in parts {
                        let year = part.bookedMonth.year
                        guard
                            let mapping = try await PaymentOrderStore.mapping(
                                tx, year: year, socialSpace: part.socialSpace, component: part.component,
                                kind: order.order.kind)
                        else {
                            throw ServiceError.conflict(
                                "no finance mapping for \(year) \(part.socialSpace) \(part.component.rawValue) "
                                    + "\(order.order.kind.rawValue); set it with finance-map")
                        }
                        try await PaymentOrderStore.addLine(
                            tx, order: orderID, payee: order.order.payee, booking: part.bookingID, year: year,
                            socialSpace: part.socialSpace, component: part.component, amount: part.amount,
                            mapping: mapping)
                    }
                }
                try await tx.audit(caller, "order.approve", "payment_order", String(orderID))
                return .ordered(
                    Ordered(
                        orderID: orderID, amount: order.order.amount, kassenzeichen: paysTheKasse ? kassenzeichen : nil,
                        due: paysTheKasse ? dueDay : nil, bookingIDs: parts.map(\.bookingID), applied: applied))
            }
        }
        switch decision {
        case .ordered(let ordered):
            logger.info("payment ordered", metadata: ["order": "\(orderID)", "request": "\(caller.requestID ?? "-")"])
            return ordered
        case .expired(let day):
            throw ServiceError.conflict("the order expired after \(day); certify the payment again")
        }
    }

    /// Rejects a certified payment with a reason (a second account with the right to order or certify).
    public func reject(_ caller: Caller, orderID: Int64, reason: String) async throws {
        guard caller.role == .county, caller.rights.contains(.order) || caller.rights.contains(.certify) else {
            throw ServiceError.forbidden("rejecting payments needs the right order or certify")
        }
        try GrantService.checkText(reason, field: "reason", .reason)
        try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                guard let order = try await PaymentOrderStore.lock(tx, id: orderID) else {
                    throw ServiceError.notFound("payment order")
                }
                guard order.state == .pending else {
                    throw ServiceError.conflict("the order is \(order.state.rawValue)")
                }
                guard order.order.certifiedBy != caller.name else {
                    throw ServiceError.forbidden("deciding on a payment you certified (four eyes)")
                }
                try await PaymentOrderStore.reject(tx, id: orderID, by: caller.name, reason: reason)
                try await tx.audit(caller, "order.reject", "payment_order", String(orderID))
            }
        }
    }

    /// Payment orders, newest first: both signatures, Kassenzeichen, batch, what the Kasse paid. A
    /// provider sees the orders that pay it. A pending order past its day shows as expired.
    public func orders(
        _ caller: Caller, states: [PaymentOrderState] = [], limit: Int = 200
    ) async throws
        -> [PaymentOrderListing]
    {
        try caller.require(.county, .auditor, .provider, for: "reading payment orders")
        let today = today()
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await PaymentOrderStore.orders(tx, states: states, limit: limit).map { order in
                var order = order
                if order.state == .pending, order.expiresOn < today { order.state = .expired }
                return order
            }
        }
    }
}
