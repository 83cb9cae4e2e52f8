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

    /// `today` is the county's calendar day (the domain has no clock); `accounts` defaults to the
    /// production password hashing.
    public init(
        store: Store, logger: Logger, today: @escaping @Sendable () -> Day, accounts: AccountService? = nil
    ) {
        self.budget = BudgetService(store: store, logger: logger, today: today)
        self.grants = GrantService(store: store, logger: logger, today: today)
        self.payments = PaymentService(store: store, logger: logger, today: today)
        self.reconciliation = ReconciliationService(store: store, logger: logger, today: today)
        self.yearEnd = YearEndService(reconciliation: reconciliation)
        self.accounts = accounts ?? AccountService(store: store, logger: logger)
        self.status = SystemStatusService(store: store)
        self.jobs = JobService(store: store, logger: logger)
        self.migration = MigrationService(store: store, logger: logger, today: today)
    }
}
