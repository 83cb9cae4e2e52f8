import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumServices
import SozialraumStore

/// A fresh database with the county, two providers and the year 2026 set up through the services:
/// Sozialräume `nord` (served by alpha) and `sued` (served by beta), §31 and §34 rates, budgets.
public struct BudgetWorld: Sendable {
    public let database: TestDatabase
    public let store: Store
    public let service: BudgetService
    public let grants: GrantService
    public let payments: PaymentService
    /// Payment orders: `county` certifies, `orderer` orders (four eyes).
    public let orders: PaymentOrderService
    public let county: Caller
    /// The second signature: an account holding only the right to order.
    public let orderer: Caller
    public let alpha: Caller
    public let beta: Caller
    public let auditor: Caller
    public let nord = SocialSpaceCode("nord")!
    public let sued = SocialSpaceCode("sued")!

    public static let today = Day(iso: "2026-11-25")!

    public static func make(policy: OverrunPolicy = .warn, today: Day = BudgetWorld.today) async throws -> BudgetWorld {
        let database = try await TestCluster.shared.freshDatabase(prefix: "budget")
        let countyID = try await TenantRegistry.ensureCounty(
            name: "Landkreis Verden", ownerConninfo: database.superuserConninfo)
        let store = database.runtimeStore()
        let alphaID = try await store.registerProvider(name: "Träger Alpha", by: countyID)
        let betaID = try await store.registerProvider(name: "Träger Beta", by: countyID)
        let logger = Logger(label: "test.budget")
        let grants = GrantService(store: store, logger: logger, today: { today })
        let payments = PaymentService(store: store, logger: logger, today: { today })
        let orders = PaymentOrderService(
            store: store, logger: logger, today: { today }, settings: PaymentSettings(), payments: payments,
            grants: grants, reconciliation: ReconciliationService(store: store, logger: logger, today: { today }))
        // The signers are real accounts: the database checks their rights when they sign.
        let accounts = AccountService(store: store, logger: logger, scryptRounds: 1024)
        try await accounts.setAccount(
            name: "kaemmerei", tenant: countyID, role: .county, secret: "kaemmerei-secret", actingAs: countyID)
        try await accounts.setAccount(
            name: "anordnung", tenant: countyID, role: .county, secret: "anordnung-secret", actingAs: countyID,
            rights: [.order])
        let world = BudgetWorld(
            database: database, store: store, service: BudgetService(store: store, logger: logger, today: { today }),
            grants: grants, payments: payments, orders: orders,
            county: Caller(tenant: countyID, role: .county, name: "kaemmerei"),
            orderer: Caller(tenant: countyID, role: .county, name: "anordnung", rights: [.order]),
            alpha: Caller(tenant: alphaID, role: .provider, name: "alpha-buchhaltung"),
            beta: Caller(tenant: betaID, role: .provider, name: "beta-buchhaltung"),
            auditor: Caller(tenant: countyID, role: .auditor, name: "rpa"))
        try await world.setUp(policy: policy)
        return world
    }

    public func setUp(policy: OverrunPolicy) async throws {
        let start = Day(iso: "2020-01-01")!
        try await service.defineSocialSpace(
            county, code: nord, name: "Nord", municipalities: [(SocialSpaceCode("achim")!, "Achim")], validFrom: start)
        try await service.defineSocialSpace(
            county, code: sued, name: "Süd", municipalities: [(SocialSpaceCode("verden")!, "Verden (Aller)")],
            validFrom: start)
        try await service.loadHelpTypes(county)
        try await service.openYear(county, year: 2026, overrunPolicy: policy)
        try await service.assignProvider(county, provider: alpha.tenant, socialSpace: nord, lead: true, from: start)
        try await service.assignProvider(county, provider: beta.tenant, socialSpace: sued, lead: true, from: start)
        for provider in [alpha.tenant, beta.tenant] {
            try await service.addRate(
                county, provider: provider, helpType: "31", unit: .hour, validFrom: start, amount: Money(cents: 60_00))
            try await service.addRate(
                county, provider: provider, helpType: "34", unit: .day, validFrom: start, amount: Money(cents: 200_00))
        }
        for space in [nord, sued] {
            try await service.setAppropriation(
                county, line: BudgetLine(year: 2026, socialSpace: space, component: .case),
                amount: Money(cents: 100_000_00))
            try await service.setAppropriation(
                county, line: BudgetLine(year: 2026, socialSpace: space, component: .milieu),
                amount: Money(cents: 20_000_00))
            try await service.setAppropriation(
                county, line: BudgetLine(year: 2026, socialSpace: space, component: .structure),
                amount: Money(cents: 10_000_00))
        }
    }

    public func key(_ text: String) -> IdempotencyKey { IdempotencyKey(text)! }

    /// The Kontierung of every line of `year` (Produkt 36300, Sachkonto 5331xxxx) and the providers'
    /// creditor numbers: what ordering a payment needs.
    public func mapFinance(year: Int) async throws {
        for (index, space) in [nord, sued].enumerated() {
            for component in BudgetComponent.allCases {
                for kind in [PaymentOrderKind.instalment, .settlement] {
                    try await orders.setFinanceMapping(
                        county, year: year, socialSpace: space, component: component, kind: kind,
                        mapping: FinanceMapping(
                            product: "36300", account: kind == .instalment ? "53310000" : "53310100",
                            costCentre: "SR\(index + 1)-\(component.rawValue)"))
                }
            }
        }
        try await orders.setCreditorNumber(county, provider: alpha.tenant, number: "70001")
        try await orders.setCreditorNumber(county, provider: beta.tenant, number: "70002")
    }

