import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 30 (item 9): an upgrade of a populated database. A database at an earlier schema (the migrations
/// up to 0028, the release before the account controls) holds a year's data as that schema stores it; the
/// real `sozialraumd migrate` brings it to the newest schema; its figures then equal those of the same data
/// loaded into a database made at the newest schema, and those of the database the data came from.
@Suite struct UpgradeWithDataTests {
    static let earlierSchema = 28

    @Test(.timeLimit(.minutes(5))) func aPopulatedDatabaseMigratesToTheSameFiguresAsAFreshOne() async throws {
        // The data: alpha's case (10 h a month at 60.00 in nord), 12 h delivered in March (600.00 booked,
        // 2 h held back), beta's case moved to sued on 16 July with 10 h delivered in July (nord 15/31 of
        // 600.00 = 290.32, sued 16/31 = 309.68), and a year's run.
        let world = try await BudgetWorld.make()
        let alphas = try await world.grantedCase()
        _ = try await world.grants.recordDelivery(
            world.alpha, grantID: alphas, month: YearMonth(iso: "2026-03")!, quantity: Quantity(hundredths: 12_00),
            idempotencyKey: world.key("delivery-march"))
        let moving = try await world.openCase("VER-2026-0002").granted(perMonth: "10", provider: world.alpha)
        try await world.existingCase("VER-2026-0002").moves(to: world.sued, on: "2026-07-16")
        try await moving.delivered("2026-07", "10")
        _ = try await world.reconciler().run(world.county, scope: .year(2026))

        // As the earlier schema holds it: every table it has, in the columns it has. The tables the later
        // migrations change (accounts, the audit, payment batches, scheduler instances) stay out, and so do
        // the rows the migrations seed themselves.
        let source = try await figures(world.database, world: world)
        // Columns later migrations added (0034: erasure, redacted items; 0035: restriction) are dropped from this disposable
        // database first: the earlier schema has none of them.
        let admin = try await world.database.superuserConnection()
        try await admin.runScript(
            unsafeSQL: """
                ALTER TABLE sozialraum.case_file DROP COLUMN erased_at CASCADE, DROP COLUMN restricted CASCADE;
                ALTER TABLE sozialraum.residence DROP COLUMN restricted CASCADE;
                ALTER TABLE sozialraum.statement_document_item DROP COLUMN redacted_hash CASCADE;
                ALTER TABLE sozialraum.statement_document DROP COLUMN former_content_hash CASCADE;
                """)
        let cluster = world.database.cluster
        let data = TestScratch.path("earlier-schema-data", suffix: ".sql")
        let dumped = try await Subprocess.run([
            cluster.binDirectory.appendingPathComponent("pg_dump").path, "--data-only", "--column-inserts",
            "--on-conflict-do-nothing", "--disable-triggers", "--schema=sozialraum",
            "--exclude-table-data=sozialraum.schema_migration", "--exclude-table-data=sozialraum.account",
            "--exclude-table=sozialraum.account_change", "--exclude-table=sozialraum.account_change_id_seq",
            // Tables of later migrations (0032: the access log).
            "--exclude-table=sozialraum.case_access", "--exclude-table=sozialraum.case_access_id_seq",
            "--exclude-table=sozialraum.case_hold", "--exclude-table=sozialraum.case_hold_id_seq",
            "--exclude-table=sozialraum.erasure_order", "--exclude-table=sozialraum.erasure_order_id_seq",
            "--exclude-table=sozialraum.erasure_order_case",
            "--exclude-table=sozialraum.case_restriction", "--exclude-table=sozialraum.case_restriction_id_seq",
            "--exclude-table=sozialraum.residence_correction",
            "--exclude-table=sozialraum.residence_correction_id_seq",
            "--exclude-table=sozialraum.second_factor", "--exclude-table=sozialraum.portal_certificate",
            "--exclude-table=sozialraum.statistics_mapping",
            "--exclude-table-data=sozialraum.audit_event",
            "--exclude-table-data=sozialraum.payment_batch", "--exclude-table-data=sozialraum.scheduler_instance",
            "-f", data, "--dbname", world.database.superuserConninfo,
        ])
        #expect(dumped.status == 0)
        #expect(try String(contentsOfFile: data, encoding: .utf8).contains("INSERT INTO sozialraum.booking"))
        /// Loads the data with psql, stopping at the first error.
        func load(into database: TestDatabase) async throws {
            let loaded = try await Subprocess.run([
                cluster.binDirectory.appendingPathComponent("psql").path, "-X", "-q", "-v", "ON_ERROR_STOP=1",
                "-f", data, "--dbname", database.superuserConninfo,
            ])
            #expect(loaded.status == 0, "\(loaded.output)")
        }

        let earlier = try await TestCluster.shared.unmigratedDatabase()
        let upTo = Migration.all.filter { $0.version <= Self.earlierSchema }
        #expect(upTo.count < Migration.all.count)
        _ = try await Migrator(migrations: upTo, logger: Logger(label: "test")).migrate(
            conninfo: earlier.superuserConninfo)
        try await load(into: earlier)

        // The upgrade, as docs/operations.md says: sozialraumd migrate as the owner.
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SOZIALRAUM_CONFIG")
        environment["SOZIALRAUM_DATABASE_CONNINFO"] = earlier.runtimeConninfo
        environment["SOZIALRAUM_DATABASE_OWNER_CONNINFO"] = earlier.superuserConninfo
        let migrate = try await Subprocess.run([Subprocess.binary("sozialraumd"), "migrate"], environment: environment)
        #expect(migrate.status == 0, "\(migrate.output)")
        let applied = Migration.all.filter { $0.version > Self.earlierSchema }.map(\.name)
        #expect(migrate.output.last == "applied: \(applied.joined(separator: ", "))")
        try await earlier.runtimeStore().requireCurrentSchema()

        let fresh = try await TestCluster.shared.unmigratedDatabase()
        _ = try await Migrator(logger: Logger(label: "test")).migrate(conninfo: fresh.superuserConninfo)
        try await load(into: fresh)

        let upgraded = try await figures(earlier, world: world)
        let loaded = try await figures(fresh, world: world)
        // nord: 600.00 (March) + 290.32 (July, to 15 July) = 890.32 actuals; sued: 309.68.
        #expect(source.contains { $0.hasPrefix("funds nord case actuals 89032 ") })
        #expect(source.contains { $0.hasPrefix("funds sued case actuals 30968 ") })
        #expect(upgraded == loaded)
        #expect(upgraded == source)
    }

    /// The funds of both Sozialräume (as the county sees them), the ledger per tenant, the runs.
    func figures(_ database: TestDatabase, world: BudgetWorld) async throws -> [String] {
        let store = database.runtimeStore()
        let budget = BudgetService(store: store, logger: Logger(label: "test"), today: { BudgetWorld.today })
        var lines: [String] = []
        for space in [world.nord, world.sued] {
            let report = try await budget.availableFunds(world.county, socialSpace: space, year: 2026)
            for line in report.lines {
                lines.append(
                    "funds \(space) \(line.component.rawValue) actuals \(line.funds.actuals.cents) "
                        + "commitments \(line.funds.commitments.cents) available \(line.funds.available.cents)")
            }
        }
        let connection = try await database.superuserConnection()
        for row in try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT tenant_id::text || ' ' || kind || ' ' || count(*) || ' ' || sum(amount) AS line
                    FROM sozialraum.booking GROUP BY tenant_id, kind ORDER BY tenant_id, kind
                    """))
        {
            lines.append(try row.decode("line", as: String.self))
        }
        for row in try await connection.query(
            PostgresQuery(
                unsafeSQL:
                    "SELECT id || ' ' || scope || ' ' || ledger_position || ' ' || encode(digest, 'hex') AS line FROM sozialraum.reconciliation_run ORDER BY id"
            ))
        {
            lines.append(try row.decode("line", as: String.self))
        }
        await store.shutdown()
        return lines
    }
}
