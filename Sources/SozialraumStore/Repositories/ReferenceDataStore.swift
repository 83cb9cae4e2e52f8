import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reference data of the county (rules 1, 4, 6, 12): Sozialräume and their municipalities, fiscal years
/// with their months and cover pools, appropriations and carry-forwards, provider assignments, help types
/// and rates. Row-level security lets only the county write these; every function runs inside
/// `Store.withTenant`.
public enum ReferenceDataStore {
    // MARK: Sozialräume

    /// Defines or renames a Sozialraum; a municipality's earlier membership ends the day before `validFrom`.
    /// Defines (or renames) a Sozialraum and groups the municipalities into it from `validFrom`. The same
    /// definition again changes nothing; returns the municipalities that another Sozialraum holds from that
    /// very day (nothing is written for them: the caller refuses the request).
    @discardableResult
    public static func defineSocialSpace(
        _ tx: TenantTransaction, code: SocialSpaceCode, name: String,
        municipalities: [(code: SocialSpaceCode, name: String)],
        validFrom: Day
    ) async throws -> [SocialSpaceCode] {
        var heldByAnother: [SocialSpaceCode] = []
        try await tx.execute(
            "INSERT INTO social_space (code, name) VALUES (\(code.rawValue), \(name)) ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name"
        )
        for municipality in municipalities {
            try await tx.execute(
                "INSERT INTO municipality (code, name) VALUES (\(municipality.code.rawValue), \(municipality.name)) ON CONFLICT (code) DO NOTHING"
            )
            try await tx.execute(
                """
                UPDATE social_space_member SET valid_to = \(validFrom)::date - 1
                WHERE municipality = \(municipality.code.rawValue) AND valid_to IS NULL AND valid_from < \(validFrom)
                """)
            let holder = try await tx.query(
                """
                INSERT INTO social_space_member AS m (social_space, municipality, valid_from) VALUES (\(code.rawValue), \(municipality.code.rawValue), \(validFrom))
                ON CONFLICT (municipality, valid_from) DO UPDATE SET social_space = m.social_space
                RETURNING social_space
                """
            ).single().decode("social_space", as: String.self)
            if holder != code.rawValue { heldByAnother.append(municipality.code) }
        }
        return heldByAnother
    }

    /// The codes of all Sozialräume (one query where many lines name them).
    public static func socialSpaces(_ tx: TenantTransaction) async throws -> Set<SocialSpaceCode> {
        Set(
            try await tx.query("SELECT code FROM social_space").compactMap {
                SocialSpaceCode(try $0.decode("code", as: String.self))
            })
    }

    public static func socialSpaceExists(_ tx: TenantTransaction, _ code: SocialSpaceCode) async throws -> Bool {
        try await tx.query("SELECT 1 FROM social_space WHERE code = \(code.rawValue)").count > 0
    }

    // MARK: Fiscal years and periods

    /// Opens a fiscal year with its twelve months and cover pools; false when it exists already.
    public static func openYear(
        _ tx: TenantTransaction, year: Int, overrunPolicy: OverrunPolicy, providerSurplusShare: Int,
        coverPools: CoverPools, carryForwardAllowed: Bool = true
    ) async throws -> Bool {
        let inserted = try await tx.execute(
            """
            INSERT INTO fiscal_year (year, overrun_policy, provider_surplus_share, carry_forward_allowed)
            VALUES (\(year), \(overrunPolicy.rawValue), \(providerSurplusShare), \(carryForwardAllowed)) ON CONFLICT (year) DO NOTHING
            """)
        guard inserted == 1 else { return false }
        for month in YearMonth.months(of: year) {
            try await tx.execute("INSERT INTO period (month) VALUES (\(month))")
        }
        for (index, pool) in coverPools.pools.enumerated() {
            for component in pool {
                try await tx.execute(
                    "INSERT INTO cover_pool_member (year, component, pool) VALUES (\(year), \(component.rawValue), \(index + 1))"
                )
            }
        }
        return true
    }

    public static func yearExists(_ tx: TenantTransaction, _ year: Int) async throws -> Bool {
        try await tx.query("SELECT 1 FROM fiscal_year WHERE year = \(year)").count > 0
    }

    public static func carryForwardAllowed(_ tx: TenantTransaction, year: Int) async throws -> Bool {
        try await tx.query("SELECT carry_forward_allowed FROM fiscal_year WHERE year = \(year)").single().decode(
            0, as: Bool.self)
    }

    public static func overrunPolicy(_ tx: TenantTransaction, year: Int) async throws -> OverrunPolicy? {
        try await tx.query("SELECT overrun_policy FROM fiscal_year WHERE year = \(year)").first
            .map { try $0.decode("overrun_policy", as: OverrunPolicy.self) }
    }

    public static func closedMonths(
        _ tx: TenantTransaction, from: YearMonth, through: YearMonth
    ) async throws -> Set<YearMonth> {
        let rows = try await tx.query(
            "SELECT month FROM period WHERE month BETWEEN \(from) AND \(through) AND closed_at IS NOT NULL")
        return Set(try rows.map { try $0.day("month").yearMonth })
    }

