#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where a provider's statement (Abrechnung) stands. A draft is derived from a run whenever asked and
/// is not stored; issuing freezes it.
public enum StatementState: String, Sendable, CaseIterable {
    /// Frozen with its items and content hash: what the provider sees and what the county pays on.
    case issued
    /// Paid: the settlement's payment order was approved and booked.
    case settled
    /// Taken back with a reason; a new statement may be issued for the run.
    case withdrawn
}

/// An issued statement (Abrechnung als Beleg): the provider's figures of one run, frozen with their
/// items; it never changes (GoBD: Unveränderbarkeit), only its state moves once.
public struct StatementDocument: Sendable, Equatable {
    public var id: Int64
    public var runID: Int64
    public var provider: TenantID
    public var providerName: String
    public var state: StatementState
    public var accrued: Money
    public var instalments: Money
    public var settlements: Money
    public var balance: Money
    public var items: Int
    /// sha256 of the items' canonical lines (docs/statements.md), as hex.
    public var contentHash: String
    public var issuedBy: String
    /// Europe/Berlin, `YYYY-MM-DD HH:MM:SS`.
    public var issuedAt: String
    public var withdrawnBy: String?
    public var withdrawnAt: String?
    public var withdrawalReason: String?
    public var paymentOrderID: Int64?
    public var settledAt: String?

    public init(
        id: Int64, runID: Int64, provider: TenantID, providerName: String, state: StatementState, accrued: Money,
        instalments: Money, settlements: Money, balance: Money, items: Int, contentHash: String, issuedBy: String,
        issuedAt: String, withdrawnBy: String? = nil, withdrawnAt: String? = nil, withdrawalReason: String? = nil,
        paymentOrderID: Int64? = nil, settledAt: String? = nil
    ) {
        self.id = id
        self.runID = runID
        self.provider = provider
        self.providerName = providerName
        self.state = state
        self.accrued = accrued
        self.instalments = instalments
        self.settlements = settlements
        self.balance = balance
        self.items = items
        self.contentHash = contentHash
        self.issuedBy = issuedBy
        self.issuedAt = issuedAt
        self.withdrawnBy = withdrawnBy
        self.withdrawnAt = withdrawnAt
        self.withdrawalReason = withdrawalReason
        self.paymentOrderID = paymentOrderID
        self.settledAt = settledAt
    }
}

/// How long a run is kept: a run of a period still running (month, quarter or year to date) is nightly
/// and pruned after a while; a whole year, a finished month or quarter are kept (and so is any run that
/// something refers to). sql/0022 checks the same rule.
public enum RunRetention: String, Sendable {
    case nightly, kept

    /// The retention of a run of `scope` made on `runDay`.
    public static func of(_ scope: ReconciliationScope, runDay: Day) -> RunRetention {
        let wholeYear = scope.first.month == 1 && scope.last.month == 12
        return scope.last >= runDay.yearMonth && !wholeYear ? .nightly : .kept
    }
}
