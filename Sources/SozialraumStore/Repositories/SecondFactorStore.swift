import PostgresClient
import SozialraumDomain

/// The portal's second factor (sql/0038): an account's TOTP secret and the last step a code was accepted for.
/// Only the transaction's own account (`sozialraum.account`, set with the tenant) sees or writes its row.
public enum SecondFactorStore {
    public struct Factor: Sendable {
        public var secret: [UInt8]
        public var lastStep: Int64
    }

    /// The account's factor, locked until the transaction ends (two logins cannot both use one code); nil when
    /// it has none.
    public static func lockedFactor(_ tx: TenantTransaction, account: String) async throws -> Factor? {
        try await tx.query(
            "SELECT secret, last_step FROM second_factor WHERE account_name = \(account) FOR UPDATE"
        ).first.map { row in
            Factor(
                secret: try row.decode("secret", as: PostgresBytes.self).bytes,
                lastStep: try row.decode("last_step", as: Int64.self))
        }
    }

    /// Whether the account has set up a factor.
    public static func isSet(_ tx: TenantTransaction, account: String) async throws -> Bool {
        try await tx.query("SELECT 1 FROM second_factor WHERE account_name = \(account)").first != nil
    }

    /// Records that the code of `step` was used.
    public static func markUsed(_ tx: TenantTransaction, account: String, step: Int64) async throws {
        try await tx.execute(
            "UPDATE second_factor SET last_step = \(step) WHERE account_name = \(account) AND last_step < \(step)")
    }

    /// Sets the account's factor up, its first code used; false when it has one already.
    public static func enrol(
        _ tx: TenantTransaction, account: String, secret: [UInt8], usedStep: Int64
    ) async throws -> Bool {
        try await tx.execute(
            """
            INSERT INTO second_factor (account_name, tenant_id, secret, last_step)
            VALUES (\(account), \(tx.tenant.uuid), \(PostgresBytes(secret)), \(usedStep))
            ON CONFLICT (account_name) DO NOTHING
            """) == 1
    }

    /// Removes another account's factor (the transaction's account must hold `accounts`, checked by the
    /// database); false when it had none.
    public static func reset(_ tx: TenantTransaction, account: String) async throws -> Bool {
        try await tx.query("SELECT reset_second_factor(\(account)) AS removed").single().decode(
            "removed", as: Bool.self)
    }
}
