import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// SQL of the budget, the grants and the ledger. Every statement runs inside `Store.withTenant`, so
// row-level security limits it to the acting tenant; the functions here never set tenant context.

extension Day: PostgresEncodable {
    public var postgresText: String? { description }
}

extension YearMonth: PostgresEncodable {
    /// A month is stored as its first day.
    public var postgresText: String? { firstDay.description }
}

extension PostgresRow {
    /// Decodes a `date` column as a `Day`.
    public func day(_ column: Int) throws -> Day {
        let date = try decode(column, as: PostgresDate.self)
        guard let day = Day(year: date.year, month: date.month, day: date.day) else {
            throw PostgresError(code: .decodingFailed, serverMessage: "date out of range", operation: "decode")
        }
        return day
    }

    public func optionalDay(_ column: Int) throws -> Day? { isNull(column) ? nil : try day(column) }

    /// Decodes the `date` column named `name` as a `Day`.
    public func day(_ name: String) throws -> Day { try day(column(name)) }

    public func optionalDay(_ name: String) throws -> Day? { try optionalDay(column(name)) }
}

/// A grant as stored (Bewilligung).
public struct GrantRecord: Sendable, Hashable {
    public var id: UUID
    public var provider: TenantID
    public var caseID: UUID
    public var caseKey: String
    public var helpType: String
    public var unit: RateUnit
    public var volumePerMonth: Quantity
    public var startsOn: Day
    public var endsOn: Day
    public var endedOn: Day?
    public var outOfAreaReason: String?
    /// A standing agreement for direct-access help (rule 5, sql/0017), not a per-case decision.
    public var standing: Bool

    public init(
        id: UUID, provider: TenantID, caseID: UUID, caseKey: String, helpType: String, unit: RateUnit,
        volumePerMonth: Quantity, startsOn: Day, endsOn: Day, endedOn: Day?, outOfAreaReason: String?,
        standing: Bool = false
    ) {
        self.standing = standing
        self.id = id
        self.provider = provider
        self.caseID = caseID
        self.caseKey = caseKey
        self.helpType = helpType
        self.unit = unit
        self.volumePerMonth = volumePerMonth
        self.startsOn = startsOn
        self.endsOn = endsOn
        self.endedOn = endedOn
        self.outOfAreaReason = outOfAreaReason
    }
}

/// Residence and grant data needed to price a case's months.
public struct PricingInputs: Sendable {
    public var terms: GrantTerms
    public var residence: ResidenceHistory

    public init(terms: GrantTerms, residence: ResidenceHistory) {
        self.terms = terms
        self.residence = residence
    }
}

/// A state the schema should make impossible; reported, never crashed on.
public enum StoreFailure: Error, Sendable, CustomStringConvertible {
    case residenceNotVisible
    /// A thousand on-demand runs of one schedule within one second (never in practice).
    case slotsExhausted
    public var description: String {
        switch self {
        case .residenceNotVisible: "the case's residence is not visible to this tenant"
        case .slotsExhausted: "a thousand runs of one schedule were requested within one second"
        }
    }
}

public enum LedgerStore {
    // MARK: Idempotency (rule 10)

    public enum IdempotencyOutcome: Sendable, Equatable {
        /// First use: do the work, then `remember` the result.
        case fresh
        /// Same key, same content: the first result.
        case replay(String)
        /// Same key, other content.
        case conflict
    }

    /// Serialises requests with the same key (transaction-level advisory lock) and looks the key up.
    public static func claim(
        _ tx: TenantTransaction, key: IdempotencyKey, content: String
    ) async throws -> IdempotencyOutcome {
        try await tx.query(
            "SELECT pg_advisory_xact_lock(hashtextextended(\(tx.tenant.description) || ':' || \(key.rawValue), 0))")
        let rows = try await tx.query(
            "SELECT fingerprint = sha256(convert_to(\(content), 'UTF8')) AS same_request, result FROM idempotency WHERE tenant_id = \(tx.tenant.uuid) AND key = \(key.rawValue)"
        )
        guard let row = rows.first else { return .fresh }
        return try row.decode("same_request", as: Bool.self)
            ? .replay(try row.decode("result", as: String.self)) : .conflict
    }

    public static func remember(
        _ tx: TenantTransaction, key: IdempotencyKey, content: String, result: String
    ) async throws {
        try await tx.execute(
            "INSERT INTO idempotency (tenant_id, key, fingerprint, result) VALUES (\(tx.tenant.uuid), \(key.rawValue), sha256(convert_to(\(content), 'UTF8')), \(result))"
        )
    }

    // MARK: Ledger

