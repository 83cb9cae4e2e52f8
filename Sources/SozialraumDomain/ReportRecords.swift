#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// The read models of stored reconciliation runs, statements and cost reports: what the Store's
// repositories return and the admin socket formats.

/// A stored reconciliation run as listed by `reconciliations`.
public struct ReconciliationRunListing: Sendable, Equatable {
    public var id: Int64
    public var scope: String
    public var months: String
    public var socialSpace: String
    public var ledgerPosition: Int64
    public var digestPrefix: String
    public var requestedBy: String
    public var finished: String
    public var slot: String

    public init(
        id: Int64, scope: String, months: String, socialSpace: String, ledgerPosition: Int64, digestPrefix: String,
        requestedBy: String, finished: String, slot: String
    ) {
        self.id = id
        self.scope = scope
        self.months = months
        self.socialSpace = socialSpace
        self.ledgerPosition = ledgerPosition
        self.digestPrefix = digestPrefix
        self.requestedBy = requestedBy
        self.finished = finished
        self.slot = slot
    }
}

/// A stored line or pool of a run: the figures in cents, in column order (appropriation, carry-in,
/// commitments, actuals, available, cover transfer (nil for pools), after cover, forecast,
/// forecast available, overrun).
public struct RunLineResult: Sendable, Equatable {
    public var socialSpace: String
    public var line: String
    public var figures: [Int64?]

    public init(
        socialSpace: String, line: String, figures: [Int64?]
    ) {
        self.socialSpace = socialSpace
        self.line = line
        self.figures = figures
    }
}

/// A stored month of a run: plan, commitments, actuals, cumulative plan and burn, in cents.
public struct RunMonthResult: Sendable, Equatable {
    public var socialSpace: String
    public var component: String
    public var month: String
    public var figures: [Int64]

    public init(
        socialSpace: String, component: String, month: String, figures: [Int64]
    ) {
        self.socialSpace = socialSpace
        self.component = component
        self.month = month
        self.figures = figures
    }
}

/// A row of a reconciliation report (RunCoverTransfer).
public struct RunCoverTransfer: Sendable, Equatable {
    public var socialSpace: String
    public var from: String
    public var to: String
    public var amount: Money

    public init(
        socialSpace: String, from: String, to: String, amount: Money
    ) {
        self.socialSpace = socialSpace
        self.from = from
        self.to = to
        self.amount = amount
    }
}

/// A figure that differs between two runs (a line's, or a statement's balance).
public struct RunChange: Sendable, Equatable {
    public var socialSpace: String
    public var line: String
    public var field: String
    public var before: Int64?
    public var after: Int64?

    public init(
        socialSpace: String, line: String, field: String, before: Int64?, after: Int64?
    ) {
        self.socialSpace = socialSpace
        self.line = line
        self.field = field
        self.before = before
        self.after = after
    }
}

/// A row of a reconciliation report (StatementSummary).
public struct StatementSummary: Sendable, Equatable {
    public var providerName: String
    public var provider: TenantID
    public var accrued: Money
    public var instalments: Money
    public var settlements: Money
    public var balance: Money

    public init(
        providerName: String, provider: TenantID, accrued: Money, instalments: Money, settlements: Money,
        balance: Money
    ) {
        self.providerName = providerName
        self.provider = provider
        self.accrued = accrued
        self.instalments = instalments
        self.settlements = settlements
        self.balance = balance
    }
}

/// One item of a statement's payment advice: a grant (pseudonymous case key) or a project.
public struct StatementItem: Sendable, Equatable {
    public var providerName: String
    public var item: String
    public var id: UUID
    public var caseKey: String
    public var helpType: String
    public var unit: String
    public var socialSpace: String
    public var granted: Quantity?
    public var delivered: Quantity?
    public var payable: Quantity?
    public var cost: Money
    /// An issued item's hash (lower-case hex sha256 of its line, kept when its case key was redacted); nil
    /// for a draft's item. docs/statements.md: the document's hash is over these.
    public var itemHash: String?

    public init(
        providerName: String, item: String, id: UUID, caseKey: String, helpType: String, unit: String,
        socialSpace: String, granted: Quantity?, delivered: Quantity?, payable: Quantity?, cost: Money,
        itemHash: String? = nil
    ) {
        self.itemHash = itemHash
        self.providerName = providerName
        self.item = item
        self.id = id
        self.caseKey = caseKey
        self.helpType = helpType
        self.unit = unit
        self.socialSpace = socialSpace
        self.granted = granted
        self.delivered = delivered
        self.payable = payable
        self.cost = cost
    }
}

/// A grant as `grants` lists it: who delivers what for which case, and where the case lives now.
public struct GrantListing: Sendable, Equatable {
    public var id: UUID
    public var caseKey: String
    public var providerName: String
    public var helpType: String
    public var unit: RateUnit
    public var volumePerMonth: Quantity
    public var from: Day
    /// The last day: the planned end, or the day it was ended early.
    public var to: Day
    /// The case's Sozialraum on `asOf` (nil for a standing agreement, which has no case to live anywhere).
    public var socialSpace: String?
    public var standing: Bool

    public init(
        id: UUID, caseKey: String, providerName: String, helpType: String, unit: RateUnit, volumePerMonth: Quantity,
        from: Day, to: Day, socialSpace: String?, standing: Bool
    ) {
        self.id = id
        self.caseKey = caseKey
        self.providerName = providerName
        self.helpType = helpType
        self.unit = unit
        self.volumePerMonth = volumePerMonth
        self.from = from
        self.to = to
        self.socialSpace = socialSpace
        self.standing = standing
    }
}

