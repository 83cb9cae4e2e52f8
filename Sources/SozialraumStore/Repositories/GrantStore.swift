import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Grants (Bewilligungen) and their commitments (rules 5, 7, 9). Only the county writes grants
/// (`county_writes_only`); a provider reads its own.
public enum GrantStore {
    static func grant(from row: PostgresRow) throws -> GrantRecord {
        GrantRecord(
            id: try row.decode(0, as: UUID.self), provider: TenantID(try row.decode(1, as: UUID.self)),
            caseID: try row.decode(2, as: UUID.self), caseKey: try row.decode(3, as: String.self),
            helpType: try row.decode(4, as: String.self), unit: try row.decode(5, as: RateUnit.self),
            volumePerMonth: Quantity(hundredths: try row.decode(6, as: Int64.self)), startsOn: try row.day(7),
            endsOn: try row.day(8), endedOn: try row.optionalDay(9),
            outOfAreaReason: try row.decode(10, as: String?.self))
    }

    /// The grant, or nil when it does not exist or belongs to a tenant the caller cannot see.
    public static func grant(_ tx: TenantTransaction, id: UUID) async throws -> GrantRecord? {
        try await tx.query(
            "SELECT id, tenant_id, case_id, case_key, help_type, unit, volume_per_month, starts_on, ends_on, ended_on, out_of_area_reason FROM grant_decision WHERE id = $1",
            [id]
        ).first.map(grant(from:))
    }

    /// The grant, locked until the transaction ends (ending it early).
    public static func grantForUpdate(_ tx: TenantTransaction, id: UUID) async throws -> GrantRecord? {
        try await tx.query(
            "SELECT id, tenant_id, case_id, case_key, help_type, unit, volume_per_month, starts_on, ends_on, ended_on, out_of_area_reason FROM grant_decision WHERE id = $1 FOR UPDATE",
            [id]
        ).first.map(grant(from:))
    }

    public static func grants(_ tx: TenantTransaction, caseID: UUID) async throws -> [GrantRecord] {
        try await tx.query(
            "SELECT id, tenant_id, case_id, case_key, help_type, unit, volume_per_month, starts_on, ends_on, ended_on, out_of_area_reason FROM grant_decision WHERE case_id = $1 ORDER BY starts_on",
            [caseID]
        ).map(grant(from:))
    }

    /// Every grant of `provider` overlapping `year`, for bulk pricing.
    public static func grants(_ tx: TenantTransaction, provider: TenantID, year: Int) async throws -> [GrantRecord] {
        try await tx.query(
            """
            SELECT id, tenant_id, case_id, case_key, help_type, unit, volume_per_month, starts_on, ends_on, ended_on, out_of_area_reason FROM grant_decision
            WHERE tenant_id = $1 AND starts_on <= make_date($2, 12, 31) AND ends_on >= make_date($2, 1, 1)
            """, [provider.uuid, year]
        ).map(grant(from:))
    }

    public static func insert(_ tx: TenantTransaction, _ grant: GrantRecord) async throws {
        try await tx.execute(
            """
            INSERT INTO grant_decision (id, tenant_id, case_id, case_key, help_type, unit, volume_per_month,
                                        starts_on, ends_on, out_of_area_reason)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """,
            [
                grant.id, grant.provider.uuid, grant.caseID, grant.caseKey, grant.helpType, grant.unit.rawValue,
                grant.volumePerMonth.hundredths, grant.startsOn, grant.endsOn, grant.outOfAreaReason,
            ])
    }

    public static func setEnded(_ tx: TenantTransaction, id: UUID, on day: Day) async throws {
        try await tx.execute("UPDATE grant_decision SET ended_on = $2 WHERE id = $1", [id, day])
    }

    /// Whether a delivery that still counts exists for a month after `month`.
    public static func hasActiveDelivery(
        _ tx: TenantTransaction, grantID: UUID, after month: YearMonth
    ) async throws -> Bool {
        try await tx.query("SELECT 1 FROM active_delivery WHERE grant_id = $1 AND month > $2", [grantID, month]).count
            > 0
    }

    // MARK: Commitments (rule 7)

    /// The grant's commitments per fiscal year (replaying a grant request).
    public static func committedByYear(_ tx: TenantTransaction, grantID: UUID) async throws -> [Int: Money] {
        var committed: [Int: Money] = [:]
        for row in try await tx.query(
            "SELECT extract(year FROM month)::int, sum(amount)::bigint FROM commitment WHERE grant_id = $1 GROUP BY 1",
            [grantID])
        {
            committed[try row.decode(0, as: Int.self)] = Money(cents: try row.decode(1, as: Int64.self))
        }
        return committed
    }

    /// Rewrites the open commitments of a grant from `fromMonth` on (rule 7): planned cost per month
    /// and paying Sozialraum (rule 9), for months not yet delivered. Delivered (released) months stay.
    public static func rewriteCommitments(
        _ tx: TenantTransaction, grant: GrantRecord, inputs: PricingInputs, fromMonth: YearMonth
    ) async throws -> [YearMonth: Money] {
        try await tx.execute(
            "DELETE FROM commitment WHERE grant_id = $1 AND month >= $2 AND NOT released", [grant.id, fromMonth])
        let delivered = Set(
            try await tx.query("SELECT month FROM commitment WHERE grant_id = $1 AND released", [grant.id])
                .map { try $0.day(0).yearMonth })
        var written: [YearMonth: Money] = [:]
        let period = inputs.terms.effectivePeriod
        guard let lastDay = period.end, lastDay >= period.start else { return written }
        for month in max(fromMonth, period.start.yearMonth).through(lastDay.yearMonth) where !delivered.contains(month)
        {
            guard let days = period.clipped(to: month), let cost = try inputs.terms.plannedCost(in: month) else {
                continue
            }
            written[month] = cost
            for part in inputs.residence.apportion(cost, first: days.first, last: days.last) {
                try await tx.execute(
                    """
                    INSERT INTO commitment (tenant_id, grant_id, month, social_space, amount) VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (grant_id, month, social_space) DO UPDATE SET amount = commitment.amount + EXCLUDED.amount
                    """, [grant.provider.uuid, grant.id, month, part.socialSpace.rawValue, part.amount.cents])
            }
        }
        return written
    }

    /// A delivered month releases its commitment; a month that had none is marked delivered (rule 7).
    public static func release(
        _ tx: TenantTransaction, grant: GrantRecord, month: YearMonth, firstSocialSpace: SocialSpaceCode
    ) async throws {
        let released = try await tx.execute(
            "UPDATE commitment SET released = true WHERE grant_id = $1 AND month = $2", [grant.id, month])
        if released == 0 {
            try await tx.execute(
                """
                INSERT INTO commitment (tenant_id, grant_id, month, social_space, amount, released)
                VALUES ($1, $2, $3, $4, 0, true)
                """, [grant.provider.uuid, grant.id, month, firstSocialSpace.rawValue])
        }
    }

    /// A reversed delivery commits its month again until the corrected one arrives (rule 7).
    public static func recommit(_ tx: TenantTransaction, grantID: UUID, month: YearMonth) async throws {
        try await tx.execute(
            "UPDATE commitment SET released = false WHERE grant_id = $1 AND month = $2", [grantID, month])
    }
}
