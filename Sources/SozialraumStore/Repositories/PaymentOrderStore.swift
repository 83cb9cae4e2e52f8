import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Payment orders (Kassenanordnungen, sql/0020): certified pending, ordered or rejected by a second
/// account, their Kontierung, the export batches and the Kasse's confirmations. The database refuses a
/// second signature by the first signer, a signer without the right, and any change of what an order pays.
public enum PaymentOrderStore {
    /// What a certified order pays, before it is stored.
    public struct NewOrder: Sendable {
        public var payee: TenantID
        public var kind: PaymentOrderKind
        public var socialSpace: SocialSpaceCode?
        public var component: BudgetComponent?
        public var month: YearMonth?
        public var runID: Int64?
        public var findingID: UUID?
        public var amount: Money
        public var reason: String?
        public var certifiedBy: String
        public var expiresOn: Day
        public var requestID: String?

        public init(
            payee: TenantID, kind: PaymentOrderKind, socialSpace: SocialSpaceCode? = nil,
            component: BudgetComponent? = nil, month: YearMonth? = nil, runID: Int64? = nil, findingID: UUID? = nil,
            amount: Money, reason: String? = nil, certifiedBy: String, expiresOn: Day, requestID: String?
        ) {
            self.payee = payee
            self.kind = kind
            self.socialSpace = socialSpace
            self.component = component
            self.month = month
            self.runID = runID
            self.findingID = findingID
            self.amount = amount
            self.reason = reason
            self.certifiedBy = certifiedBy
            self.expiresOn = expiresOn
            self.requestID = requestID
        }
    }

    /// An order as stored.
    public struct Record: Sendable {
        public var id: Int64
        public var order: NewOrder
        public var state: PaymentOrderState
        public var decidedBy: String?
    }

    public static func insert(_ tx: TenantTransaction, _ order: NewOrder) async throws -> Int64 {
        try await tx.query(
            """
            INSERT INTO payment_order (tenant_id, kind, social_space, component, month, run_id, finding_id, amount,
                                       decision_reason, certified_by, expires_on, request_id)
            VALUES (\(order.payee.uuid), \(order.kind.rawValue), \(order.socialSpace?.rawValue), \(order.component?.rawValue), \(order.month), \(order.runID), \(order.findingID), \(order.amount.cents), NULL, \(order.certifiedBy), \(order.expiresOn), \(order.requestID)) RETURNING id
            """
        ).single().decode("id", as: Int64.self)
    }

    /// A pending, unexpired change of the line's Ansatz to exactly `amount`: a retried request finds it.
    public static func pendingAppropriation(
        _ tx: TenantTransaction, line: BudgetLine, amount: Money, today: Day
    ) async throws -> (id: Int64, expiresOn: Day)? {
        try await tx.query(
            """
            SELECT id, expires_on FROM payment_order
            WHERE kind = 'appropriation' AND state = 'pending' AND social_space = \(line.socialSpace.rawValue) AND component = \(line.component.rawValue)
              AND month = make_date(\(line.year), 1, 1) AND amount = \(amount.cents) AND expires_on >= \(today)
            ORDER BY id LIMIT 1
            """
        ).first.map { (try $0.decode("id", as: Int64.self), try $0.day("expires_on")) }
    }

    /// The order, locked until the transaction ends.
    public static func lock(_ tx: TenantTransaction, id: Int64) async throws -> Record? {
        try await tx.query(
            """
            SELECT id, tenant_id, kind, social_space, component, month::text, run_id, finding_id, amount,
                   certified_by, expires_on, request_id, state, decided_by
            FROM payment_order WHERE id = \(id) FOR UPDATE
            """
        ).first.map { row in
            Record(
                id: try row.decode("id", as: Int64.self),
                order: NewOrder(
                    payee: TenantID(try row.decode("tenant_id", as: UUID.self)),
                    kind: try row.decode("kind", as: PaymentOrderKind.self),
                    socialSpace: try row.decode("social_space", as: String?.self).flatMap(SocialSpaceCode.init),
                    component: try row.decode("component", as: String?.self).flatMap(BudgetComponent.init(rawValue:)),
                    month: try row.decode("month", as: String?.self).flatMap { Day(iso: $0)?.yearMonth },
                    runID: try row.decode("run_id", as: Int64?.self),
                    findingID: try row.decode("finding_id", as: UUID?.self),
                    amount: Money(cents: try row.decode("amount", as: Int64.self)),
                    certifiedBy: try row.decode("certified_by", as: String.self), expiresOn: try row.day("expires_on"),
                    requestID: try row.decode("request_id", as: String?.self)),
                state: try row.decode("state", as: PaymentOrderState.self),
                decidedBy: try row.decode("decided_by", as: String?.self))
        }
    }

