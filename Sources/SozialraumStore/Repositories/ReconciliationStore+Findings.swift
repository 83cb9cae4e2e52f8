import Logging
import PostgresClient
import SozialraumDomain

/// The findings a run records (rule 13), set-based and once per fact.
extension ReconciliationStore {
    /// The findings of rule 13, found set-based and recorded once per fact.
    /// `since`: the change position as of which an earlier run of the same scope found every fact
    /// (`findingsBase`); the out-of-area check then looks only at grants touched after it (sql/0023). nil:
    /// every grant of the scope.
    public static func findFacts(
        _ tx: TenantTransaction, runID: Int64, scope: ReconciliationScope, runDay: Day, since: Int64? = nil,
        logger: Logger
    ) async throws -> Int {
        // Each check's time at debug level, next to the phase timings.
        func check(_ kind: String, _ statement: PostgresQuery) async throws -> Int {
            let start = ContinuousClock.now
            let found = try await tx.execute(statement)
            logger.debug(
                "reconciliation check",
                metadata: ["kind": "\(kind)", "found": "\(found)", "duration": "\(ContinuousClock.now - start)"])
            return found
        }
        // A month's delivery is due by the end of the following month.
        let dueBefore = runDay.yearMonth.previous
        var found = 0
        found += try await check(
            "missing_delivery",
            """
            INSERT INTO finding (id, tenant_id, kind, month, grant_id, amount, run_id)
            SELECT gen_random_uuid(), c.tenant_id, 'missing_delivery', c.month, c.grant_id, sum(c.amount), \(runID)
            -- Only the months with an open commitment, by the totals the trigger keeps of them (sql/0027),
            -- so that a run reads the commitments of those months, not the whole table.
            FROM commitment_total t
            JOIN commitment c ON c.social_space = t.social_space AND c.month = t.month AND c.tenant_id = t.tenant_id
            WHERE t.amount > 0 AND t.month BETWEEN \(scope.first) AND \(scope.last) AND t.month < \(dueBefore)
              AND NOT c.released AND c.amount > 0
            GROUP BY c.tenant_id, c.month, c.grant_id
            ON CONFLICT DO NOTHING
            """)
        found += try await check(
            "booking_outside_grant_period",
            """
            INSERT INTO finding (id, tenant_id, kind, month, grant_id, amount, run_id)
            SELECT gen_random_uuid(), i.tenant_id, 'booking_outside_grant_period', o.month, i.grant_id, i.cost, \(runID)
            FROM run_costs i JOIN grant_decision g ON g.id = i.grant_id
            CROSS JOIN LATERAL (VALUES (i.first_month), (i.last_month)) AS o(month)
            WHERE o.month IS NOT NULL
              -- Months are first days: before the start's month, after the end's (plain date comparisons;
              -- date_trunc goes through timestamptz for every row). The first line is implied by the
              -- second (the first month is the earliest, the last the latest) and decided at the join,
              -- so that only the rare grants with such a booking are unfolded into their two months.
              AND ((i.first_month + interval '1 month')::date <= g.starts_on
                   OR i.last_month > least(g.ends_on, coalesce(g.ended_on, g.ends_on)))
              AND ((o.month + interval '1 month')::date <= g.starts_on
                   OR o.month > least(g.ends_on, coalesce(g.ended_on, g.ends_on)))
            ON CONFLICT DO NOTHING
            """)
        // Two grants of one help for one case and provider are rare: look for their deliveries only
        // then (the pair query under row-level security costs more than this count).
        let hasTwins = try await tx.query(
            """
            SELECT count(*) > 0 FROM (
                SELECT 1 FROM grant_decision WHERE ends_on >= \(scope.first)::date AND starts_on <= (\(scope.last)::date + interval '1 month - 1 day')::date
                GROUP BY case_id, help_type, tenant_id HAVING count(*) > 1) twins
            """
        ).single().value(as: Bool.self)
        if hasTwins {
            found += try await check(
                "duplicate_delivery",
                """
                INSERT INTO finding (id, tenant_id, kind, month, grant_id, delivery_id, quantity, amount, run_id)
                -- Pairs of grants of one help for one case and provider first (rare), then their deliveries.
                -- Two deliveries of one month lie in both grants' periods: only grants in the scope count.
                -- (Filters on the table itself, not a materialised CTE: the planner needs the table's
                -- statistics to choose hash joins.)
                WITH pairs AS MATERIALIZED (
                    SELECT g1.id AS earlier, g2.id AS later
                    FROM grant_decision g1
                    JOIN grant_decision g2 ON g2.case_id = g1.case_id AND g2.help_type = g1.help_type AND g2.tenant_id = g1.tenant_id
                         AND (g2.created_at, g2.id) > (g1.created_at, g1.id)
                    WHERE g1.ends_on >= \(scope.first)::date AND g1.starts_on <= (\(scope.last)::date + interval '1 month - 1 day')::date
                      AND g2.ends_on >= \(scope.first)::date AND g2.starts_on <= (\(scope.last)::date + interval '1 month - 1 day')::date
                )
                SELECT gen_random_uuid(), d2.tenant_id, 'duplicate_delivery', d2.month, d2.grant_id, d2.id, d2.quantity, d2.cost, \(runID)
                FROM pairs
                CROSS JOIN LATERAL (SELECT * FROM active_delivery d WHERE d.grant_id = pairs.later AND d.month BETWEEN \(scope.first) AND \(scope.last)) d2
                WHERE EXISTS (SELECT 1 FROM active_delivery d1 WHERE d1.grant_id = pairs.earlier AND d1.month = d2.month)
                ON CONFLICT DO NOTHING
                """)
        }
        found += try await check(
            "rate_missing",
            """
            INSERT INTO finding (id, tenant_id, kind, month, grant_id, run_id)
            SELECT gen_random_uuid(), g.tenant_id, 'rate_missing', date_trunc('month', s.day)::date, g.id, \(runID)
            FROM grant_decision g
            CROSS JOIN LATERAL (SELECT greatest(g.starts_on, \(scope.first)::date) AS day) s
            WHERE g.starts_on <= (\(scope.last)::date + interval '1 month - 1 day')::date AND g.ends_on >= \(scope.first)::date
              AND least(g.ends_on, coalesce(g.ended_on, g.ends_on)) >= greatest(g.starts_on, \(scope.first)::date)
              AND NOT EXISTS (SELECT 1 FROM rate_agreement r WHERE r.tenant_id = g.tenant_id AND r.help_type = g.help_type
                              AND r.unit = g.unit AND r.valid_from <= s.day)
            ON CONFLICT DO NOTHING
            """)
        if let since {
            found += try await check(
                "out_of_area_without_reason",
                """
                INSERT INTO finding (id, tenant_id, kind, month, grant_id, social_space, run_id)
                -- Since a complete earlier run (`since`): only grants whose facts could have changed — the grant
                -- itself (recorded, or its end moved), a residence of its case, an assignment of its
                -- provider — with the whole residence histories of their cases (a stay ends where the next
                -- begins).
                WITH moved AS MATERIALIZED (SELECT case_id FROM residence WHERE change_position > \(since)
                                            UNION SELECT case_id FROM residence_correction WHERE change_position > \(since)),
                reassigned AS MATERIALIZED (SELECT tenant_id FROM provider_assignment WHERE change_position > \(since)),
                affected AS MATERIALIZED (
                    SELECT id FROM grant_decision WHERE change_position > \(since)
                    UNION SELECT grant_id FROM grant_end_change WHERE change_position > \(since)
                    UNION SELECT g2.id FROM moved m JOIN grant_decision g2 ON g2.case_id = m.case_id
                    UNION SELECT g3.id FROM reassigned a JOIN grant_decision g3 ON g3.tenant_id = a.tenant_id
                ),
                stays AS (
                    SELECT case_id, social_space, valid_from,
                           coalesce(lead(valid_from) OVER (PARTITION BY case_id ORDER BY valid_from) - 1, DATE '9999-12-31') AS valid_to
                    FROM residence
                    WHERE case_id IN (SELECT case_id FROM grant_decision
                                      WHERE out_of_area_reason IS NULL AND ends_on >= \(scope.first)::date
                                        AND starts_on <= (\(scope.last)::date + interval '1 month - 1 day')::date
                                        AND id IN (SELECT id FROM affected))
                ),
                served AS (
                    SELECT g.id, g.tenant_id, r.social_space,
                           greatest(r.valid_from, g.starts_on, \(scope.first)::date) AS first_day,
                           least(r.valid_to, g.ends_on, coalesce(g.ended_on, g.ends_on), (\(scope.last)::date + interval '1 month - 1 day')::date) AS last_day
                    FROM grant_decision g JOIN stays r ON r.case_id = g.case_id
                    WHERE g.out_of_area_reason IS NULL AND g.ends_on >= \(scope.first)::date
                      AND g.starts_on <= (\(scope.last)::date + interval '1 month - 1 day')::date
                      AND g.id IN (SELECT id FROM affected)
                )
                SELECT gen_random_uuid(), o.tenant_id, 'out_of_area_without_reason', date_trunc('month', o.first_day)::date, o.id,
                       o.social_space, \(runID)
                FROM served o
                WHERE o.first_day <= o.last_day
                  AND NOT EXISTS (SELECT 1 FROM provider_assignment a WHERE a.tenant_id = o.tenant_id AND a.social_space = o.social_space
                                  AND a.valid_from <= o.last_day AND (a.valid_to IS NULL OR a.valid_to >= o.first_day))
                ON CONFLICT DO NOTHING
                """)
        } else {
            // No complete run of the scope before: every grant of it, the stays of its cases read once and
            // hash-joined (a probe per grant costs three to ten times as much: Benchmarks/README.md). The
            // same conditions as above without the `affected` set, which would be every grant here.
            found += try await check(
                "out_of_area_without_reason",
                """
                INSERT INTO finding (id, tenant_id, kind, month, grant_id, social_space, run_id)
                WITH stays AS (
                    SELECT case_id, social_space, valid_from,
                           coalesce(lead(valid_from) OVER (PARTITION BY case_id ORDER BY valid_from) - 1, DATE '9999-12-31') AS valid_to
                    FROM residence
                    WHERE case_id IN (SELECT case_id FROM grant_decision
                                      WHERE out_of_area_reason IS NULL AND ends_on >= \(scope.first)::date
                                        AND starts_on <= (\(scope.last)::date + interval '1 month - 1 day')::date)
                ),
                served AS (
                    SELECT g.id, g.tenant_id, r.social_space,
                           greatest(r.valid_from, g.starts_on, \(scope.first)::date) AS first_day,
                           least(r.valid_to, g.ends_on, coalesce(g.ended_on, g.ends_on), (\(scope.last)::date + interval '1 month - 1 day')::date) AS last_day
                    FROM grant_decision g JOIN stays r ON r.case_id = g.case_id
                    WHERE g.out_of_area_reason IS NULL AND g.ends_on >= \(scope.first)::date
                      AND g.starts_on <= (\(scope.last)::date + interval '1 month - 1 day')::date
                )
                SELECT gen_random_uuid(), o.tenant_id, 'out_of_area_without_reason', date_trunc('month', o.first_day)::date, o.id,
                       o.social_space, \(runID)
                FROM served o
                WHERE o.first_day <= o.last_day
                  AND NOT EXISTS (SELECT 1 FROM provider_assignment a WHERE a.tenant_id = o.tenant_id AND a.social_space = o.social_space
                                  AND a.valid_from <= o.last_day AND (a.valid_to IS NULL OR a.valid_to >= o.first_day))
                ON CONFLICT DO NOTHING
                """)
        }
        return found
    }

