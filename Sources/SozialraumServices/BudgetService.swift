import Logging
import PostgresClient
import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The use cases of the budget: reference data (county), cases and grants (county), deliveries and
/// expenses (providers), instalments and corrections, periods, available funds.
///
/// Every function checks the caller's role, then works inside `Store.withTenant(caller.tenant)`, so
/// row-level security has the last word. Writes carry an idempotency key (rule 10) and leave an
/// audit event.
public struct BudgetService: Sendable {
    let store: Store
    let logger: Logger
    /// Today, from the interface layer's clock: the domain has none.
    let today: @Sendable () -> Day

    public init(store: Store, logger: Logger, today: @escaping @Sendable () -> Day) {
        self.store = store
        self.logger = logger
        self.today = today
    }

    // MARK: Reference data (county)

    /// Defines a Sozialraum and the municipalities it groups from `validFrom`.
    public func defineSocialSpace(
        _ caller: Caller, code: SocialSpaceCode, name: String, municipalities: [(code: SocialSpaceCode, name: String)],
        validFrom: Day
    ) async throws {
        try caller.require(.county, for: "defining Sozialräume")
        try Self.checkText(name, field: "name", .name)
        try await store.withTenant(caller.tenant) { tx in
            // A regrouping ends the municipality's previous membership the day before.
            try await ReferenceDataStore.defineSocialSpace(
                tx, code: code, name: name, municipalities: municipalities, validFrom: validFrom)
            try await tx.audit(caller, "social_space.define", "social_space", code.rawValue)
        }
    }

    /// Opens a fiscal year with its twelve months, cover pools and policies (rules 1, 4, 12).
    public func openYear(
        _ caller: Caller, year: Int, overrunPolicy: OverrunPolicy, providerSurplusShare: Int = 0,
        coverPools: CoverPools = .standard
    ) async throws {
        try caller.require(.county, for: "opening fiscal years")
        guard (2000...2199).contains(year) else { throw ServiceError.invalid(field: "year", reason: "out of range") }
        guard (0...10_000).contains(providerSurplusShare) else {
            throw ServiceError.invalid(field: "providerSurplusShare", reason: "must be 0 to 10000 basis points")
        }
        try await store.withTenant(caller.tenant) { tx in
            guard
                try await ReferenceDataStore.openYear(
                    tx, year: year, overrunPolicy: overrunPolicy, providerSurplusShare: providerSurplusShare,
                    coverPools: coverPools)
            else { throw ServiceError.duplicate("fiscal year \(year)") }
            try await tx.audit(caller, "year.open", "fiscal_year", String(year))
        }
    }

