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
            id: try row.decode("id", as: UUID.self), provider: TenantID(try row.decode("tenant_id", as: UUID.self)),
            caseID: try row.decode("case_id", as: UUID.self), caseKey: try row.decode("case_key", as: String.self),
            helpType: try row.decode("help_type", as: String.self), unit: try row.decode("unit", as: RateUnit.self),
            volumePerMonth: Quantity(hundredths: try row.decode("volume_per_month", as: Int64.self)),
            startsOn: try row.day("starts_on"),
            endsOn: try row.day("ends_on"), endedOn: try row.optionalDay("ended_on"),
            outOfAreaReason: try row.decode("out_of_area_reason", as: String?.self),
            standing: try row.decode("standing", as: Bool.self))
    }

    /// The grant, or nil when it does not exist or belongs to a tenant the caller cannot see.
    public static func grant(_ tx: TenantTransaction, id: UUID) async throws -> GrantRecord? {
        try await tx.query(
            "SELECT id, tenant_id, case_id, case_key, help_type, unit, volume_per_month, starts_on, ends_on, ended_on, out_of_area_reason, standing FROM grant_decision WHERE id = \(id)"
        ).first.map(grant(from:))
    }

    /// The grant, locked until the transaction ends (ending it early).
    public static func grantForUpdate(_ tx: TenantTransaction, id: UUID) async throws -> GrantRecord? {
        try await tx.query(
            "SELECT id, tenant_id, case_id, case_key, help_type, unit, volume_per_month, starts_on, ends_on, ended_on, out_of_area_reason, standing FROM grant_decision WHERE id = \(id) FOR UPDATE"
        ).first.map(grant(from:))
    }

    public static func grants(_ tx: TenantTransaction, caseID: UUID) async throws -> [GrantRecord] {
        try await tx.query(
            "SELECT id, tenant_id, case_id, case_key, help_type, unit, volume_per_month, starts_on, ends_on, ended_on, out_of_area_reason, standing FROM grant_decision WHERE case_id = \(caseID) ORDER BY starts_on"
        ).map(grant(from:))
    }

    /// Grants as the caller sees them (a provider its own), of one case or of the cases that lived in one
    /// Sozialraum at some time, with the case's Sozialraum on `asOf`; at most `limit`.
    public static func listing(
        _ tx: TenantTransaction, caseKey: String?, socialSpace: SocialSpaceCode?, asOf: Day, limit: Int
    ) async throws -> [GrantListing] {
        try await tx.query(
            """
            SELECT g.id, g.case_key, t.name, g.help_type, g.unit, g.volume_per_month, g.starts_on,
                   least(g.ends_on, coalesce(g.ended_on, g.ends_on)), g.standing,
                   (SELECT r.social_space::text FROM residence r WHERE r.case_id = g.case_id AND r.valid_from <= \(asOf)
                    ORDER BY r.valid_from DESC LIMIT 1)
            FROM grant_decision g JOIN tenant t ON t.id = g.tenant_id
            WHERE (\(caseKey)::text IS NULL OR g.case_key = \(caseKey))
              AND (\(socialSpace?.rawValue)::text IS NULL OR EXISTS (SELECT 1 FROM residence r WHERE r.case_id = g.case_id AND r.social_space = \(socialSpace?.rawValue)))
            ORDER BY g.case_key, g.starts_on, g.id
            LIMIT \(limit)
            """
        ).map { row in
            GrantListing(
                id: try row.decode("id", as: UUID.self), caseKey: try row.decode("case_key", as: String.self),
                providerName: try row.decode("name", as: String.self),
                helpType: try row.decode("help_type", as: String.self),
                unit: try row.decode("unit", as: RateUnit.self),
                volumePerMonth: Quantity(hundredths: try row.decode("volume_per_month", as: Int64.self)),
                from: try row.day("starts_on"),
                to: try row.day("least"), socialSpace: try row.decode("social_space", as: String?.self),
                standing: try row.decode("standing", as: Bool.self))
        }
    }

    /// Every grant of `provider` overlapping `year`, for bulk pricing.
    public static func grants(_ tx: TenantTransaction, provider: TenantID, year: Int) async throws -> [GrantRecord] {
        try await tx.query(
            """
            SELECT id, tenant_id, case_id, case_key, help_type, unit, volume_per_month, starts_on, ends_on, ended_on, out_of_area_reason, standing FROM grant_decision
            WHERE tenant_id = \(provider.uuid) AND starts_on <= make_date(\(year), 12, 31) AND ends_on >= make_date(\(year), 1, 1)
            """
        ).map(grant(from:))
    }

    public static func insert(_ tx: TenantTransaction, _ grant: GrantRecord) async throws {
        try await tx.execute(
            """
            INSERT INTO grant_decision (id, tenant_id, case_id, case_key, help_type, unit, volume_per_month,
                                        starts_on, ends_on, out_of_area_reason, standing)
            VALUES (\(grant.id), \(grant.provider.uuid), \(grant.caseID), \(grant.caseKey), \(grant.helpType), \(grant.unit.rawValue), \(grant.volumePerMonth.hundredths), \(grant.startsOn), \(grant.endsOn), \(grant.outOfAreaReason), \(grant.standing))
            """)
    }

    public static func setEnded(_ tx: TenantTransaction, id: UUID, on day: Day) async throws {
        try await tx.execute("UPDATE grant_decision SET ended_on = \(day) WHERE id = \(id)")
    }

    /// Whether a delivery that still counts exists for a month after `month`.
    public static func hasActiveDelivery(
        _ tx: TenantTransaction, grantID: UUID, after month: YearMonth
    ) async throws -> Bool {
        try await tx.query("SELECT 1 FROM active_delivery WHERE grant_id = \(grantID) AND month > \(month)").count
            > 0
    }

    // MARK: Commitments (rule 7)

    /// The grant's commitments per fiscal year (replaying a grant request).
    public static func committedByYear(_ tx: TenantTransaction, grantID: UUID) async throws -> [Int: Money] {
        var committed: [Int: Money] = [:]
        for row in try await tx.query(
            "SELECT extract(year FROM month)::int AS year, sum(amount)::bigint AS amount FROM commitment WHERE grant_id = \(grantID) GROUP BY 1"
        ) {
            committed[try row.decode("year", as: Int.self)] = Money(cents: try row.decode("amount", as: Int64.self))
        }
        return committed
    }

    /// Rewrites the open commitments of a grant from `fromMonth` on (rule 7): planned cost per month
    /// and paying Sozialraum (rule 9), for months not yet delivered. Delivered (released) months stay.
    public static func rewriteCommitments(
        _ tx: TenantTransaction, grant: GrantRecord, inputs: PricingInputs, fromMonth: YearMonth
    ) async throws -> [YearMonth: Money] {
        try await tx.execute(
            "DELETE FROM commitment WHERE grant_id = \(grant.id) AND month >= \(fromMonth) AND NOT released")
        let delivered = Set(
            try await tx.query("SELECT month FROM commitment WHERE grant_id = \(grant.id) AND released")
                .map { try $0.day("month").yearMonth })
        var written: [YearMonth: Money] = [:]
        for (month, cost, shares) in try inputs.terms.commitments(
            from: fromMonth, residence: inputs.residence, excluding: delivered)
        {
            written[month] = cost
            for part in shares {
                try await tx.execute(
                    """
                    INSERT INTO commitment (tenant_id, grant_id, month, social_space, amount) VALUES (\(grant.provider.uuid), \(grant.id), \(month), \(part.socialSpace.rawValue), \(part.amount.cents))
                    ON CONFLICT (grant_id, month, social_space) DO UPDATE SET amount = commitment.amount + EXCLUDED.amount
                    """)
            }
        }
        return written
    }

    /// A delivered month releases its commitment; a month that had none is marked delivered (rule 7).
    public static func release(
        _ tx: TenantTransaction, grant: GrantRecord, month: YearMonth, firstSocialSpace: SocialSpaceCode
    ) async throws {
        let released = try await tx.execute(
            "UPDATE commitment SET released = true WHERE grant_id = \(grant.id) AND month = \(month)")
        if released == 0 {
            try await tx.execute(
                """
                INSERT INTO commitment (tenant_id, grant_id, month, social_space, amount, released)
                VALUES (\(grant.provider.uuid), \(grant.id), \(month), \(firstSocialSpace.rawValue), 0, true)
                """)
        }
    }

    /// A reversed delivery commits its month again until the corrected one arrives (rule 7).
    public static func recommit(_ tx: TenantTransaction, grantID: UUID, month: YearMonth) async throws {
        try await tx.execute(
            "UPDATE commitment SET released = false WHERE grant_id = \(grantID) AND month = \(month)")
    }
}