    /// A line overspent after cover is a finding of the county's (uncovered overrun) for the amount beyond
    /// what the county has decided on for the line in the year (rule 18, sql/0020, sql/0028): one finding per
    /// line, month and level of decisions, so an overrun that grows past a decision is found again. A
    /// finding's facts never change: an overrun that grows further before its finding is decided is found
    /// again once that finding is decided (the next level).
    public static func recordOverruns(
        _ tx: TenantTransaction, runID: Int64, scope: ReconciliationScope, results: [SocialSpaceReconciliation],
        county: TenantID
    ) async throws -> Int {
        var found = 0
        for result in results {
            for line in result.lines where line.overrun.cents > 0 {
                found += try await tx.execute(
                    """
                    WITH decided AS (
                        SELECT coalesce(sum(d.amount), 0)::bigint AS amount FROM overrun_decision d
                        WHERE d.year = extract(year FROM \(scope.last)::date)::int AND d.social_space = \(result.socialSpace.rawValue)::text
                          AND d.component = \(line.component.rawValue)::text
                    )
                    INSERT INTO finding (id, tenant_id, kind, month, social_space, component, amount, run_id,
                                              decided_before)
                    SELECT gen_random_uuid(), \(county.uuid)::uuid, 'uncovered_overrun', \(scope.last)::date, \(result.socialSpace.rawValue)::text, \(line.component.rawValue)::text,
                           \(line.overrun.cents)::bigint - decided.amount, \(runID)::bigint, nullif(decided.amount, 0)
                    FROM decided WHERE \(line.overrun.cents)::bigint > decided.amount
                    ON CONFLICT DO NOTHING
                    """)
            }
        }
        return found
    }
}
