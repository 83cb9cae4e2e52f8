import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The county's register (Stammdaten) as its commands list and change it: providers with their codes
/// and the end of their cooperation, Sozialräume with their municipalities over time, assignments, fiscal
/// years, rates, projects with spending, and the audit trail. Row-level security decides what a caller
/// sees; only the county writes (sql/0012, sql/0015).
public enum MasterDataStore {
    // MARK: Providers

    /// Registers a provider tenant with its code; nil when the code is taken.
    public static func registerProvider(
        _ tx: TenantTransaction, code: ProviderCode, name: String
    ) async throws -> TenantID? {
        let provider = TenantID(UUID())
        let inserted = try await tx.execute(
            "INSERT INTO tenant (id, kind, name, code) VALUES (\(provider.uuid), 'provider', \(name), \(code.rawValue)) ON CONFLICT (code) DO NOTHING"
        )
        return inserted == 1 ? provider : nil
    }

    /// The provider with this id or code, if there is one the caller may see.
    public static func provider(_ tx: TenantTransaction, idOrCode: String) async throws -> TenantID? {
        let id = UUID(uuidString: idOrCode)
        let rows = try await tx.query(
            "SELECT id FROM tenant WHERE kind = 'provider' AND (id = \(id) OR code = \(id == nil ? idOrCode : nil))")
        return try rows.first.map { TenantID(try $0.decode("id", as: UUID.self)) }
    }

    /// The last day of the provider's cooperation, if it ends.
    public static func cooperationEnds(_ tx: TenantTransaction, _ provider: TenantID) async throws -> Day? {
        try await tx.query("SELECT cooperation_ends FROM tenant WHERE id = \(provider.uuid)").first?.optionalDay(
            "cooperation_ends")
    }

    public static func renameProvider(_ tx: TenantTransaction, _ provider: TenantID, name: String) async throws {
        try await tx.execute("UPDATE tenant SET name = \(name) WHERE id = \(provider.uuid) AND kind = 'provider'")
    }

    public static func endCooperation(_ tx: TenantTransaction, _ provider: TenantID, on day: Day?) async throws {
        try await tx.execute(
            "UPDATE tenant SET cooperation_ends = \(day) WHERE id = \(provider.uuid) AND kind = 'provider'")
    }

    /// How many grants and projects of `provider` run past `day`.
    public static func runningPast(_ tx: TenantTransaction, _ provider: TenantID, _ day: Day) async throws -> Int {
        try await tx.query(
            """
            SELECT (SELECT count(*) FROM grant_decision
                    WHERE tenant_id = \(provider.uuid) AND coalesce(ended_on, ends_on) > \(day))
                 + (SELECT count(*) FROM project WHERE tenant_id = \(provider.uuid) AND ends_on > \(day))
            """
        ).first?.value(as: Int.self) ?? 0
    }

    public static func providers(_ tx: TenantTransaction) async throws -> [ProviderRecord] {
        try await tx.query(
            """
            SELECT t.id, t.code, t.name, t.cooperation_ends,
                   coalesce((SELECT string_agg(DISTINCT a.social_space, ' ' ORDER BY a.social_space)
                             FROM provider_assignment a WHERE a.tenant_id = t.id), '') AS social_spaces
            FROM tenant t WHERE t.kind = 'provider' ORDER BY coalesce(t.code, t.name), t.id
            """
        ).map { row in
            ProviderRecord(
                id: TenantID(try row.decode("id", as: UUID.self)),
                code: try row.decode("code", as: String?.self).flatMap(ProviderCode.init),
                name: try row.decode("name", as: String.self),
                cooperationEnds: try row.optionalDay("cooperation_ends"),
                socialSpaces: try row.decode("social_spaces", as: String.self).split(separator: " ").map(String.init))
        }
    }

    // MARK: Sozialräume and assignments

    /// Memberships of municipalities in Sozialräume, over time.
    public static func memberships(_ tx: TenantTransaction) async throws -> [MembershipRecord] {
        try await tx.query(
            """
            SELECT s.code AS social_space, s.name AS social_space_name, m.code AS municipality,
                   m.name AS municipality_name, sm.valid_from, sm.valid_to
            FROM social_space s
            LEFT JOIN social_space_member sm ON sm.social_space = s.code
            LEFT JOIN municipality m ON m.code = sm.municipality
            ORDER BY s.code, sm.valid_from, m.code
            """
        ).compactMap { row in
            guard let space = SocialSpaceCode(try row.decode("social_space", as: String.self)) else { return nil }
            let name = try row.decode("social_space_name", as: String.self)
            guard let municipality = try row.decode("municipality", as: String?.self).flatMap(SocialSpaceCode.init)
            else {
                // A Sozialraum without municipalities yet.
                return MembershipRecord(
                    socialSpace: space, socialSpaceName: name, municipality: space, municipalityName: "",
                    validFrom: Day(iso: "2000-01-01")!, validTo: nil)
            }
            return MembershipRecord(
                socialSpace: space, socialSpaceName: name, municipality: municipality,
                municipalityName: try row.decode("municipality_name", as: String.self),
                validFrom: try row.day("valid_from"),
                validTo: try row.optionalDay("valid_to"))
        }
    }