    /// A pending or ordered order for the same statement or finding, so that one is not certified twice.
    public static func openOrder(
        _ tx: TenantTransaction, payee: TenantID, runID: Int64?, findingID: UUID?
    ) async throws -> Int64? {
        try await tx.query(
            """
            SELECT id FROM payment_order
            WHERE tenant_id = \(payee.uuid) AND state IN ('pending', 'approved')
              AND (run_id = \(runID) OR finding_id = \(findingID))
            ORDER BY id LIMIT 1
            """
        ).first?.decode("id", as: Int64.self)
    }

    /// An ordered order as its orderer saw it: amount, Kassenzeichen, due day and the bookings it made.
    public static func ordered(
        _ tx: TenantTransaction, id: Int64
    ) async throws
        -> (amount: Money, kassenzeichen: String?, due: Day?, bookings: [Int64])
    {
        let row = try await tx.query(
            "SELECT amount, kassenzeichen, due_on::text FROM payment_order WHERE id = \(id)"
        ).single()
        let bookings = try await tx.query(
            "SELECT id FROM booking WHERE payment_order_id = \(id) ORDER BY id"
        ).map { try $0.decode("id", as: Int64.self) }
        return (
            Money(cents: try row.decode("amount", as: Int64.self)), try row.decode("kassenzeichen", as: String?.self),
            try row.decode("due_on", as: String?.self).flatMap { Day(iso: $0) }, bookings
        )
    }

    public static func approve(
        _ tx: TenantTransaction, id: Int64, by account: String, kassenzeichen: String?, due: Day?
    ) async throws {
        _ = try await tx.execute(
            """
            UPDATE payment_order SET state = 'approved', decided_by = \(account), decided_at = now(), kassenzeichen = \(kassenzeichen),
                                     due_on = \(due)
            WHERE id = \(id) AND state = 'pending'
            """)
    }

    public static func reject(_ tx: TenantTransaction, id: Int64, by account: String, reason: String) async throws {
        _ = try await tx.execute(
            """
            UPDATE payment_order SET state = 'rejected', decided_by = \(account), decided_at = now(), decision_reason = \(reason)
            WHERE id = \(id) AND state = 'pending'
            """)
    }

    public static func expire(_ tx: TenantTransaction, id: Int64) async throws {
        _ = try await tx.execute("UPDATE payment_order SET state = 'expired' WHERE id = \(id) AND state = 'pending'")
    }

    /// Freezes the Kontierung of one booking an order pays.
    public static func addLine(
        _ tx: TenantTransaction, order: Int64, payee: TenantID, booking: Int64, year: Int, socialSpace: SocialSpaceCode,
        component: BudgetComponent, amount: Money, mapping: FinanceMapping
    ) async throws {
        _ = try await tx.execute(
            """
            INSERT INTO payment_order_line (tenant_id, order_id, booking_id, year, social_space, component, amount,
                                            product, account, cost_centre)
            VALUES (\(payee.uuid), \(order), \(booking), \(year), \(socialSpace.rawValue), \(component.rawValue), \(amount.cents), \(mapping.product), \(mapping.account), \(mapping.costCentre))
            """)
    }

    // MARK: Finance mapping and creditor numbers

    public static func mapping(
        _ tx: TenantTransaction, year: Int, socialSpace: SocialSpaceCode, component: BudgetComponent,
        kind: PaymentOrderKind
    ) async throws -> FinanceMapping? {
        try await tx.query(
            """
            SELECT product, account, cost_centre FROM finance_mapping
            WHERE year = \(year) AND social_space = \(socialSpace.rawValue) AND component = \(component.rawValue) AND kind = \(kind.rawValue)
            """
        ).first.map {
            FinanceMapping(
                product: try $0.decode("product", as: String.self), account: try $0.decode("account", as: String.self),
                costCentre: try $0.decode("cost_centre", as: String.self))
        }
    }

