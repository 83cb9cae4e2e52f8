import PostgresClient
import SozialraumDomain

/// The live scheduler instances (sql/0021): a name is one instance's while it beats.
extension JobStore {
    /// Registers a live scheduler instance under `name`, unless another one under that name has beaten
    /// within `staleAfterSeconds`. Returns whether this one may run.
    public static func registerInstance(
        _ tx: SystemTransaction, name: String, token: String, now: Instant, staleAfterSeconds: Int64
    ) async throws -> Bool {
        try await tx.query(
            """
            INSERT INTO scheduler_instance AS i (name, token, started_at, heartbeat_at)
            VALUES (\(name), \(token)::uuid, to_timestamp(\(time(now))), to_timestamp(\(time(now))))
            ON CONFLICT (name) DO UPDATE SET token = EXCLUDED.token, started_at = EXCLUDED.started_at,
                heartbeat_at = EXCLUDED.heartbeat_at
            WHERE i.heartbeat_at < to_timestamp(\(time(now))::bigint - \(staleAfterSeconds)::bigint) OR i.token = EXCLUDED.token
            RETURNING name
            """
        ).first != nil
    }

    /// Proves the instance is alive; false when another instance took the name over.
    public static func beatInstance(
        _ tx: SystemTransaction, name: String, token: String, now: Instant
    ) async throws
        -> Bool
    {
        try await tx.execute(
            "UPDATE scheduler_instance SET heartbeat_at = to_timestamp(\(time(now))) WHERE name = \(name) AND token = \(token)::uuid"
        ) == 1
    }

    /// Gives the name free (a clean stop).
    public static func unregisterInstance(_ tx: SystemTransaction, name: String, token: String) async throws {
        try await tx.execute("DELETE FROM scheduler_instance WHERE name = \(name) AND token = \(token)::uuid")
    }

}
