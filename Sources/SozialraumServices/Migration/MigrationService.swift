import Logging
import SozialraumDomain
import SozialraumStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Moving over from the county's previous system (Datenübernahme): a county that goes live mid-year
/// loads its providers, Sozialräume, assignments, rates, appropriations, running cases and grants and
/// projects from one bundle of CSV files (`MigrationBundle`), all or nothing, idempotent by key. What
/// was spent in the year before go-live is booked once as `opening` entries per provider, Sozialraum and
/// component (sql/0018), so that funds and reconciliation are right from the first day; running grants
/// commit only from the go-live month on. A dry run checks everything against the database, reports
/// every bad line and the totals that would result, and writes nothing.
public struct MigrationService: BudgetArea {
    /// The store, the log and today's date (the migration uses no payment settings).
    let context: ServiceContext

    public init(store: Store, logger: Logger, today: @escaping @Sendable () -> Day) {
        self.context = ServiceContext(store: store, logger: logger, today: today, settings: PaymentSettings())
    }

    /// What a migration wrote (or, dry, would write).
    public struct Summary: Sendable, Equatable, CustomStringConvertible {
        public var providers = 0
        public var memberships = 0
        public var assignments = 0
        public var rates = 0
        public var appropriations = 0
        public var appropriated = Money.zero
        public var cases = 0
        public var grants = 0
        /// Commitments of the migrated grants from the go-live month to the year's end.
        public var committed = Money.zero
        public var projects = 0
        public var openings = 0
        /// Spending of the year before go-live, booked as opening entries.
        public var opening = Money.zero

        public var description: String {
            "providers \(providers), sozialraeume \(memberships), assignments \(assignments), rates \(rates), "
                + "appropriations \(appropriations) (\(appropriated)), cases \(cases), grants \(grants) "
                + "(committed \(committed)), projects \(projects), opening \(openings) entries (\(opening))"
        }

        /// The stored form (idempotency): the numbers separated by spaces.
        var encoded: String {
            [
                providers, memberships, assignments, rates, appropriations, Int(appropriated.cents), cases, grants,
                Int(committed.cents), projects, openings, Int(opening.cents),
            ].map(String.init).joined(separator: " ")
        }

        public init() {}

        init?(encoded: String) {
            let numbers = encoded.split(separator: " ").compactMap { Int($0) }
            guard numbers.count == 12 else { return nil }
            (providers, memberships, assignments, rates, appropriations) = (
                numbers[0], numbers[1], numbers[2], numbers[3], numbers[4]
            )
            appropriated = Money(cents: Int64(numbers[5]))
            (cases, grants) = (numbers[6], numbers[7])
            committed = Money(cents: Int64(numbers[8]))
            (projects, openings) = (numbers[9], numbers[10])
            opening = Money(cents: Int64(numbers[11]))
        }
    }

    /// Thrown inside a dry run's transaction so that it rolls back; carries the summary out.
    private struct DryRun: Error { let summary: Summary }

    /// Loads the bundle for a county going live on `goLive` (its year must be open). Every bad line is
    /// reported at once (`rejectedRows`, `file.column` naming where) and nothing is written.
    public func migrate(
        _ caller: Caller, goLive: Day, bundle text: String, dryRun: Bool, idempotencyKey: IdempotencyKey
    ) async throws -> Summary {
        try caller.require(.caseWork, for: "migrating data")
        let bundle = try MigrationBundle.parse(text).get()
        let content = "migration|\(goLive)|\(sha256Hex(text))"
        do {
            return try await ServiceError.translating {
                try await store.withTenant(caller.tenant) { tx in
                    if !dryRun, let result = try await replayed(tx, key: idempotencyKey, content: content) {
                        guard let summary = Summary(encoded: result) else {
                            throw ServiceError.conflict("stored result unreadable")
                        }
                        return summary
                    }
                    var run = MigrationRun(tx: tx, caller: caller, goLive: goLive, service: self)
                    let summary = try await run.apply(bundle)
                    if dryRun { throw DryRun(summary: summary) }
                    try await LedgerStore.remember(tx, key: idempotencyKey, content: content, result: summary.encoded)
                    try await tx.audit(caller, "migration.import", "fiscal_year", String(goLive.year))
                    return summary
                }
            }
        } catch let dry as DryRun {
            return dry.summary
        }
    }
}
