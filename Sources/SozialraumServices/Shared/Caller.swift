import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Who is asking: the tenant the request acts for, the role, a name for the audit trail and the
/// request id that ties logs, audit and reply together.
public struct Caller: Sendable {
    public var tenant: TenantID
    public var role: Role
    public var name: String
    public var requestID: String?
    /// What a county account may do besides reading (sql/0020); empty for every other role.
    public var rights: Set<CountyRight>

    /// Without `rights`, a county caller holds them all (the scheduler, setup, accounts from before
    /// rights existed); the four-eyes rule holds regardless.
    public init(
        tenant: TenantID, role: Role, name: String, requestID: String? = nil, rights: Set<CountyRight>? = nil
    ) {
        self.tenant = tenant
        self.role = role
        self.name = name
        self.requestID = requestID
        self.rights = role == .county ? rights ?? Set(CountyRight.allCases) : []
    }
}

/// Why a use case refused. `description` is safe to show to the caller: it names the field and the
/// reason, never another tenant's data. An id of another tenant is reported like an unknown id.
public enum ServiceError: Error, Equatable, Sendable, CustomStringConvertible {
    case forbidden(String)
    case notFound(String)
    case invalid(field: String, reason: String)
    case periodClosed(YearMonth)
    case duplicate(String)
    case idempotencyConflict
    case refusedOverrun(component: BudgetComponent, shortfall: Money)
    case conflict(String)
    /// Bulk input with row-level errors; nothing was written.
    case rejectedRows([RowError])

    public var description: String {
        switch self {
        case .forbidden(let what): "not allowed: \(what)"
        case .notFound(let what): "unknown \(what)"
        case .invalid(let field, let reason): "invalid \(field): \(reason)"
        case .periodClosed(let month): "period \(month) is closed"
        case .duplicate(let what): "already recorded: \(what)"
        case .idempotencyConflict: "idempotency key already used for a different request"
        case .refusedOverrun(let component, let shortfall):
            "refused: \(component.rawValue) funds exhausted (short by \(shortfall))"
        case .conflict(let reason): "conflict: \(reason)"
        case .rejectedRows(let rows): "\(rows.count) rows rejected, nothing imported"
        }
    }
}

/// One bad row of a bulk import.
public struct RowError: Sendable, Equatable, CustomStringConvertible {
    /// 1-based line number in the file, the header being line 1.
    public var line: Int
    public var field: String
    public var reason: String

    public init(line: Int, field: String, reason: String) {
        self.line = line
        self.field = field
        self.reason = reason
    }

    public var description: String { "line \(line): \(field): \(reason)" }
}

extension Caller {
    func require(_ roles: Role..., for action: String) throws(ServiceError) {
        guard roles.contains(role) else { throw .forbidden(action) }
    }

    /// A county account holding `right`.
    func require(_ right: CountyRight, for action: String) throws(ServiceError) {
        guard role == .county else { throw .forbidden(action) }
        guard rights.contains(right) else { throw .forbidden("\(action) needs the right \(right.rawValue)") }
    }
}

extension ServiceError {
    /// Maps database refusals that are the caller's fault to clear errors; anything else is rethrown
    /// as is (the interface layer reports it generically and logs the detail).
    static func translating<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            switch DatabaseFailure.sqlState(of: error) {
            case "SZ001": throw ServiceError.conflict("the period is closed")
            case "SZ002":
                throw ServiceError.conflict("the finding is no longer open (resolved, or its delivery was reversed)")
            case "SZ003": throw ServiceError.conflict("it would run past the end of the provider's cooperation")
            case "SZ004": throw ServiceError.conflict("a rate cannot take effect in or before a closed month")
            case "SZ006": throw ServiceError.conflict("a payment needs an approved payment order signed by two people")
            case "SZ007":
                throw ServiceError.conflict(
                    "an issued statement never changes: it is settled or withdrawn, once (a new one may be issued)")
            case "SZ009":
                throw ServiceError.conflict(
                    "data protection: an erasure order, legal hold or restriction moves only as its rules allow")
            case "SZ008":
                throw ServiceError.conflict(
                    "account administration: decided once, and two holders of the right accounts remain")
            case "42501": throw ServiceError.forbidden("this change")
            default: throw error
            }
        }
    }
}

extension ServiceError {
    /// Whether `error` means the database was out of reach (connection lost, no connection free in
    /// time): the client may try again.
    public static func isDatabaseUnavailable(_ error: any Error) -> Bool { DatabaseFailure.isUnavailable(error) }
}

extension TenantTransaction {
    /// The audit event of a successful change by `caller` (never a payload).
    public func audit(
        _ caller: Caller, _ action: String, _ objectKind: String, _ objectID: String, detail: String? = nil
    ) async throws {
        try await LedgerStore.audit(
            self, tenant: caller.tenant, actor: caller.name, action: action, objectKind: objectKind, objectID: objectID,
            result: "ok",
            requestID: caller.requestID, detail: detail)
    }
}
