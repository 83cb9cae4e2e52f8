import Logging
import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Erasure that keeps the figures (Löschung, issue 31; rule 19): the scheduled job proposes the cases due
/// under the county's deletion rule, one holder of the right `erase` certifies, a second orders, and the
/// database carries the order out in batches (sql/0034). Legal holds stop a case's erasure until lifted.
/// Replies, audit and logs carry counts, never a case key.
public struct ErasureService: Sendable {
    let store: Store
    let logger: Logger
    let today: @Sendable () -> Day
    /// Cases per transaction when carrying an order out: a killed run loses at most one batch's work, which
    /// the next run does again (each batch commits with its marks).
    let batch: Int
    /// The deletion rule of case links (`retention.caseLinkYears`).
    public let caseLinkYears: Int

    public init(
        store: Store, logger: Logger, today: @escaping @Sendable () -> Day, caseLinkYears: Int = 10, batch: Int = 1000
    ) {
        self.store = store
        self.logger = logger
        self.today = today
        self.caseLinkYears = caseLinkYears
        self.batch = batch
    }

    /// A new proposal, or why there is none.
    public enum Proposal: Sendable, Equatable {
        case proposed(ErasureOrder, [ErasureCount])
        /// An order is on its way already (proposed, certified or ordered).
        case pending(ErasureOrder)
        case nothingDue
    }

    /// Proposes the erasure of every case due today under the deletion rule (`retention.caseLinkYears`).
    public func propose(_ caller: Caller) async throws -> Proposal {
        try caller.require(.county, for: "proposing erasures")
        let years = caseLinkYears
        let day = today()
        let proposal: Proposal = try await ServiceError.translating {
            try await store.withTenant(caller.tenant, seesRestricted: true) { tx in
                if let open = try await ErasureStore.openOrder(tx) { return .pending(open) }
                guard let proposed = try await ErasureStore.propose(tx, years: years, on: day),
                    let order = try await ErasureStore.order(tx, id: proposed.id)
                else { return .nothingDue }
                try await tx.audit(caller, "erasure.propose", "erasure_order", String(order.id))
                return .proposed(order, try await ErasureStore.counts(tx, orderID: order.id))
            }
        }
        if case .proposed(let order, _) = proposal {
            logger.notice(
                "erasure proposed", metadata: ["order": "\(order.id)", "cases": "\(order.cases)", "years": "\(years)"])
        }
        return proposal
    }

