import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import SozialraumTestSupport
import Synchronization
import Testing

@Suite struct PoolTests {
    func pool(
        maxConnections: Int = 4, acquireTimeout: Duration = .seconds(10), attempts: Int = 5
    ) async throws
        -> PostgresPool
    {
        let cluster = try await TestCluster.shared.running()
        return PostgresPool(
            configuration: PostgresPoolConfiguration(
                conninfo: cluster.conninfo(database: "postgres"), maxConnections: maxConnections,
                acquireTimeout: acquireTimeout, maxTransactionAttempts: attempts),
            logger: Logger(label: "test.pool"))
    }

    @Test func neverOpensMoreThanItsBound() async throws {
        // Waiting is not under test here: a loaded machine may take long to hand out 30 leases of 3.
        let pool = try await pool(maxConnections: 3, acquireTimeout: .seconds(120))
        let pids = Locked<Set<Int32>>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<30 {
                group.addTask {
                    try await pool.withConnection { connection in
                        try await connection.query(PostgresQuery(unsafeSQL: "SELECT pg_sleep(0.01)"))
                        pids.withLock { _ = $0.insert(connection.backendPID) }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(pids.withLock { $0.count } <= 3)
        let stats = pool.statistics
        #expect(stats.open <= 3)
        #expect(stats.waiting == 0)
    }

    @Test func waitsThenTimesOutWhenExhausted() async throws {
        let pool = try await pool(maxConnections: 1, acquireTimeout: .milliseconds(300))
        let (held, holdRelease) = AsyncStream<Void>.makeStream()
        let (acquired, signalAcquired) = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await pool.withConnection { _ in
                signalAcquired.yield()
                for await _ in held { break }
            }
        }
        for await _ in acquired { break }
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { _ in 1 }
        }
        #expect(error?.code == .poolTimeout)
        holdRelease.yield()
        try await holder.value
        // Once given back, the connection serves the next caller.
        #expect(try await pool.withConnection { try await $0.query(PostgresQuery(unsafeSQL: "SELECT 1")).count } == 1)
    }

    /// A task that holds `pool`'s only connection until the returned continuation yields; it returns the
    /// connection's server process id. Returns once the connection is held.
    func holdingTheOnlyConnection(
        _ pool: PostgresPool
    ) async -> (holder: Task<Int32, any Error>, release: AsyncStream<Void>.Continuation) {
        let (held, holdRelease) = AsyncStream<Void>.makeStream()
        let (acquired, signalAcquired) = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await pool.withConnection { connection in
                signalAcquired.yield()
                for await _ in held { break }
                return connection.backendPID
            }
        }
        for await _ in acquired { break }
        return (holder, holdRelease)
    }

    @Test func waiterGetsTheConnectionWhenItIsGivenBack() async throws {
        let pool = try await pool(maxConnections: 1)
        let (holder, holdRelease) = await holdingTheOnlyConnection(pool)
        let waiter = Task { try await pool.withConnection { $0.backendPID } }
        while pool.statistics.waiting == 0 { await Task.yield() }
        holdRelease.yield()
        let first = try await holder.value
        #expect(try await waiter.value == first)
    }

    /// A cancelled waiter leaves the queue at once (no timer has to fire: the acquire timeout is an hour),
    /// and the connection given back afterwards goes to the next caller, not to the one that left.
    @Test func aCancelledWaiterLeavesAtOnce() async throws {
        let pool = try await pool(maxConnections: 1, acquireTimeout: .seconds(3600))
        let (holder, holdRelease) = await holdingTheOnlyConnection(pool)
        let leaving = Task { try await pool.withConnection { $0.backendPID } }
        while pool.statistics.waiting == 0 { await Task.yield() }
        leaving.cancel()
        await #expect(throws: CancellationError.self) { _ = try await leaving.value }
        #expect(pool.statistics.waiting == 0)
        holdRelease.yield()
        let first = try await holder.value
        #expect(try await pool.withConnection { $0.backendPID } == first)
        let after = pool.statistics
        #expect(after.open == 1 && after.idle == 1 && after.waiting == 0)
    }