    public static func periodExists(_ tx: TenantTransaction, _ month: YearMonth) async throws -> Bool {
        try await tx.query("SELECT 1 FROM period WHERE month = \(month)").count > 0
    }

    /// The months of `from...through` that have a period.
    public static func periods(
        _ tx: TenantTransaction, from: YearMonth, through: YearMonth
    ) async throws -> Set<YearMonth> {
        Set(
            try await tx.query("SELECT month FROM period WHERE month BETWEEN \(from) AND \(through)").map {
                try $0.day("month").yearMonth
            })
    }

    /// A period locked for closing: nil when there is no such month, else whether it is closed already.
    public static func lockPeriod(_ tx: TenantTransaction, _ month: YearMonth) async throws -> Bool? {
        try await tx.query("SELECT closed_at IS NOT NULL FROM period WHERE month = \(month) FOR UPDATE").first?
            .value(as: Bool.self)
    }

    /// Closes a month (rule 11), with the reason that forced it past open findings, if any.
    public static func closePeriod(
        _ tx: TenantTransaction, _ month: YearMonth, by actor: String, forcedReason: String?
    ) async throws {
        try await tx.execute(
            "UPDATE period SET closed_at = now(), closed_by = \(actor), forced_reason = \(forcedReason) WHERE month = \(month)"
        )
    }

    // MARK: Budget lines

    /// The Ansatz of a line, nil when none is set.
    public static func appropriation(_ tx: TenantTransaction, line: BudgetLine) async throws -> Money? {
        try await tx.query(
            "SELECT amount FROM appropriation WHERE year = \(line.year) AND social_space = \(line.socialSpace.rawValue) AND component = \(line.component.rawValue)"
        ).first.map { Money(cents: try $0.decode("amount", as: Int64.self)) }
    }

    /// A first Ansatz for a line; false (and nothing written) when the line has one already.
    public static func insertAppropriation(
        _ tx: TenantTransaction, line: BudgetLine, amount: Money
    ) async throws -> Bool {
        try await tx.execute(
            """
            INSERT INTO appropriation (year, social_space, component, amount) VALUES (\(line.year), \(line.socialSpace.rawValue), \(line.component.rawValue), \(amount.cents))
            ON CONFLICT (year, social_space, component) DO NOTHING
            """) == 1
    }

    /// The municipalities that belong to a Sozialraum (now or in the past).
    public static func municipalitiesWithMembership(_ tx: TenantTransaction) async throws -> Set<SocialSpaceCode> {
        Set(
            try await tx.query("SELECT DISTINCT municipality FROM social_space_member").compactMap {
                SocialSpaceCode(try $0.decode("municipality", as: String.self))
            })
    }

    public static func setAppropriation(_ tx: TenantTransaction, line: BudgetLine, amount: Money) async throws {
        try await tx.execute(
            """
            INSERT INTO appropriation (year, social_space, component, amount) VALUES (\(line.year), \(line.socialSpace.rawValue), \(line.component.rawValue), \(amount.cents))
            ON CONFLICT (year, social_space, component) DO UPDATE SET amount = EXCLUDED.amount
            """)
    }

    public static func setCarryForward(
        _ tx: TenantTransaction, line: BudgetLine, amount: Money, reason: String
    ) async throws {
        try await tx.execute(
            """
            INSERT INTO carry_forward (year, social_space, component, amount, reason) VALUES (\(line.year), \(line.socialSpace.rawValue), \(line.component.rawValue), \(amount.cents), \(reason))
            ON CONFLICT (year, social_space, component) DO UPDATE SET amount = EXCLUDED.amount, reason = EXCLUDED.reason
            """)
    }

    /// Young inhabitants of a Sozialraum in a year (figures per 1,000 in the cost report); an existing
    /// figure is replaced unless `keepExisting`.
    public static func setPopulation(
        _ tx: TenantTransaction, year: Int, socialSpace: SocialSpaceCode, youngInhabitants: Int,
        keepExisting: Bool = false
    ) async throws {
        if keepExisting {
            try await tx.execute(
                "INSERT INTO population (year, social_space, young_inhabitants) VALUES (\(year), \(socialSpace.rawValue), \(youngInhabitants)) ON CONFLICT DO NOTHING"
            )
        } else {
            try await tx.execute(
                """
                INSERT INTO population (year, social_space, young_inhabitants) VALUES (\(year), \(socialSpace.rawValue), \(youngInhabitants))
                ON CONFLICT (year, social_space) DO UPDATE SET young_inhabitants = EXCLUDED.young_inhabitants
                """)
        }
    }

    // MARK: Providers, help types and rates

    public static func providerExists(_ tx: TenantTransaction, _ provider: TenantID) async throws -> Bool {
        try await tx.query("SELECT 1 FROM tenant WHERE id = \(provider.uuid) AND kind = 'provider'").count > 0
    }