// MARK: Grants over their life (Fortschreibung, sql/0016)

extension GrantStore {
    /// A running grant's later planned end (the same grant runs longer).
    public static func setPlannedEnd(_ tx: TenantTransaction, id: UUID, to day: Day) async throws {
        try await tx.execute("UPDATE grant_decision SET ends_on = \(day) WHERE id = \(id)")
    }

    /// The recorded reason of a cross-area grant (rule 9), set or changed.
    public static func setOutOfAreaReason(_ tx: TenantTransaction, id: UUID, reason: String) async throws {
        try await tx.execute("UPDATE grant_decision SET out_of_area_reason = \(reason) WHERE id = \(id)")
    }

    public static func insertAmendment(_ tx: TenantTransaction, _ amendment: GrantAmendmentRecord) async throws {
        try await tx.execute(
            """
            INSERT INTO grant_amendment (tenant_id, grant_id, successor_id, effective_on, old_volume, new_volume,
                                         old_end, new_end, reason, actor)
            VALUES (\(amendment.provider.uuid), \(amendment.grantID), \(amendment.successorID), \(amendment.effectiveOn), \(amendment.oldVolume.hundredths), \(amendment.newVolume.hundredths), \(amendment.oldEnd), \(amendment.newEnd), \(amendment.reason), \(amendment.actor))
            """)
    }