    @Test func rollsBackWhenTheBodyThrows() async throws {
        let pool = try await pool()
        try await pool.withConnection {
            try await $0.runScript(unsafeSQL: "CREATE TABLE IF NOT EXISTS rollback_probe (n int)")
        }
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await pool.withTransaction { tx in
                try await tx.execute("INSERT INTO rollback_probe VALUES (1)")
                throw Boom()
            }
        }
        let count = try await pool.withTransaction { tx in
            try await tx.query("SELECT count(*)::int FROM rollback_probe").single().decode(0, as: Int.self)
        }
        #expect(count == 0)
    }

    @Test(arguments: ["40001", "40P01"])
    func retriesTransientFailuresUpToTheBound(sqlState: String) async throws {
        let pool = try await pool(attempts: 3)
        let attempts = Locked(0)
        // Fails on the first two attempts with the given SQLSTATE, then succeeds.
        let value = try await pool.withTransaction(isolation: .serializable) { tx in
            let attempt = attempts.withLock {
                $0 += 1
                return $0
            }
            if attempt < 3 {
                try await tx.query("SELECT raise_sqlstate($1)", [sqlState])
            }
            return attempt
        }
        #expect(value == 3)

        attempts.withLock { $0 = 0 }
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withTransaction { tx in
                attempts.withLock { $0 += 1 }
                try await tx.query("SELECT raise_sqlstate($1)", [sqlState])
            }
        }
        #expect(error?.sqlState?.rawValue == sqlState)
        #expect(attempts.withLock { $0 } == 3)
    }

    @Test func doesNotRetryOrdinaryErrors() async throws {
        let pool = try await pool(attempts: 5)
        let attempts = Locked(0)
        await #expect(throws: PostgresError.self) {
            try await pool.withTransaction { tx in
                attempts.withLock { $0 += 1 }
                try await tx.query("SELECT 1/0")
            }
        }
        #expect(attempts.withLock { $0 } == 1)
    }

    // MARK: Pipelined reads (one round trip)

    @Test func pipelinedReadRunsInOneReadOnlyTransaction() async throws {
        let pool = try await pool(maxConnections: 1)
        let rows = try await pool.pipelinedRead([
            PostgresQuery(unsafeSQL: "SELECT set_config('sozialraum.probe', $1, true)", ["pipelined"]),
            PostgresQuery(
                unsafeSQL:
                    "SELECT current_setting('sozialraum.probe'), current_setting('transaction_read_only'), txid_current_if_assigned() IS NULL"
            ),
            PostgresQuery(unsafeSQL: "SELECT n FROM generate_series(1, $1::int) AS n", [3]),
        ])
        #expect(rows.count == 3)
        // The local setting is seen by the next statement: both ran in one transaction.
        #expect(try rows[1].single().decode(0, as: String.self) == "pipelined")
        #expect(try rows[1].single().decode(1, as: String.self) == "on")
        #expect(try rows[2].map { try $0.decode(0, as: Int.self) } == [1, 2, 3])
        // … and it ended with that transaction: the same (only) connection no longer has it.
        let after = try await pool.withTransaction { tx in
            try await tx.query("SELECT current_setting('sozialraum.probe', true)").single().decode(0, as: String?.self)
        }
        #expect(after == nil || after == "")
    }

    @Test func aFailingStatementInAPipelineThrowsAndLeavesTheConnectionUsable() async throws {
        let pool = try await pool(maxConnections: 1)
        let error = await #expect(throws: PostgresError.self) {
            try await pool.pipelinedRead([PostgresQuery(unsafeSQL: "SELECT 1/0"), PostgresQuery(unsafeSQL: "SELECT 2")])
        }
        #expect(error?.sqlState?.rawValue == "22012")
        // A write is refused: the transaction is read-only.
        let readOnly = await #expect(throws: PostgresError.self) {
            try await pool.pipelinedRead([PostgresQuery(unsafeSQL: "CREATE TABLE pipeline_write_probe (n int)")])
        }
        #expect(readOnly?.sqlState?.rawValue == "25006")
        // The single connection was rolled back and lent again.
        let rows = try await pool.pipelinedRead([PostgresQuery(unsafeSQL: "SELECT $1::int + 1", [41])])
        #expect(try rows[0].single().decode(0, as: Int.self) == 42)
        let stats = pool.statistics
        #expect(stats.open == 1)
    }

    @Test func pipelinedReadRecoversFromAConnectionTheServerClosed() async throws {
        let pool = try await pool(maxConnections: 1)
        let pid = try await pool.pipelinedRead([PostgresQuery(unsafeSQL: "SELECT pg_backend_pid()")])[0].single()
            .decode(
                0, as: Int32.self)
        // Another session ends the pooled connection's backend while it sits idle.
        let cluster = try await TestCluster.shared.running()
        let other = try await PostgresConnection.connect(conninfo: cluster.conninfo(database: "postgres"))
        try await other.query(PostgresQuery(unsafeSQL: "SELECT pg_terminate_backend($1)", [pid]))
        let again = try await pool.pipelinedRead([PostgresQuery(unsafeSQL: "SELECT pg_backend_pid()")])[0].single()
            .decode(
                0, as: Int32.self)
        #expect(again != pid)
    }

    @Test func serializableIncrementsLoseNothingUnderContention() async throws {
        let pool = try await pool(maxConnections: 4, attempts: 100)
        try await pool.withConnection { connection in
            try await connection.runScript(
                unsafeSQL: "DROP TABLE IF EXISTS counter; CREATE TABLE counter (n int); INSERT INTO counter VALUES (0)")
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<10 {
                        try await pool.withTransaction(isolation: .serializable) { tx in
                            let n = try await tx.query("SELECT n FROM counter").single().decode(0, as: Int.self)
                            try await tx.execute("UPDATE counter SET n = $1", [n + 1])
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let total = try await pool.withConnection {
            try await $0.query(PostgresQuery(unsafeSQL: "SELECT n FROM counter")).single().decode(0, as: Int.self)
        }
        #expect(total == 40)
    }

    @Test func cancellingATaskCancelsItsStatement() async throws {
        let pool = try await pool(maxConnections: 1)
        let (started, signalStarted) = AsyncStream<Void>.makeStream()
        let task = Task {
            try await pool.withConnection { connection in
                signalStarted.yield()
                try await connection.query(PostgresQuery(unsafeSQL: "SELECT pg_sleep(60)"))
            }
        }
        for await _ in started { break }
        // Wait until the server really runs the statement, then cancel.
        let cluster = try await TestCluster.shared.running()
        let observer = try await PostgresConnection.connect(conninfo: cluster.conninfo(database: "postgres"))
        while try await observer.query(
            PostgresQuery(
                unsafeSQL:
                    "SELECT count(*)::int FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'"
            )
        ).single().decode(0, as: Int.self) == 0 {
            await Task.yield()
        }
        task.cancel()
        let result = await task.result
        #expect(throws: PostgresError.self) { try result.get() }
        if case .failure(let error as PostgresError) = result { #expect(error.sqlState == .queryCanceled) }
        // The connection went back healthy and serves again.
        #expect(try await pool.withConnection { try await $0.query(PostgresQuery(unsafeSQL: "SELECT 1")).count } == 1)
    }

    /// libpq blocks; it must do so on the connections' own queues. While both cooperative threads'
    /// worth of statements sleep in the server, other async work must still run to completion first.
    /// More statements block in the server than the cooperative pool has threads (one per core, on any
    /// machine): if libpq calls ran on that pool, the CPU work could not run until they end, and they end
    /// only after it (the test would then hit its time limit instead of passing).
    @Test(.timeLimit(.minutes(2))) func blockingCallsDoNotOccupyTheCooperativePool() async throws {
        let blocked = ProcessInfo.processInfo.activeProcessorCount + 2
        let pool = try await pool(maxConnections: blocked)
        let order = Locked<[String]>([])
        // The statements block in the server on an advisory lock the observer holds, so that they are
        // certainly blocking while the CPU work runs: no timing involved.
        let key = Int64.random(in: 1...Int64(Int32.max))
        let cluster = try await TestCluster.shared.running()
        let observer = try await PostgresConnection.connect(conninfo: cluster.conninfo(database: "postgres"))
        try await observer.query(PostgresQuery(unsafeSQL: "SELECT pg_advisory_lock($1)", [key]))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<blocked {
                group.addTask {
                    _ = try await pool.withConnection {
                        try await $0.query(PostgresQuery(unsafeSQL: "SELECT pg_advisory_xact_lock_shared($1)", [key]))
                    }
                    order.withLock { $0.append("query") }
                }
            }
            while try await observer.query(
                PostgresQuery(
                    unsafeSQL:
                        "SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1::bigint",
                    [key & 0xFFFF_FFFF])
            ).single().decode(0, as: Int.self) < blocked {
                await Task.yield()
            }
            var sum = 0
            for i in 0..<1000 {
                sum &+= i
                await Task.yield()
            }
            order.withLock { $0.append("cpu:\(sum)") }
            try await observer.query(PostgresQuery(unsafeSQL: "SELECT pg_advisory_unlock($1)", [key]))
            try await group.waitForAll()
        }
        #expect(order.withLock { $0 } == ["cpu:499500"] + Array(repeating: "query", count: blocked))
    }
}
