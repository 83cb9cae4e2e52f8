#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// Read models of the county's master data (Stammdaten), as the register commands list them.

/// A short code of a provider (Kürzel), what the county's accountants type instead of its id:
/// 2 to 32 of a-z, 0-9 and '-', starting with a letter.
public struct ProviderCode: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard (2...32).contains(bytes.count), let first = bytes.first,
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first),
            bytes.allSatisfy({
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                    || $0 == UInt8(ascii: "-")
            })
        else { return nil }
        rawValue = text
    }

    public var description: String { rawValue }
}

/// A provider (freier Träger) in the county's register, with the Sozialräume it serves or served.
public struct ProviderRecord: Sendable, Equatable {
    public var id: TenantID
    public var code: ProviderCode?
    public var name: String
    /// The last day of the cooperation (history kept; nothing new after it), if it ends.
    public var cooperationEnds: Day?
    /// Codes of the Sozialräume of its assignments, in order.
    public var socialSpaces: [String]

    public init(id: TenantID, code: ProviderCode?, name: String, cooperationEnds: Day?, socialSpaces: [String]) {
        self.id = id
        self.code = code
        self.name = name
        self.cooperationEnds = cooperationEnds
        self.socialSpaces = socialSpaces
    }
}

/// A municipality's membership in a Sozialraum over time (a regrouping ends one and starts another).
public struct MembershipRecord: Sendable, Equatable {
    public var socialSpace: SocialSpaceCode
    public var socialSpaceName: String
    public var municipality: SocialSpaceCode
    public var municipalityName: String
    public var validFrom: Day
    public var validTo: Day?

    public init(
        socialSpace: SocialSpaceCode, socialSpaceName: String, municipality: SocialSpaceCode,
        municipalityName: String, validFrom: Day, validTo: Day?
    ) {
        self.socialSpace = socialSpace
        self.socialSpaceName = socialSpaceName
        self.municipality = municipality
        self.municipalityName = municipalityName
        self.validFrom = validFrom
        self.validTo = validTo
    }
}

/// Which provider serves which Sozialraum (Zuordnung), lead or not, over time.
public struct AssignmentRecord: Sendable, Equatable {
    public var provider: TenantID
    public var providerName: String
    public var socialSpace: SocialSpaceCode
    public var lead: Bool
    public var validFrom: Day
    public var validTo: Day?

    public init(
        provider: TenantID, providerName: String, socialSpace: SocialSpaceCode, lead: Bool, validFrom: Day,
        validTo: Day?
    ) {
        self.provider = provider
        self.providerName = providerName
        self.socialSpace = socialSpace
        self.lead = lead
        self.validFrom = validFrom
        self.validTo = validTo
    }
}

/// A fiscal year (Haushaltsjahr) with its policies (rules 1, 4, 12) and how many months are closed.
public struct FiscalYearRecord: Sendable, Equatable {
    public var year: Int
    public var overrunPolicy: OverrunPolicy
    /// Basis points of a provider's savings it keeps (2500 = 25 %).
    public var providerSurplusShare: Int
    public var carryForwardAllowed: Bool
    public var coverPools: CoverPools
    public var closedMonths: Int

    public init(
        year: Int, overrunPolicy: OverrunPolicy, providerSurplusShare: Int, carryForwardAllowed: Bool,
        coverPools: CoverPools, closedMonths: Int
    ) {
        self.year = year
        self.overrunPolicy = overrunPolicy
        self.providerSurplusShare = providerSurplusShare
        self.carryForwardAllowed = carryForwardAllowed
        self.coverPools = coverPools
        self.closedMonths = closedMonths
    }
}

/// A price of a rate agreement (Entgeltvereinbarung) of one provider.
public struct RateRecord: Sendable, Equatable {
    public var helpType: String
    public var unit: RateUnit
    public var validFrom: Day
    public var amount: Money

    public init(helpType: String, unit: RateUnit, validFrom: Day, amount: Money) {
        self.helpType = helpType
        self.unit = unit
        self.validFrom = validFrom
        self.amount = amount
    }
}

/// A project (Projektlandschaft) with what has been spent on it.
public struct ProjectListing: Sendable, Equatable {
    public var id: UUID
    public var provider: TenantID
    public var title: String
    public var socialSpace: SocialSpaceCode
    public var component: BudgetComponent
    public var period: DayRange
    public var budget: Money
    public var spent: Money
    public var volunteers: Int
    public var professionals: Int
    /// The provider's name, as every other list shows a provider.
    public var providerName = ""

    public init(
        id: UUID, provider: TenantID, title: String, socialSpace: SocialSpaceCode, component: BudgetComponent,
        period: DayRange, budget: Money, spent: Money, volunteers: Int, professionals: Int
    ) {
        self.id = id
        self.provider = provider
        self.title = title
        self.socialSpace = socialSpace
        self.component = component
        self.period = period
        self.budget = budget
        self.spent = spent
        self.volunteers = volunteers
        self.professionals = professionals
    }
}

/// One line of the audit trail (Protokoll): who did what when, never a payload.
public struct AuditEventRecord: Sendable, Equatable {
    public var id: Int64
    /// Europe/Berlin, ISO 8601 with offset and seconds (`2026-11-25T14:03:07+01:00`).
    public var at: String
    public var tenant: TenantID
    public var actor: String
    public var action: String
    public var objectKind: String?
    public var objectID: String?
    public var result: String
    public var requestID: String?
    /// What changed where it matters (an account's rights before and after); never a payload.
    public var detail: String? = nil

    public init(
        id: Int64, at: String, tenant: TenantID, actor: String, action: String, objectKind: String?, objectID: String?,
        result: String, requestID: String?
    ) {
        self.id = id
        self.at = at
        self.tenant = tenant
        self.actor = actor
        self.action = action
        self.objectKind = objectKind
        self.objectID = objectID
        self.result = result
        self.requestID = requestID
    }
}

/// Which audit events to read: all of them narrowed by each filter given.
public struct AuditFilter: Sendable, Equatable {
    public var since: Day?
    public var until: Day?
    public var actor: String?
    /// The action or its prefix before the dot (`grant` matches `grant.create`, `grant.end`).
    public var action: String?
    public var objectID: String?
    public var limit: Int

    public init(
        since: Day? = nil, until: Day? = nil, actor: String? = nil, action: String? = nil, objectID: String? = nil,
        limit: Int = 200
    ) {
        self.since = since
        self.until = until
        self.actor = actor
        self.action = action
        self.objectID = objectID
        self.limit = limit
    }
}

/// A change of a county account's rights under four eyes (sql/0029): requested by one holder of
/// `accounts`, decided by another.
public struct AccountChange: Sendable, Equatable {
    public var id: Int64
    public var account: String
    /// The account's rights once approved (the whole set).
    public var rights: Set<CountyRight>
    public var requestedBy: String
    /// Europe/Berlin, ISO 8601 with offset and seconds.
    public var requestedAt: String
    public var expiresOn: Day
    /// `pending`, `approved`, `rejected` or `expired`.
    public var state: String
    public var decidedBy: String?

    public init(
        id: Int64, account: String, rights: Set<CountyRight>, requestedBy: String, requestedAt: String, expiresOn: Day,
        state: String, decidedBy: String?
    ) {
        self.id = id
        self.account = account
        self.rights = rights
        self.requestedBy = requestedBy
        self.requestedAt = requestedAt
        self.expiresOn = expiresOn
        self.state = state
        self.decidedBy = decidedBy
    }
}
