#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A right a county account may hold besides its role (a county assigns them per person).
public enum CountyRight: String, Sendable, CaseIterable, Comparable {
    /// Case and budget work (Fall- und Budgetarbeit): cases, grants, moves, projects, appropriations, register.
    case caseWork = "case"
    /// Feststellung der sachlichen und rechnerischen Richtigkeit: certifies that a payment is right.
    case certify
    /// Anordnungsbefugnis: orders a certified payment (the second signature), decides on overruns.
    case order
    /// Controlling: runs reconciliations, closes months and years, chooses what providers see.
    case controller
    /// Benutzerverwaltung: creates accounts, rotates others' tokens, disables and enables them, requests and
    /// approves rights (under four eyes, sql/0029). Never held with `order`.
    case accounts
    /// Löschung: certifies or orders the erasure of cases past their deletion rule (two holders, sql/0034),
    /// places and lifts legal holds.
    case erase

    public static func < (lhs: CountyRight, rhs: CountyRight) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// The rights a new county account gets when none are named (everything but account administration).
    public static let defaultForCounty: Set<CountyRight> = [.caseWork, .certify, .order, .controller]

    /// `case,certify` → the set; nil for an unknown name.
    public static func parseList(_ text: String) -> Set<CountyRight>? {
        var rights = Set<CountyRight>()
        guard !text.isEmpty else { return rights }
        for name in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let right = CountyRight(rawValue: String(name)) else { return nil }
            rights.insert(right)
        }
        return rights
    }

    /// The rights in a fixed order, comma-separated (`-` for none).
    public static func list(_ rights: Set<CountyRight>) -> String {
        rights.isEmpty ? "-" : rights.sorted().map(\.rawValue).joined(separator: ",")
    }
}

/// What a payment order (Kassenanordnung) pays.
public enum PaymentOrderKind: String, Sendable, CaseIterable {
    /// An instalment (Abschlag) for a Sozialraum, component and month.
    case instalment
    /// The balance of a provider's statement (Schlussabrechnung).
    case settlement
    /// An accepted finding that pays an excess delivery.
    case finding
    /// The year end (Jahresabschluss): carry-forwards and the lead providers' shares.
    case yearEnd = "year_end"
    /// A change of a line's appropriation above `PaymentSettings.appropriationThreshold`.
    case appropriation
    /// A lead provider's share of a Sozialraum's savings at the year end (rule 12): money owed to it.
    case surplusShare = "surplus_share"

    /// Whether an ordered order goes to the Kasse (the others move budget or cost, not cash).
    public var paysTheKasse: Bool { self == .instalment || self == .settlement || self == .surplusShare }
}

/// Where a payment order stands between its two signatures.
public enum PaymentOrderState: String, Sendable, CaseIterable {
    /// Certified, waiting for the second signature.
    case pending
    /// Ordered by a second account: booked, and due for the Kasse.
    case approved
    /// Refused by a second account, with a reason.
    case rejected
    /// Not decided in time; certify again.
    case expired
}

/// What the Kasse reports for an ordered payment, from its confirmations (IST).
public enum PaymentStatus: String, Sendable, Equatable {
    /// Nothing confirmed yet.
    case open
    /// Paid exactly as ordered.
    case paid
    /// Less than ordered arrived.
    case partlyPaid = "partly-paid"
    /// Paid and sent back, nothing remains paid.
    case returned
    /// More than ordered was paid.
    case overpaid

    /// The status of an order of `ordered` after confirmations summing to `paid`; `confirmations` is how
    /// many there were (a return nets to zero but is not "open"). Orders the provider repays (negative)
    /// compare by magnitude.
    public static func of(ordered: Money, paid: Money, confirmations: Int) -> PaymentStatus {
        guard confirmations > 0 else { return .open }
        if paid == ordered { return .paid }
        if paid == .zero { return .returned }
        let beyond = ordered.isNegative ? paid < ordered : paid > ordered
        return beyond ? .overpaid : .partlyPaid
    }
}

