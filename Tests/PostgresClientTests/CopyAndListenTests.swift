import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import SozialraumTestSupport
import Testing

@Suite struct CopyTests {
    func connection() async throws -> PostgresConnection {
        let cluster = try await TestCluster.shared.running()
        let connection = try await PostgresConnection.connect(conninfo: cluster.conninfo(database: "postgres"))
        try await connection.runScript(
            unsafeSQL: "CREATE TEMP TABLE line (n int NOT NULL, amount numeric(14,2) NOT NULL, note text)")
        return connection
    }

    @Test func streamsManyRows() async throws {
        let db = try await connection()
        let rows = try await db.copyIn("COPY line (n, amount, note) FROM STDIN WITH (FORMAT csv)") { writer in
            for n in 1...50_000 { try await writer.write("\(n),\(n).25,\"Dörverden, \"\"Nord\"\"\"\n") }
        }
        #expect(rows == 50_000)
        let row = try await db.query(
            PostgresQuery(unsafeSQL: "SELECT count(*)::int, sum(amount)::numeric, min(note) FROM line")
        )
        .single()
        #expect(try row.decode(0, as: Int.self) == 50_000)
        // sum(n) + 50000 × 0.25 = 1250025000 + 12500
        #expect(try row.decode(1, as: PostgresNumeric.self).scaledInteger(scale: 2) == 125_003_750_000)
        #expect(try row.decode(2, as: String.self) == "Dörverden, \"Nord\"")
    }

    @Test func badRowAbortsEverything() async throws {
        let db = try await connection()
        let error = await #expect(throws: PostgresError.self) {
            try await db.copyIn("COPY line (n, amount) FROM STDIN WITH (FORMAT csv)") { writer in
                try await writer.write("1,1.00\n2,2.00\nthree,3.00\n4,4.00\n")
            }
        }
        #expect(error?.sqlState == .invalidTextRepresentation)
        #expect(
            try await db.query(PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM line")).single().decode(
                0, as: Int.self) == 0)
    }

    @Test func clientErrorAbortsTheCopy() async throws {
        let db = try await connection()
        struct Stop: Error {}
        await #expect(throws: Stop.self) {
            try await db.copyIn("COPY line (n, amount) FROM STDIN WITH (FORMAT csv)") { writer in
                for n in 1...100_000 { try await writer.write("\(n),1.00\n") }
                throw Stop()
            }
        }
        #expect(
            try await db.query(PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM line")).single().decode(
                0, as: Int.self) == 0)
    }

    @Test func refusesAStatementThatIsNotCopyIn() async throws {
        let db = try await connection()
        let error = await #expect(throws: PostgresError.self) {
            try await db.copyIn("SELECT 1") { _ in }
        }
        #expect(error?.code == .invalidUsage)
        #expect(try await db.query(PostgresQuery(unsafeSQL: "SELECT 2")).single().decode(0, as: Int.self) == 2)
    }
}

@Suite struct ListenTests {
    @Test func deliversNotificationsWithPayload() async throws {
        let cluster = try await TestCluster.shared.running()
        let conninfo = cluster.conninfo(database: "postgres")
        let events = PostgresListener.events(conninfo: conninfo, channels: ["jobs_test"], logger: Logger(label: "t"))
        var iterator = events.makeAsyncIterator()
        #expect(await iterator.next() == .listening)
        let sender = try await PostgresConnection.connect(conninfo: conninfo)
        try await sender.query(PostgresQuery(unsafeSQL: "SELECT pg_notify($1, $2)", ["jobs_test", "run:42"]))
        guard case .notification(let notification) = await iterator.next() else {
            Issue.record("expected a notification")
            return
        }
        #expect(notification.channel == "jobs_test")
        #expect(notification.payload == "run:42")
    }

    @Test func rejectsChannelNamesThatAreNotPlainIdentifiers() {
        #expect(PostgresListener.isValidChannel("sozialraum_jobs"))
        #expect(!PostgresListener.isValidChannel("x\"; DROP TABLE y; --"))
        #expect(!PostgresListener.isValidChannel(""))
        #expect(!PostgresListener.isValidChannel("Upper"))
    }
}
