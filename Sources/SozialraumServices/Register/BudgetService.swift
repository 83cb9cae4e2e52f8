import Logging
import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The use cases of the budget itself (Haushalt): Sozialräume, providers and their rates, fiscal years,
/// appropriations and carry-forwards (county), periods and available funds.
///
/// Every function checks the caller's role, then works inside `Store.withTenant(caller.tenant)`, so
/// row-level security has the last word. Writes carry an idempotency key (rule 10) and leave an
/// audit event. Cases, grants and deliveries are `GrantService`'s; payments are `PaymentService`'s.
public struct BudgetService: BudgetArea {
    /// The store, the log, today's date and the payment settings every budget area works with.
    let context: ServiceContext

    public init(
        store: Store, logger: Logger, today: @escaping @Sendable () -> Day,
        settings: PaymentSettings = PaymentSettings()
    ) {
        self.context = ServiceContext(store: store, logger: logger, today: today, settings: settings)
    }

    // MARK: Reference data (county)

    /// Defines a Sozialraum and the municipalities it groups from `validFrom`.
    public func defineSocialSpace(
        _ caller: Caller, code: SocialSpaceCode, name: String, municipalities: [(code: SocialSpaceCode, name: String)],
        validFrom: Day
    ) async throws {
        try caller.require(.caseWork, for: "defining Sozialräume")
        try Self.checkText(name, field: "name", .name)
        try await store.withTenant(caller.tenant) { tx in
            // A regrouping ends the municipality's previous membership the day before.
            let taken = try await ReferenceDataStore.defineSocialSpace(
                tx, code: code, name: name, municipalities: municipalities, validFrom: validFrom)
            guard taken.isEmpty else {
                throw ServiceError.conflict(
                    "from \(validFrom) \(taken.map(\.rawValue).joined(separator: ", ")) belongs to another Sozialraum")
            }
            try await tx.audit(caller, "social_space.define", "social_space", code.rawValue)
        }
    }

    /// Registers a provider (freier Träger) as a tenant of its own; returns its id.
    public func registerProvider(_ caller: Caller, name: String) async throws -> TenantID {
        try caller.require(.caseWork, for: "registering providers")
        try Self.checkText(name, field: "name", .name)
        // The tenant and its audit event in one transaction: neither stands without the other.
        return try await store.withTenant(caller.tenant) { tx in
            let provider = try await TenantRegistry.registerProvider(tx, name: name)
            try await tx.audit(caller, "provider.register", "tenant", provider.description)
            return provider
        }
    }

    /// Opens a fiscal year with its twelve months, cover pools and policies (rules 1, 4, 12).
    public func openYear(
        _ caller: Caller, year: Int, overrunPolicy: OverrunPolicy, providerSurplusShare: Int = 0,
        coverPools: CoverPools = .standard, carryForwardAllowed: Bool = true
    ) async throws {
        try caller.require(.caseWork, for: "opening fiscal years")
        guard (2000...2199).contains(year) else { throw ServiceError.invalid(field: "year", reason: "out of range") }
        guard (0...10_000).contains(providerSurplusShare) else {
            throw ServiceError.invalid(field: "providerSurplusShare", reason: "must be 0 to 10000 basis points")
        }
        try await store.withTenant(caller.tenant) { tx in
            guard
                try await ReferenceDataStore.openYear(
                    tx, year: year, overrunPolicy: overrunPolicy, providerSurplusShare: providerSurplusShare,
                    coverPools: coverPools, carryForwardAllowed: carryForwardAllowed)
            else { throw ServiceError.duplicate("fiscal year \(year)") }
            try await tx.audit(caller, "year.open", "fiscal_year", String(year))
        }
    }