/// A cross-area grant: the case's Sozialraum on the grant's first day in the year, with the reason.
public struct CrossAreaGrant: Sendable, Equatable {
    public var socialSpace: String
    public var providerName: String
    public var grant: UUID
    public var caseKey: String
    public var helpType: String
    public var from: Day
    public var to: Day
    public var reason: String

    public init(
        socialSpace: String, providerName: String, grant: UUID, caseKey: String, helpType: String, from: Day, to: Day,
        reason: String
    ) {
        self.socialSpace = socialSpace
        self.providerName = providerName
        self.grant = grant
        self.caseKey = caseKey
        self.helpType = helpType
        self.from = from
        self.to = to
        self.reason = reason
    }
}

/// One row of the cost development: a Sozialraum's year (or a help type's in it, with `byHelpType`).
public struct CostDevelopmentRow: Sendable, Equatable {
    public var year: Int64
    public var socialSpace: String
    public var helpType: String
    public var setting: String
    public var caseCost: Money
    public var ambulant: Money
    public var day: Money
    public var residential: Money
    public var milieu: Money
    public var structure: Money
    /// Milieu and structure of all spending, in basis points; nil without spending.
    public var milieuStructureShare: Int64?
    public var youngInhabitants: Int64?
    public var caseCostPer1000: Money?
    public var grants: Int64
    public var averageDays: Int64?

    public init(
        year: Int64, socialSpace: String, helpType: String, setting: String, caseCost: Money, ambulant: Money,
        day: Money, residential: Money, milieu: Money, structure: Money, milieuStructureShare: Int64?,
        youngInhabitants: Int64?, caseCostPer1000: Money?, grants: Int64, averageDays: Int64?
    ) {
        self.year = year
        self.socialSpace = socialSpace
        self.helpType = helpType
        self.setting = setting
        self.caseCost = caseCost
        self.ambulant = ambulant
        self.day = day
        self.residential = residential
        self.milieu = milieu
        self.structure = structure
        self.milieuStructureShare = milieuStructureShare
        self.youngInhabitants = youngInhabitants
        self.caseCostPer1000 = caseCostPer1000
        self.grants = grants
        self.averageDays = averageDays
    }
}

/// A finding as listed (`findings`).
public struct FindingListing: Sendable, Equatable {
    public var id: UUID
    public var kind: String
    public var month: YearMonth
    public var grantID: UUID?
    public var quantity: Quantity?
    public var amount: Money?
    public var status: String
    public var provider: String
    public var resolution: String?
    /// The budget line a finding of a line is about (an uncovered overrun): `nord/structure`.
    public var line: String? = nil

    public init(
        id: UUID, kind: String, month: YearMonth, grantID: UUID?, quantity: Quantity?, amount: Money?, status: String,
        provider: String, resolution: String?
    ) {
        self.id = id
        self.kind = kind
        self.month = month
        self.grantID = grantID
        self.quantity = quantity
        self.amount = amount
        self.status = status
        self.provider = provider
        self.resolution = resolution
    }
}

/// A booking as listed (`bookings`): with its provider's name.
public struct BookingListing: Sendable, Equatable {
    public var id: Int64
    public var kind: BookingKind
    public var serviceMonth: YearMonth
    public var socialSpace: SocialSpaceCode
    public var component: BudgetComponent
    public var amount: Money
    public var provider: String
    public var reverses: Int64?
    public var corrects: Int64?

    public init(
        id: Int64, kind: BookingKind, serviceMonth: YearMonth, socialSpace: SocialSpaceCode, component: BudgetComponent,
        amount: Money, provider: String, reverses: Int64?, corrects: Int64?
    ) {
        self.id = id
        self.kind = kind
        self.serviceMonth = serviceMonth
        self.socialSpace = socialSpace
        self.component = component
        self.amount = amount
        self.provider = provider
        self.reverses = reverses
        self.corrects = corrects
    }
}

/// A stored run as its requester sees it.
public struct ReconciliationRunSummary: Sendable, Equatable {
    public var runID: Int64
    public var scope: ReconciliationScope
    public var socialSpace: SocialSpaceCode?
    public var ledgerPosition: Int64
    /// sha256 of the canonical results, hex.
    public var digest: String
    public var newFindings: Int
    /// Lines overspent after cover (überplanmäßig), as `sozialraum/component`.
    public var overruns: [String: Money]
    /// The earlier run of the same scope on the same ledger position with the same results, if any.
    public var sameAs: Int64?
    /// True when the slot had run before and this is its result (nothing was run again).
    public var replayed: Bool
    /// Overruns of the year nobody has decided on yet (§ 117 NKomVG): open `uncovered_overrun` findings.
    public var undecidedOverruns = 0

    public init(
        runID: Int64, scope: ReconciliationScope, socialSpace: SocialSpaceCode?, ledgerPosition: Int64,
        digest: String, newFindings: Int,
        overruns: [String: Money], sameAs: Int64?, replayed: Bool
    ) {
        self.runID = runID
        self.scope = scope
        self.socialSpace = socialSpace
        self.ledgerPosition = ledgerPosition
        self.digest = digest
        self.newFindings = newFindings
        self.overruns = overruns
        self.sameAs = sameAs
        self.replayed = replayed
    }
}