    public static func setMapping(
        _ tx: TenantTransaction, year: Int, socialSpace: SocialSpaceCode, component: BudgetComponent,
        kind: PaymentOrderKind, mapping: FinanceMapping
    ) async throws {
        _ = try await tx.execute(
            """
            INSERT INTO finance_mapping (year, social_space, component, kind, product, account, cost_centre)
            VALUES (\(year), \(socialSpace.rawValue), \(component.rawValue), \(kind.rawValue), \(mapping.product), \(mapping.account), \(mapping.costCentre))
            ON CONFLICT (year, social_space, component, kind)
            DO UPDATE SET product = EXCLUDED.product, account = EXCLUDED.account, cost_centre = EXCLUDED.cost_centre
            """)
    }

    public static func mappings(_ tx: TenantTransaction, year: Int) async throws -> [FinanceMappingListing] {
        try await tx.query(
            """
            SELECT social_space, component, kind, product, account, cost_centre FROM finance_mapping WHERE year = \(year)
            ORDER BY social_space, component, kind
            """
        ).map {
            FinanceMappingListing(
                socialSpace: try $0.decode("social_space", as: String.self),
                component: try $0.decode("component", as: String.self),
                kind: try $0.decode("kind", as: String.self),
                mapping: FinanceMapping(
                    product: try $0.decode("product", as: String.self),
                    account: try $0.decode("account", as: String.self),
                    costCentre: try $0.decode("cost_centre", as: String.self)))
        }
    }

    public static func creditorNumber(_ tx: TenantTransaction, provider: TenantID) async throws -> String? {
        try await tx.query(
            "SELECT creditor_number FROM tenant WHERE id = \(provider.uuid) AND kind = 'provider'"
        ).first?.decode("creditor_number", as: String?.self)
    }

    /// Returns false when `provider` is not a provider.
    public static func setCreditorNumber(
        _ tx: TenantTransaction, provider: TenantID, number: String
    ) async throws
        -> Bool
    {
        try await tx.execute(
            "UPDATE tenant SET creditor_number = \(number) WHERE id = \(provider.uuid) AND kind = 'provider'") == 1
    }

    // MARK: Lists

    /// Orders in `states` (all when empty), newest first, with what the Kasse confirmed of them.
    public static func orders(
        _ tx: TenantTransaction, states: [PaymentOrderState], limit: Int
    ) async throws
        -> [PaymentOrderListing]
    {
        try await tx.query(
            """
            SELECT o.id, o.kind, t.name, o.amount, o.state, o.certified_by, o.decided_by, o.expires_on,
                   o.kassenzeichen, o.due_on::text, o.batch_id, coalesce(r.paid, 0) AS paid, coalesce(r.confirmations, 0) AS confirmations,
                   o.decision_reason
            FROM payment_order o JOIN tenant t ON t.id = o.tenant_id
            LEFT JOIN LATERAL (SELECT sum(amount)::bigint AS paid, count(*)::int AS confirmations
                               FROM payment_receipt WHERE order_id = o.id) r ON true
            WHERE \(states.map(\.rawValue).joined(separator: ",")) = '' OR o.state = ANY (string_to_array(\(states.map(\.rawValue).joined(separator: ",")), ','))
            ORDER BY o.id DESC LIMIT \(limit)
            """
        ).map { row in
            let ordered = Money(cents: try row.decode("amount", as: Int64.self))
            let paid = Money(cents: try row.decode("paid", as: Int64.self))
            return PaymentOrderListing(
                id: try row.decode("id", as: Int64.self), kind: try row.decode("kind", as: PaymentOrderKind.self),
                payee: try row.decode("name", as: String.self), amount: ordered,
                state: try row.decode("state", as: PaymentOrderState.self),
                certifiedBy: try row.decode("certified_by", as: String.self),
                decidedBy: try row.decode("decided_by", as: String?.self), expiresOn: try row.day("expires_on"),
                kassenzeichen: try row.decode("kassenzeichen", as: String?.self),
                due: try row.decode("due_on", as: String?.self).flatMap { Day(iso: $0) },
                batch: try row.decode("batch_id", as: Int64?.self), paid: paid,
                status: PaymentStatus.of(
                    ordered: ordered, paid: paid, confirmations: try row.decode("confirmations", as: Int.self)),
                reason: try row.decode("decision_reason", as: String?.self))
        }
    }
}