    public static func assignments(_ tx: TenantTransaction) async throws -> [AssignmentRecord] {
        try await tx.query(
            """
            SELECT a.tenant_id, t.name, a.social_space, a.lead, a.valid_from, a.valid_to
            FROM provider_assignment a JOIN tenant t ON t.id = a.tenant_id
            ORDER BY a.social_space, a.valid_from, t.name
            """
        ).compactMap { row in
            guard let space = SocialSpaceCode(try row.decode("social_space", as: String.self)) else { return nil }
            return AssignmentRecord(
                provider: TenantID(try row.decode("tenant_id", as: UUID.self)),
                providerName: try row.decode("name", as: String.self),
                socialSpace: space, lead: try row.decode("lead", as: Bool.self), validFrom: try row.day("valid_from"),
                validTo: try row.optionalDay("valid_to"))
        }
    }

    /// Ends an open assignment of `provider` to `socialSpace` on `day`; false when none was open then.
    public static func endAssignment(
        _ tx: TenantTransaction, provider: TenantID, socialSpace: SocialSpaceCode, on day: Day
    ) async throws -> Bool {
        try await tx.execute(
            """
            UPDATE provider_assignment SET valid_to = \(day)
            WHERE tenant_id = \(provider.uuid) AND social_space = \(socialSpace.rawValue) AND valid_from <= \(day) AND (valid_to IS NULL OR valid_to > \(day))
            """) > 0
    }

    /// Whether the provider's assignment to the Sozialraum ends exactly on `day` (an `unassign` done).
    public static func assignmentEnds(
        _ tx: TenantTransaction, provider: TenantID, socialSpace: SocialSpaceCode, on day: Day
    ) async throws -> Bool {
        try await tx.query(
            "SELECT 1 FROM provider_assignment WHERE tenant_id = \(provider.uuid) AND social_space = \(socialSpace.rawValue) AND valid_to = \(day)"
        ).count > 0
    }

    // MARK: Fiscal years

    public static func fiscalYears(_ tx: TenantTransaction) async throws -> [FiscalYearRecord] {
        let pools = try await tx.query("SELECT year, pool, component FROM cover_pool_member ORDER BY year, pool")
        var members: [Int: [(pool: Int, component: BudgetComponent)]] = [:]
        for row in pools {
            members[try row.decode("year", as: Int.self), default: []].append(
                (try row.decode("pool", as: Int.self), try row.decode("component", as: BudgetComponent.self)))
        }
        return try await tx.query(
            """
            SELECT y.year, y.overrun_policy, y.provider_surplus_share, y.carry_forward_allowed,
                   (SELECT count(*) FROM period p WHERE p.year = y.year AND p.closed_at IS NOT NULL) AS closed_months
            FROM fiscal_year y ORDER BY y.year
            """
        ).map { row in
            let year = try row.decode("year", as: Int.self)
            return FiscalYearRecord(
                year: year, overrunPolicy: try row.decode("overrun_policy", as: OverrunPolicy.self),
                providerSurplusShare: try row.decode("provider_surplus_share", as: Int.self),
                carryForwardAllowed: try row.decode("carry_forward_allowed", as: Bool.self),
                coverPools: CoverPools(numbered: members[year] ?? []),
                closedMonths: try row.decode("closed_months", as: Int.self))
        }
    }

    /// Rule 1 and 12 per year, for a year opened before (a year with closed months keeps its policies).
    public static func setYearPolicies(
        _ tx: TenantTransaction, year: Int, overrunPolicy: OverrunPolicy, providerSurplusShare: Int,
        carryForwardAllowed: Bool
    ) async throws {
        try await tx.execute(
            """
            UPDATE fiscal_year SET overrun_policy = \(overrunPolicy.rawValue), provider_surplus_share = \(providerSurplusShare), carry_forward_allowed = \(carryForwardAllowed)
            WHERE year = \(year)
            """)
    }

    // MARK: Help types and rates

    public static func helpTypes(_ tx: TenantTransaction) async throws -> [HelpType] {
        try await tx.query("SELECT code, title, setting, direct_access, usual_unit FROM help_type ORDER BY code").map {
            row in
            HelpType(
                code: try row.decode("code", as: String.self), title: try row.decode("title", as: String.self),
                setting: try row.decode("setting", as: HelpSetting.self),
                directAccess: try row.decode("direct_access", as: Bool.self),
                usualUnit: try row.decode("usual_unit", as: String?.self).flatMap(RateUnit.init(rawValue:)))
        }
    }

    /// A provider's prices; with `on`, only the one valid that day per help type and unit.
    public static func rates(_ tx: TenantTransaction, provider: TenantID, on day: Day?) async throws -> [RateRecord] {
        try await tx.query(
            """
            SELECT help_type, unit, valid_from, amount FROM rate_agreement r
            WHERE tenant_id = \(provider.uuid)
              AND (\(day)::date IS NULL OR valid_from = (SELECT max(o.valid_from) FROM rate_agreement o
                     WHERE o.tenant_id = r.tenant_id AND o.help_type = r.help_type AND o.unit = r.unit
                       AND o.valid_from <= \(day)))
            ORDER BY help_type, unit, valid_from
            """
        ).map { row in
            RateRecord(
                helpType: try row.decode("help_type", as: String.self), unit: try row.decode("unit", as: RateUnit.self),
                validFrom: try row.day("valid_from"), amount: Money(cents: try row.decode("amount", as: Int64.self)))
        }
    }

