import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The reports of cost development (the figures the 2003 decision asked for), of cross-area grants
/// (rule 9) and the data of the budget-burn chart, in the caller's tenant context.
public enum CostReportStore {

    public static func crossAreaGrants(
        _ tx: TenantTransaction, year: Int, socialSpace: SocialSpaceCode?
    ) async throws -> [CrossAreaGrant] {
        try await tx.query(
            """
            SELECT s.social_space, t.name, g.id, g.case_key, g.help_type, g.starts_on, least(g.ends_on, coalesce(g.ended_on, g.ends_on)),
                   g.out_of_area_reason
            FROM grant_decision g
            JOIN tenant t ON t.id = g.tenant_id
            CROSS JOIN LATERAL (
                SELECT coalesce((SELECT r.social_space FROM residence r
                                 WHERE r.case_id = g.case_id AND r.valid_from <= greatest(g.starts_on, make_date(\(year), 1, 1))
                                 ORDER BY r.valid_from DESC LIMIT 1),
                                (SELECT r.social_space FROM residence r WHERE r.case_id = g.case_id ORDER BY r.valid_from LIMIT 1))::text
                       AS social_space
            ) s
            -- An erased case has no residence any more (sql/0034): its grant is no case's, and not listed.
            WHERE g.out_of_area_reason IS NOT NULL AND s.social_space IS NOT NULL
              AND g.starts_on <= make_date(\(year), 12, 31) AND least(g.ends_on, coalesce(g.ended_on, g.ends_on)) >= make_date(\(year), 1, 1)
              AND (\(socialSpace?.rawValue)::text IS NULL OR s.social_space = \(socialSpace?.rawValue))
            ORDER BY s.social_space, t.name, g.starts_on, g.id
            """
        ).map { row in
            CrossAreaGrant(
                socialSpace: try row.decode("social_space", as: String.self),
                providerName: try row.decode("name", as: String.self),
                grant: try row.decode("id", as: UUID.self), caseKey: try row.decode("case_key", as: String.self),
                helpType: try row.decode("help_type", as: String.self),
                from: try row.day("starts_on"), to: try row.day("least"),
                reason: try row.decode("out_of_area_reason", as: String.self))
        }
    }