    /// One ledger entry to append.
    public struct NewBooking: Sendable {
        public var tenant: TenantID
        public var kind: BookingKind
        public var bookedMonth: YearMonth
        public var serviceMonth: YearMonth
        public var socialSpace: SocialSpaceCode
        public var component: BudgetComponent
        public var amount: Money
        public var grantID: UUID?
        public var deliveryID: UUID?
        public var projectID: UUID?
        public var reverses: Int64?
        public var corrects: Int64?
        /// The approved payment order (Kassenanordnung) a payment is booked under (sql/0020).
        public var paymentOrderID: Int64?

        public init(
            tenant: TenantID, kind: BookingKind, bookedMonth: YearMonth, serviceMonth: YearMonth,
            socialSpace: SocialSpaceCode, component: BudgetComponent, amount: Money, grantID: UUID? = nil,
            deliveryID: UUID? = nil, projectID: UUID? = nil, reverses: Int64? = nil, corrects: Int64? = nil,
            paymentOrderID: Int64? = nil
        ) {
            self.paymentOrderID = paymentOrderID
            self.tenant = tenant
            self.kind = kind
            self.bookedMonth = bookedMonth
            self.serviceMonth = serviceMonth
            self.socialSpace = socialSpace
            self.component = component
            self.amount = amount
            self.grantID = grantID
            self.deliveryID = deliveryID
            self.projectID = projectID
            self.reverses = reverses
            self.corrects = corrects
        }
    }

    @discardableResult
    public static func book(
        _ tx: TenantTransaction, _ booking: NewBooking, actor: String, requestID: String?
    ) async throws -> Int64 {
        try await tx.query(
            """
            INSERT INTO booking (tenant_id, kind, booked_month, service_month, social_space, component, amount,
                                 grant_id, delivery_id, project_id, reverses, corrects, actor, request_id, payment_order_id)
            VALUES (\(booking.tenant.uuid), \(booking.kind.rawValue), \(booking.bookedMonth), \(booking.serviceMonth), \(booking.socialSpace.rawValue), \(booking.component.rawValue), \(booking.amount.cents), \(booking.grantID), \(booking.deliveryID), \(booking.projectID), \(booking.reverses), \(booking.corrects), \(actor), \(requestID), \(booking.paymentOrderID)) RETURNING id
            """
        ).single().decode("id", as: Int64.self)
    }

    /// A booking as stored: its number and the entry (fields of the entry read through, e.g. `.amount`).
    @dynamicMemberLookup
    public struct BookingRecord: Sendable {
        public var id: Int64
        public var entry: NewBooking
        public subscript<T>(dynamicMember path: KeyPath<NewBooking, T>) -> T { entry[keyPath: path] }
    }

    public static func booking(_ tx: TenantTransaction, id: Int64) async throws -> BookingRecord? {
        try await tx.query(
            """
            SELECT id, tenant_id, kind, booked_month, service_month, social_space, component, amount, grant_id,
                   delivery_id, project_id, reverses, corrects
            FROM booking WHERE id = \(id)
            """
        ).first.map { row in
            BookingRecord(
                id: try row.decode("id", as: Int64.self),
                entry: NewBooking(
                    tenant: TenantID(try row.decode("tenant_id", as: UUID.self)),
                    kind: try row.decode("kind", as: BookingKind.self),
                    bookedMonth: try row.day("booked_month").yearMonth,
                    serviceMonth: try row.day("service_month").yearMonth,
                    socialSpace: try row.decode("social_space", as: SocialSpaceCode.self),
                    component: try row.decode("component", as: BudgetComponent.self),
                    amount: Money(cents: try row.decode("amount", as: Int64.self)),
                    grantID: try row.decode("grant_id", as: UUID?.self),
                    deliveryID: try row.decode("delivery_id", as: UUID?.self),
                    projectID: try row.decode("project_id", as: UUID?.self),
                    reverses: try row.decode("reverses", as: Int64?.self),
                    corrects: try row.decode("corrects", as: Int64?.self)))
        }
    }

    /// The other bookings of a delivery that still stand (a cost split by a move, an accepted excess):
    /// reversed together with `bookingID`.
    public static func unreversedSiblings(
        _ tx: TenantTransaction, grantID: UUID, deliveryID: UUID, excluding bookingID: Int64
    ) async throws -> [BookingRecord] {
        var siblings: [BookingRecord] = []
        for row in try await tx.query(
            """
            SELECT b.id FROM booking b
            WHERE b.grant_id = \(grantID) AND b.delivery_id = \(deliveryID) AND b.kind = 'delivery' AND b.id <> \(bookingID)
              AND NOT EXISTS (SELECT 1 FROM booking r WHERE r.reverses = b.id)
            ORDER BY b.id
            """)
        {
            if let sibling = try await booking(tx, id: try row.decode("id", as: Int64.self)) {
                siblings.append(sibling)
            }
        }
        return siblings
    }

