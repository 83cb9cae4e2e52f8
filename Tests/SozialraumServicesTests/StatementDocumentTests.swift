import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Statements as documents, runs as positions (issue 20): drafts derived at a run's positions, issued
/// statements frozen, settled or withdrawn once, nightly runs pruned.
@Suite struct StatementDocumentTests {
    func reconciler(_ world: BudgetWorld) -> ReconciliationService {
        world.reconciler(label: "test.statements")
    }

    func month(_ text: String) -> YearMonth { YearMonth(iso: text)! }
    func day(_ text: String) -> Day { Day(iso: text)! }

    /// Alpha's case VER-2026-0001 in nord (10 h a month for 2026, 60.00 an hour), 8 h delivered in March
    /// (480.00), and a milieu project of alpha's with 1,234.00 spent in April; then the year is run.
    func deliveredAndRun(
        _ world: BudgetWorld, _ service: ReconciliationService
    ) async throws -> (grant: UUID, run: ReconciliationService.RunSummary) {
        let grant = try await world.grantedCase()
        _ = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: month("2026-03"), quantity: Quantity(hundredths: 8_00),
            idempotencyKey: world.key("delivery-march"))
        let project = try await world.payments.createProject(
            world.county, provider: world.alpha.tenant, title: "Stadtteiltreff", socialSpace: world.nord,
            component: .milieu, startsOn: day("2026-01-01"), endsOn: day("2026-12-31"),
            budget: Money(cents: 1_234_00), volunteers: 4, professionals: 1)
        _ = try await world.payments.bookProjectExpense(
            world.alpha, projectID: project, day: day("2026-04-15"), amount: Money(cents: 1_234_00),
            idempotencyKey: world.key("expense-april"))
        return (grant, try await service.run(world.county, scope: .year(2026)))
    }

    /// The same run gives the same draft whatever happens afterwards: a later delivery, the reversal of
    /// the run's delivery, an early end of the grant, a move of the case and a new grant change the next
    /// run's items, not this one's.
    @Test func aDraftIsTheSameBytesWhateverHappensAfterTheRun() async throws {
        let world = try await BudgetWorld.make()
        let service = reconciler(world)
        let (grant, run) = try await deliveredAndRun(world, service)
        let before = try await service.statementItems(world.county, runID: run.runID, provider: nil)
        // Hand-computed: the grant covers 2026 → 12 × 10 h = 120 h granted; 8 h delivered and payable at
        // 60.00 = 480.00; the project 1,234.00, no volumes.
        #expect(before.count == 2)
        let item = try #require(before.first { $0.item == "grant" })
        #expect(item.id == grant && item.caseKey == "VER-2026-0001" && item.socialSpace == "nord")
        #expect(item.granted == Quantity(hundredths: 120_00) && item.delivered == Quantity(hundredths: 8_00))
        #expect(item.payable == Quantity(hundredths: 8_00) && item.cost == Money(cents: 480_00))
        #expect(before.first { $0.item == "project" }?.cost == Money(cents: 1_234_00))

        // After the run.
        _ = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: month("2026-04"), quantity: Quantity(hundredths: 10_00),
            idempotencyKey: world.key("delivery-april"))
        let march = try #require(try await world.deliveryBookings().first)
        _ = try await world.payments.reverse(world.alpha, bookingID: march, idempotencyKey: world.key("reverse-march"))
        try await world.grants.endGrant(world.county, grantID: grant, on: day("2026-09-30"))
        try await world.existingCase("VER-2026-0001").moves(to: world.sued, on: "2026-09-01")
        _ = try await world.grantedCase("VER-2026-0002")

        let after = try await service.statementItems(world.county, runID: run.runID, provider: nil)
        #expect(after == before)
        // The next run sees it all: 9 months granted (90 h), April's 10 h delivered (600.00; March's
        // reversed), the case in sued on the grant's last day (30 September), and the new grant.
        let next = try await service.run(world.county, scope: .year(2026))
        let now = try await service.statementItems(world.county, runID: next.runID, provider: nil)
        let moved = try #require(now.first { $0.id == grant })
        #expect(moved.granted == Quantity(hundredths: 90_00) && moved.delivered == Quantity(hundredths: 10_00))
        #expect(moved.cost == Money(cents: 600_00) && moved.socialSpace == "sued")
        #expect(now.count == 3)
        // Issuing the first run's statement now freezes the run's items, not today's.
        let issued = try await service.issueStatement(world.county, runID: run.runID, provider: world.alpha.tenant)
        let frozen = try await service.issuedStatement(world.county, id: issued.id).items
        // The same items; the issued ones carry their hashes besides.
        #expect(
            frozen.map { item in
                var draft = item
                draft.itemHash = nil
                return draft
            } == before)
        #expect(frozen.allSatisfy { $0.itemHash?.count == 64 })
    }

    /// An issued statement's hash is the documented recipe; PostgreSQL refuses every change to it (the
    /// figures, the hash, an item added or removed, a state without its order), and later bookings leave
    /// it as it was.
    @Test func anIssuedStatementNeverChanges() async throws {
        let world = try await BudgetWorld.make()
        let service = reconciler(world)
        let (grant, run) = try await deliveredAndRun(world, service)
        let document = try await service.issueStatement(world.county, runID: run.runID, provider: world.alpha.tenant)
        // Accrued 480.00 + 1,234.00 = 1,714.00; nothing paid → balance 1,714.00, the county pays.
        #expect(document.state == .issued && document.items == 2 && document.issuedBy == world.county.name)
        #expect(document.accrued == Money(cents: 1_714_00) && document.balance == Money(cents: 1_714_00))
        let (_, items) = try await service.issuedStatement(world.alpha, id: document.id)
        let project = try #require(items.first { $0.item == "project" }).id
        // docs/statements.md: lines by item id, '|' between fields, empty for none.
        let lines = [
            "grant|\(grant.uuidString.lowercased())|VER-2026-0001|31|hour|nord|12000|800|800|48000",
            "project|\(project.uuidString.lowercased())||||nord||||123400",
        ].sorted { $0.split(separator: "|")[1] < $1.split(separator: "|")[1] }
        let admin = try await world.database.superuserConnection()
        // The document's hash is over the items' hashes (each sha256 of its line), one per line (sql/0034).
        var itemHashes: [String] = []
        for line in lines { itemHashes.append(try await admin.sha256Hex(line)) }
        #expect(document.contentHash == (try await admin.sha256Hex(itemHashes.joined(separator: "\n"))))
        #expect(Set(items.compactMap(\.itemHash)) == Set(itemHashes))

        func refusal(_ sql: String) async -> String? {
            do {
                try await world.store.withTenant(world.county.tenant) { tx in
                    _ = try await tx.execute(unsafeSQL: sql, [document.id])
                }
                return nil
            } catch let error as PostgresError {
                return error.sqlState?.rawValue
            } catch {
                return "\(error)"
            }
        }
        #expect(await refusal("UPDATE statement_document SET balance = 1, accrued = 1 WHERE id = $1") == "SZ007")
        #expect(await refusal("UPDATE statement_document SET content_hash = '\\x00' WHERE id = $1") == "SZ007")
        #expect(
            await refusal(
                """
                INSERT INTO statement_document_item (statement_id, tenant_id, item, item_id, cost)
                SELECT id, tenant_id, 'grant', gen_random_uuid(), 1 FROM statement_document WHERE id = $1
                """) == "SZ007")
        #expect(await refusal("DELETE FROM statement_document_item WHERE statement_id = $1") == "42501")
        #expect(await refusal("UPDATE statement_document SET state = 'settled' WHERE id = $1") == "SZ006")
        #expect(await refusal("DELETE FROM statement_document WHERE id = $1") == "42501")
        let second = await #expect(throws: ServiceError.self) {
            try await service.issueStatement(world.county, runID: run.runID, provider: world.alpha.tenant)
        }
        #expect(second == .duplicate("statement \(document.id) (issued) for this run and provider"))
        // A later booking changes nothing issued.
        _ = try await world.payInstalment(
            provider: world.alpha.tenant, socialSpace: world.nord, component: .case, month: month("2026-04"),
            amount: Money(cents: 100_00), key: "instalment-april")
        let again = try await service.issuedStatement(world.county, id: document.id)
        #expect(again.document == document && again.items == items)
    }

    /// Issued → withdrawn (with a reason), issued again → settled through the four-eyes path; each state
    /// moves once, and a statement under a pending settlement order is not withdrawn.
    @Test func aStatementIsSettledOrWithdrawnOnce() async throws {
        let world = try await BudgetWorld.make()
        let service = reconciler(world)
        let (_, run) = try await deliveredAndRun(world, service)
        let first = try await service.issueStatement(world.county, runID: run.runID, provider: world.alpha.tenant)
        let forbidden = await #expect(throws: ServiceError.self) {
            try await service.withdrawStatement(world.orderer, id: first.id, reason: "wrong")
        }
        #expect(forbidden == .forbidden("withdrawing statements needs the right certify"))
        let withdrawn = try await service.withdrawStatement(
            world.county, id: first.id, reason: "Leistungsnachweis März fehlerhaft")
        #expect(withdrawn.state == .withdrawn && withdrawn.withdrawalReason == "Leistungsnachweis März fehlerhaft")
        #expect(withdrawn.withdrawnBy == world.county.name && withdrawn.withdrawnAt != nil)
        let twice = await #expect(throws: ServiceError.self) {
            try await service.withdrawStatement(world.county, id: first.id, reason: "again")
        }
        #expect(twice == .conflict("the statement is withdrawn"))
        // A withdrawn statement is not paid on.
        let onWithdrawn = await #expect(throws: ServiceError.self) {
            try await service.certifySettlement(
                world.county, runID: run.runID, provider: world.alpha.tenant, idempotencyKey: world.key("settle-w"))
        }
        #expect(
            onWithdrawn
                == .conflict(
                    "a settlement pays an issued statement: issue it first (statement-issue \(run.runID) \(world.alpha.tenant))"
                ))

        let second = try await service.issueStatement(world.county, runID: run.runID, provider: world.alpha.tenant)
        #expect(second.id != first.id && second.contentHash == first.contentHash)
        let certified = try await service.certifySettlement(
            world.county, runID: run.runID, provider: world.alpha.tenant, idempotencyKey: world.key("settle-run"))
        let pending = await #expect(throws: ServiceError.self) {
            try await service.withdrawStatement(world.county, id: second.id, reason: "too late")
        }
        #expect(pending == .conflict("payment order \(certified.orderID) settles it; reject that order first"))
        try await world.mapFinance(year: 2026)
        let ordered = try await world.orders.approve(world.orderer, orderID: certified.orderID)
        // 480.00 + 1,234.00 = 1,714.00 paid.
        #expect(ordered.amount == Money(cents: 1_714_00))
        let settled = try await service.issuedStatement(world.county, id: second.id).document
        #expect(settled.state == .settled && settled.paymentOrderID == certified.orderID && settled.settledAt != nil)
        let afterSettling = await #expect(throws: ServiceError.self) {
            try await service.withdrawStatement(world.county, id: second.id, reason: "after")
        }
        #expect(afterSettling == .conflict("the statement is settled"))
        let history = try await service.issuedStatements(world.county, runID: run.runID)
        #expect(history.map(\.state) == [.settled, .withdrawn])
    }

    /// A provider sees its own issued statements and their items, never another's.
    @Test func aProviderReadsItsOwnIssuedStatementsOnly() async throws {
        let world = try await BudgetWorld.make()
        let service = reconciler(world)
        let (_, run) = try await deliveredAndRun(world, service)
        let document = try await service.issueStatement(world.county, runID: run.runID, provider: world.alpha.tenant)
        #expect(try await service.issuedStatements(world.alpha).map(\.id) == [document.id])
        #expect(try await service.issuedStatements(world.beta).isEmpty)
        let hidden = await #expect(throws: ServiceError.self) {
            try await service.issuedStatement(world.beta, id: document.id)
        }
        #expect(hidden == .notFound("statement"))
        #expect(try await service.issuedStatement(world.alpha, id: document.id).items.count == 2)
        let refused = await #expect(throws: ServiceError.self) {
            try await service.issueStatement(world.alpha, runID: run.runID, provider: world.alpha.tenant)
        }
        #expect(refused == .forbidden("issuing statements"))
    }

    /// Nightly runs go after the kept days unless something refers to them; a finished month, a year and
    /// the newest run stay. Backdated by the superuser: the test does not wait 90 days.
    @Test func nightlyRunsArePrunedAndRunsReferredToStay() async throws {
        let world = try await BudgetWorld.make()
        let service = reconciler(world)
        // November 2026 to date (today is 25 November): nightly, no findings (nothing due yet).
        let unreferenced = try await service.run(world.county, scope: .month(month("2026-11")))
        let again = try await service.run(world.county, scope: .month(month("2026-11")))
        _ = try await world.payInstalment(
            provider: world.alpha.tenant, socialSpace: world.nord, component: .case, month: month("2026-11"),
            amount: Money(cents: 100_00), key: "instalment-nov")
        let withStatement = try await service.run(world.county, scope: .month(month("2026-11")))
        _ = try await service.issueStatement(world.county, runID: withStatement.runID, provider: world.alpha.tenant)
        let october = try await service.run(world.county, scope: .month(month("2026-10")))
        let newest = try await service.run(world.county, scope: .month(month("2026-11")))
        let admin = try await world.database.superuserConnection()
        try await admin.query(
            PostgresQuery(
                unsafeSQL: "UPDATE sozialraum.reconciliation_run SET finished_at = now() - interval '100 days'"))
        let retention = try await admin.query(
            PostgresQuery(unsafeSQL: "SELECT string_agg(retention, ',' ORDER BY id) FROM sozialraum.reconciliation_run")
        ).single().decode(0, as: String.self)
        #expect(retention == "nightly,nightly,nightly,kept,nightly")

        // Kept 200 days: nothing is old enough.
        #expect(try await service.pruneNightlyRuns(world.county, keepDays: 200) == 0)
        // Kept 90 days: the two unreferenced nightly runs go; the one with a statement, October, the newest stay.
        #expect(try await service.pruneNightlyRuns(world.county, keepDays: 90) == 2)
        let left = try await service.runs(world.county, year: 2026).map(\.id).sorted()
        #expect(left == [withStatement.runID, october.runID, newest.runID])
        #expect(!left.contains(unreferenced.runID) && !left.contains(again.runID))
        let lines = try await admin.query(
            PostgresQuery(
                unsafeSQL: "SELECT count(*)::int FROM sozialraum.reconciliation_line WHERE run_id IN ($1, $2)",
                [unreferenced.runID, again.runID])
        ).single().decode(0, as: Int.self)
        #expect(lines == 0)

        // Only through the function, and only the county: the runtime role cannot delete a run, a provider
        // cannot prune, and a finished month is never nightly.
        let deleted = await #expect(throws: PostgresError.self) {
            try await world.store.withTenant(world.county.tenant) { tx in
                try await tx.execute(unsafeSQL: "DELETE FROM reconciliation_run WHERE id = $1", [october.runID])
            }
        }
        #expect(deleted?.sqlState == .insufficientPrivilege)
        let byProvider = await #expect(throws: ServiceError.self) {
            try await service.pruneNightlyRuns(world.alpha, keepDays: 1)
        }
        #expect(byProvider == .forbidden("pruning reconciliation runs"))
        let finishedMonthNightly = await #expect(throws: PostgresError.self) {
            try await admin.query(
                PostgresQuery(
                    unsafeSQL: "UPDATE sozialraum.reconciliation_run SET retention = 'nightly' WHERE id = $1",
                    [october.runID]))
        }
        #expect(finishedMonthNightly?.sqlState == .checkViolation)
    }
}
