import Logging
import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The use cases of payments (Zahlungen): projects and their expenses under the year's overrun policy
/// (milieu and structure), instalments to providers, reversals and corrections into the current open
/// month (rule 11), and the ledger of a month.
public struct PaymentService: BudgetArea {
    /// The store, the log, today's date and the payment settings every budget area works with.
    let context: ServiceContext

    public init(
        store: Store, logger: Logger, today: @escaping @Sendable () -> Day,
        settings: PaymentSettings = PaymentSettings()
    ) {
        self.context = ServiceContext(store: store, logger: logger, today: today, settings: settings)
    }

    // MARK: Projects, instalments, corrections

    /// Creates a milieu or structure project (Projektlandschaft) of a provider.
    @discardableResult
    public func createProject(
        _ caller: Caller, provider: TenantID, title: String, socialSpace: SocialSpaceCode, component: BudgetComponent,
        startsOn: Day, endsOn: Day, budget: Money, volunteers: Int, professionals: Int,
        idempotencyKey: IdempotencyKey? = nil
    ) async throws -> UUID {
        try caller.require(.caseWork, for: "creating projects")
        guard component != .case else {
            throw ServiceError.invalid(field: "component", reason: "projects are milieu or structure")
        }
        try Self.checkText(title, field: "title", .title)
        guard endsOn >= startsOn else { throw ServiceError.invalid(field: "end", reason: "before start") }
        guard budget.cents >= 0, volunteers >= 0, professionals >= 0 else {
            throw ServiceError.invalid(field: "budget", reason: "must not be negative")
        }
        let project = ProjectStore.Record(
            id: UUID(), provider: provider, title: title, socialSpace: socialSpace, component: component,
            period: DayRange(start: startsOn, end: endsOn)!, budget: budget, volunteers: volunteers,
            professionals: professionals)
        // A project binds money: a retried request creates it once (rule 10).
        let content =
            "project|\(provider)|\(title)|\(socialSpace)|\(component.rawValue)|\(startsOn)|\(endsOn)|\(budget.cents)|"
            + "\(volunteers)|\(professionals)"
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                if let idempotencyKey, let result = try await replayed(tx, key: idempotencyKey, content: content) {
                    guard let id = UUID(uuidString: result) else {
                        throw ServiceError.conflict("stored result unreadable")
                    }
                    return id
                }
                try await requireProvider(tx, provider)
                try await requireCooperation(tx, provider, through: endsOn)
                try await requireSocialSpace(tx, socialSpace)
                try await ProjectStore.insert(tx, project)
                if let idempotencyKey {
                    try await LedgerStore.remember(
                        tx, key: idempotencyKey, content: content, result: project.id.uuidString)
                }
                try await tx.audit(caller, "project.create", "project", project.id.uuidString)
                return project.id
            }
        }
    }

    /// A booking's id and, for spending, the overrun it caused (rule 4).
    public struct BookingOutcome: Sendable, Equatable {
        public var bookingID: Int64
        public var overrun: Money?
    }

    /// Books an expense of a project against its milieu or structure line, subject to the year's
    /// overrun policy (rule 4).
    public func bookProjectExpense(
        _ caller: Caller, projectID: UUID, day: Day, amount: Money, idempotencyKey: IdempotencyKey
    ) async throws -> BookingOutcome {
        try caller.require(.provider, .county, for: "booking project expenses")
        guard amount.cents > 0 else {
            throw ServiceError.invalid(field: "amount", reason: "must be positive; corrections are reversals")
        }
        let content = "expense|\(projectID)|\(day)|\(amount)"
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                if let result = try await replayed(tx, key: idempotencyKey, content: content) {
                    return BookingOutcome(bookingID: Int64(result) ?? 0, overrun: nil)
                }
                guard let project = try await ProjectStore.project(tx, id: projectID),
                    caller.role == .county || project.provider == caller.tenant
                else { throw ServiceError.notFound("project") }
                let (provider, space, component) = (project.provider, project.socialSpace, project.component)
                guard project.period.contains(day) else {
                    throw ServiceError.invalid(field: "date", reason: "outside the project period")
                }
                let month = day.yearMonth
                guard try await ReferenceDataStore.periodExists(tx, month) else {
                    throw ServiceError.invalid(field: "date", reason: "no fiscal period \(month)")
                }
                guard try await ReferenceDataStore.closedMonths(tx, from: month, through: month).isEmpty else {
                    throw ServiceError.periodClosed(month)
                }
                let policy = try await ReferenceDataStore.overrunPolicy(tx, year: month.year) ?? .warn
                // The decision rests on the whole pool, whoever asks: a provider sees only its own
                // spending, so the database computes the shortfall over everyone's and returns only that.
                let shortfall = try await LedgerStore.spendingShortfall(
                    tx, project: projectID, day: day, amount: amount)
                let decision = SpendingDecision.decide(shortfall: shortfall, on: component, policy: policy)
                var overrun: Money?
                switch decision {
                case .refuse(let shortfall):
                    throw ServiceError.refusedOverrun(component: component, shortfall: shortfall)
                case .acceptWithOverrun(let amount): overrun = amount
                case .accept: break
                }
                let id = try await LedgerStore.book(
                    tx,
                    .init(
                        tenant: provider, kind: .projectExpense, bookedMonth: month, serviceMonth: month,
                        socialSpace: space,
                        component: component, amount: amount, projectID: projectID),
                    actor: caller.name, requestID: caller.requestID)
                try await LedgerStore.remember(tx, key: idempotencyKey, content: content, result: String(id))
                try await tx.audit(caller, "project.expense", "booking", String(id))
                return BookingOutcome(bookingID: id, overrun: overrun)
            }
        }
    }

    /// Certifies an instalment (Abschlag) to a provider for a Sozialraum and component (Feststellung, first
    /// signature): a pending payment order, booked only when a second account orders it (`PaymentOrderService`).
    public func certifyInstalment(
        _ caller: Caller, provider: TenantID, socialSpace: SocialSpaceCode, component: BudgetComponent,
        month: YearMonth,
        amount: Money, idempotencyKey: IdempotencyKey
    ) async throws -> CertifiedOrder {
        try caller.require(.certify, for: "paying instalments")
        guard amount.cents > 0 else { throw ServiceError.invalid(field: "amount", reason: "must be positive") }
        let content = "instalment|\(provider)|\(socialSpace)|\(component.rawValue)|\(month)|\(amount)"
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                if let result = try await replayed(tx, key: idempotencyKey, content: content) {
                    return try CertifiedOrder(stored: result)
                }
                try await requireProvider(tx, provider)
                try await requireSocialSpace(tx, socialSpace)
                try await requireOpenMonth(tx, month)
                let certified = try await PaymentOrders.certify(
                    tx, caller,
                    .init(
                        payee: provider, kind: .instalment, socialSpace: socialSpace, component: component,
                        month: month,
                        amount: amount, certifiedBy: caller.name,
                        expiresOn: today().adding(days: settings.pendingDays), requestID: caller.requestID))
                try await LedgerStore.remember(tx, key: idempotencyKey, content: content, result: certified.stored)
                try await tx.audit(caller, "instalment.certify", "payment_order", String(certified.orderID))
                return certified
            }
        }
    }

    func requireOpenMonth(_ tx: TenantTransaction, _ month: YearMonth) async throws {
        guard try await ReferenceDataStore.periodExists(tx, month) else {
            throw ServiceError.invalid(field: "month", reason: "no fiscal period \(month)")
        }
        guard try await ReferenceDataStore.closedMonths(tx, from: month, through: month).isEmpty else {
            throw ServiceError.periodClosed(month)
        }
    }

    /// Books an ordered instalment (the second signature is on `order`).
    func bookInstalment(
        _ tx: TenantTransaction, _ order: PaymentOrderStore.Record, _ caller: Caller
    ) async throws
        -> [BookedPart]
    {
        guard let month = order.order.month, let space = order.order.socialSpace,
            let component = order.order.component
        else { throw ServiceError.conflict("the order names no line") }
        try await requireOpenMonth(tx, month)
        let id = try await LedgerStore.book(
            tx,
            .init(
                tenant: order.order.payee, kind: .instalment, bookedMonth: month, serviceMonth: month,
                socialSpace: space, component: component, amount: order.order.amount, paymentOrderID: order.id),
            actor: caller.name, requestID: caller.requestID)
        try await tx.audit(caller, "instalment.pay", "booking", String(id))
        return [
            BookedPart(
                bookingID: id, bookedMonth: month, socialSpace: space, component: component, amount: order.order.amount)
        ]
    }

    /// Reverses a booking (Storno, rule 10). When its month is closed, the reversal goes into the
    /// current open month and refers to the original (rule 11). A reversed delivery frees its grant
    /// month for a corrected delivery.
    public func reverse(
        _ caller: Caller, bookingID: Int64, idempotencyKey: IdempotencyKey
    ) async throws -> BookingOutcome {
        try caller.require(.county, .provider, for: "reversing bookings")
        let content = "reverse|\(bookingID)"
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                if let result = try await replayed(tx, key: idempotencyKey, content: content) {
                    return BookingOutcome(bookingID: Int64(result) ?? 0, overrun: nil)
                }
                guard let original = try await LedgerStore.booking(tx, id: bookingID),
                    caller.role == .county || original.tenant == caller.tenant
                else { throw ServiceError.notFound("booking") }
                guard original.kind != .reversal else {
                    throw ServiceError.conflict("a reversal cannot be reversed; book anew")
                }
                // Payments (instalments, settlements) and carry-forwards are the county's bookings, even
                // though they stand in the provider's ledger: a provider reverses only its own cost.
                guard caller.role == .county || [.delivery, .projectExpense].contains(original.kind) else {
                    throw ServiceError.forbidden("reversing payments")
                }
                guard !(try await LedgerStore.isReversed(tx, bookingID: bookingID)) else {
                    throw ServiceError.duplicate("reversal of booking \(bookingID)")
                }
                let id = try await Reversal.reverse(tx, caller: caller, original: original, today: today())
                try await LedgerStore.remember(tx, key: idempotencyKey, content: content, result: String(id))
                try await tx.audit(caller, "booking.reverse", "booking", String(bookingID))
                return BookingOutcome(bookingID: id, overrun: nil)
            }
        }
    }

    /// The bookings of a booked month the caller may see (the county all, a provider its own), in order.
    public func bookings(_ caller: Caller, bookedIn month: YearMonth) async throws -> [BookingListing] {
        try caller.require(.county, .auditor, .provider, for: "reading the ledger")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await LedgerStore.bookings(tx, bookedIn: month)
        }
    }

}
