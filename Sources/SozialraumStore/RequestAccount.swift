// Foundation for NSLock, which FoundationEssentials does not have.
import Foundation
import PostgresClient
import SozialraumDomain

/// The account a request of the admin socket runs for (issue 35: rights end at once). While a command runs,
/// every tenant transaction it opens reads the account again in the statement that sets the tenant context
/// (no extra round trip) and fails with `AccountChanged` when the account was disabled, its token rotated or
/// its rights changed since the session read them.
// Unchecked: `performed` is only read and written under `lock`.
public final class AccountCheck: @unchecked Sendable {
    public let name: String
    public let generation: Int64
    public let rights: Set<CountyRight>
    private let lock = NSLock()
    /// Set once a transaction of the request has checked the account.
    private var performed = false

    public init(name: String, generation: Int64, rights: Set<CountyRight>) {
        self.name = name
        self.generation = generation
        self.rights = rights
    }

    /// Whether a transaction of the request checked the account (a command without one is checked apart).
    public var wasPerformed: Bool { lock.withLock { performed } }

    func markPerformed() { lock.withLock { performed = true } }
}

public enum RequestAccount {
    @TaskLocal public static var check: AccountCheck?
}

/// The request's account is no longer what its session read: ended, or with other rights.
public struct AccountChanged: Error, Sendable {}

extension Store {
    /// The statement that sets the tenant context, with the request's account check folded in, and whether
    /// the transaction sees restricted cases (sql/0035): when asked (`seesRestricted`), or when the request's
    /// account is, as stored, the data-protection officer's or an auditor's. The request's account is named
    /// in `sozialraum.account` (its own second factor is the only one it sees, sql/0038).
    static func contextStatement(_ tenant: TenantID, seesRestricted: Bool = false) -> PostgresQuery {
        guard let check = RequestAccount.check else {
            return PostgresQuery(
                """
                SELECT set_config(\(tenantSetting), \(tenant.description), true),
                       set_config('sozialraum.restricted_visible', \(seesRestricted ? "on" : ""), true),
                       set_config('sozialraum.account', '', true)
                """)
        }
        return PostgresQuery(
            """
            SELECT set_config(\(tenantSetting), \(tenant.description), true),
                   set_config('sozialraum.restricted_visible',
                              CASE WHEN \(seesRestricted) OR a.role IN ('dpo', 'auditor') THEN 'on' ELSE '' END, true),
                   set_config('sozialraum.account', \(check.name), true),
                   coalesce(a.generation = \(check.generation) AND coalesce(array_to_string(a.rights, ','), '') = \(check.rights.sorted().map(\.rawValue).joined(separator: ",")), false) AS account_unchanged
            FROM (SELECT 1) AS one LEFT JOIN account_for_login(\(check.name)) a ON true
            """)
    }

    /// Fails when the context statement found the request's account changed.
    static func verifyContext(_ rows: PostgresRows) throws {
        guard let check = RequestAccount.check else { return }
        guard try rows.single().decode("account_unchanged", as: Bool.self) else { throw AccountChanged() }
        check.markPerformed()
    }
}
