import Logging
import SozialraumDomain
import SozialraumStore

/// Every use case the interfaces call, built on one store: what the admin socket and the scheduler are
/// given instead of the store itself.
public struct UseCases: Sendable {
    public var budget: BudgetService
    public var grants: GrantService
    public var payments: PaymentService
    public var reconciliation: ReconciliationService
    public var yearEnd: YearEndService
    public var accounts: AccountService
    public var status: SystemStatusService
    public var jobs: JobService
    public var migration: MigrationService
    public var paymentOrders: PaymentOrderService
    public var accessLog: AccessLogService
    public var erasure: ErasureService
    public var restriction: RestrictionService
    public var auskunft: AuskunftService

    /// `today` is the county's calendar day (the domain has no clock); `accounts` defaults to the
    /// production password hashing; `land` is whose public holidays the schedules skip; `retention` the
    /// county's deletion rules.
    public init(
        store: Store, logger: Logger, today: @escaping @Sendable () -> Day, accounts: AccountService? = nil,
        paymentSettings: PaymentSettings = PaymentSettings(), land: Land = .niedersachsen,
        retention: RetentionRules = RetentionRules(), erasureBatch: Int = 1000
    ) {
        self.budget = BudgetService(store: store, logger: logger, today: today, settings: paymentSettings)
        self.grants = GrantService(store: store, logger: logger, today: today, settings: paymentSettings)
        self.payments = PaymentService(store: store, logger: logger, today: today, settings: paymentSettings)
        self.reconciliation = ReconciliationService(
            store: store, logger: logger, today: today, settings: paymentSettings)
        self.yearEnd = YearEndService(reconciliation: reconciliation)
        self.accounts = accounts ?? AccountService(store: store, logger: logger)
        self.status = SystemStatusService(store: store)
        self.jobs = JobService(store: store, logger: logger, land: land)
        self.migration = MigrationService(store: store, logger: logger, today: today)
        self.accessLog = AccessLogService(store: store)
        self.restriction = RestrictionService(store: store, logger: logger)
        self.auskunft = AuskunftService(store: store, logger: logger)
        self.erasure = ErasureService(
            store: store, logger: logger, today: today, caseLinkYears: retention.caseLinkYears,
            batch: erasureBatch)
        self.paymentOrders = PaymentOrderService(
            store: store, logger: logger, today: today, settings: paymentSettings, payments: payments, grants: grants,
            reconciliation: reconciliation, budget: budget)
    }
}