    public func orders(_ caller: Caller, limit: Int = 50) async throws -> [ErasureOrder] {
        try caller.require(.county, .auditor, .dpo, for: "reading erasure orders")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await ErasureStore.orders(tx, limit: limit)
        }
    }

    /// An order with what it touches, per last year and kind (counts only).
    public func details(_ caller: Caller, id: Int64) async throws -> (ErasureOrder, [ErasureCount]) {
        try caller.require(.county, .auditor, .dpo, for: "reading erasure orders")
        return try await store.withTenant(caller.tenant, readOnly: true, seesRestricted: true) { tx in
            guard let order = try await ErasureStore.order(tx, id: id) else {
                throw ServiceError.notFound("erasure order \(id)")
            }
            return (order, try await ErasureStore.counts(tx, orderID: id))
        }
    }

    /// The first signature (right `erase`).
    public func certify(_ caller: Caller, id: Int64) async throws -> ErasureOrder {
        try caller.require(.erase, for: "certifying erasures")
        return try await decide(caller, id: id, action: "erasure.certify", expected: "proposed") { tx in
            try await ErasureStore.certify(tx, id: id, by: caller.name)
        }
    }

    /// The second signature (right `erase`, another account than the certifier's); then carries it out.
    public func order(_ caller: Caller, id: Int64) async throws -> (ErasureOrder, ErasureProgress) {
        try caller.require(.erase, for: "ordering erasures")
        _ = try await decide(
            caller, id: id, action: "erasure.order", expected: "certified",
            refusing: {
                $0.certifiedBy == caller.name
                    ? .forbidden("the certifier cannot also order the erasure (four eyes)") : nil
            }
        ) { tx in
            try await ErasureStore.order(tx, id: id, by: caller.name)
        }
        let progress = try await carryOut(caller, id: id)
        let (order, _) = try await details(caller, id: id)
        return (order, progress)
    }

    /// Rejects a proposed or certified order, with a reason (right `erase`).
    public func reject(_ caller: Caller, id: Int64, reason: String) async throws -> ErasureOrder {
        try caller.require(.erase, for: "rejecting erasures")
        try BudgetService.checkText(reason, field: "reason", .reason)
        return try await decide(caller, id: id, action: "erasure.reject", expected: "proposed or certified") { tx in
            try await ErasureStore.reject(tx, id: id, by: caller.name, reason: reason)
        }
    }

    /// `refusing`: why the order as it stands may not be decided by `caller` (nil: it may).
    private func decide(
        _ caller: Caller, id: Int64, action: String, expected: String,
        refusing: @Sendable (ErasureOrder) -> ServiceError? = { _ in nil },
        _ change: @Sendable (TenantTransaction) async throws -> Bool
    ) async throws -> ErasureOrder {
        try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                guard let before = try await ErasureStore.order(tx, id: id) else {
                    throw ServiceError.notFound("erasure order \(id)")
                }
                if let refusal = refusing(before) { throw refusal }
                guard try await change(tx) else {
                    throw ServiceError.conflict("erasure order \(id) is \(before.state.rawValue), not \(expected)")
                }
                try await tx.audit(caller, action, "erasure_order", String(id))
                return try await ErasureStore.order(tx, id: id)!
            }
        }
    }

    /// Carries an ordered order out, batch by batch (each its own transaction), until no case is left.
    /// Safe to run again at any time: a batch erases each case once, and a done order has nothing left.
    public func carryOut(_ caller: Caller, id: Int64) async throws -> ErasureProgress {
        var total = ErasureProgress(erased: 0, kept: 0, remaining: 0)
        while true {
            let step = try await ServiceError.translating {
                try await store.withTenant(caller.tenant) { tx in
                    try await ErasureStore.eraseBatch(tx, orderID: id, batch: batch)
                }
            }
            total.erased += step.erased
            total.kept += step.kept
            total.remaining = step.remaining
            if step.remaining == 0 { break }
        }
        try await store.withTenant(caller.tenant) { tx in
            try await tx.audit(caller, "erasure.done", "erasure_order", String(id))
        }
        logger.notice(
            "erasure carried out", metadata: ["order": "\(id)", "erased": "\(total.erased)", "kept": "\(total.kept)"])
        return total
    }

    /// The scheduled job: resumes ordered orders (after a crash), then proposes what is due. Its report
    /// has counts only.
    public func scheduledRun(_ caller: Caller) async throws -> String {
        var report: [String] = []
        let ordered = try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await ErasureStore.orderedIDs(tx)
        }
        for id in ordered {
            let progress = try await carryOut(caller, id: id)
            report.append("order \(id) carried out: erased \(progress.erased), kept \(progress.kept)")
        }
        switch try await propose(caller) {
        case .proposed(let order, _): report.append("order \(order.id) proposed: \(order.cases) cases due")
        case .pending(let order): report.append("order \(order.id) is \(order.state.rawValue)")
        case .nothingDue: report.append("nothing due")
        }
        return report.joined(separator: "; ")
    }

    // MARK: Legal holds

    /// Places a legal hold on a case (right `case` or `erase`): it is not erased while the hold is open.
    public func placeHold(_ caller: Caller, key: String, reference: String) async throws {
        try requireHoldRight(caller)
        try BudgetService.checkText(reference, field: "reference", .name)
        try await store.withTenant(caller.tenant) { tx in
            guard let caseID = try await CaseStore.caseID(tx, key: key) else { throw ServiceError.notFound("case") }
            guard try await ErasureStore.placeHold(tx, caseID: caseID, reference: reference, by: caller.name) else {
                throw ServiceError.conflict("the case is under a legal hold already")
            }
            try await tx.audit(caller, "hold.place", "case", caseID.uuidString)
        }
    }

    public func liftHold(_ caller: Caller, key: String) async throws {
        try requireHoldRight(caller)
        try await store.withTenant(caller.tenant) { tx in
            guard let caseID = try await CaseStore.caseID(tx, key: key) else { throw ServiceError.notFound("case") }
            guard try await ErasureStore.liftHold(tx, caseID: caseID, by: caller.name) else {
                throw ServiceError.conflict("the case is under no legal hold")
            }
            try await tx.audit(caller, "hold.lift", "case", caseID.uuidString)
        }
    }

    public func holds(_ caller: Caller) async throws -> [LegalHold] {
        try caller.require(.county, .auditor, .dpo, for: "reading legal holds")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in try await ErasureStore.openHolds(tx) }
    }

    private func requireHoldRight(_ caller: Caller) throws(ServiceError) {
        guard caller.role == .county else { throw .forbidden("legal holds") }
        guard caller.rights.contains(.caseWork) || caller.rights.contains(.erase) else {
            throw .forbidden("legal holds need the right case or erase")
        }
    }
}
