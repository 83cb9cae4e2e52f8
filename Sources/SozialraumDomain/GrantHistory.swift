#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// Read models of a grant's life: its amendments (Fortschreibungen) and what falls due.

/// A Fortschreibung of a running grant: its volume or end changed from a day, with the reason.
public struct GrantAmendmentRecord: Sendable, Equatable {
    public var provider: TenantID
    public var grantID: UUID
    /// The grant that runs from `effectiveOn` with the new volume (nil when only the end moved).
    public var successorID: UUID?
    public var effectiveOn: Day
    public var oldVolume: Quantity
    public var newVolume: Quantity
    public var oldEnd: Day
    public var newEnd: Day
    public var reason: String
    public var actor: String

    public init(
        provider: TenantID, grantID: UUID, successorID: UUID?, effectiveOn: Day, oldVolume: Quantity,
        newVolume: Quantity, oldEnd: Day, newEnd: Day, reason: String, actor: String
    ) {
        self.provider = provider
        self.grantID = grantID
        self.successorID = successorID
        self.effectiveOn = effectiveOn
        self.oldVolume = oldVolume
        self.newVolume = newVolume
        self.oldEnd = oldEnd
        self.newEnd = newEnd
        self.reason = reason
        self.actor = actor
    }
}

/// A grant whose end or half-yearly help-plan review (§36) is due soon.
public struct GrantDue: Sendable, Equatable {
    public enum Kind: String, Sendable { case end, review }
    public var grantID: UUID
    public var provider: TenantID
    public var caseKey: String
    public var helpType: String
    public var startsOn: Day
    public var lastDay: Day
    public var due: Day
    public var kind: Kind

    public init(
        grantID: UUID, provider: TenantID, caseKey: String, helpType: String, startsOn: Day, lastDay: Day, due: Day,
        kind: Kind
    ) {
        self.grantID = grantID
        self.provider = provider
        self.caseKey = caseKey
        self.helpType = helpType
        self.startsOn = startsOn
        self.lastDay = lastDay
        self.due = due
        self.kind = kind
    }
}

/// A case's history as `case <key>` shows it (pseudonymous only, rule 14): one line per residence,
/// grant, amendment, delivery and booking, in order of the day it concerns.
public struct CaseHistoryLine: Sendable, Equatable {
    public enum Kind: String, Sendable { case residence, grant, amendment, delivery, booking }
    public var kind: Kind
    public var day: Day
    /// The grant, delivery or booking concerned (nil for a residence).
    public var reference: String?
    public var provider: TenantID?
    public var socialSpace: SocialSpaceCode?
    /// What the line says: the help and volume of a grant, the quantity of a delivery, the kind of a booking.
    public var detail: String
    public var amount: Money?

    public init(
        kind: Kind, day: Day, reference: String?, provider: TenantID?, socialSpace: SocialSpaceCode?, detail: String,
        amount: Money?
    ) {
        self.kind = kind
        self.day = day
        self.reference = reference
        self.provider = provider
        self.socialSpace = socialSpace
        self.detail = detail
        self.amount = amount
    }
}