    /// Whether a month on or after `day`'s month is closed (a rate from `day` would change its prices).
    public static func closedMonthFrom(_ tx: TenantTransaction, _ day: Day) async throws -> Bool {
        try await tx.query(
            "SELECT 1 FROM period WHERE closed_at IS NOT NULL AND month >= date_trunc('month', \(day)::date)::date LIMIT 1"
        ).count > 0
    }

    // MARK: Projects

    public static func projects(_ tx: TenantTransaction, year: Int?) async throws -> [ProjectListing] {
        try await tx.query(
            """
            SELECT p.id, p.tenant_id, p.title, p.social_space, p.component, p.starts_on, p.ends_on, p.budget,
                   p.spent_before_go_live + coalesce((SELECT sum(b.amount) FROM booking b WHERE b.project_id = p.id), 0)::bigint AS spent,
                   p.volunteers, p.professionals, t.name
            FROM project p JOIN tenant t ON t.id = p.tenant_id
            WHERE \(year)::int IS NULL OR (p.starts_on <= make_date(\(year), 12, 31) AND p.ends_on >= make_date(\(year), 1, 1))
            ORDER BY p.social_space, p.starts_on, p.title
            """
        ).compactMap { row in
            guard let space = SocialSpaceCode(try row.decode("social_space", as: String.self)),
                let period = DayRange(start: try row.day("starts_on"), end: try row.day("ends_on"))
            else { return nil }
            var project = ProjectListing(
                id: try row.decode("id", as: UUID.self), provider: TenantID(try row.decode("tenant_id", as: UUID.self)),
                title: try row.decode("title", as: String.self), socialSpace: space,
                component: try row.decode("component", as: BudgetComponent.self), period: period,
                budget: Money(cents: try row.decode("budget", as: Int64.self)),
                spent: Money(cents: try row.decode("spent", as: Int64.self)),
                volunteers: try row.decode("volunteers", as: Int.self),
                professionals: try row.decode("professionals", as: Int.self))
            project.providerName = try row.decode("name", as: String.self)
            return project
        }
    }

    /// The project's provider and its last booked expense day, if the project exists.
    public static func project(
        _ tx: TenantTransaction, _ id: UUID
    ) async throws -> (provider: TenantID, period: DayRange, lastExpense: Day?)? {
        guard
            let row = try await tx.query(
                """
                SELECT p.tenant_id, p.starts_on, p.ends_on,
                       (SELECT max(make_date(extract(year FROM b.service_month)::int, extract(month FROM b.service_month)::int, 1))
                        FROM booking b WHERE b.project_id = p.id) AS last_expense_month
                FROM project p WHERE p.id = \(id)
                """
            ).first, let period = DayRange(start: try row.day("starts_on"), end: try row.day("ends_on"))
        else { return nil }
        return (TenantID(try row.decode("tenant_id", as: UUID.self)), period, try row.optionalDay("last_expense_month"))
    }

    public static func endProject(_ tx: TenantTransaction, _ id: UUID, on day: Day) async throws {
        try await tx.execute("UPDATE project SET ends_on = \(day) WHERE id = \(id)")
    }

    // MARK: Audit trail

    public static func auditEvents(_ tx: TenantTransaction, _ filter: AuditFilter) async throws -> [AuditEventRecord] {
        try await tx.query(
            """
            SELECT id, local_time(at) AS at_local, tenant_id, actor, action,
                   object_kind, object_id, result, request_id, detail
            FROM audit_event
            WHERE (\(filter.since)::date IS NULL OR at >= \(filter.since)::date::timestamp AT TIME ZONE 'Europe/Berlin')
              AND (\(filter.until)::date IS NULL OR at < (\(filter.until)::date + 1)::timestamp AT TIME ZONE 'Europe/Berlin')
              AND (\(filter.actor)::text IS NULL OR actor = \(filter.actor))
              AND (\(filter.action)::text IS NULL OR action = \(filter.action) OR action LIKE \(filter.action) || '.%')
              AND (\(filter.objectID)::text IS NULL OR object_id = \(filter.objectID))
            ORDER BY id DESC LIMIT \(filter.limit)
            """
        ).map { row in
            var event = AuditEventRecord(
                id: try row.decode("id", as: Int64.self), at: try row.decode("at_local", as: String.self),
                tenant: TenantID(try row.decode("tenant_id", as: UUID.self)),
                actor: try row.decode("actor", as: String.self),
                action: try row.decode("action", as: String.self),
                objectKind: try row.decode("object_kind", as: String?.self),
                objectID: try row.decode("object_id", as: String?.self),
                result: try row.decode("result", as: String.self),
                requestID: try row.decode("request_id", as: String?.self))
            event.detail = try row.decode("detail", as: String?.self)
            return event
        }
    }
}
