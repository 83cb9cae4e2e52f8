import PostgresClient
import SozialraumDomain

/// What the Jugendhilfeausschuss report reads beyond the stored runs and the cost report (issue 33): the run
/// it stands on, and the cases and grants of a year by Sozialraum and help type.
public enum CommitteeReportStore {
    /// The newest run over all Sozialräume of `year` from January through `lastMonth`: its id, months and
    /// ledger position.
    public static func run(
        _ tx: TenantTransaction, year: Int, lastMonth: Int
    ) async throws -> (id: Int64, months: String, position: Int64)? {
        try await tx.query(
            """
            SELECT id, to_char(first_month, 'YYYY-MM') || '..' || to_char(last_month, 'YYYY-MM') AS months, ledger_position
            FROM reconciliation_run
            WHERE year = \(year) AND social_space IS NULL AND first_month = make_date(\(year), 1, 1)
              AND last_month = make_date(\(year), \(lastMonth), 1) AND finished_at IS NOT NULL
            ORDER BY id DESC LIMIT 1
            """
        ).first.map {
            (
                try $0.decode("id", as: Int64.self), try $0.decode("months", as: String.self),
                try $0.decode("ledger_position", as: Int64.self)
            )
        }
    }

    /// Per Sozialraum (where the cost was booked) and help type: the cases and grants with case cost whose
    /// service month lies in `year` through `lastMonth` (a case erased under its deletion rule counts by its
    /// grants: nothing links them any more).
    public static func casesByHelpType(
        _ tx: TenantTransaction, year: Int, lastMonth: Int
    ) async throws -> [(socialSpace: String, helpType: String, cases: Int, grants: Int)] {
        try await tx.query(
            """
            SELECT d.social_space, g.help_type,
                   (count(DISTINCT g.case_id) + count(*) FILTER (WHERE g.case_id IS NULL))::int AS cases,
                   count(*)::int AS grants
            -- Each grant once per Sozialraum first (hashing the year's bookings), then its case and help type.
            FROM (SELECT DISTINCT b.social_space, b.grant_id FROM booking b
                  WHERE b.component = 'case' AND b.kind IN ('delivery', 'reversal') AND b.grant_id IS NOT NULL
                    AND b.service_month BETWEEN make_date(\(year), 1, 1) AND make_date(\(year), \(lastMonth), 1)) d
            JOIN grant_decision g ON g.id = d.grant_id
            GROUP BY 1, 2 ORDER BY 1, 2
            """
        ).map {
            (
                try $0.decode("social_space", as: String.self), try $0.decode("help_type", as: String.self),
                try $0.decode("cases", as: Int.self), try $0.decode("grants", as: Int.self)
            )
        }
    }
}
