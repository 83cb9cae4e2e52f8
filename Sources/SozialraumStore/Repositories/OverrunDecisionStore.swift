import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Decisions on overruns (über- und außerplanmäßige Aufwendungen, § 117 NKomVG, sql/0020): append-only,
/// county-only. A decision settles the open `uncovered_overrun` findings of its line up to the amount
/// decided; a run finds an overrun again only beyond what was decided.
public enum OverrunDecisionStore {
    public static func insert(
        _ tx: TenantTransaction, county: TenantID, _ decision: OverrunDecision
    ) async throws
        -> Int64
    {
        try await tx.query(
            """
            INSERT INTO overrun_decision (tenant_id, year, social_space, component, kind, amount, reason,
                                          cover_social_space, cover_component, council_informed_on, decided_by)
            VALUES (\(county.uuid), \(decision.year), \(decision.socialSpace.rawValue), \(decision.component.rawValue), \(decision.kind.rawValue), \(decision.amount.cents), \(decision.reason), \(decision.cover?.socialSpace.rawValue), \(decision.cover?.component.rawValue), \(decision.councilInformedOn), \(decision.decidedBy)) RETURNING id
            """
        ).single().decode("id", as: Int64.self)
    }

    /// Marks the open overrun findings of the line in `year` decided that the decisions now cover: a
    /// finding is the amount beyond `decided_before`, so it is covered when `decided` reaches both.
    public static func settleFindings(
        _ tx: TenantTransaction, year: Int, socialSpace: SocialSpaceCode, component: BudgetComponent, decided: Money,
        resolution: String
    ) async throws -> Int {
        try await tx.execute(
            """
            UPDATE finding SET status = 'accepted', resolved_at = now(), resolution = \(resolution)
            WHERE kind = 'uncovered_overrun' AND status = 'open' AND social_space = \(socialSpace.rawValue) AND component = \(component.rawValue)
              AND month BETWEEN make_date(\(year), 1, 1) AND make_date(\(year), 12, 1)
              AND coalesce(decided_before, 0) + amount <= \(decided.cents)
            """)
    }

    public static func decided(
        _ tx: TenantTransaction, year: Int, socialSpace: SocialSpaceCode, component: BudgetComponent
    ) async throws -> Money {
        Money(
            cents: try await tx.query(
                """
                SELECT coalesce(sum(amount), 0)::bigint FROM overrun_decision
                WHERE year = \(year) AND social_space = \(socialSpace.rawValue) AND component = \(component.rawValue)
                """
            ).single().value(as: Int64.self))
    }

    public static func decisions(_ tx: TenantTransaction, year: Int) async throws -> [OverrunDecisionListing] {
        try await tx.query(
            """
            SELECT id, social_space, component, kind, amount, reason,
                   coalesce(cover_social_space || '/' || cover_component, '') AS cover, council_informed_on::text, decided_by,
                   local_time(decided_at) AS decided_at_local
            FROM overrun_decision WHERE year = \(year) ORDER BY id
            """
        ).map {
            OverrunDecisionListing(
                id: try $0.decode("id", as: Int64.self), socialSpace: try $0.decode("social_space", as: String.self),
                component: try $0.decode("component", as: String.self),
                kind: try $0.decode("kind", as: OverrunKind.self),
                amount: Money(cents: try $0.decode("amount", as: Int64.self)),
                reason: try $0.decode("reason", as: String.self),
                cover: try $0.decode("cover", as: String.self),
                councilInformedOn: try $0.decode("council_informed_on", as: String?.self),
                decidedBy: try $0.decode("decided_by", as: String.self),
                decidedAt: try $0.decode("decided_at_local", as: String.self))
        }
    }

    /// Open overrun findings of `year`: overruns nobody has decided on yet.
    public static func undecided(_ tx: TenantTransaction, year: Int) async throws -> Int {
        try await tx.query(
            """
            SELECT count(*)::int FROM finding WHERE kind = 'uncovered_overrun' AND status = 'open'
              AND month BETWEEN make_date(\(year), 1, 1) AND make_date(\(year), 12, 1)
            """
        ).single().value(as: Int.self)
    }
}
