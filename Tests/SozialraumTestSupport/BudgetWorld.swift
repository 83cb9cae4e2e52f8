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
    public let county: Caller
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
        let world = BudgetWorld(
            database: database, store: store, service: BudgetService(store: store, logger: logger, today: { today }),
            grants: GrantService(store: store, logger: logger, today: { today }),
            payments: PaymentService(store: store, logger: logger, today: { today }),
            county: Caller(tenant: countyID, role: .county, name: "kaemmerei"),
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

    /// A case in `nord` with a §31 grant to alpha for 2026, 10 hours a month (600.00 a month).
    public func grantedCase(_ caseKey: String = "VER-2026-0001", hours: Int64 = 10_00) async throws -> UUID {
        try await grants.openCase(county, key: caseKey, socialSpace: nord, from: Day(iso: "2025-06-01")!)
        return try await grants.grant(
            county,
            .init(
                caseKey: caseKey, provider: alpha.tenant, helpType: "31", unit: .hour,
                volumePerMonth: Quantity(hundredths: hours),
                startsOn: Day(iso: "2026-01-01")!, endsOn: Day(iso: "2026-12-31")!),
            idempotencyKey: key("grant-\(caseKey)")
        ).grantID
    }

    /// Rows of a table, counted as the superuser.
    public func count(_ table: String) async throws -> Int {
        let admin = try await database.superuserConnection()
        return try await admin.query(PostgresQuery("SELECT count(*)::int FROM \(table)")).single().decode(
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
        _ = try await grants.recordDelivery(
            alpha, grantID: grant, month: march, quantity: Quantity(hundredths: 8_00),
            idempotencyKey: key("delivery-0001"))
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