    /// Sets the Ansatz of one line (rule 1).
    public func setAppropriation(_ caller: Caller, line: BudgetLine, amount: Money) async throws {
        try caller.require(.county, for: "setting appropriations")
        guard amount.cents >= 0 else { throw ServiceError.invalid(field: "amount", reason: "must not be negative") }
        try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                try await requireYear(tx, line.year)
                try await requireSocialSpace(tx, line.socialSpace)
                try await ReferenceDataStore.setAppropriation(tx, line: line, amount: amount)
                try await tx.audit(caller, "appropriation.set", "budget_line", line.description)
            }
        }
    }

    /// Carries unspent appropriation into `line.year` with a reason (rule 12).
    public func carryForward(_ caller: Caller, into line: BudgetLine, amount: Money, reason: String) async throws {
        try caller.require(.county, for: "carrying forward")
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
        try caller.require(.county, for: "assigning providers")
        if let to, to < from { throw ServiceError.invalid(field: "to", reason: "before from") }
        try await store.withTenant(caller.tenant) { tx in
            try await requireProvider(tx, provider)
            try await requireSocialSpace(tx, socialSpace)
            try await ReferenceDataStore.assignProvider(
                tx, provider: provider, socialSpace: socialSpace, lead: lead, from: from, to: to)
            try await tx.audit(caller, "provider.assign", "tenant", provider.description)
        }
    }

    /// Records a price of a rate agreement (Entgeltvereinbarung), valid from a date (rule 6).
    public func addRate(
        _ caller: Caller, provider: TenantID, helpType: String, unit: RateUnit, validFrom: Day, amount: Money
    ) async throws {
        try caller.require(.county, for: "agreeing rates")
        guard amount.cents > 0 else { throw ServiceError.invalid(field: "amount", reason: "must be positive") }
        try await store.withTenant(caller.tenant) { tx in
            try await requireProvider(tx, provider)
            try await requireHelpType(tx, helpType)
            guard
                try await ReferenceDataStore.addRate(
                    tx, provider: provider, helpType: helpType, unit: unit, validFrom: validFrom, amount: amount)
            else { throw ServiceError.duplicate("rate from \(validFrom)") }
            try await tx.audit(caller, "rate.add", "tenant", provider.description)
        }
    }

    /// Loads the SGB VIII help types of the catalogue (idempotent).
    public func loadHelpTypes(_ caller: Caller) async throws {
        try caller.require(.county, for: "loading help types")
        try await store.withTenant(caller.tenant) { tx in
            try await ReferenceDataStore.loadHelpTypes(tx, HelpType.catalogue)
        }
    }

    // MARK: Cases and grants (county)

    /// Opens a case under its pseudonymous key (rule 14), living in `socialSpace` from `from`.
    @discardableResult
    public func openCase(_ caller: Caller, key: String, socialSpace: SocialSpaceCode, from: Day) async throws -> UUID {
        try caller.require(.county, for: "opening cases")
        guard let caseKey = CaseKey(key) else {
            throw ServiceError.invalid(
                field: "case", reason: "not a pseudonymous case key (A-Z, 0-9, '-', 4 to 32, with a digit)")
        }
        let id = UUID()
        try await store.withTenant(caller.tenant) { tx in
            try await requireSocialSpace(tx, socialSpace)
            guard try await CaseStore.open(tx, id: id, key: caseKey, socialSpace: socialSpace, from: from) else {
                throw ServiceError.duplicate("case")
            }
            try await tx.audit(caller, "case.open", "case", id.uuidString)
        }
        return id
    }

    /// Records a move (rule 9). Commitments of the case's grants from the move month on are
    /// recomputed for the new Sozialraum.
    public func recordMove(_ caller: Caller, key: String, to socialSpace: SocialSpaceCode, on day: Day) async throws {
        try caller.require(.county, for: "recording moves")
        try await store.withTenant(caller.tenant) { tx in
            let caseID = try await requireCase(tx, key: key)
            try await requireSocialSpace(tx, socialSpace)
            guard try await CaseStore.addResidence(tx, caseID: caseID, from: day, socialSpace: socialSpace) else {
                throw ServiceError.duplicate("move on \(day)")
            }
            let residence = try await CaseStore.residence(tx, caseID: caseID)
            for grant in try await GrantStore.grants(tx, caseID: caseID) {
                let inputs = try await pricingInputs(tx, grant: grant, residence: residence)
                _ = try await GrantStore.rewriteCommitments(tx, grant: grant, inputs: inputs, fromMonth: day.yearMonth)
            }
            try await tx.audit(caller, "case.move", "case", caseID.uuidString)
        }
    }

    /// The outcome of a grant: it is never refused for lack of money (rule 4), but an overrun is flagged.
    public struct GrantOutcome: Sendable, Equatable {
        public var grantID: UUID
        /// Commitments written, per fiscal year.
        public var committed: [Int: Money]
        /// Überplanmäßig: the pools overspent by this grant, per Sozialraum and year.
        public var overruns: [String: Money]
    }

    public struct GrantRequest: Sendable {
        public var caseKey: String
        public var provider: TenantID
        public var helpType: String
        public var unit: RateUnit
        public var volumePerMonth: Quantity
        public var startsOn: Day
        public var endsOn: Day
        public var outOfAreaReason: String?

        public init(
            caseKey: String, provider: TenantID, helpType: String, unit: RateUnit, volumePerMonth: Quantity,
            startsOn: Day, endsOn: Day, outOfAreaReason: String? = nil
        ) {
            self.caseKey = caseKey
            self.provider = provider
            self.helpType = helpType
            self.unit = unit
            self.volumePerMonth = volumePerMonth
            self.startsOn = startsOn
            self.endsOn = endsOn
            self.outOfAreaReason = outOfAreaReason
        }
    }

    /// Grants a help (Bewilligung) and commits its planned cost (rule 7).
    public func grant(
        _ caller: Caller, _ request: GrantRequest, idempotencyKey: IdempotencyKey
    ) async throws -> GrantOutcome {
        try caller.require(.county, for: "granting help")
        guard request.endsOn >= request.startsOn else {
            throw ServiceError.invalid(field: "end", reason: "before start")
        }
        guard request.endsOn.year - request.startsOn.year <= 5 else {
            throw ServiceError.invalid(
                field: "end", reason: "a grant runs at most five years; grant again after review")
        }
        if let reason = request.outOfAreaReason { try Self.checkText(reason, field: "reason", .reason) }
        guard request.unit != .flatMonth || request.volumePerMonth == .one else {
            throw ServiceError.invalid(field: "volume", reason: "a flat monthly unit is granted as 1 a month")
        }
        let content =
            "grant|\(request.caseKey)|\(request.provider)|\(request.helpType)|\(request.unit.rawValue)|"
            + "\(request.volumePerMonth)|\(request.startsOn)|\(request.endsOn)|\(request.outOfAreaReason ?? "")"
        return try await store.withTenant(caller.tenant) { tx in
            if let result = try await replayed(tx, key: idempotencyKey, content: content) {
                return try await grantOutcome(tx, replaying: result)
            }
            let caseID = try await requireCase(tx, key: request.caseKey)
            try await requireProvider(tx, request.provider)
            try await requireHelpType(tx, request.helpType)
            let residence = try await CaseStore.residence(tx, caseID: caseID)
            // Rule 9: a provider serving outside the Sozialraum the case lives in must give a reason.
            let home = residence.socialSpace(on: request.startsOn) ?? residence.entries[0].socialSpace
            let serves = try await ReferenceDataStore.providerServes(
                tx, provider: request.provider, socialSpace: home, on: request.startsOn)
            if !serves, request.outOfAreaReason == nil {
                throw ServiceError.invalid(
                    field: "reason", reason: "the provider does not serve \(home) on \(request.startsOn); give a reason"
                )
            }
            let rates = try await ReferenceDataStore.rates(
                tx, provider: request.provider, helpType: request.helpType, unit: request.unit)
            guard let firstRate = rates.first, firstRate.validFrom <= request.startsOn else {
                throw ServiceError.invalid(
                    field: "rate", reason: "no rate agreement of the provider for this help on \(request.startsOn)")
            }
            let grantID = UUID()
            let record = GrantRecord(
                id: grantID, provider: request.provider, caseID: caseID, caseKey: request.caseKey,
                helpType: request.helpType,
                unit: request.unit, volumePerMonth: request.volumePerMonth, startsOn: request.startsOn,
                endsOn: request.endsOn,
                endedOn: nil, outOfAreaReason: serves ? nil : request.outOfAreaReason)
            try await GrantStore.insert(tx, record)
            let inputs = PricingInputs(terms: terms(record, rates: rates), residence: residence)
            let written: [YearMonth: Money]
            do {
                written = try await GrantStore.rewriteCommitments(
                    tx, grant: record, inputs: inputs, fromMonth: request.startsOn.yearMonth)
            } catch let failure as Pricing.Failure {
                throw ServiceError.invalid(field: "rate", reason: failure.description)
            }
            var committed: [Int: Money] = [:]
            for (month, amount) in written {
                committed[month.year, default: .zero] = Money(
                    cents: committed[month.year, default: .zero].cents + amount.cents)
            }
            // Rule 4: never refused; the overrun is flagged for each year and Sozialraum touched.
            var overruns: [String: Money] = [:]
            let spaces = Set(residence.entries.map(\.socialSpace))
            for year in committed.keys.sorted() {
                for space in spaces.sorted() {
                    let snapshot = try await BudgetSQL.fundsSnapshot(tx, socialSpace: space, year: year)
                    let report = FundsReport(funds: snapshot.funds, coverPools: snapshot.coverPools)
                    let overrun = report.pool(of: .case).overrun
                    if overrun.cents > 0 { overruns["\(year)/\(space)"] = overrun }
                }
            }
            if !overruns.isEmpty {
                logger.warning(
                    "grant causes an overrun (überplanmäßig)",
                    metadata: [
                        "tenant": "\(caller.tenant)", "request": "\(caller.requestID ?? "-")",
                        "lines": "\(overruns.keys.sorted())",
                    ])
            }
            try await BudgetSQL.remember(tx, key: idempotencyKey, content: content, result: grantID.uuidString)
            try await tx.audit(caller, "grant.create", "grant", grantID.uuidString)
            return GrantOutcome(grantID: grantID, committed: committed, overruns: overruns)
        }
    }

    private func grantOutcome(_ tx: TenantTransaction, replaying result: String) async throws -> GrantOutcome {
        guard let id = UUID(uuidString: result) else { throw ServiceError.conflict("stored result unreadable") }
        return GrantOutcome(
            grantID: id, committed: try await GrantStore.committedByYear(tx, grantID: id), overruns: [:])
    }

    /// Ends a grant early: the rest of its commitment is released (rule 7).
    public func endGrant(_ caller: Caller, grantID: UUID, on day: Day) async throws {
        try caller.require(.county, for: "ending grants")
        try await store.withTenant(caller.tenant) { tx in
            guard var grant = try await GrantStore.grantForUpdate(tx, id: grantID) else {
                throw ServiceError.notFound("grant")
            }
            guard day >= grant.startsOn.adding(days: -1) else {
                throw ServiceError.invalid(field: "date", reason: "before the grant starts")
            }
            guard day < grant.endsOn else {
                throw ServiceError.invalid(field: "date", reason: "not before the planned end")
            }
            guard !(try await GrantStore.hasActiveDelivery(tx, grantID: grantID, after: day.yearMonth)) else {
                throw ServiceError.conflict("deliveries exist after \(day); reverse them first")
            }
            try await GrantStore.setEnded(tx, id: grantID, on: day)
            grant.endedOn = day
            let residence = try await CaseStore.residence(tx, caseID: grant.caseID)
            let inputs = try await pricingInputs(tx, grant: grant, residence: residence)
            _ = try await GrantStore.rewriteCommitments(tx, grant: grant, inputs: inputs, fromMonth: day.yearMonth)
            try await tx.audit(caller, "grant.end", "grant", grantID.uuidString)
        }
    }

    // MARK: Deliveries (providers)

    /// The outcome of a recorded delivery (Leistungsnachweis).
    public struct DeliveryOutcome: Sendable, Equatable {
        public var deliveryID: UUID
        /// Cost booked now (of the payable volume).
        public var cost: Money
        /// Volume above the grant, held back as a finding (rule 8); zero if none.
        public var excess: Quantity
    }

    /// Records the hours/days a provider delivered for a grant in a month, books their cost into the
    /// ledger, releases the month's commitment and holds back any volume above the grant (rules 5–8).
    public func recordDelivery(
        _ caller: Caller, grantID: UUID, month: YearMonth, quantity: Quantity, idempotencyKey: IdempotencyKey
    ) async throws -> DeliveryOutcome {
        try caller.require(.provider, .county, for: "recording deliveries")
        let content = "delivery|\(grantID)|\(month)|\(quantity)"
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                if let result = try await replayed(tx, key: idempotencyKey, content: content) {
                    return try await deliveryOutcome(tx, replaying: result)
                }
                let outcome = try await deliver(
                    tx, caller: caller, grantID: grantID, month: month, quantity: quantity, line: nil)
                try await BudgetSQL.remember(
                    tx, key: idempotencyKey, content: content, result: outcome.deliveryID.uuidString)
                try await tx.audit(caller, "delivery.record", "delivery", outcome.deliveryID.uuidString)
                return outcome
            }
        }
    }

    private func deliveryOutcome(_ tx: TenantTransaction, replaying result: String) async throws -> DeliveryOutcome {
        guard let id = UUID(uuidString: result), let stored = try await DeliveryStore.figures(tx, id: id) else {
            throw ServiceError.conflict("stored result unreadable")
        }
        return DeliveryOutcome(deliveryID: id, cost: stored.cost, excess: stored.quantity - stored.payable)
    }

    /// One delivery inside an open transaction; `line` names the import line for row errors.
    func deliver(
        _ tx: TenantTransaction, caller: Caller, grantID: UUID, month: YearMonth, quantity: Quantity, line: Int?
    ) async throws -> DeliveryOutcome {
        func refuse(_ field: String, _ reason: String, _ error: ServiceError) -> any Error {
            line.map { ServiceError.rejectedRows([RowError(line: $0, field: field, reason: reason)]) } ?? error
        }
        // Another provider's grant is invisible under RLS: reported exactly like an unknown id.
        guard let grant = try await GrantStore.grant(tx, id: grantID) else {
            throw refuse("grant", "unknown grant", .notFound("grant"))
        }
        guard caller.role == .county || grant.provider == caller.tenant else {
            throw refuse("grant", "unknown grant", .notFound("grant"))
        }
        let rates = try await ReferenceDataStore.rates(
            tx, provider: grant.provider, helpType: grant.helpType, unit: grant.unit)
        let terms = terms(grant, rates: rates)
        let residence = try await CaseStore.residence(tx, caseID: grant.caseID)
        let priced: PricedDelivery
        do {
            priced = try PricedDelivery.price(delivered: quantity, month: month, terms: terms, residence: residence)
        } catch {
            let (field, reason) = Self.rowError(error, month: month)
            throw refuse(field, reason, .invalid(field: field, reason: reason))
        }
        guard try await ReferenceDataStore.periodExists(tx, month) else {
            throw refuse(
                "month", "no fiscal period \(month)", .invalid(field: "month", reason: "no fiscal period \(month)"))
        }
        // A reversed delivery frees the month: the correction is the next generation, and names the
        // first booking of the delivery it replaces.
        let earlier = try await DeliveryStore.earlier(tx, grantID: grantID, month: month)
        guard !earlier.active else {
            throw refuse(
                "month", "a delivery for this grant and month exists (reverse it to correct it)",
                .duplicate("delivery for this grant and month"))
        }
        // Rule 11: into a closed month only as the correction of a reversed delivery, booked in the
        // current open month with a reference to the original.
        let replaced = earlier.latestBooking
        let today = today().yearMonth
        let closed = try await ReferenceDataStore.closedMonths(
            tx, from: month, through: max(today, month).next.next.next)
        let bookedMonth: YearMonth
        do throws(BookingPeriod.Refusal) {
            bookedMonth = try BookingPeriod.target(
                serviceMonth: month, isCorrection: replaced != nil, closedMonths: closed, today: today)
        } catch { throw refuse("month", "period \(month) is closed", .periodClosed(month)) }
        if bookedMonth != month, !(try await ReferenceDataStore.periodExists(tx, bookedMonth)) {
            throw refuse(
                "month", "no open fiscal period \(bookedMonth) for the correction",
                .conflict("no open fiscal period \(bookedMonth) for the correction"))
        }
        let deliveryID = UUID()
        try await DeliveryStore.insert(
            tx, id: deliveryID, grant: grant, month: month, quantity: quantity, priced: priced,
            generation: earlier.count)
        for part in priced.bookings {
            try await BudgetSQL.book(
                tx,
                .init(
                    tenant: grant.provider, kind: .delivery, bookedMonth: bookedMonth, serviceMonth: month,
                    socialSpace: part.socialSpace,
                    component: .case, amount: part.amount, grantID: grantID, deliveryID: deliveryID,
                    corrects: bookedMonth == month ? nil : replaced),
                actor: caller.name, requestID: caller.requestID)
        }
        // Rule 7: the booked delivery releases the month's commitment.
        try await GrantStore.release(tx, grant: grant, month: month, firstSocialSpace: residence.entries[0].socialSpace)
        if priced.excess.hundredths > 0 {
            try await FindingStore.insertExcess(
                tx, provider: grant.provider, grantID: grantID, deliveryID: deliveryID, month: month,
                excess: priced.excess, cost: priced.excessCost)
        }
        return DeliveryOutcome(deliveryID: deliveryID, cost: priced.cost, excess: priced.excess)
    }

    /// The field and reason of a delivery that cannot be priced, for replies and import row errors.
    static func rowError(_ refusal: PricedDelivery.Refusal, month: YearMonth) -> (field: String, reason: String) {
        switch refusal {
        case .impossible(.outsideGrantPeriod): ("month", "outside the grant period")
        case .impossible(let refusal): ("quantity", refusal.description)
        case .pricing: ("grant", "no rate valid in \(month)")
        }
    }

    // MARK: Projects, instalments, corrections

    /// Creates a milieu or structure project (Projektlandschaft) of a provider.
    @discardableResult
    public func createProject(
        _ caller: Caller, provider: TenantID, title: String, socialSpace: SocialSpaceCode, component: BudgetComponent,
        startsOn: Day, endsOn: Day, budget: Money, volunteers: Int, professionals: Int
    ) async throws -> UUID {
        try caller.require(.county, for: "creating projects")
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
        let id = project.id
        try await store.withTenant(caller.tenant) { tx in
            try await requireProvider(tx, provider)
            try await requireSocialSpace(tx, socialSpace)
            try await ProjectStore.insert(tx, project)
            try await tx.audit(caller, "project.create", "project", id.uuidString)
        }
        return id
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
                let shortfall = try await BudgetSQL.spendingShortfall(tx, project: projectID, day: day, amount: amount)
                let decision = SpendingDecision.decide(shortfall: shortfall, on: component, policy: policy)
                var overrun: Money?
                switch decision {
                case .refuse(let shortfall):
                    throw ServiceError.refusedOverrun(component: component, shortfall: shortfall)
                case .acceptWithOverrun(let amount): overrun = amount
                case .accept: break
                }
                let id = try await BudgetSQL.book(
                    tx,
                    .init(
                        tenant: provider, kind: .projectExpense, bookedMonth: month, serviceMonth: month,
                        socialSpace: space,
                        component: component, amount: amount, projectID: projectID),
                    actor: caller.name, requestID: caller.requestID)
                try await BudgetSQL.remember(tx, key: idempotencyKey, content: content, result: String(id))
                try await tx.audit(caller, "project.expense", "booking", String(id))
                return BookingOutcome(bookingID: id, overrun: overrun)
            }
        }
    }

    /// Books an instalment (Abschlag) paid to a provider for a Sozialraum and component.
    public func payInstalment(
        _ caller: Caller, provider: TenantID, socialSpace: SocialSpaceCode, component: BudgetComponent,
        month: YearMonth,
        amount: Money, idempotencyKey: IdempotencyKey
    ) async throws -> BookingOutcome {
        try caller.require(.county, for: "paying instalments")
        guard amount.cents > 0 else { throw ServiceError.invalid(field: "amount", reason: "must be positive") }
        let content = "instalment|\(provider)|\(socialSpace)|\(component.rawValue)|\(month)|\(amount)"
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                if let result = try await replayed(tx, key: idempotencyKey, content: content) {
                    return BookingOutcome(bookingID: Int64(result) ?? 0, overrun: nil)
                }
                try await requireProvider(tx, provider)
                try await requireSocialSpace(tx, socialSpace)
                guard try await ReferenceDataStore.periodExists(tx, month) else {
                    throw ServiceError.invalid(field: "month", reason: "no fiscal period \(month)")
                }
                guard try await ReferenceDataStore.closedMonths(tx, from: month, through: month).isEmpty else {
                    throw ServiceError.periodClosed(month)
                }
                let id = try await BudgetSQL.book(
                    tx,
                    .init(
                        tenant: provider, kind: .instalment, bookedMonth: month, serviceMonth: month,
                        socialSpace: socialSpace,
                        component: component, amount: amount),
                    actor: caller.name, requestID: caller.requestID)
                try await BudgetSQL.remember(tx, key: idempotencyKey, content: content, result: String(id))
                try await tx.audit(caller, "instalment.pay", "booking", String(id))
                return BookingOutcome(bookingID: id, overrun: nil)
            }
        }
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
                guard let original = try await BudgetSQL.booking(tx, id: bookingID),
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
                guard !(try await BudgetSQL.isReversed(tx, bookingID: bookingID)) else {
                    throw ServiceError.duplicate("reversal of booking \(bookingID)")
                }
                let today = today().yearMonth
                let horizon = max(today, original.bookedMonth).next.next.next
                let closed = try await ReferenceDataStore.closedMonths(tx, from: original.bookedMonth, through: horizon)
                let target: YearMonth
                do throws(BookingPeriod.Refusal) {
                    target = try BookingPeriod.target(
                        serviceMonth: original.bookedMonth, isCorrection: true, closedMonths: closed, today: today)
                } catch { throw ServiceError.conflict(error.description) }
                guard try await ReferenceDataStore.periodExists(tx, target) else {
                    throw ServiceError.conflict("no open fiscal period \(target) for the correction")
                }
                // A delivery is reversed as a whole: every booking of it (a cost split over two Sozialräume
                // has two), so that its grant month is free for the corrected delivery.
                var originals = [original]
                if original.kind == .delivery, let deliveryID = original.deliveryID, let grantID = original.grantID {
                    originals += try await BudgetSQL.unreversedSiblings(
                        tx, grantID: grantID, deliveryID: deliveryID, excluding: original.id)
                }
                var id: Int64 = 0
                for booking in originals {
                    let reversal = try await BudgetSQL.book(
                        tx,
                        .init(
                            tenant: booking.tenant, kind: .reversal, bookedMonth: target,
                            serviceMonth: booking.serviceMonth,
                            socialSpace: booking.socialSpace, component: booking.component,
                            amount: Money(cents: -booking.amount.cents), grantID: booking.grantID,
                            deliveryID: booking.deliveryID,
                            projectID: booking.projectID, reverses: booking.id,
                            corrects: target == booking.bookedMonth ? nil : booking.id),
                        actor: caller.name, requestID: caller.requestID)
                    if booking.id == original.id { id = reversal }
                }
                if original.kind == .delivery, let grantID = original.grantID {
                    // Rule 7: without a delivery the month is committed again until the corrected one arrives.
                    try await GrantStore.recommit(tx, grantID: grantID, month: original.serviceMonth)
                }
                if original.kind == .delivery, let deliveryID = original.deliveryID {
                    // Rule 8: a finding belongs to its delivery; reversed, it can no longer be accepted.
                    try await FindingStore.supersede(
                        tx, deliveryID: deliveryID, reason: "superseded: the delivery was reversed (booking \(id))")
                }
                try await BudgetSQL.remember(tx, key: idempotencyKey, content: content, result: String(id))
                try await tx.audit(caller, "booking.reverse", "booking", String(bookingID))
                return BookingOutcome(bookingID: id, overrun: nil)
            }
        }
    }

    // MARK: Periods (county)

    /// Closes a month (Periodenabschluss, rule 11). Refused while the month has open findings, unless
    /// forced with a reason.
    public func closeMonth(_ caller: Caller, month: YearMonth, forceReason: String? = nil) async throws {
        try caller.require(.county, for: "closing periods")
        if let forceReason { try Self.checkText(forceReason, field: "reason", .reason) }
        try await store.withTenant(caller.tenant) { tx in
            guard let closed = try await ReferenceDataStore.lockPeriod(tx, month) else {
                throw ServiceError.notFound("period \(month)")
            }
            guard !closed else { throw ServiceError.duplicate("period \(month) is already closed") }
            let open = try await FindingStore.openCount(tx, month: month)
            if open > 0, forceReason == nil {
                throw ServiceError.conflict("\(open) open findings in \(month); resolve them or force with a reason")
            }
            try await ReferenceDataStore.closePeriod(
                tx, month, by: caller.name, forcedReason: open > 0 ? forceReason : nil)
            try await tx.audit(caller, "period.close", "period", month.description)
        }
    }

    /// Accepts or rejects a finding (county). An accepted excess delivery is booked at its cost.
    public func resolveFinding(_ caller: Caller, findingID: UUID, accept: Bool, reason: String) async throws {
        try caller.require(.county, for: "resolving findings")
        try Self.checkText(reason, field: "reason", .reason)
        try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                guard let finding = try await FindingStore.forResolution(tx, id: findingID) else {
                    throw ServiceError.notFound("finding")
                }
                guard finding.status != "superseded" else {
                    throw ServiceError.conflict("the finding is superseded: its delivery was reversed")
                }
                guard finding.status == "open" else { throw ServiceError.duplicate("finding already resolved") }
                try await FindingStore.resolve(tx, id: findingID, accepted: accept, reason: reason)
                if accept, finding.kind == .deliveryOverGrant, let grantID = finding.grantID,
                    let amount = finding.amount, amount.cents > 0,
                    let grant = try await GrantStore.grant(tx, id: grantID)
                {
                    let serviceMonth = finding.month
                    let today = today().yearMonth
                    let closed = try await ReferenceDataStore.closedMonths(
                        tx, from: serviceMonth, through: max(today, serviceMonth).next.next.next)
                    let target = try BookingPeriod.target(
                        serviceMonth: serviceMonth, isCorrection: true, closedMonths: closed, today: today)
                    let residence = try await CaseStore.residence(tx, caseID: grant.caseID)
                    // Rule 8: the excess is charged exactly like its delivery (same days, same Sozialraum split).
                    let inputs = try await pricingInputs(tx, grant: grant, residence: residence)
                    guard
                        let shares = PricedDelivery.excessBookings(
                            amount: amount, month: serviceMonth, terms: inputs.terms, residence: residence)
                    else { throw ServiceError.conflict("the grant no longer covers \(serviceMonth)") }
                    for share in shares {
                        try await BudgetSQL.book(
                            tx,
                            .init(
                                tenant: grant.provider, kind: .delivery, bookedMonth: target,
                                serviceMonth: serviceMonth,
                                socialSpace: share.socialSpace, component: .case, amount: share.amount,
                                grantID: grantID,
                                deliveryID: finding.deliveryID),
                            actor: caller.name, requestID: caller.requestID)
                    }
                }
                try await tx.audit(
                    caller, accept ? "finding.accept" : "finding.reject", "finding", findingID.uuidString)
            }
        }
    }

    /// The findings the caller may see: open ones, or all (rule 8, 13).
    public func findings(_ caller: Caller, all: Bool) async throws -> [FindingStore.Listed] {
        try caller.require(.county, .auditor, .provider, for: "reading findings")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await FindingStore.list(tx, all: all)
        }
    }

    /// The ledger of a booked month as the caller may see it.
    public func bookings(_ caller: Caller, bookedIn month: YearMonth) async throws -> [BudgetSQL.Listed] {
        try caller.require(.county, .auditor, .provider, for: "reading the ledger")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await BudgetSQL.bookings(tx, bookedIn: month)
        }
    }

    // MARK: Funds (rule 3)

    /// Available funds of a Sozialraum and year, by line and pool, with cover transfers. The county
    /// and auditors see everything; a provider only a Sozialraum it serves, with its own spending.
    public func availableFunds(_ caller: Caller, socialSpace: SocialSpaceCode, year: Int) async throws -> FundsReport {
        try caller.require(.county, .auditor, .provider, for: "reading budgets")
        let snapshot = try await BudgetSQL.fundsSnapshot(
            store, tenant: caller.tenant, socialSpace: socialSpace, year: year)
        guard snapshot.socialSpaceExists else { throw ServiceError.notFound("Sozialraum \(socialSpace)") }
        guard snapshot.yearExists else { throw ServiceError.notFound("fiscal year \(year)") }
        guard snapshot.appropriationVisible || caller.role != .provider else { throw ServiceError.notFound("budget") }
        return FundsReport(funds: snapshot.funds, coverPools: snapshot.coverPools)
    }

    // MARK: Helpers

    /// Rule 10: claims the idempotency key for this request. Returns the first request's stored result
    /// when the same request was made before (the caller replays it), nil when this is the first time
    /// (the caller does the work and `remember`s its result), and refuses other content under the key.
    func replayed(_ tx: TenantTransaction, key: IdempotencyKey, content: String) async throws -> String? {
        switch try await BudgetSQL.claim(tx, key: key, content: content) {
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
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalid(field: field, reason: "control characters are not allowed")
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

    func requireCase(_ tx: TenantTransaction, key: String) async throws -> UUID {
        guard let id = try await CaseStore.caseID(tx, key: key) else { throw ServiceError.notFound("case") }
        return id
    }
}