/// The county's rules for payment orders and their export (`payments.*` in the configuration).
public struct PaymentSettings: Sendable, Equatable {
    /// Days a certified order waits for its second signature before it expires.
    public var pendingDays: Int = 14
    /// Days from the order to its due date, unless the orderer names one.
    public var dueAfterDays: Int = 3
    /// Kassenzeichen = prefix + year + the order number (6 digits).
    public var kassenzeichenPrefix: String = "SR"
    /// The columns of the export file, in order (see `PaymentFile.Column`).
    public var exportColumns: [PaymentFile.Column] = PaymentFile.Column.defaultLayout
    /// The export file's encoding unless a request names one.
    public var exportEncoding: PaymentFile.Encoding = .utf8
    /// Above this amount an overrun decision needs the day the Kreistag was informed.
    public var councilThreshold = Money(cents: 50_000_00)
    /// A change of a set appropriation by more than this takes two people (0.00: every change).
    public var appropriationThreshold = Money.zero
    /// The county's Ed25519 private key (32 bytes) that signs every batch for the Kasse; nil: unsigned.
    /// Read from `payments.signingKeyFile`; never logged or shown.
    public var signingKey: [UInt8]? = nil

    public init() {}

    /// The Kassenzeichen of order `id` ordered in `year`.
    public func kassenzeichen(order id: Int64, year: Int) -> String {
        let number = String(id)
        return kassenzeichenPrefix + String(year) + String(repeating: "0", count: max(0, 6 - number.count)) + number
    }
}

/// The Verwendungszweck of an order: what it pays, never a case key.
public enum PaymentPurpose {
    public static func text(
        kind: PaymentOrderKind, month: String?, run: Int64?, socialSpace: String, component: String,
        kassenzeichen: String
    ) -> String {
        switch kind {
        case .instalment:
            "Abschlag \(month.map { String($0.prefix(7)) } ?? "") \(socialSpace) \(component) \(kassenzeichen)"
        case .settlement:
            "Schlussabrechnung Lauf \(run.map(String.init) ?? "") \(socialSpace) \(component) \(kassenzeichen)"
        case .finding: "Mehrleistung anerkannt \(socialSpace) \(kassenzeichen)"
        case .yearEnd: "Jahresabschluss \(month.map { String($0.prefix(4)) } ?? "")"
        case .appropriation: "Ansatz \(socialSpace) \(component)"
        case .surplusShare:
            "Anteil Minderausgaben \(month.map { String($0.prefix(4)) } ?? "") \(socialSpace) \(kassenzeichen)"
        }
    }
}

/// Where an order's money is booked in the finance system (Kontierung): Produkt (Produktrahmen 36),
/// Sachkonto and Kostenstelle/Kostenträger. County data per year, Sozialraum, component and kind.
public struct FinanceMapping: Sendable, Equatable {
    public var product: String
    public var account: String
    public var costCentre: String

    public init(product: String, account: String, costCentre: String) {
        self.product = product
        self.account = account
        self.costCentre = costCentre
    }

    /// Letters, digits and `.` (Produkt, Sachkonto), also `/` and `-` (Kostenstelle); 1 to 20 characters.
    public static func isValidCode(_ text: String, allowingSeparators: Bool = false) -> Bool {
        (1...20).contains(text.count)
            && text.unicodeScalars.allSatisfy {
                ("0"..."9").contains($0) || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || $0 == "."
                    || (allowingSeparators && ($0 == "/" || $0 == "-"))
            }
    }
}

/// A finance mapping as listed by `finance-mappings`.
public struct FinanceMappingListing: Sendable, Equatable {
    public var socialSpace: String
    public var component: String
    public var kind: String
    public var mapping: FinanceMapping

    public init(socialSpace: String, component: String, kind: String, mapping: FinanceMapping) {
        self.socialSpace = socialSpace
        self.component = component
        self.kind = kind
        self.mapping = mapping
    }
}

/// A payment order as listed by `orders`: both signatures, the Kasse's reference and what it paid.
public struct PaymentOrderListing: Sendable, Equatable {
    public var id: Int64
    public var kind: PaymentOrderKind
    public var payee: String
    public var amount: Money
    public var state: PaymentOrderState
    public var certifiedBy: String
    public var decidedBy: String?
    public var expiresOn: Day
    public var kassenzeichen: String?
    public var due: Day?
    public var batch: Int64?
    public var paid: Money
    public var status: PaymentStatus
    public var reason: String?

    public init(
        id: Int64, kind: PaymentOrderKind, payee: String, amount: Money, state: PaymentOrderState, certifiedBy: String,
        decidedBy: String?, expiresOn: Day, kassenzeichen: String?, due: Day?, batch: Int64?, paid: Money,
        status: PaymentStatus, reason: String?
    ) {
        self.id = id
        self.kind = kind
        self.payee = payee
        self.amount = amount
        self.state = state
        self.certifiedBy = certifiedBy
        self.decidedBy = decidedBy
        self.expiresOn = expiresOn
        self.kassenzeichen = kassenzeichen
        self.due = due
        self.batch = batch
        self.paid = paid
        self.status = status
        self.reason = reason
    }
}

