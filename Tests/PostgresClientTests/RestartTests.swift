import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import SozialraumTestSupport
import Testing

/// These tests restart the server, so each uses a cluster of its own.
@Suite struct RestartTests {
    @Test func poolRecoversAfterTheServerRestarts() async throws {
        let cluster = try await TestCluster.shared.isolatedCluster()
        let pool = PostgresPool(
            configuration: PostgresPoolConfiguration(
                conninfo: cluster.conninfo(database: "postgres"), maxConnections: 3),
            logger: Logger(label: "test.restart"))
        let before = try await pool.withTransaction { tx in
            try await tx.query("SELECT pg_backend_pid()").single().decode(0, as: Int32.self)
        }
        #expect(pool.statistics.idle == 1)

        try cluster.restart()

        // The idle connection died with the old server; the pool notices and opens a new one.
        let after = try await pool.withTransaction { tx in
            try await tx.query("SELECT pg_backend_pid()").single().decode(0, as: Int32.self)
        }
        #expect(after != before)
        #expect(pool.statistics.open == 1)
    }

    @Test func poolReportsAnOutageAndServesAgainAfterwards() async throws {
        let cluster = try await TestCluster.shared.isolatedCluster()
        let pool = PostgresPool(
            configuration: PostgresPoolConfiguration(
                conninfo: cluster.conninfo(database: "postgres") + " connect_timeout=2"),
            logger: Logger(label: "test.outage"))
        _ = try await pool.withConnection { try await $0.query(PostgresQuery(unsafeSQL: "SELECT 1")) }
        try cluster.stop()
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { try await $0.query(PostgresQuery(unsafeSQL: "SELECT 1")) }
        }
        #expect(error?.isConnectionLevel == true)
        try cluster.start()
        #expect(
            try await pool.withConnection {
                try await $0.query(PostgresQuery(unsafeSQL: "SELECT 7")).single().decode(0, as: Int.self)
            } == 7)
        #expect(pool.statistics.open == 1)
    }

    @Test func listenerListensAgainAfterARestart() async throws {
        let cluster = try await TestCluster.shared.isolatedCluster()
        let conninfo = cluster.conninfo(database: "postgres")
        let events = PostgresListener.events(conninfo: conninfo, channels: ["wake"], logger: Logger(label: "t"))
        var iterator = events.makeAsyncIterator()
        #expect(await iterator.next() == .listening)
        try cluster.restart()
        #expect(await iterator.next() == .listening)
        let sender = try await PostgresConnection.connect(conninfo: conninfo)
        try await sender.query(PostgresQuery(unsafeSQL: "SELECT pg_notify('wake', 'again')"))
        #expect(
            await iterator.next()
                == .notification(PostgresNotification(channel: "wake", payload: "again", senderPID: sender.backendPID)))
    }
}
