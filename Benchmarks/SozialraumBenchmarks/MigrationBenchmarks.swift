import ArgumentParser
import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import SozialraumDomain
import SozialraumServices
import SozialraumStore

/// Moving over (Datenübernahme) at a multiple of Verden's size vs `psql \copy` of the rows it stores.
struct MigrationImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migration",
        abstract:
            "migration-import of SCALE × Verden (5 providers, 8 Sozialräume, 700 running grants, 70 projects) vs psql \\copy of the rows it stored."
    )

    @Option(help: "Multiple of Landkreis Verden's size.")
    var scale = 100

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let bench = try BenchCluster.start(logger: logger)
        defer { bench.stop() }
        let (county, _) = try await bench.prepareTemplate(grants: 0)
        try await bench.openYears(BenchCluster.template, county: county, years: 2026...2026)
        try await bench.cloneTemplate("bench_migration")
        try await bench.cloneTemplate("bench_copy")
        let bundle = Self.bundle(scale: scale)
        let lines = bundle.split(separator: "\n").count

        print("migration-import of \(lines) lines (scale \(scale)) ...")
        let store = Store(
            conninfo: bench.cluster.conninfo(database: "bench_migration", user: DatabaseRoles.defaultLogin),
            maxConnections: 2, logger: logger)
        let service = MigrationService(store: store, logger: logger, today: { Day(iso: "2026-07-01")! })
        let caller = Caller(tenant: county, role: .county, name: "bench")
        let start = ContinuousClock.now
        let summary = try await service.migrate(
            caller, goLive: Day(iso: "2026-07-01")!, bundle: bundle, dryRun: false,
            idempotencyKey: IdempotencyKey("bench-migration-1")!)
        let migrationSeconds = elapsedSeconds(ContinuousClock.now - start)
        await store.shutdown()
        print(summary.description)

        // The baseline: every row the migration stored (not the template's own Sozialräume and provider), exported and copied into a fresh clone in one
        // transaction (with the same triggers keeping the totals).
        let psql = bench.cluster.binDirectory.appendingPathComponent("psql").path
        let tables: [(name: String, filter: String)] = [
            ("tenant", "WHERE kind = 'provider' AND code IS NOT NULL"), ("municipality", ""),
            ("social_space", "WHERE code ~ '^s[0-9]+$'"),
            ("social_space_member", ""),
            ("provider_assignment", "WHERE tenant_id IN (SELECT id FROM sozialraum.tenant WHERE code IS NOT NULL)"),
            ("rate_agreement", "WHERE tenant_id IN (SELECT id FROM sozialraum.tenant WHERE code IS NOT NULL)"),
            ("appropriation", "WHERE social_space ~ '^s[0-9]+$'"), ("case_file", ""), ("residence", ""),
            ("grant_decision", ""), ("commitment", ""),
            ("project", ""), ("booking", "WHERE kind = 'opening'"),
        ]
        var export = [
            psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", bench.cluster.conninfo(database: "bench_migration"),
        ]
        var load = [
            psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-d", bench.cluster.conninfo(database: "bench_copy"),
        ]
        var rows = 0
        let admin = try await bench.superuser("bench_migration")
        for table in tables {
            let path = bench.directory.appendingPathComponent("\(table.name).tsv").path
            let columns = try await admin.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
                        WHERE attrelid = ('sozialraum.' || $1)::regclass AND attnum > 0 AND NOT attisdropped
                          AND attgenerated = '' AND attidentity = ''
                        """, [table.name])
            ).single().decode(0, as: String.self)
            rows += try await admin.query(
                PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM sozialraum.\(table.name) \(table.filter)")
            ).single().decode(0, as: Int.self)
            export += ["-c", "\\copy (SELECT \(columns) FROM sozialraum.\(table.name) \(table.filter)) TO '\(path)'"]
            load += ["-c", "\\copy sozialraum.\(table.name) (\(columns)) FROM '\(path)'"]
        }
        _ = try bench.runTool(export)
        print("psql \\copy of the \(rows) rows the migration stored ...")
        let copyStart = ContinuousClock.now
        _ = try bench.runTool(load)
        let copySeconds = elapsedSeconds(ContinuousClock.now - copyStart)
        print(
            String(
                format:
                    "migration scale=%d: %d lines, %d rows stored; psql \\copy %.2f s, migration-import %.2f s, ratio migration/psql = %.1f, peak memory %.0f MiB",
                scale, lines, rows, copySeconds, migrationSeconds, migrationSeconds / copySeconds, peakMemoryMiB()))
    }

    /// SCALE × Verden: 5 providers and 8 Sozialräume (one municipality each), 2 rates per provider,
    /// 3 appropriations per Sozialraum, 700 running cases with one grant each (4 of 5 §31 at 10 hours,
    /// 1 of 5 §34 at 30 days; every tenth moved in spring), 70 projects.
    static func bundle(scale: Int) -> String {
        let providers = 5 * scale, spaces = 8 * scale, cases = 700 * scale, projects = 70 * scale
        func provider(_ index: Int) -> String { "p\(index)" }
        func space(_ index: Int) -> String { "s\(index)" }
        var text = "#file providers\ncode,name\n"
        for index in 0..<providers { text += "\(provider(index)),Träger \(index)\n" }
        text += "#file sozialraeume\nsozialraum,name,municipality,municipality_name,valid_from\n"
        for index in 0..<spaces {
            text += "\(space(index)),Sozialraum \(index),m\(index),Gemeinde \(index),2020-01-01\n"
        }
        text += "#file assignments\nprovider,sozialraum,lead,valid_from,valid_to\n"
        for index in 0..<spaces { text += "\(provider(index % providers)),\(space(index)),yes,2020-01-01,\n" }
        text += "#file rates\nprovider,help_type,unit,valid_from,amount\n"
        for index in 0..<providers {
            text += "\(provider(index)),31,hour,2026-01-01,60.00\n\(provider(index)),34,day,2026-01-01,150.00\n"
        }
        text += "#file appropriations\nsozialraum,component,amount\n"
        for index in 0..<spaces {
            text +=
                "\(space(index)),case,5000000.00\n\(space(index)),milieu,500000.00\n\(space(index)),structure,200000.00\n"
        }
        text += "#file cases\ncase_key,sozialraum,valid_from\n"
        for index in 0..<cases {
            let home = index % spaces
            text += "MIG-\(index),\(space(home)),2025-01-01\n"
            if index % 10 == 0 { text += "MIG-\(index),\(space((home + 1) % spaces)),2026-04-01\n" }
        }
        text += "#file grants\ncase_key,provider,help_type,unit,volume,starts_on,ends_on,paid_this_year,reason\n"
        for index in 0..<cases {
            // The provider of the Sozialraum the case lives in at go-live (moved cases: the next one's).
            let home = index % 10 == 0 ? (index % spaces + 1) % spaces : index % spaces
            let serving = provider(home % providers)
            if index % 5 == 0 {
                text += "MIG-\(index),\(serving),34,day,30,2025-06-01,2027-05-31,27000.00,\n"
            } else {
                text += "MIG-\(index),\(serving),31,hour,10,2025-06-01,2026-12-31,3600.00,\n"
            }
        }
        text +=
            "#file projects\nprovider,sozialraum,component,title,starts_on,ends_on,budget,spent_this_year,volunteers,professionals\n"
        for index in 0..<projects {
            text +=
                "\(provider(index % providers)),\(space(index % spaces)),structure,Projekt \(index),2026-01-01,2026-12-31,8000.00,3000.00,5,1\n"
        }
        return text
    }
}