    /// The bookings of a booked month the caller may see, in order.
    public static func bookings(
        _ tx: TenantTransaction, bookedIn month: YearMonth, limit: Int = 100_000
    ) async throws -> [BookingListing] {
        try await tx.query(
            """
            SELECT b.id, b.kind, b.service_month, b.social_space, b.component, b.amount, t.name, b.reverses, b.corrects
            FROM booking b JOIN tenant t ON t.id = b.tenant_id WHERE b.booked_month = \(month) ORDER BY b.id LIMIT \(limit)
            """
        ).map { row in
            BookingListing(
                id: try row.decode("id", as: Int64.self), kind: try row.decode("kind", as: BookingKind.self),
                serviceMonth: try row.day("service_month").yearMonth,
                socialSpace: try row.decode("social_space", as: SocialSpaceCode.self),
                component: try row.decode("component", as: BudgetComponent.self),
                amount: Money(cents: try row.decode("amount", as: Int64.self)),
                provider: try row.decode("name", as: String.self),
                reverses: try row.decode("reverses", as: Int64?.self),
                corrects: try row.decode("corrects", as: Int64?.self))
        }
    }

    public static func isReversed(_ tx: TenantTransaction, bookingID: Int64) async throws -> Bool {
        try await tx.query("SELECT 1 FROM booking WHERE reverses = \(bookingID)").count > 0
    }

    // MARK: Audit trail

    /// Records who did what, for which tenant, with which result. Never payloads.
    public static func audit(
        _ tx: TenantTransaction, tenant: TenantID, actor: String, action: String, objectKind: String?,
        objectID: String?,
        result: String, requestID: String?, detail: String? = nil
    ) async throws {
        try await tx.execute(
            """
            INSERT INTO audit_event (tenant_id, actor, action, object_kind, object_id, result, request_id, detail)
            VALUES (\(tenant.uuid), \(actor), \(action), \(objectKind), \(objectID), \(result), \(requestID), \(detail))
            """)
    }

    // MARK: Funds (rule 3)

    /// Everything `funds` needs in one statement (one round trip): whether the Sozialraum and the year
    /// exist, whether the acting tenant sees an appropriation of it, the lines and the cover pools.
    public struct FundsSnapshot: Sendable {
        public var socialSpaceExists: Bool
        public var yearExists: Bool
        public var appropriationVisible: Bool
        public var funds: [BudgetComponent: LineFunds]
        public var coverPools: CoverPools
        /// The lead providers' shares of the year's savings (rule 12), as the caller sees them.
        public var providerShares: Money
    }

    /// The funds of one Sozialraum and year by line ($1 Sozialraum, $2 year): one statement over the
    /// totals the ledger keeps, one row per component; spending as the caller's policies show it (the county
    /// all, a provider its own), or, for a provider that sees its Sozialraum's totals (sql/0014), summed by
    /// `social_space_spending` (the one branch runs, the other is skipped by its one-time filter); the last
    /// column says whether the caller sees an appropriation (a provider only for a Sozialraum it serves). Public for the benchmark, which runs
    /// it through pgbench as well. Kept lean on purpose: it is the admin socket's hot read, and every
    /// table it names adds its row-level security checks.
    public static let fundsSQL = """
        SELECT l.component, coalesce(a.amount, 0) AS appropriation, coalesce(c.amount, 0) AS carry_in,
               coalesce(t.commitments, 0) AS commitments, coalesce(t.actuals, 0) AS actuals, p.pool,
               a.amount IS NOT NULL AS visible,
               (SELECT coalesce(sum(s.amount), 0)::bigint FROM surplus_share s WHERE s.year = $2 AND s.social_space = $1)
                 AS provider_shares
        FROM (VALUES ('case'), ('milieu'), ('structure')) AS l(component)
        LEFT JOIN appropriation a ON a.year = $2 AND a.social_space = $1 AND a.component = l.component
        LEFT JOIN carry_forward c ON c.year = $2 AND c.social_space = $1 AND c.component = l.component
        LEFT JOIN cover_pool_member p ON p.year = $2 AND p.component = l.component
        LEFT JOIN (
            SELECT u.component, sum(u.actuals)::bigint AS actuals, sum(u.commitments)::bigint AS commitments
            FROM (
                SELECT x.component::text AS component, x.amount AS actuals, 0 AS commitments FROM ledger_total x
                WHERE x.social_space = $1 AND x.service_month BETWEEN make_date($2, 1, 1) AND make_date($2, 12, 1)
                  AND x.kind IN ('delivery', 'project_expense', 'opening')
                UNION ALL
                SELECT 'case', 0, m.amount FROM commitment_total m
                WHERE m.social_space = $1 AND m.month BETWEEN make_date($2, 1, 1) AND make_date($2, 12, 1)
            ) u
            WHERE NOT (SELECT sees_others_spending($1, $2))
            GROUP BY u.component
            UNION ALL
            SELECT s.component, s.actuals, s.commitments FROM social_space_spending($1, $2) s
            WHERE (SELECT sees_others_spending($1, $2))
        ) t ON t.component = l.component
        """

