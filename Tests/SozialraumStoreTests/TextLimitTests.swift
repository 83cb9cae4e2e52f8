import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import SozialraumDomain
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 15, item 8: one place defines each text limit (`TextLimit`), and each column's CHECK agrees
/// with it, so that a text the daemon lets through always fits (never `INTERNAL`).
@Suite struct TextLimitTests {
    static let columns: [(table: String, column: String, limit: TextLimit)] = [
        ("finding", "resolution", .reason), ("period", "forced_reason", .reason), ("carry_forward", "reason", .reason),
        ("grant_decision", "out_of_area_reason", .reason), ("grant_amendment", "reason", .reason),
        ("project", "title", .title),
        ("social_space", "name", .name),
        ("municipality", "name", .name), ("schedule", "parameters", .scheduleParameters),
        ("job_run", "request_key", .jobRequestKey),
    ]

    @Test func everyColumnAgreesWithItsLimit() async throws {
        let database = try await TestCluster.shared.freshDatabase(prefix: "limits")
        let admin = try await database.superuserConnection()
        for entry in Self.columns {
            let definitions = try await admin.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
                        WHERE c.conrelid = ($1 || '.' || $2)::regclass AND c.contype = 'c'
                        """, [DatabaseRoles.schema, entry.table])
            ).map { try $0.decode(0, as: String.self) }.filter { $0.contains("length(\(entry.column))") }
            #expect(definitions.count == 1, "\(entry.table).\(entry.column): \(definitions)")
            let definition = definitions.first ?? ""
            func bound(_ op: String) -> Int? {
                guard let range = definition.range(of: "length(\(entry.column)) \(op) ") else { return nil }
                return Int(definition[range.upperBound...].prefix { $0.isNumber })
            }
            #expect(bound("<=") == entry.limit.maximum, "\(entry.table).\(entry.column): \(definition)")
            #expect((bound(">=") ?? 0) == entry.limit.minimum, "\(entry.table).\(entry.column): \(definition)")
        }
    }

    @Test func theLimitCountsAsPostgreSQLDoes() async throws {
        let cluster = try await TestCluster.shared.running()
        let db = try await PostgresConnection.connect(conninfo: cluster.conninfo(database: "postgres"))
        // "é" as e + combining acute: one character to Swift, two to PostgreSQL.
        let accents = String(repeating: "e\u{301}", count: 3) + "Größe 😀"
        let counted = try await db.query(PostgresQuery(unsafeSQL: "SELECT length($1)", [accents])).single().decode(
            0, as: Int.self)
        #expect(TextLimit.length(of: accents) == counted)
        #expect(accents.count != counted)
        #expect(!TextLimit.reason.allows(String(repeating: "e\u{301}", count: 251)))
        #expect(TextLimit.reason.allows(String(repeating: "e\u{301}", count: 250)))
    }
}

/// Issue 15, item 10: the quick start works for root in a 0700 home directory.
@Suite struct EmbeddedClusterLocationTests {
    @Test(.enabled(if: geteuid() == 0, "only root runs the cluster as another OS user"))
    func aStateDirectoryThePostgresUserCannotReachKeepsTheClusterUnderVarTmp() throws {
        let home = NSTemporaryDirectory() + "home-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(
            atPath: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: home) }
        let state = home + "/.sozialraum"
        let location = EmbeddedPostgres.clusterDirectory(forStateDirectory: state)
        #expect(location.relocated)
        #expect(location.url.path.hasPrefix("/var/tmp/sozialraum-_sozialraum-"))
        // The same state directory finds the same place again; another one another place.
        #expect(EmbeddedPostgres.clusterDirectory(forStateDirectory: state + "/").url == location.url)
        #expect(EmbeddedPostgres.clusterDirectory(forStateDirectory: home + "/other").url != location.url)
        defer { try? FileManager.default.removeItem(at: location.url) }
        let cluster = try EmbeddedPostgres(
            directory: location.url, durable: false, logger: Logger(label: "test.relocated"))
        try cluster.start()
        #expect(cluster.isRunning)
        try cluster.stop(immediate: true)
        // A reachable state directory keeps its cluster inside.
        let open = NSTemporaryDirectory() + "open-\(UUID().uuidString.prefix(8))"
        #expect(
            EmbeddedPostgres.clusterDirectory(forStateDirectory: open) == (
                URL(fileURLWithPath: open + "/postgres"), false
            ))
    }
}
