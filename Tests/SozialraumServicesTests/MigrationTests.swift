import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 18, Datenübernahme: a county going live on 1 July 2026 moves over with the example set of
/// docs/migration-example (so the documented files are the tested ones).
@Suite struct MigrationTests {
    struct EmptyCounty {
        let database: TestDatabase
        let store: Store
        let county: Caller
        let services: UseCases

        static func make() async throws -> EmptyCounty {
            let database = try await TestCluster.shared.freshDatabase(prefix: "migration")
            let countyID = try await TenantRegistry.ensureCounty(
                name: "Landkreis Verden", ownerConninfo: database.superuserConninfo)
            let store = database.runtimeStore()
            let services = UseCases(
                store: store, logger: Logger(label: "test.migration"), today: { Day(iso: "2026-07-01")! })
            let county = Caller(tenant: countyID, role: .county, name: "controlling")
            try await services.budget.loadHelpTypes(county)
            try await services.budget.openYear(
                county, year: 2026, overrunPolicy: .warn, providerSurplusShare: 0)
            return EmptyCounty(database: database, store: store, county: county, services: services)
        }

        func migrate(
            _ bundle: String, dryRun: Bool = false, key: String = "uebernahme-2026"
        ) async throws
            -> MigrationService.Summary
        {
            try await services.migration.migrate(
                county, goLive: Day(iso: "2026-07-01")!, bundle: bundle, dryRun: dryRun,
                idempotencyKey: IdempotencyKey(key)!)
        }

        func funds(_ space: String) async throws -> FundsReport {
            try await services.budget.availableFunds(county, socialSpace: SocialSpaceCode(space)!, year: 2026)
        }

        /// Rows of every table a migration writes, as the superuser sees them.
        func counts() async throws -> [Int] {
            let admin = try await database.superuserConnection()
            var counts: [Int] = []
            for table in [
                "tenant", "social_space", "provider_assignment", "rate_agreement", "appropriation", "case_file",
                "residence", "grant_decision", "commitment", "project", "booking", "idempotency",
            ] {
                counts.append(
                    try await admin.query(PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM sozialraum.\(table)"))
                        .single()
                        .decode(0, as: Int.self))
            }
            return counts
        }
    }

    static let exampleDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs/migration-example")

    /// The example set as one bundle, as `sozialraumctl --upload <directory>` sends it.
    static func exampleBundle(replacing file: String? = nil, with text: String? = nil) throws -> String {
        var bundle = ""
        for kind in MigrationBundle.Kind.allCases {
            let name = kind.rawValue
            let content =
                name == file
                ? text!
                : try String(contentsOf: exampleDirectory.appendingPathComponent("\(name).csv"), encoding: .utf8)
            bundle += "#file \(name)\n" + content
        }
        return bundle
    }