    /// An instalment certified by `county` and ordered by `orderer`: its booking and order.
    public func payInstalment(
        provider: TenantID, socialSpace: SocialSpaceCode, component: BudgetComponent = .case, month: YearMonth,
        amount: Money, key: String
    ) async throws -> (bookingID: Int64, orderID: Int64) {
        let certified = try await payments.certifyInstalment(
            county, provider: provider, socialSpace: socialSpace, component: component, month: month, amount: amount,
            idempotencyKey: self.key(key))
        try await mapFinance(year: month.year)
        let ordered = try await orders.approve(orderer, orderID: certified.orderID)
        return (ordered.bookingIDs[0], certified.orderID)
    }

    /// A finding accepted: certified by `county`, its payment ordered by `orderer`; the bookings it made.
    @discardableResult
    public func acceptFinding(_ finding: UUID, reason: String) async throws -> [Int64] {
        guard
            let certified = try await grants.resolveFinding(county, findingID: finding, accept: true, reason: reason)
        else { return [] }
        return try await orders.approve(orderer, orderID: certified.orderID).bookingIDs
    }

    /// A year end confirmed by `county` (controller) and ordered by `orderer`.
    public func confirmYearEnd(_ service: ReconciliationService, year: Int, runID: Int64) async throws {
        let certified = try await YearEndService(reconciliation: service).confirmYearEnd(
            county, year: year, runID: runID)
        _ = try await orders.approve(orderer, orderID: certified.orderID)
    }

    /// A statement certified by `county` and ordered by `orderer`: its balance and bookings.
    public func settle(
        _ service: ReconciliationService, runID: Int64, provider: TenantID, key: String
    ) async throws -> (amount: Money, bookingIDs: [Int64]) {
        // The county pays on the issued statement: issued here unless one is live already.
        let live = try await service.issuedStatements(county, provider: provider, runID: runID)
        if live.allSatisfy({ $0.state == .withdrawn }) {
            _ = try await service.issueStatement(county, runID: runID, provider: provider)
        }
        let certified = try await service.certifySettlement(
            county, runID: runID, provider: provider, idempotencyKey: self.key(key))
        try await mapFinance(year: BudgetWorld.today.year)
        let ordered = try await orders.approve(orderer, orderID: certified.orderID)
        return (ordered.amount, ordered.bookingIDs)
    }

    /// The reconciliation use cases on this world's store, as of `today`.
    public func reconciler(label: String = "test.reconciliation") -> ReconciliationService {
        ReconciliationService(store: store, logger: Logger(label: label), today: { BudgetWorld.today })
    }

    /// A case in `nord` with a §31 grant to alpha for 2026, 10 hours a month (600.00 a month).
    public func grantedCase(_ caseKey: String = "VER-2026-0001", hours: Int64 = 10_00) async throws -> UUID {
        try await openCase(caseKey, from: "2025-06-01")
            .granted(perMonth: Quantity(hundredths: hours).description, key: "grant-\(caseKey)").id
    }

    /// Rows of a table, counted as the superuser.
    public func count(_ table: String) async throws -> Int {
        let admin = try await database.superuserConnection()
        return try await admin.query(PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM \(table)")).single().decode(
            0, as: Int.self)
    }

    /// A snapshot of every money-relevant table, to show that a refused request wrote nothing.
    public func snapshot() async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in ["booking", "delivery", "finding", "commitment", "idempotency", "grant_decision", "ledger_total"] {
            counts[table] = try await count(table)
        }
        return counts
    }

    /// Alpha's granted case with 8 h delivered in March 2026 (480.00), March closed if asked; the grant
    /// and the delivery's booking.
    public func deliveredInMarch(closingMarch: Bool = false) async throws -> (grant: UUID, booking: Int64) {
        let grant = try await grantedCase()
        let march = YearMonth(iso: "2026-03")!
        try await GrantScenario(world: self, id: grant, provider: alpha).delivered("2026-03", "8", key: "delivery-0001")
        if closingMarch { try await service.closeMonth(county, month: march) }
        guard let booking = try await deliveryBookings().first else { throw ServiceError.notFound("booking") }
        return (grant, booking)
    }

    /// The ids of the delivery bookings alpha sees, oldest first.
    public func deliveryBookings() async throws -> [Int64] {
        try await store.withTenant(alpha.tenant, readOnly: true) { tx in
            try await tx.query(unsafeSQL: "SELECT id FROM booking WHERE kind = 'delivery' ORDER BY id").map {
                try $0.decode(0, as: Int64.self)
            }
        }
    }

    public func funds(_ space: SocialSpaceCode, as caller: Caller? = nil) async throws -> FundsReport {
        try await service.availableFunds(caller ?? county, socialSpace: space, year: 2026)
    }
}

extension FundsReport {
    public func line(_ component: BudgetComponent) -> FundsReport.Line { lines.first { $0.component == component }! }
}
