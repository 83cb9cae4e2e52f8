import Foundation
import PostgresClient
import PostgresEmbedded
import SozialraumTestSupport
import Testing
import UUIDText

@Suite struct DecodingTests {
    func connection() async throws -> PostgresConnection {
        let cluster = try await TestCluster.shared.running()
        return try await PostgresConnection.connect(conninfo: cluster.conninfo(database: "postgres"))
    }

    @Test func decodesEveryBasicType() async throws {
        let db = try await connection()
        let row = try await db.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT true, 7::int2, 70000::int4, 9000000000::int8, 1234.50::numeric(14,2), 'Dörverden'::text,
                           '2026-03-29'::date, '2026-10-25 02:30:00.123456+02'::timestamptz,
                           'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '\\x00ff10'::bytea, '{"a": [1, 2]}'::jsonb,
                           'plain'::varchar, 2.5::float8
                    """)
        ).single()
        #expect(try row.decode(0, as: Bool.self) == true)
        #expect(try row.decode(1, as: Int16.self) == 7)
        #expect(try row.decode(2, as: Int32.self) == 70000)
        #expect(try row.decode(3, as: Int64.self) == 9_000_000_000)
        #expect(try row.decode(4, as: PostgresNumeric.self).scaledInteger(scale: 2) == 123_450)
        #expect(try row.decode(5, as: String.self) == "Dörverden")
        #expect(try row.decode(6, as: PostgresDate.self) == PostgresDate(year: 2026, month: 3, day: 29))
        let instant = try row.decode(7, as: Date.self)
        // 02:30:00.123456 at +02 is 00:30:00.123456 UTC.
        #expect(abs(instant.timeIntervalSince1970 - 1_792_888_200.123456) < 0.000_001)
        #expect(try row.decode(8, as: UUID.self) == UUID(uuidString: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))
        #expect(try row.decode(9, as: PostgresBytes.self).bytes == [0x00, 0xFF, 0x10])
        #expect(try row.decode(10, as: PostgresJSON.self).text == #"{"a": [1, 2]}"#)
        #expect(try row.decode(11, as: String.self) == "plain")
        #expect(try row.decode(12, as: Double.self) == 2.5)
    }

    @Test func roundTripsParametersOfEveryType() async throws {
        let db = try await connection()
        let id = UUID()
        let instant = Date(timeIntervalSince1970: 1_700_000_000.654321)
        let row = try await db.query(
            PostgresQuery(
                unsafeSQL:
                    "SELECT $1::bool, $2::int8, $3::numeric, $4::text, $5::date, $6::timestamptz, $7::uuid, $8::bytea, $9::jsonb",
                [
                    false, Int64.min, PostgresNumeric("-0.07")!, "Robert'); DROP TABLE x;--",
                    PostgresDate(year: 1999, month: 12, day: 31),
                    instant, id, PostgresBytes([1, 2, 255]), PostgresJSON(text: "[true]"),
                ])
        ).single()
        #expect(try row.decode(0, as: Bool.self) == false)
        #expect(try row.decode(1, as: Int64.self) == Int64.min)
        #expect(try row.decode(2, as: PostgresNumeric.self).scaledInteger(scale: 2) == -7)
        #expect(try row.decode(3, as: String.self) == "Robert'); DROP TABLE x;--")
        #expect(try row.decode(4, as: PostgresDate.self) == PostgresDate(year: 1999, month: 12, day: 31))
        #expect(abs(try row.decode(5, as: Date.self).timeIntervalSince(instant)) < 0.000_001)
        #expect(try row.decode(6, as: UUID.self) == id)
        #expect(try row.decode(7, as: PostgresBytes.self).bytes == [1, 2, 255])
        #expect(try row.decode(8, as: PostgresJSON.self).text == "[true]")
    }

    @Test func nullsDecodeAsOptionalAndFailOtherwise() async throws {
        let db = try await connection()
        let row = try await db.query(PostgresQuery(unsafeSQL: "SELECT NULL::int4, $1::text", [String?.none])).single()
        #expect(try row.decode(0, as: Int?.self) == nil)
        #expect(try row.decode(1, as: String?.self) == nil)
        #expect(row.isNull(0))
        let error = #expect(throws: PostgresError.self) { try row.decode(0, as: Int.self) }
        #expect(error?.code == .decodingFailed)
    }

    @Test func numericToCentsIsExactOrRefused() async throws {
        let db = try await connection()
        let row = try await db.query(
            PostgresQuery(unsafeSQL: "SELECT 0.125::numeric, 10.100::numeric, 99999999999999999999::numeric")
        ).single()
        let inexact = try row.decode(0, as: PostgresNumeric.self)
        #expect(throws: PostgresDecodingFailure.inexact("0.125", scale: 2)) { try inexact.scaledInteger(scale: 2) }
        #expect(try row.decode(1, as: PostgresNumeric.self).scaledInteger(scale: 2) == 1010)
        let huge = try row.decode(2, as: PostgresNumeric.self)
        #expect(throws: PostgresDecodingFailure.outOfRange("99999999999999999999")) { try huge.scaledInteger(scale: 2) }
    }

    @Test func unsupportedTypesGiveAClearErrorNotACrash() async throws {
        let db = try await connection()
        let row = try await db.query(PostgresQuery(unsafeSQL: "SELECT point(1,2), 'x'::text, 300::int4")).single()
        let pointAsInt = #expect(throws: PostgresError.self) { try row.decode(0, as: Int.self) }
        #expect(pointAsInt?.code == .decodingFailed)
        #expect(throws: PostgresError.self) { try row.decode(1, as: Bool.self) }
        #expect(throws: PostgresError.self) { try row.decode(2, as: UUID.self) }
        #expect(throws: PostgresError.self) { try row.decode(9, as: Int.self) }
        #expect(throws: PostgresError.self) { try row.decode("missing", as: Int.self) }
        // A point still reads as its text form.
        #expect(try row.decode(0, as: String.self) == "(1,2)")
    }

    @Test func int2OverflowIsOutOfRange() async throws {
        let db = try await connection()
        let row = try await db.query(PostgresQuery(unsafeSQL: "SELECT 70000::int4")).single()
        #expect(throws: PostgresError.self) { try row.decode(0, as: Int16.self) }
    }
}

/// A column of codes, as the store reads its enums.
enum Colour: String { case red, green }

@Suite struct RawValueDecodingTests {
    @Test func aKnownCodeDecodesAndAnUnknownOneIsAnErrorNotACrash() async throws {
        let cluster = try await TestCluster.shared.running()
        let db = try await PostgresConnection.connect(conninfo: cluster.conninfo(database: "postgres"))
        let row = try await db.query(PostgresQuery(unsafeSQL: "SELECT 'green'::text, 'purple'::text")).single()
        #expect(try row.decode(0, as: Colour.self) == .green)
        let error = #expect(throws: PostgresError.self) { try row.decode(1, as: Colour.self) }
        #expect(error?.code == .decodingFailed)
    }
}

@Suite struct ErrorTests {
    @Test func serverErrorsCarrySQLStateAndConstraintButDescriptionStaysGeneric() async throws {
        let cluster = try await TestCluster.shared.running()
        let db = try await PostgresConnection.connect(conninfo: cluster.conninfo(database: "postgres"))
        try await db.runScript(unsafeSQL: "CREATE TEMP TABLE secret (key text CONSTRAINT secret_key_unique UNIQUE)")
        try await db.execute(PostgresQuery(unsafeSQL: "INSERT INTO secret VALUES ($1)", ["case-4711"]))
        let error = await #expect(throws: PostgresError.self) {
            try await db.execute(PostgresQuery(unsafeSQL: "INSERT INTO secret VALUES ($1)", ["case-4711"]))
        }
        #expect(error?.sqlState == .uniqueViolation)
        #expect(error?.constraintName == "secret_key_unique")
        #expect(error?.operation == "query")
        #expect(error?.description == "database error: unique violation")
        #expect(error.map { !$0.description.contains("4711") } == true)
        // The server's detail ("Key (key)=(case-4711) already exists") is kept apart and never logged.
        #expect(error?.serverDetail?.contains("4711") == true)
        #expect(error.map { String(reflecting: $0).contains("4711") } == false)
        #expect(error.map { String(reflecting: $0).contains("secret_key_unique") } == true)
        // The connection stays usable after a statement error.
        #expect(
            try await db.query(PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM secret")).single().decode(
                0, as: Int.self) == 1)
    }

    @Test func theLogTextOfAFailedCheckCarriesNoRowValues() async throws {
        let cluster = try await TestCluster.shared.running()
        let db = try await PostgresConnection.connect(conninfo: cluster.conninfo(database: "postgres"))
        try await db.runScript(
            unsafeSQL: "CREATE TEMP TABLE note (body text CONSTRAINT note_body_short CHECK (length(body) <= 5))")
        let checkError = await #expect(throws: PostgresError.self) {
            try await db.execute(PostgresQuery(unsafeSQL: "INSERT INTO note VALUES ($1)", ["payload-AB12-secret"]))
        }
        // PostgreSQL says "Failing row contains (payload-AB12-secret)" in the detail.
        #expect(checkError?.serverDetail?.contains("payload-AB12-secret") == true)
        #expect(checkError.map { String(reflecting: $0).contains("payload-AB12-secret") } == false)
        #expect(checkError.map { String(reflecting: $0).contains("note_body_short") } == true)
        // A data exception quotes the value in its message: left out too.
        let castError = await #expect(throws: PostgresError.self) {
            try await db.query(PostgresQuery(unsafeSQL: "SELECT $1::text::int", ["AB12-secret"]))
        }
        #expect(castError?.sqlState?.rawValue == "22P02")
        #expect(castError.map { String(reflecting: $0).contains("AB12-secret") } == false)
    }

    @Test func badConninfoIsAConnectionFailure() async throws {
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.connect(conninfo: "host=/nonexistent/socket/dir dbname=x connect_timeout=2")
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.description == "database error: connection failed")
    }

    @Test func invalidInputSyntaxIsReportedNotCrashed() async throws {
        let cluster = try await TestCluster.shared.running()
        let db = try await PostgresConnection.connect(conninfo: cluster.conninfo(database: "postgres"))
        let error = await #expect(throws: PostgresError.self) {
            try await db.query(PostgresQuery(unsafeSQL: "SELECT $1::int4", ["12abc"]))
        }
        #expect(error?.sqlState == .invalidTextRepresentation)
    }
}

/// UUID text without Foundation: the form PostgreSQL writes, read strictly.
@Suite struct UUIDTextTests {
    @Test func theTextIsPostgresFormAndReadsBack() {
        for _ in 0..<200 {
            let id = UUID()
            #expect(id.hyphenatedText == id.uuidString.lowercased())
            #expect(UUID(hyphenated: Substring(id.hyphenatedText)) == id)
            #expect(UUID(hyphenated: Substring(id.uuidString)) == id)
        }
    }

    @Test func onlyTheHyphenatedFormIsRead() {
        let good = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
        #expect(UUID(hyphenated: Substring(good)) == UUID(uuidString: good))
        for bad in [
            " 0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",  // Foundation reads this one
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111",
            "a0eebc999c0b-4ef8-bb6d-6bb9bd380a11-",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1g",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380aä",
            "",
        ] {
            #expect(UUID(hyphenated: Substring(bad)) == nil, "\(bad)")
        }
    }
}