    /// Records an assignment; false when one from that day exists already that differs from it (the same
    /// assignment again changes nothing and is true).
    @discardableResult
    public static func assignProvider(
        _ tx: TenantTransaction, provider: TenantID, socialSpace: SocialSpaceCode, lead: Bool, from: Day, to: Day?
    ) async throws -> Bool {
        try await tx.query(
            """
            INSERT INTO provider_assignment AS a (tenant_id, social_space, lead, valid_from, valid_to)
            VALUES (\(provider.uuid), \(socialSpace.rawValue), \(lead), \(from), \(to))
            ON CONFLICT (tenant_id, social_space, valid_from) DO UPDATE SET lead = a.lead
            RETURNING lead = \(lead) AND valid_to IS NOT DISTINCT FROM \(to)::date
            """
        ).single().value(as: Bool.self)
    }

    /// Whether `provider` serves `socialSpace` on `day` (rule 9).
    public static func providerServes(
        _ tx: TenantTransaction, provider: TenantID, socialSpace: SocialSpaceCode, on day: Day
    ) async throws -> Bool {
        try await tx.query(
            """
            SELECT 1 FROM provider_assignment WHERE tenant_id = \(provider.uuid) AND social_space = \(socialSpace.rawValue)
              AND valid_from <= \(day) AND (valid_to IS NULL OR valid_to >= \(day))
            """
        ).count > 0
    }

    public static func loadHelpTypes(_ tx: TenantTransaction, _ types: [HelpType]) async throws {
        for type in types {
            try await tx.execute(
                """
                INSERT INTO help_type (code, title, setting, direct_access, usual_unit) VALUES (\(type.code), \(type.title), \(type.setting.rawValue), \(type.directAccess), \(type.usualUnit.rawValue))
                ON CONFLICT DO NOTHING
                """)
        }
    }

    /// Whether the help type may be used without a per-case grant (§28, §20; rule 5).
    public static func isDirectAccess(_ tx: TenantTransaction, _ code: String) async throws -> Bool {
        try await tx.query("SELECT 1 FROM help_type WHERE code = \(code) AND direct_access").count > 0
    }

    public static func helpTypeExists(_ tx: TenantTransaction, _ code: String) async throws -> Bool {
        try await tx.query("SELECT 1 FROM help_type WHERE code = \(code)").count > 0
    }

    /// Adds a price of a rate agreement; false when the same one exists.
    public static func addRate(
        _ tx: TenantTransaction, provider: TenantID, helpType: String, unit: RateUnit, validFrom: Day, amount: Money
    ) async throws -> Bool {
        try await tx.execute(
            """
            INSERT INTO rate_agreement (id, tenant_id, help_type, unit, valid_from, amount)
            VALUES (\(UUID()), \(provider.uuid), \(helpType), \(unit.rawValue), \(validFrom), \(amount.cents)) ON CONFLICT DO NOTHING
            """) == 1
    }

    public static func rates(
        _ tx: TenantTransaction, provider: TenantID, helpType: String, unit: RateUnit
    ) async throws -> [Rate] {
        try await tx.query(
            "SELECT valid_from, amount FROM rate_agreement WHERE tenant_id = \(provider.uuid) AND help_type = \(helpType) AND unit = \(unit.rawValue) ORDER BY valid_from"
        ).map {
            Rate(validFrom: try $0.day("valid_from"), amount: Money(cents: try $0.decode("amount", as: Int64.self)))
        }
    }

    /// Every rate of a provider, by help type and unit (for bulk pricing).
    public static func rates(_ tx: TenantTransaction, provider: TenantID) async throws -> [String: [Rate]] {
        var rates: [String: [Rate]] = [:]
        for row in try await tx.query(
            "SELECT help_type, unit, valid_from, amount FROM rate_agreement WHERE tenant_id = \(provider.uuid) ORDER BY valid_from"
        ) {
            rates[
                ratesKey(
                    helpType: try row.decode("help_type", as: String.self),
                    unit: try row.decode("unit", as: RateUnit.self)),
                default: []
            ]
            .append(
                Rate(
                    validFrom: try row.day("valid_from"), amount: Money(cents: try row.decode("amount", as: Int64.self))
                ))
        }
        return rates
    }

    public static func ratesKey(helpType: String, unit: RateUnit) -> String { "\(helpType)|\(unit.rawValue)" }

    /// What providers see of a shared Sozialraum (the county's choice, sql/0014).
    public static func providerView(_ tx: TenantTransaction) async throws -> ProviderView {
        try await tx.query("SELECT provider_view FROM county").first?.decode("provider_view", as: ProviderView.self)
            ?? .sozialraumTotals
    }

    /// Sets what providers see; the database refuses it outside the county's context.
    public static func setProviderView(_ tx: TenantTransaction, _ view: ProviderView) async throws {
        try await tx.execute("UPDATE county SET provider_view = \(view.rawValue)")
    }

    /// The county's name (a report's heading).
    public static func countyName(_ tx: TenantTransaction) async throws -> String {
        try await tx.query("SELECT t.name FROM tenant t JOIN county c ON c.tenant_id = t.id").first.map {
            try $0.decode("name", as: String.self)
        } ?? "Landkreis"
    }
}
