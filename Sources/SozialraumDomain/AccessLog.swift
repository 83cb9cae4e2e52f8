#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One read of case-level data (sql/0032): who, when, which command, which case when it was one, how many.
public struct CaseAccess: Sendable, Equatable {
    public var tenant: TenantID
    public var account: String
    public var command: String
    public var caseID: UUID?
    public var cases: Int
    /// Seconds since 1970, as stored (nil before it is).
    public var accessedAt: Int64?

    public init(
        tenant: TenantID, account: String, command: String, caseID: UUID? = nil, cases: Int, accessedAt: Int64? = nil
    ) {
        self.tenant = tenant
        self.account = account
        self.command = command
        self.caseID = caseID
        self.cases = cases
        self.accessedAt = accessedAt
    }
}
