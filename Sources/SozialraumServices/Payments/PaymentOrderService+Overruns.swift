import SozialraumDomain
import SozialraumStore

/// Decisions on overruns (über- und außerplanmäßige Aufwendungen, § 117 NKomVG).
extension PaymentOrderService {
    /// What recording a decision did.
    public struct OverrunDecided: Sendable, Equatable {
        public var id: Int64
        public var kind: OverrunKind
        /// Open overrun findings of the line now decided.
        public var settledFindings: Int

        /// As remembered for a retried request: `<id>:<kind>:<settled>`.
        var stored: String { "\(id):\(kind.rawValue):\(settledFindings)" }

        init(id: Int64, kind: OverrunKind, settledFindings: Int) {
            self.id = id
            self.kind = kind
            self.settledFindings = settledFindings
        }

        init(stored: String) throws {
            let parts = stored.split(separator: ":")
            guard parts.count == 3, let id = Int64(parts[0]), let kind = OverrunKind(rawValue: String(parts[1])),
                let settled = Int(parts[2])
            else { throw ServiceError.conflict("stored result unreadable") }
            self.init(id: id, kind: kind, settledFindings: settled)
        }
    }

    /// Records the decision behind an overrun of a line (right order): amount, reason, the cover offered;
    /// above `PaymentSettings.councilThreshold` the day the Kreistag was informed. Settles the line's open
    /// overrun findings up to the amount decided in the year.
    /// A decision adds to the line's decided sum, so a retry must not record it twice: `idempotencyKey`
    /// (rule 10) answers a retry with the first decision.
    public func decideOverrun(
        _ caller: Caller, _ decision: OverrunDecision, idempotencyKey: IdempotencyKey
    ) async throws -> OverrunDecided {
        try caller.require(.order, for: "deciding on overruns")
        guard decision.amount.cents > 0 else { throw ServiceError.invalid(field: "amount", reason: "must be positive") }
        try Self.checkText(decision.reason, field: "reason", .reason)
        guard decision.amount <= settings.councilThreshold || decision.councilInformedOn != nil else {
            throw ServiceError.invalid(
                field: "kreistag",
                reason: "above \(settings.councilThreshold) the Kreistag is informed: give kreistag=<date>")
        }
        if let informed = decision.councilInformedOn, informed > today() {
            throw ServiceError.invalid(
                field: "kreistag", reason: "in the future: give the day the Kreistag was informed")
        }
        if let cover = decision.cover,
            cover.socialSpace == decision.socialSpace && cover.component == decision.component
        {
            throw ServiceError.invalid(field: "cover", reason: "a line cannot cover itself")
        }
        let content = [
            "overrun", String(decision.year), decision.socialSpace.rawValue, decision.component.rawValue,
            String(decision.amount.cents), decision.reason,
            decision.cover.map { "\($0.socialSpace.rawValue)/\($0.component.rawValue)" } ?? "",
            decision.councilInformedOn.map { "\($0)" } ?? "",
        ].joined(separator: "|")
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                if let stored = try await replayed(tx, key: idempotencyKey, content: content) {
                    return try OverrunDecided(stored: stored)
                }
                try await requireYear(tx, decision.year)
                try await requireSocialSpace(tx, decision.socialSpace)
                if let cover = decision.cover { try await requireSocialSpace(tx, cover.socialSpace) }
                let appropriation = try await ReferenceDataStore.appropriation(
                    tx,
                    line: BudgetLine(
                        year: decision.year, socialSpace: decision.socialSpace, component: decision.component))
                var recorded = decision
                recorded.kind = (appropriation ?? .zero) == .zero ? .unplanned : .overPlan
                recorded.decidedBy = caller.name
                let id = try await OverrunDecisionStore.insert(tx, county: caller.tenant, recorded)
                let decided = try await OverrunDecisionStore.decided(
                    tx, year: decision.year, socialSpace: decision.socialSpace, component: decision.component)
                let settled = try await OverrunDecisionStore.settleFindings(
                    tx, year: decision.year, socialSpace: decision.socialSpace, component: decision.component,
                    decided: decided, resolution: "decided (overrun decision \(id))")
                try await tx.audit(caller, "overrun.decide", "overrun_decision", String(id))
                let outcome = OverrunDecided(id: id, kind: recorded.kind, settledFindings: settled)
                try await LedgerStore.remember(tx, key: idempotencyKey, content: content, result: outcome.stored)
                return outcome
            }
        }
    }

    /// The decisions of a year and how many overruns still wait for one.
    public func overrunDecisions(
        _ caller: Caller, year: Int
    ) async throws
        -> (decisions: [OverrunDecisionListing], undecided: Int)
    {
        try caller.require(.county, .auditor, for: "reading overrun decisions")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            (
                try await OverrunDecisionStore.decisions(tx, year: year),
                try await OverrunDecisionStore.undecided(tx, year: year)
            )
        }
    }
}
