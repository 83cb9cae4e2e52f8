import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Grants over their life (issue 18): Fortschreibungen, the recorded reason of a cross-area grant,
/// what falls due, and a case's whole history.
extension GrantService {
    /// A Fortschreibung: from `effectiveOn`, another volume per month and/or another end, with a reason.
    public struct Amendment: Sendable, Equatable {
        public var grantID: UUID
        public var effectiveOn: Day
        public var volumePerMonth: Quantity?
        public var endsOn: Day?
        public var reason: String

        public init(grantID: UUID, effectiveOn: Day, volumePerMonth: Quantity?, endsOn: Day?, reason: String) {
            self.grantID = grantID
            self.effectiveOn = effectiveOn
            self.volumePerMonth = volumePerMonth
            self.endsOn = endsOn
            self.reason = reason
        }
    }

    /// The grant in force from the amendment's day (the same one, or its successor) and its commitments by year.
    public struct AmendmentOutcome: Sendable, Equatable {
        public var grantID: UUID
        public var committed: [Int: Money]
    }

    /// Amends a running grant (rule 7: its commitments follow from the day on). A later end keeps the
    /// grant and commits the added months; an earlier end ends it there; another volume ends it the day
    /// before and a successor grant with the new volume runs from the day. Months delivered before stay
    /// as paid; a delivery on or after the day must be reversed first.
    public func amendGrant(
        _ caller: Caller, _ amendment: Amendment, idempotencyKey: IdempotencyKey
    ) async throws -> AmendmentOutcome {
        try caller.require(.caseWork, for: "amending grants")
        try Self.checkText(amendment.reason, field: "reason", .reason)
        guard amendment.volumePerMonth != nil || amendment.endsOn != nil else {
            throw ServiceError.invalid(field: "volume", reason: "give volume= or end= (or both)")
        }
        let content =
            "amend|\(amendment.grantID)|\(amendment.effectiveOn)|\(amendment.volumePerMonth.map { "\($0)" } ?? "")|"
            + "\(amendment.endsOn.map { "\($0)" } ?? "")|\(amendment.reason)"
        return try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                if let result = try await replayed(tx, key: idempotencyKey, content: content) {
                    guard let id = UUID(uuidString: result) else {
                        throw ServiceError.conflict("stored result unreadable")
                    }
                    return AmendmentOutcome(
                        grantID: id, committed: try await GrantStore.committedByYear(tx, grantID: id))
                }
                guard var grant = try await GrantStore.grantForUpdate(tx, id: amendment.grantID) else {
                    throw ServiceError.notFound("grant")
                }
                let lastDay = min(grant.endsOn, grant.endedOn ?? grant.endsOn)
                // An extension alone (the same volume, a later end) may also be dated the day after the last,
                // e.g. when every month of the grant is delivered already.
                let extensionOnly =
                    (amendment.volumePerMonth ?? grant.volumePerMonth) == grant.volumePerMonth
                    && (amendment.endsOn.map { $0 > lastDay } ?? false)
                let latest = extensionOnly ? lastDay.adding(days: 1) : lastDay
                guard amendment.effectiveOn > grant.startsOn, amendment.effectiveOn <= latest else {
                    throw ServiceError.invalid(
                        field: "date",
                        reason:
                            "after the grant's first day and not after its last (\(lastDay)); an extension may "
                            + "also start the day after (\(lastDay.adding(days: 1)))")
                }
                let newVolume = amendment.volumePerMonth ?? grant.volumePerMonth
                let newEnd = amendment.endsOn ?? lastDay
                guard newEnd >= amendment.effectiveOn.adding(days: -1) else {
                    throw ServiceError.invalid(field: "end", reason: "before the amendment's day")
                }
                guard newEnd.year - grant.startsOn.year <= 5 else {
                    throw ServiceError.invalid(
                        field: "end", reason: "a grant runs at most five years; grant again after review")
                }
                guard grant.unit != .flatMonth || newVolume == .one else {
                    throw ServiceError.invalid(field: "volume", reason: "a flat monthly unit is granted as 1 a month")
                }
                try await requireCooperation(tx, grant.provider, through: newEnd)
                let residence = try await CaseStore.residence(tx, caseID: grant.caseID)
                var inForce = grant.id
                var successorID: UUID?
                if newVolume != grant.volumePerMonth {
                    // The months from the day on belong to the successor: none may be delivered yet.
                    guard
                        !(try await GrantStore.hasActiveDelivery(
                            tx, grantID: grant.id, after: amendment.effectiveOn.yearMonth.previous))
                    else {
                        throw ServiceError.conflict(
                            "deliveries exist from \(amendment.effectiveOn.yearMonth); reverse them first")
                    }
                    let dayBefore = amendment.effectiveOn.adding(days: -1)
                    try await GrantStore.setEnded(tx, id: grant.id, on: dayBefore)
                    grant.endedOn = dayBefore
                    _ = try await GrantStore.rewriteCommitments(
                        tx, grant: grant, inputs: try await pricingInputs(tx, grant: grant, residence: residence),
                        fromMonth: amendment.effectiveOn.yearMonth)
                    let successor = GrantRecord(
                        id: UUID(), provider: grant.provider, caseID: grant.caseID, caseKey: grant.caseKey,
                        helpType: grant.helpType, unit: grant.unit, volumePerMonth: newVolume,
                        startsOn: amendment.effectiveOn, endsOn: newEnd, endedOn: nil,
                        outOfAreaReason: grant.outOfAreaReason, standing: grant.standing)
                    try await GrantStore.insert(tx, successor)
                    _ = try await commit(tx, successor, residence: residence, from: amendment.effectiveOn.yearMonth)
                    inForce = successor.id
                    successorID = successor.id
                } else if newEnd < lastDay {
                    guard !(try await GrantStore.hasActiveDelivery(tx, grantID: grant.id, after: newEnd.yearMonth))
                    else {
                        throw ServiceError.conflict("deliveries exist after \(newEnd); reverse them first")
                    }
                    try await GrantStore.setEnded(tx, id: grant.id, on: newEnd)
                    grant.endedOn = newEnd
                    _ = try await commit(tx, grant, residence: residence, from: newEnd.yearMonth)
                } else if newEnd > lastDay {
                    guard grant.endedOn == nil else {
                        throw ServiceError.conflict("the grant was ended early; grant again instead of extending it")
                    }
                    try await GrantStore.setPlannedEnd(tx, id: grant.id, to: newEnd)
                    grant.endsOn = newEnd
                    _ = try await commit(tx, grant, residence: residence, from: lastDay.yearMonth)
                } else {
                    throw ServiceError.invalid(field: "volume", reason: "neither the volume nor the end changes")
                }
                try await GrantStore.insertAmendment(
                    tx,
                    GrantAmendmentRecord(
                        provider: grant.provider, grantID: grant.id, successorID: successorID,
                        effectiveOn: amendment.effectiveOn, oldVolume: grant.volumePerMonth, newVolume: newVolume,
                        oldEnd: lastDay, newEnd: newEnd, reason: amendment.reason, actor: caller.name))
                try await LedgerStore.remember(tx, key: idempotencyKey, content: content, result: inForce.uuidString)
                try await tx.audit(caller, "grant.amend", "grant", grant.id.uuidString)
                return AmendmentOutcome(
                    grantID: inForce, committed: try await GrantStore.committedByYear(tx, grantID: inForce))
            }
        }
    }

    private func commit(
        _ tx: TenantTransaction, _ grant: GrantRecord, residence: ResidenceHistory, from month: YearMonth
    ) async throws -> [YearMonth: Money] {
        do {
            return try await GrantStore.rewriteCommitments(
                tx, grant: grant, inputs: try await pricingInputs(tx, grant: grant, residence: residence),
                fromMonth: month)
        } catch let failure as Pricing.Failure {
            throw ServiceError.invalid(field: "rate", reason: failure.description)
        }
    }

    /// Records or changes why a provider serves a case outside its Sozialraum (rule 9).
    public func setCrossAreaReason(_ caller: Caller, grantID: UUID, reason: String) async throws {
        try caller.require(.caseWork, for: "recording reasons")
        try Self.checkText(reason, field: "reason", .reason)
        try await store.withTenant(caller.tenant) { tx in
            guard try await GrantStore.grantForUpdate(tx, id: grantID) != nil else {
                throw ServiceError.notFound("grant")
            }
            try await GrantStore.setOutOfAreaReason(tx, id: grantID, reason: reason)
            try await tx.audit(caller, "grant.reason", "grant", grantID.uuidString)
        }
    }

    /// Grants whose end or half-yearly help-plan review (§36) falls within the next `weeks` weeks.
    public func grantsDue(_ caller: Caller, withinWeeks weeks: Int) async throws -> [GrantDue] {
        try caller.require(.county, .auditor, .provider, for: "reading grants")
        guard (1...104).contains(weeks) else { throw ServiceError.invalid(field: "weeks", reason: "1 to 104") }
        let from = today()
        return try await store.withTenant(caller.tenant) { tx in
            try await GrantStore.grantsDue(tx, from: from, through: from.adding(days: 7 * weeks))
        }
    }

    /// A case's history (county and auditor): residences, grants with their amendments, deliveries and
    /// bookings, by day. Pseudonymous only.
    public func caseHistory(_ caller: Caller, key: String) async throws -> [CaseHistoryLine] {
        try caller.require(.county, .auditor, .dpo, for: "reading a case's history")
        return try await store.withTenant(caller.tenant) { tx in
            let caseID = try await requireCase(tx, key: key)
            var lines: [CaseHistoryLine] = try await CaseStore.residence(tx, caseID: caseID).entries.map {
                CaseHistoryLine(
                    kind: .residence, day: $0.from, reference: nil, provider: nil, socialSpace: $0.socialSpace,
                    detail: "lives in \($0.socialSpace)", amount: nil)
            }
            for grant in try await GrantStore.grants(tx, caseID: caseID) {
                let last = min(grant.endsOn, grant.endedOn ?? grant.endsOn)
                lines.append(
                    CaseHistoryLine(
                        kind: .grant, day: grant.startsOn, reference: grant.id.uuidString.lowercased(),
                        provider: grant.provider, socialSpace: nil,
                        detail: "§\(grant.helpType) \(grant.volumePerMonth) \(grant.unit.rawValue)/month to \(last)"
                            + (grant.outOfAreaReason.map { ", cross-area: \($0)" } ?? ""), amount: nil))
            }
            for amendment in try await GrantStore.amendments(tx, caseID: caseID) {
                lines.append(
                    CaseHistoryLine(
                        kind: .amendment, day: amendment.effectiveOn,
                        reference: amendment.grantID.uuidString.lowercased(),
                        provider: amendment.provider, socialSpace: nil,
                        detail:
                            "volume \(amendment.oldVolume) → \(amendment.newVolume), end \(amendment.oldEnd) → \(amendment.newEnd)"
                            + (amendment.successorID.map { ", continued as \($0.uuidString.lowercased())" } ?? "")
                            + ": \(amendment.reason)", amount: nil))
            }
            lines += try await CaseStore.ledgerHistory(tx, caseID: caseID)
            let order: [CaseHistoryLine.Kind] = [.residence, .grant, .amendment, .delivery, .booking]
            return lines.enumerated().sorted { left, right in
                (left.element.day, order.firstIndex(of: left.element.kind)!, left.offset)
                    < (right.element.day, order.firstIndex(of: right.element.kind)!, right.offset)
            }.map(\.element)
        }
    }
}
