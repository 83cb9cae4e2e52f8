import PostgresClient
import SozialraumDomain

/// The live scheduler instances (sql/0021): a name is one instance's while it beats.
extension JobStore {
    /// Registers a live scheduler instance under `name`, unless another one under that name has beaten
    /// within `staleAfterSeconds` (and is not `replacing`, a holder whose process is known to be gone).
    /// Returns whether this one may run.
    public static func registerInstance(
        _ tx: SystemTransaction, name: String, token: String, now: Instant, staleAfterSeconds: Int64,
        process: InstanceProcess, replacing gone: String? = nil
    ) async throws -> Bool {
        try await tx.query(
            """
            INSERT INTO scheduler_instance AS i (name, token, started_at, heartbeat_at, host, boot_id, pid)
            VALUES (\(name), \(token)::uuid, to_timestamp(\(time(now))), to_timestamp(\(time(now))),
                    \(process.host), \(process.bootID), \(process.pid))
            ON CONFLICT (name) DO UPDATE SET token = EXCLUDED.token, started_at = EXCLUDED.started_at,
                heartbeat_at = EXCLUDED.heartbeat_at, host = EXCLUDED.host, boot_id = EXCLUDED.boot_id,
                pid = EXCLUDED.pid
            WHERE i.heartbeat_at < to_timestamp(\(time(now))::bigint - \(staleAfterSeconds)::bigint)
                OR i.token = EXCLUDED.token OR i.token = \(gone)::uuid
            RETURNING name
            """
        ).first != nil
    }

    /// Who holds `name` now, if anyone.
    public static func instanceHolder(_ tx: SystemTransaction, name: String) async throws -> InstanceHolder? {
        try await tx.query(
            "SELECT token::text AS token, host, boot_id, pid FROM scheduler_instance WHERE name = \(name)"
        ).first.map { row in
            let host = try row.decode("host", as: String?.self)
            let bootID = try row.decode("boot_id", as: String?.self)
            let pid = try row.decode("pid", as: Int32?.self)
            return InstanceHolder(
                token: try row.decode("token", as: String.self),
                process: host.flatMap { host in
                    bootID.flatMap { boot in pid.map { InstanceProcess(host: host, bootID: boot, pid: $0) } }
                })
        }
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