    public static func costDevelopment(
        _ tx: TenantTransaction, years: ClosedRange<Int>, byHelpType: Bool
    ) async throws -> [CostDevelopmentRow] {
        // The years' bookings are grouped by grant: in memory, not spilled to disk (this transaction only);
        // no JIT, which row-level security's pricing would otherwise buy for this one-off statement.
        _ = try await tx.query("SELECT set_config('work_mem', '64MB', true)")
        try await tx.turnOffJIT()
        return try await tx.query(
            """
            WITH costs AS (
                SELECT extract(year FROM c.service_month)::int AS year, c.social_space, c.component, c.grant_id, sum(c.amount)::bigint AS amount
                FROM (
                    SELECT b.service_month, b.social_space, b.component, b.grant_id, b.amount
                    FROM booking b
                    WHERE b.service_month BETWEEN make_date(\(years.lowerBound), 1, 1) AND make_date(\(years.upperBound), 12, 1)
                      AND b.kind IN ('delivery', 'project_expense', 'reversal', 'opening')
                      AND (b.grant_id IS NOT NULL OR b.project_id IS NOT NULL OR b.kind = 'opening')
                    UNION ALL
                    -- The reversal of an opening balance has neither grant nor project: known by what it reverses
                    -- (looked up for those few, not by joining the whole ledger to itself).
                    SELECT b.service_month, b.social_space, b.component, b.grant_id, b.amount
                    FROM booking b JOIN booking o ON o.id = b.reverses
                    WHERE b.service_month BETWEEN make_date(\(years.lowerBound), 1, 1) AND make_date(\(years.upperBound), 12, 1)
                      AND b.kind = 'reversal' AND b.grant_id IS NULL AND b.project_id IS NULL AND o.kind = 'opening'
                ) c
                GROUP BY 1, 2, 3, 4
            ),
            -- Case cost by grant; what was spent before go-live (opening balances, sql/0018) has no grant:
            -- help type `opening`, setting unknown.
            grants AS (
                SELECT c.year, c.social_space, c.grant_id, c.amount, coalesce(h.code, 'opening') AS help_type,
                       coalesce(h.setting, '*') AS setting,
                       least(g.ends_on, coalesce(g.ended_on, g.ends_on)) - g.starts_on + 1 AS days
                FROM costs c LEFT JOIN grant_decision g ON g.id = c.grant_id LEFT JOIN help_type h ON h.code = g.help_type
                WHERE c.component = 'case'
            ),
            groups AS (
                SELECT year, social_space, CASE WHEN \(byHelpType) THEN help_type ELSE '*' END AS help_type,
                       CASE WHEN \(byHelpType) THEN min(setting) ELSE '*' END AS setting,
                       sum(amount)::bigint AS case_cost,
                       sum(amount) FILTER (WHERE setting = 'ambulant')::bigint AS ambulant,
                       sum(amount) FILTER (WHERE setting = 'day')::bigint AS day,
                       sum(amount) FILTER (WHERE setting = 'residential')::bigint AS residential,
                       count(DISTINCT grant_id)::bigint AS grants, round(avg(days))::bigint AS average_days
                FROM grants GROUP BY 1, 2, 3
            ),
            spaces AS (
                SELECT year, social_space,
                       coalesce(sum(amount) FILTER (WHERE component = 'milieu'), 0)::bigint AS milieu,
                       coalesce(sum(amount) FILTER (WHERE component = 'structure'), 0)::bigint AS structure,
                       coalesce(sum(amount), 0)::bigint AS total
                FROM costs GROUP BY 1, 2
            )
            SELECT s.year, s.social_space, coalesce(g.help_type, '*') AS help_type, coalesce(g.setting, '*') AS setting,
                   coalesce(g.case_cost, 0) AS case_cost, coalesce(g.ambulant, 0) AS ambulant, coalesce(g.day, 0) AS day,
                   coalesce(g.residential, 0) AS residential, s.milieu, s.structure,
                   CASE WHEN s.total > 0 THEN (s.milieu + s.structure) * 10000 / s.total END AS milieu_structure_share,
                   p.young_inhabitants,
                   CASE WHEN p.young_inhabitants > 0 THEN coalesce(g.case_cost, 0) * 1000 / p.young_inhabitants END
                     AS case_cost_per_1000,
                   coalesce(g.grants, 0) AS grants, g.average_days
            FROM spaces s
            LEFT JOIN groups g ON g.year = s.year AND g.social_space = s.social_space
            LEFT JOIN population p ON p.year = s.year AND p.social_space = s.social_space
            ORDER BY 1, 2, 3
            """
        ).map { row in
            CostDevelopmentRow(
                year: try row.decode("year", as: Int64.self),
                socialSpace: try row.decode("social_space", as: String.self),
                helpType: try row.decode("help_type", as: String.self),
                setting: try row.decode("setting", as: String.self),
                caseCost: Money(cents: try row.decode("case_cost", as: Int64.self)),
                ambulant: Money(cents: try row.decode("ambulant", as: Int64.self)),
                day: Money(cents: try row.decode("day", as: Int64.self)),
                residential: Money(cents: try row.decode("residential", as: Int64.self)),
                milieu: Money(cents: try row.decode("milieu", as: Int64.self)),
                structure: Money(cents: try row.decode("structure", as: Int64.self)),
                milieuStructureShare: try row.decode("milieu_structure_share", as: Int64?.self),
                youngInhabitants: try row.decode("young_inhabitants", as: Int64?.self),
                caseCostPer1000: try row.decode("case_cost_per_1000", as: Int64?.self).map(Money.init(cents:)),
                grants: try row.decode("grants", as: Int64.self),
                averageDays: try row.decode("average_days", as: Int64?.self))
        }
    }

    /// The run a chart is drawn from: the given one, or the latest of the year covering the most months.
    public static func chartRun(
        _ tx: TenantTransaction, runID: Int64?, year: Int, socialSpace: SocialSpaceCode
    ) async throws -> Int64? {
        try await tx.query(
            """
            SELECT id FROM reconciliation_run
            WHERE (\(runID)::bigint IS NULL OR id = \(runID)) AND year = \(year) AND (social_space IS NULL OR social_space = \(socialSpace.rawValue))
            ORDER BY (last_month - first_month) DESC, id DESC LIMIT 1
            """
        ).first?.decode("id", as: Int64.self)
    }

    /// A Sozialraum's months of a run, summed over its lines: (month number, plan, actuals, commitments).
    public static func chartMonths(
        _ tx: TenantTransaction, runID: Int64, socialSpace: SocialSpaceCode
    ) async throws -> [(month: Int, plan: Money, actuals: Money, commitments: Money)] {
        try await tx.query(
            """
            SELECT extract(month FROM month)::int AS month_number, sum(plan)::bigint AS plan,
                   sum(actuals)::bigint AS actuals, sum(commitments)::bigint AS commitments
            FROM reconciliation_month WHERE run_id = \(runID) AND social_space = \(socialSpace.rawValue) GROUP BY month ORDER BY month
            """
        ).map {
            (
                try $0.decode("month_number", as: Int.self), Money(cents: try $0.decode("plan", as: Int64.self)),
                Money(cents: try $0.decode("actuals", as: Int64.self)),
                Money(cents: try $0.decode("commitments", as: Int64.self))
            )
        }
    }

    /// A Sozialraum's appropriations and carry-ins in a run.
    public static func chartBudget(
        _ tx: TenantTransaction, runID: Int64, socialSpace: SocialSpaceCode
    ) async throws -> Money {
        Money(
            cents: try await tx.query(
                """
                SELECT coalesce(sum(appropriation + carry_in), 0)::bigint FROM reconciliation_line
                WHERE run_id = \(runID) AND social_space = \(socialSpace.rawValue) AND line NOT LIKE 'pool:%'
                """
            ).single().value(as: Int64.self))
    }
}