    /// Whether a Sozialraum and a fiscal year exist: asked only when no appropriation is visible, to
    /// tell "unknown" from "no budget".
    static func fundsExistence(socialSpace: SocialSpaceCode, year: Int) -> PostgresQuery {
        """
        SELECT EXISTS (SELECT 1 FROM social_space s WHERE s.code = \(socialSpace.rawValue)) AS space_exists,
               EXISTS (SELECT 1 FROM fiscal_year y WHERE y.year = \(year)) AS year_exists
        """
    }

    public static func fundsSnapshot(
        _ tx: TenantTransaction, socialSpace: SocialSpaceCode, year: Int
    ) async throws -> FundsSnapshot {
        try await fundsSnapshot(socialSpace: socialSpace, year: year) { try await tx.query($0) }
    }

    /// The funds in one round trip of their own (the hot read of the admin socket).
    public static func fundsSnapshot(
        _ store: Store, tenant: TenantID, socialSpace: SocialSpaceCode, year: Int
    ) async throws -> FundsSnapshot {
        try await fundsSnapshot(socialSpace: socialSpace, year: year) { try await store.readTenant(tenant, $0) }
    }

    /// The statements the hot read of `funds` sends between BEGIN and COMMIT, as the request's account (if any)
    /// would send them: the tenant context with the account check, then the funds. The benchmark replays exactly
    /// these through pgbench (what PostgreSQL alone does of them: the ceiling of the daemon's rate on that machine).
    public static func fundsPipeline(tenant: TenantID, socialSpace: SocialSpaceCode, year: Int) -> [PostgresQuery] {
        [Store.contextStatement(tenant), fundsQuery(socialSpace: socialSpace, year: year)]
    }

    // Kept as text with its two placeholders: the benchmark runs the same statement through pgbench.
    static func fundsQuery(socialSpace: SocialSpaceCode, year: Int) -> PostgresQuery {
        PostgresQuery(unsafeSQL: fundsSQL, [socialSpace.rawValue, year])
    }

    static func fundsSnapshot(
        socialSpace: SocialSpaceCode, year: Int, read: (PostgresQuery) async throws -> PostgresRows
    ) async throws -> FundsSnapshot {
        let rows = try await read(fundsQuery(socialSpace: socialSpace, year: year))
        var funds: [BudgetComponent: LineFunds] = [:]
        var pools: [(pool: Int, component: BudgetComponent)] = []
        var visible = false
        var shares = Money.zero
        for row in rows {
            let component = try row.decode("component", as: BudgetComponent.self)
            funds[component] = try LineFunds(
                appropriation: Money(cents: try row.decode("appropriation", as: Int64.self)),
                carryIn: Money(cents: try row.decode("carry_in", as: Int64.self)),
                commitments: Money(cents: try row.decode("commitments", as: Int64.self)),
                actuals: Money(cents: try row.decode("actuals", as: Int64.self)))
            if let pool = try row.decode("pool", as: Int?.self) { pools.append((pool, component)) }
            visible = try visible || row.decode("visible", as: Bool.self)
            shares = Money(cents: try row.decode("provider_shares", as: Int64.self))
        }
        // An appropriation refers to its Sozialraum and year (foreign keys): both exist when one is seen.
        var exists = (space: true, year: true)
        if !visible {
            let row = try await read(fundsExistence(socialSpace: socialSpace, year: year)).single()
            exists = (try row.decode("space_exists", as: Bool.self), try row.decode("year_exists", as: Bool.self))
        }
        return FundsSnapshot(
            socialSpaceExists: exists.space, yearExists: exists.year, appropriationVisible: visible, funds: funds,
            coverPools: CoverPools(numbered: pools), providerShares: shares)
    }

    /// What of `amount`, spent on a project on `day`, its line or cover pool cannot cover (rule 4):
    /// computed by the database over every provider's spending, whoever asks (`spending_shortfall`).
    public static func spendingShortfall(
        _ tx: TenantTransaction, project: UUID, day: Day, amount: Money
    ) async throws -> Money {
        Money(
            cents: try await tx.query("SELECT spending_shortfall(\(project), \(day), \(amount.cents))").single()
                .decode("spending_shortfall", as: Int64.self))
    }

}