/// An export batch: the file handed to the Kasse, stored once.
public struct PaymentBatch: Sendable, Equatable {
    public var id: Int64
    public var created: String
    public var createdBy: String
    public var encoding: PaymentFile.Encoding
    public var orders: Int
    public var total: Money
    public var sha256: String
    /// The file's bytes (empty in lists).
    public var content: [UInt8]
    /// The Ed25519 signature of `content` (64 bytes), when the county signs its batches.
    public var signature: [UInt8]? = nil

    public init(
        id: Int64, created: String, createdBy: String, encoding: PaymentFile.Encoding, orders: Int, total: Money,
        sha256: String, content: [UInt8]
    ) {
        self.id = id
        self.created = created
        self.createdBy = createdBy
        self.encoding = encoding
        self.orders = orders
        self.total = total
        self.sha256 = sha256
        self.content = content
    }
}

/// An account as listed by `accounts`: who holds which right (never a secret).
public struct AccountListing: Sendable, Equatable {
    public var name: String
    public var tenant: String
    public var role: Role
    public var rights: Set<CountyRight>
    public var disabled: Bool

    public init(name: String, tenant: String, role: Role, rights: Set<CountyRight>, disabled: Bool) {
        self.name = name
        self.tenant = tenant
        self.role = role
        self.rights = rights
        self.disabled = disabled
    }
}

/// Über- or außerplanmäßig (§ 117 NKomVG): spending beyond a line's appropriation, or on a line that had none.
public enum OverrunKind: String, Sendable, CaseIterable {
    /// außerplanmäßig: the line had no appropriation.
    case unplanned
    /// überplanmäßig: beyond the line's appropriation.
    case overPlan = "over_plan"
}

/// A decision on an overrun: amount, line, who, why, the cover offered and, above the county's threshold,
/// the day the Kreistag was informed.
public struct OverrunDecision: Sendable, Equatable {
    public var year: Int
    public var socialSpace: SocialSpaceCode
    public var component: BudgetComponent
    public var kind: OverrunKind
    public var amount: Money
    public var reason: String
    /// Deckung: the line that covers it, if one is named.
    public var cover: BudgetLineRef?
    public var councilInformedOn: Day?
    public var decidedBy: String

    public init(
        year: Int, socialSpace: SocialSpaceCode, component: BudgetComponent, kind: OverrunKind, amount: Money,
        reason: String, cover: BudgetLineRef?, councilInformedOn: Day?, decidedBy: String
    ) {
        self.year = year
        self.socialSpace = socialSpace
        self.component = component
        self.kind = kind
        self.amount = amount
        self.reason = reason
        self.cover = cover
        self.councilInformedOn = councilInformedOn
        self.decidedBy = decidedBy
    }
}

/// A Sozialraum's component: one line of the budget (`nord/case`).
public struct BudgetLineRef: Sendable, Equatable {
    public var socialSpace: SocialSpaceCode
    public var component: BudgetComponent

    public init(socialSpace: SocialSpaceCode, component: BudgetComponent) {
        self.socialSpace = socialSpace
        self.component = component
    }

    /// `nord/case`.
    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let space = SocialSpaceCode(String(parts[0])),
            let component = BudgetComponent(rawValue: String(parts[1]))
        else { return nil }
        self.init(socialSpace: space, component: component)
    }
}

/// An overrun decision as listed by `overruns`.
public struct OverrunDecisionListing: Sendable, Equatable {
    public var id: Int64
    public var socialSpace: String
    public var component: String
    public var kind: OverrunKind
    public var amount: Money
    public var reason: String
    public var cover: String
    public var councilInformedOn: String?
    public var decidedBy: String
    public var decidedAt: String

    public init(
        id: Int64, socialSpace: String, component: String, kind: OverrunKind, amount: Money, reason: String,
        cover: String, councilInformedOn: String?, decidedBy: String, decidedAt: String
    ) {
        self.id = id
        self.socialSpace = socialSpace
        self.component = component
        self.kind = kind
        self.amount = amount
        self.reason = reason
        self.cover = cover
        self.councilInformedOn = councilInformedOn
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
    }
}
