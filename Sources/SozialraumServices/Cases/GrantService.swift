import Logging
import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The use cases of cases, grants and deliveries (Fälle, Bewilligungen, Leistungsnachweise): the county
/// opens cases, records moves and grants help (rules 4, 7, 9); providers report deliveries, one by one or
/// as a CSV import, which are priced and booked (rules 5, 6, 8); the county decides the findings.
public struct GrantService: BudgetArea {
    /// The store, the log, today's date and the payment settings every budget area works with.
    let context: ServiceContext

    public init(
        store: Store, logger: Logger, today: @escaping @Sendable () -> Day,
        settings: PaymentSettings = PaymentSettings()
    ) {
        self.context = ServiceContext(store: store, logger: logger, today: today, settings: settings)
    }

    // MARK: Cases and grants (county)

    /// Opens a case under its pseudonymous key (rule 14), living in `socialSpace` from `from`.
    @discardableResult
    public func openCase(_ caller: Caller, key: String, socialSpace: SocialSpaceCode, from: Day) async throws -> UUID {
        try caller.require(.caseWork, for: "opening cases")
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
        try caller.require(.caseWork, for: "recording moves")
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
        /// A standing agreement for direct-access help (rule 5) rather than a per-case decision.
        public var standing: Bool

        public init(
            caseKey: String, provider: TenantID, helpType: String, unit: RateUnit, volumePerMonth: Quantity,
            startsOn: Day, endsOn: Day, outOfAreaReason: String? = nil, standing: Bool = false
        ) {
            self.standing = standing
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
        try caller.require(.caseWork, for: "granting help")
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
            + (request.standing ? "|standing" : "")
        return try await store.withTenant(caller.tenant) { tx in
            if let result = try await replayed(tx, key: idempotencyKey, content: content) {
                return try await grantOutcome(tx, replaying: result)
            }
            let caseID = try await requireCase(tx, key: request.caseKey)
            try await requireProvider(tx, request.provider)
            try await requireCooperation(tx, request.provider, through: request.endsOn)
            if request.standing, try await !ReferenceDataStore.isDirectAccess(tx, request.helpType) {
                throw ServiceError.invalid(
                    field: "help-type", reason: "a standing agreement is for direct-access help (§28, §20) only")
            }
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
                endedOn: nil, outOfAreaReason: serves ? nil : request.outOfAreaReason, standing: request.standing)
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
                committed[month.year, default: .zero] = try committed[month.year, default: .zero] + amount
            }
            // Rule 4: never refused; the overrun is flagged for each year and Sozialraum touched.
            var overruns: [String: Money] = [:]
            let spaces = Set(residence.entries.map(\.socialSpace))
            for year in committed.keys.sorted() {
                for space in spaces.sorted() {
                    let snapshot = try await LedgerStore.fundsSnapshot(tx, socialSpace: space, year: year)
                    let report = try FundsReport(funds: snapshot.funds, coverPools: snapshot.coverPools)
                    let overrun = report.pool(of: .case).overrun
                    if overrun.isPositive { overruns["\(year)/\(space)"] = overrun }
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
            try await LedgerStore.remember(tx, key: idempotencyKey, content: content, result: grantID.uuidString)
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
        try caller.require(.caseWork, for: "ending grants")
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
}
