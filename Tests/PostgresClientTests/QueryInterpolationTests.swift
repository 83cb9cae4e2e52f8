import Foundation
import PostgresClient
import PostgresEmbedded
import SozialraumTestSupport
import Testing

/// A statement written with interpolated values binds them as `$n` parameters in order (issue 34): no
/// placeholder is counted by hand, and no value ever becomes SQL text.
@Suite struct QueryInterpolationTests {
    @Test func eachInterpolatedValueIsTheNextParameter() {
        let month = "2026-03"
        let limit: Int? = nil
        let query: PostgresQuery = "SELECT * FROM t WHERE a = \(month) AND b = \(42) LIMIT \(limit)"
        #expect(query.sql == "SELECT * FROM t WHERE a = $1 AND b = $2 LIMIT $3")
        #expect(query.binds.map(\.postgresText) == ["2026-03", "42", nil])
        #expect(("SELECT 1" as PostgresQuery).binds.isEmpty)
    }

    @Test func aValueThatLooksLikeSQLStaysAValue() async throws {
        let cluster = try await TestCluster.shared.running()
        let db = try await PostgresConnection.connect(conninfo: cluster.conninfo(database: "postgres"))
        let hostile = "x'); DROP TABLE pg_class; --"
        let row = try await db.query("SELECT \(hostile)::text AS echoed, \(7)::int + \(8)::int AS sum").single()
        #expect(try row.decode("echoed", as: String.self) == hostile)
        #expect(try row.decode("sum", as: Int.self) == 15)
    }

    @Test func aColumnNameTheResultHoldsTwiceIsRefused() async throws {
        let cluster = try await TestCluster.shared.running()
        let db = try await PostgresConnection.connect(conninfo: cluster.conninfo(database: "postgres"))
        let row = try await db.query("SELECT 1 AS id, 2 AS id, 3 AS other").single()
        #expect(throws: PostgresError.self) { try row.decode("id", as: Int.self) }
        #expect(try row.decode("other", as: Int.self) == 3)
        #expect(throws: PostgresError.self) { try row.value(as: Int.self) }
    }
}