    @Test func theExampleSetMovesOverWithOpeningBalancesAndCommitmentsFromGoLive() async throws {
        let world = try await EmptyCounty.make()
        let bundle = try Self.exampleBundle()
        let before = try await world.counts()
        let dry = try await world.migrate(bundle, dryRun: true)
        // A dry run reports what would be written and writes nothing.
        #expect(try await world.counts() == before)
        let summary = try await world.migrate(bundle)
        #expect(summary == dry)
        // Appropriations 100,000 + 20,000 + 10,000 + 150,000 = 280,000.00.
        // Commitments from July: §31 10 h × 60.00 = 600.00 × 6 months = 3,600.00; §34 30 days × 150.00 =
        // 4,500.00 × 6 months = 27,000.00; together 30,600.00 in 2026.
        // Opening: 3,600.00 (awo, achim-oyten, case) + 27,000.00 (diakonie, verden, case: where the case lived
        // on 30 June) + 2,100.00 (awo, achim-oyten, structure) = 32,700.00 in 3 entries.
        #expect(
            summary.description
                == "providers 2, sozialraeume 3, assignments 2, rates 2, appropriations 4 (280000.00), cases 2, "
                + "grants 2 (committed 30600.00), projects 1, opening 3 entries (32700.00)")
        // Funds are right from the first day. Achim/Oyten case: 100,000.00 − 3,600.00 committed − 3,600.00
        // spent = 92,800.00; structure: 10,000.00 − 2,100.00 = 7,900.00.
        let achim = try await world.funds("achim-oyten")
        #expect(achim.line(.case).funds.commitments == Money(cents: 3_600_00))
        #expect(achim.line(.case).funds.actuals == Money(cents: 3_600_00))
        #expect(achim.line(.case).funds.available == Money(cents: 92_800_00))
        #expect(achim.line(.structure).funds.available == Money(cents: 7_900_00))
        // Verden case: 150,000.00 − 27,000.00 − 27,000.00 = 96,000.00.
        #expect(try await world.funds("verden").line(.case).funds.available == Money(cents: 96_000_00))
        // A retry with the same key and files is the same migration, written once.
        let written = try await world.counts()
        #expect(try await world.migrate(bundle) == summary)
        #expect(try await world.counts() == written)
        // The same key with other files is refused.
        await #expect(throws: ServiceError.idempotencyConflict) {
            _ = try await world.migrate(
                try Self.exampleBundle(
                    replacing: "providers", with: "code,name\nawo,AWO Verden\ndiakonie,Diakonie Verden\n"))
        }
    }

    /// Cost development counts what was spent before go-live (issue 29). Verden's only 2026 spending is
    /// its opening balance of 27,000.00 (case); Achim/Oyten's is 3,600.00 case + 2,100.00 structure =
    /// 5,700.00, of which milieu and structure 2,100.00 / 5,700.00 = 36.84 % (3,684 basis points, rounded
    /// down). By help type, the opening balance is its own row (`opening`, setting unknown).
    @Test func theCostReportCountsWhatWasSpentBeforeGoLive() async throws {
        let world = try await EmptyCounty.make()
        _ = try await world.migrate(try Self.exampleBundle())
        let report = try await world.services.reconciliation.costDevelopment(
            world.county, years: 2026...2026, byHelpType: false)
        let verden = try #require(report.first { $0.socialSpace == "verden" })
        #expect(verden.caseCost == Money(cents: 27_000_00) && verden.grants == 0)
        let achim = try #require(report.first { $0.socialSpace == "achim-oyten" })
        #expect(achim.caseCost == Money(cents: 3_600_00) && achim.structure == Money(cents: 2_100_00))
        #expect(achim.milieuStructureShare == 3_684)
        let byType = try await world.services.reconciliation.costDevelopment(
            world.county, years: 2026...2026, byHelpType: true)
        #expect(
            byType.filter { $0.helpType == "opening" }.map { "\($0.socialSpace) \($0.setting) \($0.caseCost)" }.sorted()
                == ["achim-oyten * 3600.00", "verden * 27000.00"])
    }

    @Test func everyKindOfBadLineIsReportedWithFileLineAndColumn() async throws {
        let world = try await EmptyCounty.make()
        let bundle = """
            #file providers
            code,name
            AWO,Großschreibung
            #file sozialraeume
            sozialraum,name,municipality,municipality_name,valid_from
            nord,Nord,achim,Achim,2026-13-01
            #file rates
            provider,help_type,unit,valid_from,amount
            awo,99,hour,2026-01-01,60.00
            awo,31,week,2026-01-01,60.00
            awo,31,hour,2026-01-01,-1.00
            #file cases
            case_key,sozialraum,valid_from
            Max Mustermann,nord,2025-01-01
            #file grants
            case_key,provider,help_type,unit,volume,starts_on,ends_on,paid_this_year,reason
            VER-1,awo,31,hour,10,2026-05-01,2026-01-31,0,
            VER-2,awo,31,hour,10
            #file projects
            provider,sozialraum,component,title,starts_on,ends_on,budget,spent_this_year,volunteers,professionals
            awo,nord,case,Kein Projekt,2026-01-01,2026-12-31,1.00,0,0,0
            #file wishes
            """
        let before = try await world.counts()
        await #expect(
            throws: ServiceError.rejectedRows([
                RowError(
                    line: 2, field: "providers.code",
                    reason: "a provider code (2 to 32 of a-z, 0-9, '-', starting with a letter)"),
                RowError(line: 2, field: "sozialraeume.valid_from", reason: "a date YYYY-MM-DD"),
                RowError(line: 2, field: "rates.help_type", reason: "not a help type of the catalogue"),
                RowError(line: 3, field: "rates.unit", reason: "hour, day or flat_month"),
                RowError(line: 4, field: "rates.amount", reason: "must be positive"),
                RowError(
                    line: 2, field: "cases.case_key",
                    reason: "a pseudonymous case key (A-Z, 0-9, '-', 4 to 32, with a digit)"),
                RowError(line: 2, field: "grants.ends_on", reason: "before starts_on"),
                RowError(line: 3, field: "grants.line", reason: "expected 9 fields, found 5"),
                RowError(line: 2, field: "projects.component", reason: "projects are milieu or structure"),
                RowError(
                    line: 22, field: "file",
                    reason:
                        "unknown kind (providers, sozialraeume, assignments, rates, appropriations, cases, grants, projects)"
                ),
            ])
        ) {
            _ = try await world.migrate(bundle)
        }
        #expect(try await world.counts() == before)
    }

    /// A migrated project shows what it spent before go-live (2,100.00, booked in the opening balance) and
    /// its provider by name.
    @Test func aMigratedProjectShowsItsSpendingBeforeGoLive() async throws {
        let world = try await EmptyCounty.make()
        _ = try await world.migrate(try Self.exampleBundle())
        let projects = try await world.services.budget.projects(world.county, year: 2026)
        #expect(projects.map { "\($0.providerName) \($0.spent)" } == ["AWO Kreisverband Verden 2100.00"])
    }

    /// Issue 29: a migration into a running county neither redefines a Sozialraum nor changes a set Ansatz
    /// (that takes two people); a line naming the same Sozialraum and component twice is a bad line. Verden
    /// is defined in the register with an Ansatz of 405,000.00 for case; the bundle names it again and sets
    /// 150,000.00. Every such line is reported, nothing is written, and the Ansatz stays 405,000.00.
    @Test func existingSozialraeumeAndSetAppropriationsAreRefusedByLine() async throws {
        let world = try await EmptyCounty.make()
        try await world.services.budget.defineSocialSpace(
            world.county, code: SocialSpaceCode("verden")!, name: "Verden (Aller)",
            municipalities: [(SocialSpaceCode("verden")!, "Verden (Aller)")], validFrom: Day(iso: "2020-01-01")!)
        let verdenCase = BudgetLine(year: 2026, socialSpace: SocialSpaceCode("verden")!, component: .case)
        _ = try await world.services.budget.setAppropriation(
            world.county, line: verdenCase, amount: Money(cents: 405_000_00))
        let appropriations = """
            sozialraum,component,amount
            achim-oyten,case,100000.00
            achim-oyten,case,100000.00
            verden,case,150000.00

            """
        let before = try await world.counts()
        await #expect(
            throws: ServiceError.rejectedRows([
                RowError(line: 4, field: "sozialraeume.sozialraum", reason: "Sozialraum verden exists already"),
                RowError(
                    line: 3, field: "appropriations.component", reason: "the same Sozialraum and component as line 2"),
                RowError(
                    line: 4, field: "appropriations.amount",
                    reason: "the Ansatz is set already (405000.00); change it with appropriation (two signatures)"),
            ])
        ) {
            _ = try await world.migrate(try Self.exampleBundle(replacing: "appropriations", with: appropriations))
        }
        #expect(try await world.counts() == before)
        #expect(try await world.funds("verden").line(.case).funds.appropriation == Money(cents: 405_000_00))
        // A dry run reports the same lines, not INTERNAL.
        await #expect(throws: ServiceError.self) {
            _ = try await world.migrate(
                try Self.exampleBundle(replacing: "appropriations", with: appropriations), dryRun: true)
        }
    }

    /// Lines that only the database can judge (an unknown provider, a grant without a rate) fail the
    /// whole migration after earlier files were written in the same transaction: nothing stays.
    @Test func aBundleThatFailsHalfwayWritesNothing() async throws {
        let world = try await EmptyCounty.make()
        let grants = """
            case_key,provider,help_type,unit,volume,starts_on,ends_on,paid_this_year,reason
            VER-2025-0101,awo,31,hour,10,2025-03-01,2026-12-31,3600.00,
            VER-2025-0102,diakonie,31,hour,5,2025-09-01,2026-12-31,0,
            VER-2025-0999,awo,31,hour,5,2025-09-01,2026-12-31,0,
            VER-2025-0101,caritas,31,hour,5,2025-09-01,2026-12-31,0,
            VER-2025-0101,awo,31,hour,5,2025-09-01,2026-03-31,0,

            """
        let before = try await world.counts()
        await #expect(
            throws: ServiceError.rejectedRows([
                RowError(
                    line: 3, field: "grants.help_type", reason: "no rate of the provider: no rate valid on 2026-07-01"),
                RowError(line: 4, field: "grants.case_key", reason: "unknown case"),
                RowError(line: 5, field: "grants.provider", reason: "unknown provider caritas"),
                RowError(
                    line: 6, field: "grants.ends_on",
                    reason: "ended before go-live: put what it cost into another grant's paid_this_year"),
            ])
        ) {
            _ = try await world.migrate(try Self.exampleBundle(replacing: "grants", with: grants))
        }
        #expect(try await world.counts() == before)
    }
}
