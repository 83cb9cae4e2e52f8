import ArgumentParser
import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import SozialraumDomain
import SozialraumServices
import SozialraumStore

/// The reports the county owes (issue 33) on a county with many years of billing lines: the KJH-Statistik
/// Teil IV and the report to the Jugendhilfeausschuss, each as its table and as its HTML document, through
/// the service, against psql running the bare aggregates that produce the same figures, in the same run.
struct ReportsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reports",
        abstract: "The KJH-Statistik Teil IV and the committee report vs the bare SQL aggregates they need, in psql.")

    @Option(help: "Fiscal years of history, the last one 2026.")
    var years = 10

    @Option(help: "Billing lines per year (deliveries, one booking each).")
    var lines = 100_000

    @Option(help: "Repetitions; medians are reported.")
    var rounds = 5

    @Flag(help: "Keep the cluster running afterwards (for EXPLAIN); prints its conninfo.")
    var keep = false

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let bench = try BenchCluster.start(logger: logger)
        defer {
            if keep { print("kept: \(bench.cluster.conninfo(database: BenchCluster.template))") } else { bench.stop() }
        }
        let psql = bench.cluster.binDirectory.appendingPathComponent("psql").path
        let (county, provider) = try await bench.prepareTemplate(grants: 0)
        let first = 2026 - years + 1
        try await bench.openYears(BenchCluster.template, county: county, years: first...2026)
        let admin = try await bench.superuser(BenchCluster.template)
        for year in first...2026 {
            try await ReconcileYear.fill(admin, provider: provider, tag: "R", grants: max(1, lines / 10), year: year)
        }
        try await admin.runScript(unsafeSQL: Self.payments(county: county, first: first))
        try await admin.runScript(unsafeSQL: "VACUUM ANALYZE")
        let counts = try await admin.query(
            PostgresQuery(
                unsafeSQL:
                    "SELECT (SELECT count(*) FROM sozialraum.booking)::bigint, (SELECT count(*) FROM sozialraum.payment_receipt WHERE value_date >= '2026-01-01')::bigint"
            )
        ).single()
        let (bookings, receipts) = (try counts.decode(0, as: Int64.self), try counts.decode(1, as: Int64.self))

        let store = Store(
            conninfo: bench.cluster.conninfo(database: BenchCluster.template, user: DatabaseRoles.defaultLogin),
            maxConnections: 2, logger: logger)
        let service = ReconciliationService(store: store, logger: logger, today: { Day(iso: "2026-12-20")! })
        let caller = Caller(tenant: county, role: .county, name: "bench", rights: Set(CountyRight.allCases))
        // The committee report stands on a run of the year (made once, not timed: `reconcile-year` measures it).
        _ = try await service.run(caller, scope: .year(2026))

        var kjhTable: [Double] = [], kjhPaper: [Double] = [], kjhBare: [Double] = []
        var jhaTable: [Double] = [], jhaPaper: [Double] = [], jhaBare: [Double] = []
        var positions = 0, figures = 0
        var costFive: [Double] = [], costHelp: [Double] = []
        for round in 0..<rounds {
            // Alternate which side goes first, so that caching favours neither.
            let bareFirst = round % 2 == 0
            if bareFirst {
                kjhBare.append(try Self.psqlTime(bench, psql: psql, Self.kjhAggregates))
                jhaBare.append(try Self.psqlTime(bench, psql: psql, Self.jhaAggregates))
            }
            var start = ContinuousClock.now
            positions = try await service.cashStatistics(caller, year: 2026).totals.count
            kjhTable.append(elapsedSeconds(ContinuousClock.now - start) * 1000)
            start = ContinuousClock.now
            _ = try await service.cashStatisticsPaper(caller, year: 2026)
            kjhPaper.append(elapsedSeconds(ContinuousClock.now - start) * 1000)
            start = ContinuousClock.now
            let report = try await service.committeeReport(caller, year: 2026, quarter: nil, minimumGroup: 3)
            jhaTable.append(elapsedSeconds(ContinuousClock.now - start) * 1000)
            start = ContinuousClock.now
            let again = try await service.committeeReport(caller, year: 2026, quarter: nil, minimumGroup: 3)
            _ = try CommitteeReportPaper(report: again).html()
            jhaPaper.append(elapsedSeconds(ContinuousClock.now - start) * 1000)
            figures = report.lines.count + report.development.count + report.helpTypes.count
            // Where the committee report's time goes: the cost report's two passes it includes.
            start = ContinuousClock.now
            _ = try await service.costDevelopment(caller, years: 2022...2026, byHelpType: false)
            costFive.append(elapsedSeconds(ContinuousClock.now - start) * 1000)
            start = ContinuousClock.now
            _ = try await service.costDevelopment(caller, years: 2026...2026, byHelpType: true)
            costHelp.append(elapsedSeconds(ContinuousClock.now - start) * 1000)
            if !bareFirst {
                kjhBare.append(try Self.psqlTime(bench, psql: psql, Self.kjhAggregates))
                jhaBare.append(try Self.psqlTime(bench, psql: psql, Self.jhaAggregates))
            }
        }
        await store.shutdown()
        let line = String(
            format:
                "reports years=%d bookings=%d receipts-2026=%d: kjh-teil4 table %.0f ms, html %.0f ms, psql aggregates %.0f ms, ratio %.2f (html %.2f), %d positions; jha table %.0f ms, html %.0f ms, psql aggregates %.0f ms, ratio %.2f (html %.2f), %d rows (of which cost-report five years %.0f ms, by help type %.0f ms)",
            years, bookings, receipts, median(kjhTable), median(kjhPaper), median(kjhBare),
            median(kjhTable) / median(kjhBare), median(kjhPaper) / median(kjhBare), positions, median(jhaTable),
            median(jhaPaper), median(jhaBare), median(jhaTable) / median(jhaBare), median(jhaPaper) / median(jhaBare),
            figures, median(costFive), median(costHelp))
        print(line)
    }

    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    /// psql's own timing (`\timing`) of `sql`, summed over its statements.
    static func psqlTime(_ bench: BenchCluster, psql: String, _ sql: String) throws -> Double {
        let output = try bench.runTool([
            psql, "-X", "-q", "-d", bench.cluster.conninfo(database: BenchCluster.template), "-c", "SET jit = off",
            // The cost report's work_mem (CostReportStore): the same settings on both sides.
            "-c", "SET work_mem = '64MB'", "-c", "\\timing on", "-c", sql,
        ])
        var total = 0.0
        for line in output.split(separator: "\n") where line.hasPrefix("Time: ") {
            guard let milliseconds = Double(line.dropFirst(6).prefix { $0 != " " }) else { continue }
            total += milliseconds
        }
        guard total > 0 else { throw ValidationError("no timing in psql output: \(output)") }
        return total
    }

    /// Monthly instalments of every year for each Sozialraum (case and milieu), ordered under two signatures,
    /// each with its payment booking, its order line and the Kasse's confirmation three days into the month;
    /// and the 2026 mapping. Written as the superuser without triggers: the benchmark's data, not a use case.
    static func payments(county: TenantID, first: Int) -> String {
        """
        SET search_path = sozialraum;
        SET session_replication_role = replica;
        INSERT INTO payment_order (tenant_id, kind, social_space, component, month, amount, certified_by, expires_on,
                                   state, decided_by, decided_at, kassenzeichen, due_on)
            SELECT p.id, 'instalment', s.code, c.component, m::date, CASE c.component WHEN 'case' THEN 50000000 ELSE 500000 END,
                   'bench-feststellung', m::date + 30, 'approved', 'bench-anordnung', m::date,
                   left(md5(p.id::text || s.code || c.component || m::text), 24), m::date + 3
            FROM tenant p CROSS JOIN social_space s CROSS JOIN (VALUES ('case'), ('milieu')) c(component)
            CROSS JOIN generate_series(make_date(\(first), 1, 1), make_date(2026, 12, 1), interval '1 month') m
            WHERE p.kind = 'provider';
        INSERT INTO booking (tenant_id, kind, booked_month, service_month, social_space, component, amount, payment_order_id, actor)
            SELECT tenant_id, 'instalment', month, month, social_space, component, amount, id, 'bench' FROM payment_order;
        INSERT INTO payment_order_line (tenant_id, order_id, booking_id, year, social_space, component, amount, product, account, cost_centre)
            SELECT b.tenant_id, b.payment_order_id, b.id, extract(year FROM b.service_month), b.social_space, b.component, b.amount,
                   '36300', '53310000', 'SR'
            FROM booking b WHERE b.payment_order_id IS NOT NULL;
        INSERT INTO payment_receipt (tenant_id, source, line, kassenzeichen, order_id, amount, value_date, actor)
            SELECT '\(county)', encode(sha256(convert_to(extract(year FROM o.month)::text, 'UTF8')), 'hex'), o.id + 1,
                   o.kassenzeichen, o.id, o.amount, o.due_on, 'bench'
            FROM payment_order o;
        INSERT INTO statistics_mapping (tenant_id, year, key, position, title)
            VALUES ('\(county)', 2026, '31', 'HzE-31', 'Sozialpädagogische Familienhilfe'),
                   ('\(county)', 2026, 'projekt-milieu', '20', 'Einrichtungen der Familienförderung');
        INSERT INTO population (year, social_space, young_inhabitants)
            SELECT y, code, 10000 FROM social_space CROSS JOIN generate_series(\(first), 2026) y ON CONFLICT DO NOTHING;
        SET session_replication_role = DEFAULT;
        """
    }

    /// What the KJH-Statistik needs from the database: the year's receipts with their orders' lines, and the
    /// case cost per provider, Sozialraum and help type of the lines' service years.
    static let kjhAggregates = """
        SET search_path = sozialraum;
        SELECT count(*) FROM (SELECT r.id, l.social_space, l.component, l.amount, extract(year FROM b.service_month)
            FROM payment_receipt r JOIN payment_order_line l ON l.order_id = r.order_id JOIN booking b ON b.id = l.booking_id
            WHERE r.value_date BETWEEN '2026-01-01' AND '2026-12-31') x;
        SELECT count(*) FROM (SELECT b.tenant_id, b.social_space, g.help_type, sum(b.amount)
            FROM booking b JOIN grant_decision g ON g.id = b.grant_id
            WHERE b.component = 'case' AND b.kind IN ('delivery', 'reversal')
              AND b.service_month BETWEEN '2026-01-01' AND '2026-12-01' GROUP BY 1, 2, 3) x;
        """

    /// What the committee report needs, computing the same figures: the run's lines; per year and Sozialraum
    /// over five years the case cost (by setting), milieu and structure spending, the grants and their average
    /// duration (per grant, as the cost report); the same per help type for the year; the cases per help
    /// type; the run's statements.
    static let jhaAggregates = """
        SET search_path = sozialraum;
        SELECT count(*) FROM reconciliation_line WHERE run_id = (SELECT max(id) FROM reconciliation_run);
        SELECT count(*) FROM (
            WITH c AS (SELECT extract(year FROM service_month)::int AS y, social_space AS s, component AS k, grant_id,
                              sum(amount) AS a
                       FROM booking WHERE service_month BETWEEN '2022-01-01' AND '2026-12-01'
                         AND kind IN ('delivery', 'project_expense', 'reversal', 'opening')
                         AND (grant_id IS NOT NULL OR project_id IS NOT NULL OR kind = 'opening') GROUP BY 1, 2, 3, 4)
            SELECT c.y, c.s, sum(c.a) FILTER (WHERE c.k = 'case'), sum(c.a) FILTER (WHERE h.setting = 'ambulant'),
                   sum(c.a) FILTER (WHERE h.setting = 'day'), sum(c.a) FILTER (WHERE h.setting = 'residential'),
                   sum(c.a) FILTER (WHERE c.k = 'milieu'), sum(c.a) FILTER (WHERE c.k = 'structure'),
                   count(DISTINCT c.grant_id) FILTER (WHERE c.k = 'case'),
                   avg(least(g.ends_on, coalesce(g.ended_on, g.ends_on)) - g.starts_on + 1) FILTER (WHERE c.k = 'case')
            FROM c LEFT JOIN grant_decision g ON g.id = c.grant_id LEFT JOIN help_type h ON h.code = g.help_type
            GROUP BY 1, 2) x;
        SELECT count(*) FROM (
            WITH c AS (SELECT social_space AS s, grant_id, sum(amount) AS a FROM booking
                       WHERE service_month BETWEEN '2026-01-01' AND '2026-12-01' AND component = 'case'
                         AND kind IN ('delivery', 'reversal') AND grant_id IS NOT NULL GROUP BY 1, 2)
            SELECT c.s, g.help_type, sum(c.a), count(*), avg(least(g.ends_on, coalesce(g.ended_on, g.ends_on)) - g.starts_on + 1),
                   count(DISTINCT g.case_id)
            FROM c JOIN grant_decision g ON g.id = c.grant_id GROUP BY 1, 2) x;
        SELECT count(*) FROM statement WHERE run_id = (SELECT max(id) FROM reconciliation_run);
        """
}