    /// The amendments of the grants of a case, oldest first.
    public static func amendments(_ tx: TenantTransaction, caseID: UUID) async throws -> [GrantAmendmentRecord] {
        try await tx.query(
            """
            SELECT a.tenant_id, a.grant_id, a.successor_id, a.effective_on, a.old_volume, a.new_volume, a.old_end,
                   a.new_end, a.reason, a.actor
            FROM grant_amendment a JOIN grant_decision g ON g.id = a.grant_id
            WHERE g.case_id = \(caseID) ORDER BY a.id
            """
        ).map { row in
            GrantAmendmentRecord(
                provider: TenantID(try row.decode("tenant_id", as: UUID.self)),
                grantID: try row.decode("grant_id", as: UUID.self),
                successorID: try row.decode("successor_id", as: UUID?.self), effectiveOn: try row.day("effective_on"),
                oldVolume: Quantity(hundredths: try row.decode("old_volume", as: Int64.self)),
                newVolume: Quantity(hundredths: try row.decode("new_volume", as: Int64.self)),
                oldEnd: try row.day("old_end"), newEnd: try row.day("new_end"),
                reason: try row.decode("reason", as: String.self), actor: try row.decode("actor", as: String.self))
        }
    }

    /// Running grants whose end or half-yearly help-plan review (§36, every six months from the start)
    /// falls within `from...through`, as the caller sees them.
    public static func grantsDue(_ tx: TenantTransaction, from: Day, through: Day) async throws -> [GrantDue] {
        try await tx.query(
            """
            WITH running AS (
                SELECT g.id, g.tenant_id, g.case_key, g.help_type, g.starts_on,
                       least(g.ends_on, coalesce(g.ended_on, g.ends_on)) AS last_day
                FROM grant_decision g
                WHERE least(g.ends_on, coalesce(g.ended_on, g.ends_on)) >= \(from) AND g.starts_on <= \(through)
            ), reviews AS (
                SELECT r.id, (r.starts_on + make_interval(months => 6 * n))::date AS due
                FROM running r, generate_series(1, 12) AS n
            )
            SELECT r.id, r.tenant_id, r.case_key, r.help_type, r.starts_on, r.last_day, d.due, d.kind
            FROM running r JOIN (
                SELECT id, last_day AS due, 'end' AS kind FROM running
                UNION ALL
                SELECT v.id, v.due, 'review' FROM reviews v JOIN running r2 ON r2.id = v.id WHERE v.due < r2.last_day
            ) d ON d.id = r.id
            WHERE d.due BETWEEN \(from) AND \(through)
            ORDER BY d.due, r.case_key, d.kind
            """
        ).map { row in
            GrantDue(
                grantID: try row.decode("id", as: UUID.self),
                provider: TenantID(try row.decode("tenant_id", as: UUID.self)),
                caseKey: try row.decode("case_key", as: String.self),
                helpType: try row.decode("help_type", as: String.self),
                startsOn: try row.day("starts_on"), lastDay: try row.day("last_day"), due: try row.day("due"),
                kind: try row.decode("kind", as: String.self) == "end" ? .end : .review)
        }
    }
}

// MARK: Standing agreements (direct access, sql/0017)

extension GrantStore {
    /// The standing agreements the caller may see, with the Sozialraum their collective case lives in.
    public static func standingAgreements(_ tx: TenantTransaction) async throws -> [(GrantRecord, SocialSpaceCode?)] {
        try await tx.query(
            """
            SELECT g.id, g.tenant_id, g.case_id, g.case_key, g.help_type, g.unit, g.volume_per_month, g.starts_on,
                   g.ends_on, g.ended_on, g.out_of_area_reason, g.standing,
                   (SELECT r.social_space FROM residence r WHERE r.case_id = g.case_id ORDER BY r.valid_from LIMIT 1)
            FROM grant_decision g WHERE g.standing ORDER BY g.starts_on, g.case_key
            """
        ).map { row in
            (try grant(from: row), try row.decode("social_space", as: String?.self).flatMap(SocialSpaceCode.init))
        }
    }
}
