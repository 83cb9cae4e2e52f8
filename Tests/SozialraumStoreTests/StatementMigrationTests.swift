import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumStore
import SozialraumTestSupport
import Testing

/// sql/0022 moves what runs stored: the statements of settled runs become settled documents with their
/// items, nothing is lost, and runs learn whether they are nightly.
@Suite struct StatementMigrationTests {
    let logger = Logger(label: "test.migration")

    @Test func storedItemsOfASettledRunBecomeItsIssuedStatement() async throws {
        let database = try await TestCluster.shared.unmigratedDatabase()
        try await Migrator(migrations: Migration.all.filter { $0.version < 22 }, logger: logger)
            .migrate(conninfo: database.superuserConninfo)
        let county = try await TenantRegistry.ensureCounty(
            name: "Landkreis Verden", ownerConninfo: database.superuserConninfo)
        let admin = try await database.superuserConnection()
        let alt = UUID(uuidString: "00000000-0000-4000-8000-00000000000a")!
        let neu = UUID(uuidString: "00000000-0000-4000-8000-00000000000b")!
        let grant = UUID(uuidString: "00000000-0000-4000-8000-000000000001")!
        let project = UUID(uuidString: "00000000-0000-4000-8000-000000000002")!
        let other = UUID(uuidString: "00000000-0000-4000-8000-000000000003")!
        // Two runs as sql/0004 stored them: run 1 for March (made in April: a finished month), run 2 for
        // April to date. Run 1 was settled for Träger Alt before payment orders existed (the audited
        // settlement and its booking share a request id); Träger Neu's statement of run 1 was not settled.
        try await admin.runScript(
            unsafeSQL: """
                INSERT INTO sozialraum.tenant (id, kind, name) VALUES
                    ('\(alt)', 'provider', 'Träger Alt'), ('\(neu)', 'provider', 'Träger Neu');
                INSERT INTO sozialraum.fiscal_year (year) VALUES (2026);
                INSERT INTO sozialraum.period (month) VALUES ('2026-03-01'), ('2026-04-01');
                INSERT INTO sozialraum.social_space (code, name) VALUES ('nord', 'Nord');
                INSERT INTO sozialraum.reconciliation_run (year, scope, first_month, last_month, ledger_position, run_day,
                                                           digest, requested_by, started_at) VALUES
                    (2026, 'month', '2026-03-01', '2026-03-01', 0, '2026-04-10', '\\x00', 'kaemmerei', now()),
                    (2026, 'month', '2026-04-01', '2026-04-01', 0, '2026-04-10', '\\x00', 'scheduler', now());
                INSERT INTO sozialraum.statement VALUES (1, '\(alt)', 60000, 0, 0, 60000), (1, '\(neu)', 10000, 0, 0, 10000),
                    (2, '\(alt)', 40000, 0, 0, 40000);
                INSERT INTO sozialraum.statement_item (run_id, tenant_id, item, item_id, case_key, help_type, unit,
                                                       social_space, granted, delivered, payable, cost) VALUES
                    (1, '\(alt)', 'grant', '\(grant)', 'VER-1', '31', 'hour', 'nord', 1000, 1200, 1000, 40000),
                    (1, '\(alt)', 'project', '\(project)', NULL, NULL, NULL, 'nord', NULL, NULL, NULL, 20000),
                    (1, '\(neu)', 'grant', '\(other)', 'VER-2', '31', 'hour', 'nord', 500, 500, 500, 10000),
                    (2, '\(alt)', 'grant', '\(grant)', 'VER-1', '31', 'hour', 'nord', 1000, 1000, 1000, 40000);
                INSERT INTO sozialraum.audit_event (tenant_id, actor, action, object_kind, object_id, result, request_id)
                    VALUES ('\(county)', 'kaemmerei', 'statement.settle', 'run', '1', 'ok', 'req-settle-1');
                INSERT INTO sozialraum.booking (tenant_id, kind, booked_month, service_month, social_space, component,
                                                amount, actor, request_id)
                    VALUES ('\(alt)', 'settlement', '2026-04-01', '2026-03-01', 'nord', 'case', 60000, 'kaemmerei',
                            'req-settle-1');
                """)
        try await Migrator(logger: logger).migrate(conninfo: database.superuserConninfo)

        let store = database.runtimeStore()
        defer { Task { await store.shutdown() } }
        let documents = try await store.withTenant(county, readOnly: true) { tx in
            try await StatementStore.documents(tx, provider: nil, runID: nil)
        }
        // Only the settled statement became a document: Träger Alt's of run 1, with its two items.
        #expect(documents.count == 1)
        let document = try #require(documents.first)
        #expect(document.runID == 1 && document.provider == TenantID(alt) && document.state == .settled)
        #expect(document.items == 2 && document.accrued == Money(cents: 600_00) && document.issuedBy == "migration")
        // The hash follows docs/statements.md: one line per item, fields joined by '|', empty for none; the
        // document's hash is over the lines' hashes in item-id order (sql/0034); the hash over the lines
        // themselves, which sql/0022 gave it, is kept as its former hash.
        let lines = [
            "grant|\(grant.uuidString.lowercased())|VER-1|31|hour|nord|1000|1200|1000|40000",
            "project|\(project.uuidString.lowercased())||||nord||||20000",
        ].sorted { $0.split(separator: "|")[1] < $1.split(separator: "|")[1] }
        var itemHashes: [String] = []
        for line in lines { itemHashes.append(try await admin.sha256Hex(line)) }
        #expect(document.contentHash == (try await admin.sha256Hex(itemHashes.joined(separator: "\n"))))
        let former = try await admin.query(
            PostgresQuery(
                unsafeSQL: "SELECT encode(former_content_hash, 'hex') FROM sozialraum.statement_document WHERE id = $1",
                [document.id])
        ).single().decode(0, as: String.self)
        #expect(former == (try await admin.sha256Hex(lines.joined(separator: "\n"))))
        let frozen = try await store.withTenant(county, readOnly: true) { tx in
            try await StatementStore.documentItems(tx, id: document.id)
        }
        #expect(frozen.map(\.cost) == [Money(cents: 400_00), Money(cents: 200_00)])
        // Nothing is lost: every stored item is still its run's draft.
        let drafts = try await store.withTenant(county, readOnly: true) { tx in
            (
                one: try await StatementStore.draftItems(tx, runID: 1, provider: nil),
                two: try await StatementStore.draftItems(tx, runID: 2, provider: nil)
            )
        }
        #expect(drafts.one.map(\.id) == [grant, project, other])
        #expect(drafts.one.prefix(2).map(\.cost) == frozen.map(\.cost))
        #expect(drafts.two.map(\.cost) == [Money(cents: 400_00)])
        // March made in April is kept for good; April to date is a nightly run.
        let retention = try await admin.query(
            PostgresQuery(unsafeSQL: "SELECT string_agg(retention, ',' ORDER BY id) FROM sozialraum.reconciliation_run")
        ).single().decode(0, as: String.self)
        #expect(retention == "kept,nightly")
    }
}
