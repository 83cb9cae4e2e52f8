import ArgumentParser
import Foundation
import Logging
import PostgresClient
import PostgresEmbedded

/// `sozialraum-bench`: measurements reported as ratios against a baseline taken in the same run,
/// because the machines this runs on are shared and noisy. See Benchmarks/README.md.
@main
struct SozialraumBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sozialraum-bench",
        abstract: "Benchmarks of Sozialraum against PostgreSQL's own tools, as ratios.",
        subcommands: [
            PoolRoundTrip.self, ImportDeliveries.self, FundsQuery.self, AdminFunds.self, ReconcileYear.self,
            SchedulerDrain.self, HostileSocket.self, MigrationImport.self, Hosting.self, EraseCases.self,
            PortalBench.self, ReportsBench.self,
        ],
        defaultSubcommand: PoolRoundTrip.self
    )
}

/// The pool's round trip for a trivial query vs `pgbench -S` with the same client count.
struct PoolRoundTrip: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool-roundtrip",
        abstract: "Pool round trip of a primary-key SELECT vs pgbench -S (select-only), same clients.")

    @Option(help: "Concurrent clients (pool connections and pgbench clients).")
    var clients = 4

    @Option(help: "Seconds each side runs.")
    var seconds = 10

    @Option(help: "Repetitions; the median of each side is reported.")
    var rounds = 3

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let bench = try BenchCluster.start(logger: logger)
        defer { bench.stop() }
        let cluster = bench.cluster
        let conninfo = cluster.conninfo(database: "postgres")
        let pgbench = cluster.binDirectory.appendingPathComponent("pgbench").path
        _ = try bench.runTool([pgbench, "-i", "-q", "-s", "1", conninfo])

        let pool = PostgresPool(
            configuration: PostgresPoolConfiguration(conninfo: conninfo, maxConnections: clients), logger: logger)
        defer { pool.shutdown() }

        var poolRates: [Double] = []
        var pgbenchRates: [Double] = []
        for round in 1...rounds {
            // Alternate the order so that neither side always runs on a warmer server.
            let pgbenchFirst = round % 2 == 0
            if pgbenchFirst { pgbenchRates.append(try pgbenchRate(pgbench, conninfo, bench)) }
            poolRates.append(try await poolRate(pool))
            if !pgbenchFirst { pgbenchRates.append(try pgbenchRate(pgbench, conninfo, bench)) }
            print(
                String(
                    format: "round %d: pool %.0f q/s, pgbench -S %.0f q/s", round, poolRates.last!, pgbenchRates.last!))
        }
        let poolMedian = median(poolRates)
        let pgbenchMedian = median(pgbenchRates)
        print(
            String(
                format:
                    "pool-roundtrip clients=%d seconds=%d: pool %.0f q/s, pgbench -S %.0f q/s, ratio pool/pgbench = %.2f",
                clients, seconds, poolMedian, pgbenchMedian, poolMedian / pgbenchMedian))
    }

    /// Same statement as pgbench's select-only script, with the extended protocol on both sides.
    private func poolRate(_ pool: PostgresPool) async throws -> Double {
        let deadline = ContinuousClock.now + .seconds(seconds)
        let start = ContinuousClock.now
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    var count = 0
                    while ContinuousClock.now < deadline {
                        let aid = Int.random(in: 1...100_000)
                        _ = try await pool.withConnection { connection in
                            try await connection.query(
                                PostgresQuery(unsafeSQL: "SELECT abalance FROM pgbench_accounts WHERE aid = $1", [aid]))
                        }
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - start
        return Double(total) / elapsedSeconds(elapsed)
    }

    private func pgbenchRate(_ pgbench: String, _ conninfo: String, _ bench: BenchCluster) throws -> Double {
        try bench.pgbenchTPS([
            pgbench, "-n", "-S", "-M", "extended", "-c", "\(clients)", "-j", "\(clients)", "-T", "\(seconds)", conninfo,
        ])
    }

    private func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
}