    /// Sets the Ansatz of one line (rule 1). A first Ansatz is set at once; changing a set one by more
    /// than `PaymentSettings.appropriationThreshold` certifies an order for a second account (right order)
    /// and changes nothing until then.
    @discardableResult
    public func setAppropriation(_ caller: Caller, line: BudgetLine, amount: Money) async throws -> CertifiedOrder? {
        try caller.require(.caseWork, for: "setting appropriations")
        guard amount.cents >= 0 else { throw ServiceError.invalid(field: "amount", reason: "must not be negative") }
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                try await requireYear(tx, line.year)
                try await requireSocialSpace(tx, line.socialSpace)
                let current = try await ReferenceDataStore.appropriation(tx, line: line)
                if let current, current != .zero, try needsTwoSignatures(from: current, to: amount) {
                    // The same change requested again (a retry) is the order already waiting for it.
                    if let pending = try await PaymentOrderStore.pendingAppropriation(
                        tx, line: line, amount: amount, today: today())
                    {
                        var waiting = CertifiedOrder(orderID: pending.id, amount: amount, expiresOn: pending.expiresOn)
                        waiting.alreadyPending = true
                        return waiting
                    }
                    let certified = try await PaymentOrders.certify(
                        tx, caller,
                        .init(
                            payee: caller.tenant, kind: .appropriation, socialSpace: line.socialSpace,
                            component: line.component, month: YearMonth(year: line.year, month: 1)!, amount: amount,
                            certifiedBy: caller.name, expiresOn: today().adding(days: settings.pendingDays),
                            requestID: caller.requestID))
                    try await tx.audit(caller, "appropriation.certify", "payment_order", String(certified.orderID))
                    return certified
                }
                try await ReferenceDataStore.setAppropriation(tx, line: line, amount: amount)
                try await tx.audit(caller, "appropriation.set", "budget_line", line.description)
                return nil
            }
        }
    }

    /// Whether changing a set Ansatz from `current` to `amount` is above the county's threshold.
    func needsTwoSignatures(from current: Money, to amount: Money) throws(Money.Overflow) -> Bool {
        try (amount - current).magnitude() > settings.appropriationThreshold.magnitude()
            || settings.appropriationThreshold == .zero && amount != current
    }

    /// Applies an ordered appropriation change.
    func applyAppropriation(_ tx: TenantTransaction, _ order: PaymentOrderStore.Record, _ caller: Caller) async throws {
        guard let space = order.order.socialSpace, let component = order.order.component, let month = order.order.month
        else { throw ServiceError.conflict("the order names no line") }
        let line = BudgetLine(year: month.year, socialSpace: space, component: component)
        try await ReferenceDataStore.setAppropriation(tx, line: line, amount: order.order.amount)
        try await tx.audit(caller, "appropriation.set", "budget_line", line.description)
    }

    /// Carries unspent appropriation into `line.year` with a reason (rule 12).
    public func carryForward(_ caller: Caller, into line: BudgetLine, amount: Money, reason: String) async throws {
        try caller.require(.caseWork, for: "carrying forward")
        guard amount.cents >= 0 else { throw ServiceError.invalid(field: "amount", reason: "must not be negative") }
        try Self.checkText(reason, field: "reason", .reason)
        try await store.withTenant(caller.tenant) { tx in
            try await requireYear(tx, line.year)
            try await requireSocialSpace(tx, line.socialSpace)
            guard try await ReferenceDataStore.carryForwardAllowed(tx, year: line.year) else {
                throw ServiceError.conflict("carry-forward is not allowed into \(line.year)")
            }
            try await ReferenceDataStore.setCarryForward(tx, line: line, amount: amount, reason: reason)
            try await tx.audit(caller, "carry_forward.set", "budget_line", line.description)
        }
    }

    /// Assigns a provider to a Sozialraum from a date (lead provider or another).
    public func assignProvider(
        _ caller: Caller, provider: TenantID, socialSpace: SocialSpaceCode, lead: Bool, from: Day, to: Day? = nil
    ) async throws {
        try caller.require(.caseWork, for: "assigning providers")
        if let to, to < from { throw ServiceError.invalid(field: "to", reason: "before from") }
        try await store.withTenant(caller.tenant) { tx in
            try await requireProvider(tx, provider)
            try await requireSocialSpace(tx, socialSpace)
            guard
                try await ReferenceDataStore.assignProvider(
                    tx, provider: provider, socialSpace: socialSpace, lead: lead, from: from, to: to)
            else {
                throw ServiceError.conflict(
                    "the provider's assignment to \(socialSpace) from \(from) says otherwise; unassign it or choose another day"
                )
            }
            try await tx.audit(caller, "provider.assign", "tenant", provider.description)
        }
    }

    /// Records a price of a rate agreement (Entgeltvereinbarung), valid from a date (rule 6).
    public func addRate(
        _ caller: Caller, provider: TenantID, helpType: String, unit: RateUnit, validFrom: Day, amount: Money
    ) async throws {
        try caller.require(.caseWork, for: "agreeing rates")
        guard amount.cents > 0 else { throw ServiceError.invalid(field: "amount", reason: "must be positive") }
        try await store.withTenant(caller.tenant) { tx in
            try await requireProvider(tx, provider)
            try await requireHelpType(tx, helpType)
            // Rule 6 with rule 11: the prices of a closed month never change (the database refuses it too).
            guard try await !MasterDataStore.closedMonthFrom(tx, validFrom) else {
                throw ServiceError.conflict("a rate cannot take effect in or before a closed month")
            }
            guard
                try await ReferenceDataStore.addRate(
                    tx, provider: provider, helpType: helpType, unit: unit, validFrom: validFrom, amount: amount)
            else { throw ServiceError.duplicate("rate from \(validFrom)") }
            try await tx.audit(caller, "rate.add", "tenant", provider.description)
        }
    }

    /// Loads the SGB VIII help types of the catalogue (idempotent).
    public func loadHelpTypes(_ caller: Caller) async throws {
        try caller.require(.caseWork, for: "loading help types")
        try await store.withTenant(caller.tenant) { tx in
            try await ReferenceDataStore.loadHelpTypes(tx, HelpType.catalogue)
        }
    }
}

/// What the budget's use-case types share: the store, the log, the county's calendar day, and the checks
/// every area makes (idempotency, reference data exists, free text within its limit).
protocol BudgetArea: Sendable {
    var context: ServiceContext { get }
}

/// What every budget area works with, built once and shared (instead of four copies of the same fields).
struct ServiceContext: Sendable {
    let store: Store
    let logger: Logger
    /// Today, from the interface layer's clock: the domain has none.
    let today: @Sendable () -> Day
    let settings: PaymentSettings
}

extension BudgetArea {
    var store: Store { context.store }
    var logger: Logger { context.logger }
    var today: @Sendable () -> Day { context.today }
    var settings: PaymentSettings { context.settings }
}

extension BudgetArea {
    /// Rule 10: claims the idempotency key for this request. Returns the first request's stored result
    /// when the same request was made before (the caller replays it), nil when this is the first time
    /// (the caller does the work and `remember`s its result), and refuses other content under the key.
    func replayed(_ tx: TenantTransaction, key: IdempotencyKey, content: String) async throws -> String? {
        switch try await LedgerStore.claim(tx, key: key, content: content) {
        case .replay(let result): return result
        case .conflict: throw ServiceError.idempotencyConflict
        case .fresh: return nil
        }
    }

    func terms(_ grant: GrantRecord, rates: [Rate]) -> GrantTerms {
        GrantTerms(
            period: DayRange(start: grant.startsOn, end: grant.endsOn)!, volumePerMonth: grant.volumePerMonth,
            unit: grant.unit,
            rates: rates, endedOn: grant.endedOn)
    }

    func pricingInputs(
        _ tx: TenantTransaction, grant: GrantRecord, residence: ResidenceHistory
    ) async throws -> PricingInputs {
        let rates = try await ReferenceDataStore.rates(
            tx, provider: grant.provider, helpType: grant.helpType, unit: grant.unit)
        return PricingInputs(terms: terms(grant, rates: rates), residence: residence)
    }

    /// Checks a free text against its one limit (counted as the column counts) and refuses control characters.
    static func checkText(_ text: String, field: String, _ limit: TextLimit) throws(ServiceError) {
        guard limit.allows(text) else { throw .invalid(field: field, reason: limit.description) }
        guard !TextLimit.hasHiddenCharacters(text) else {
            throw .invalid(field: field, reason: TextLimit.hiddenCharactersReason)
        }
    }

    func requireYear(_ tx: TenantTransaction, _ year: Int) async throws {
        guard try await ReferenceDataStore.yearExists(tx, year) else {
            throw ServiceError.notFound("fiscal year \(year)")
        }
    }

    func requireSocialSpace(_ tx: TenantTransaction, _ code: SocialSpaceCode) async throws {
        guard try await ReferenceDataStore.socialSpaceExists(tx, code) else {
            throw ServiceError.notFound("Sozialraum \(code)")
        }
    }

    func requireHelpType(_ tx: TenantTransaction, _ code: String) async throws {
        guard try await ReferenceDataStore.helpTypeExists(tx, code) else { throw ServiceError.notFound("help type") }
    }

    func requireProvider(_ tx: TenantTransaction, _ provider: TenantID) async throws {
        guard try await ReferenceDataStore.providerExists(tx, provider) else { throw ServiceError.notFound("provider") }
    }

    /// A grant or project of `provider` may not run past the end of its cooperation (sql/0015 too).
    func requireCooperation(_ tx: TenantTransaction, _ provider: TenantID, through day: Day) async throws {
        if let ends = try await MasterDataStore.cooperationEnds(tx, provider), day > ends {
            throw ServiceError.conflict("the provider's cooperation ends \(ends); nothing of it may run past that day")
        }
    }

    func requireCase(_ tx: TenantTransaction, key: String) async throws -> UUID {
        guard let id = try await CaseStore.caseID(tx, key: key) else { throw ServiceError.notFound("case") }
        return id
    }
}
