import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Hand-computed scenarios of rule 13 against PostgreSQL. The world (BudgetWorld): nord served by
/// alpha, sued by beta; §31 at 60.00 an hour, §34 at 200.00 a day; per Sozialraum case 100,000.00,
/// milieu 20,000.00, structure 10,000.00; today 2026-11-25.
@Suite struct ReconciliationServiceTests {
    func reconciler(_ world: BudgetWorld) -> ReconciliationService {
        world.reconciler(label: "test.reconciliation")
    }

    /// Alpha delivers 8 h in March (480.00) and is paid `instalment` for March; the first quarter is run.
    func firstQuarter(
        instalment: Money
    ) async throws -> (BudgetWorld, ReconciliationService, ReconciliationService.RunSummary) {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        _ = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: month("2026-03"), quantity: Quantity(hundredths: 8_00),
            idempotencyKey: world.key("delivery-march"))
        _ = try await world.payInstalment(
            provider: world.alpha.tenant, socialSpace: world.nord, component: .case,
            month: month("2026-03"),
            amount: instalment, key: "instalment-march")
        let service = reconciler(world)
        return (world, service, try await service.run(world.county, scope: .quarter(containing: month("2026-03"))))
    }

    func day(_ text: String) -> Day { Day(iso: text)! }
    func month(_ text: String) -> YearMonth { YearMonth(iso: text)! }
    func euros(_ value: Int64) -> Int64 { value * 100 }

    /// Lines of a run as `[sozialraum/line: [column: cents]]`.
    func lines(
        _ service: ReconciliationService, _ caller: Caller, _ run: Int64
    ) async throws -> [String: [String: Int64]] {
        let columns = [
            "appropriation", "carry_in", "commitments", "actuals", "available", "cover_transfer", "after_cover",
            "forecast", "forecast_available", "overrun",
        ]
        var result: [String: [String: Int64]] = [:]
        for line in try await service.runResult(caller, runID: run, part: .lines).lineResults {
            for (column, figure) in zip(columns, line.figures) {
                if let cents = figure { result["\(line.socialSpace)/\(line.line)", default: [:]][column] = cents }
            }
        }
        return result
    }

    func findings(
        _ world: BudgetWorld, kind: FindingKind
    ) async throws -> [(month: String, tenant: UUID, space: String?, amount: Int64?)] {
        try await world.store.withTenant(world.county.tenant, readOnly: true) { tx in
            try await tx.query(
                unsafeSQL:
                    "SELECT to_char(month, 'YYYY-MM'), tenant_id, social_space, amount FROM finding WHERE kind = $1 ORDER BY month, created_at",
                [kind.rawValue]
            ).map {
                (
                    try $0.decode(0, as: String.self), try $0.decode(1, as: UUID.self),
                    try $0.decode(2, as: String?.self), try $0.decode(3, as: Int64?.self)
                )
            }
        }
    }

    func residentialCase(_ world: BudgetWorld, key: String, days: Int64) async throws -> UUID {
        try await world.openCase(key).granted(help: "34", unit: .day, perMonth: "\(days)", key: "grant-\(key)").id
    }

    func project(_ world: BudgetWorld, _ component: BudgetComponent, spending: Int64) async throws {
        let project = try await world.payments.createProject(
            world.county, provider: world.alpha.tenant, title: "Stadtteiltreff", socialSpace: world.nord,
            component: component,
            startsOn: day("2026-01-01"), endsOn: day("2026-12-31"), budget: Money(cents: spending), volunteers: 4,
            professionals: 1)
        _ = try await world.payments.bookProjectExpense(
            world.alpha, projectID: project, day: day("2026-04-15"), amount: Money(cents: spending),
            idempotencyKey: world.key("expense-\(component.rawValue)"))
    }

    /// Case overrun covered by milieu savings. Two §34 grants in nord for the whole year: 31 and 15
    /// days a month at 200.00 → 6,200.00 + 3,000.00 = 9,200.00 a month, 110,400.00 committed.
    /// Case: 100,000.00 − 110,400.00 = −10,400.00. Milieu: 20,000.00 untouched. Pool: 9,600.00.
    /// So milieu covers 10,400.00 of case; case after cover 0, milieu after cover 9,600.00.
    @Test func aCaseOverrunIsCoveredByMilieuSavings() async throws {
        let world = try await BudgetWorld.make()
        _ = try await residentialCase(world, key: "VER-2026-0101", days: 31)
        _ = try await residentialCase(world, key: "VER-2026-0102", days: 15)
        let service = reconciler(world)
        let run = try await service.run(world.county, scope: .year(2026))
        let result = try await lines(service, world.county, run.runID)
        #expect(result["nord/case"]?["commitments"] == euros(110_400))
        #expect(result["nord/case"]?["available"] == euros(-10_400))
        #expect(result["nord/case"]?["cover_transfer"] == euros(10_400))
        #expect(result["nord/case"]?["after_cover"] == 0)
        #expect(result["nord/case"]?["overrun"] == 0)
        #expect(result["nord/milieu"]?["after_cover"] == euros(9_600))
        #expect(result["nord/pool:case+milieu"]?["available"] == euros(9_600))
        #expect(result["nord/case"]?["forecast"] == euros(110_400))
        let transfers = try await service.runResult(world.county, runID: run.runID, part: .transfers)
        #expect(
            transfers
                == .transfers([
                    RunCoverTransfer(
                        socialSpace: "nord", from: "milieu", to: "case", amount: Money(cents: euros(10_400)))
                ]))
        #expect(run.overruns.isEmpty)
        #expect(try await findings(world, kind: .uncoveredOverrun).isEmpty)
    }

    /// Milieu overrun covered by case savings: a milieu project spends 26,000.00 (policy warn) of
    /// 20,000.00 → −6,000.00; case has 100,000.00 spare and gives 6,000.00.
    @Test func aMilieuOverrunIsCoveredByCaseSavings() async throws {
        let world = try await BudgetWorld.make()
        try await project(world, .milieu, spending: euros(26_000))
        let service = reconciler(world)
        let run = try await service.run(world.county, scope: .year(2026, through: month("2026-11")))
        let result = try await lines(service, world.county, run.runID)
        #expect(result["nord/milieu"]?["available"] == euros(-6_000))
        #expect(result["nord/milieu"]?["after_cover"] == 0)
        #expect(result["nord/case"]?["after_cover"] == euros(94_000))
        let transfers = try await service.runResult(world.county, runID: run.runID, part: .transfers)
        #expect(
            transfers
                == .transfers([
                    RunCoverTransfer(
                        socialSpace: "nord", from: "case", to: "milieu", amount: Money(cents: euros(6_000)))
                ]))
        // Milieu forecast: 26,000.00 spent in April, through November 26,000 / 11 = 2,363.63 a month
        // (rounded down) for December: 28,363.63.
        #expect(result["nord/milieu"]?["forecast"] == 28_363_63)
    }

    /// A structure overrun nothing covers: 13,500.00 of 10,000.00 → 3,500.00 überplanmäßig, a
    /// finding for the county; the case line's 100,000.00 does not help.
    @Test func aStructureOverrunThatNothingCoversIsFlagged() async throws {
        let world = try await BudgetWorld.make()
        try await project(world, .structure, spending: euros(13_500))
        let service = reconciler(world)
        let run = try await service.run(world.county, scope: .year(2026))
        #expect(run.overruns == ["nord/structure": Money(cents: euros(3_500))])
        let result = try await lines(service, world.county, run.runID)
        #expect(result["nord/structure"]?["overrun"] == euros(3_500))
        #expect(result["nord/pool:structure"]?["overrun"] == euros(3_500))
        let found = try await findings(world, kind: .uncoveredOverrun)
        #expect(found.count == 1)
        #expect(
            found.first?.space == "nord" && found.first?.amount == euros(3_500)
                && found.first?.tenant == world.county.tenant.uuid)
        // The next night finds the same fact: no second finding.
        let again = try await service.run(world.county, scope: .year(2026))
        #expect(again.newFindings == 0)
        #expect(try await findings(world, kind: .uncoveredOverrun).count == 1)
    }

    /// A move mid-month with the provider staying: §31 10 h a month (600.00) for 2026 in nord; the case
    /// moves to sued on 16 July. July splits by days: nord 15/31 × 600.00 = 290.32, sued 16/31 × 600.00
    /// = 309.68 (the remainder cent to the larger remainder). Nord: 6 × 600.00 + 290.32 = 3,890.32;
    /// sued: 309.68 + 5 × 600.00 = 3,309.68. Alpha serves only nord and the grant has no reason for
    /// sued: a finding from July.
    @Test func aMoveMidMonthWithTheProviderStaying() async throws {
        let world = try await BudgetWorld.make()
        _ = try await world.grantedCase()
        try await world.existingCase("VER-2026-0001").moves(to: world.sued, on: "2026-07-16")
        let service = reconciler(world)
        let run = try await service.run(world.county, scope: .year(2026))
        let result = try await lines(service, world.county, run.runID)
        #expect(result["nord/case"]?["commitments"] == 3_890_32)
        #expect(result["sued/case"]?["commitments"] == 3_309_68)
        let months = try await service.runResult(world.county, runID: run.runID, part: .months, socialSpace: world.sued)
        let july = months.monthResults.first { $0.component == "case" && $0.month == "2026-07" }
        #expect(july?.figures[1] == 309_68)
        let outside = try await findings(world, kind: .outOfAreaWithoutReason)
        #expect(
            outside.map(\.month) == ["2026-07"] && outside.first?.space == "sued"
                && outside.first?.tenant == world.alpha.tenant.uuid)
    }

    /// A rate change mid-month: alpha's §31 rate rises from 60.00 to 66.00 on 16 May. May, 10 hours:
    /// 10 × (60.00 × 15 + 66.00 × 16) / 31 = 10 × 1,956.00 / 31 = 630.967… → 630.97. The grant commits
    /// 4 × 600.00 + 630.97 + 7 × 660.00 = 7,650.97; delivering May leaves 7,020.00 committed.
    @Test func aRateChangeMidMonthSplitsByDate() async throws {
        let world = try await BudgetWorld.make()
        try await world.service.addRate(
            world.county, provider: world.alpha.tenant, helpType: "31", unit: .hour, validFrom: day("2026-05-16"),
            amount: Money(cents: 66_00))
        let grant = try await world.grantedCase()
        let delivery = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: month("2026-05"), quantity: Quantity(hundredths: 10_00),
            idempotencyKey: world.key("delivery-may"))
        #expect(delivery.cost == Money(cents: 630_97))
        let service = reconciler(world)
        let run = try await service.run(world.county, scope: .year(2026))
        let result = try await lines(service, world.county, run.runID)
        #expect(result["nord/case"]?["actuals"] == 630_97)
        #expect(result["nord/case"]?["commitments"] == 7_020_00)
        let items = try await service.statementItems(world.alpha, runID: run.runID, provider: nil)
        #expect(items.count == 1)
        #expect(
            items.first?.granted == Quantity(hundredths: 120_00)
                && items.first?.delivered == Quantity(hundredths: 10_00)
                && items.first?.cost == Money(cents: 630_97))
    }

    /// An early end releases its commitment: the grant (600.00 a month) ends on 30 April → 4 × 600.00
    /// = 2,400.00 committed, granted volume 40 hours, forecast 2,400.00.
    @Test func anEarlyEndedGrantReleasesItsCommitment() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        try await world.grants.endGrant(world.county, grantID: grant, on: day("2026-04-30"))
        let service = reconciler(world)
        let run = try await service.run(world.county, scope: .year(2026))
        let result = try await lines(service, world.county, run.runID)
        #expect(result["nord/case"]?["commitments"] == euros(2_400))
        #expect(result["nord/case"]?["forecast"] == euros(2_400))
        let items = try await service.statementItems(world.county, runID: run.runID, provider: world.alpha.tenant)
        #expect(items.first?.granted == Quantity(hundredths: 40_00))
        // January to April are over and undelivered (due by the end of the following month): four findings.
        #expect(
            try await findings(world, kind: .missingDelivery).map(\.month) == [
                "2026-01", "2026-02", "2026-03", "2026-04",
            ])
    }

    /// Missing deliveries are the open commitments due by the run day (sql/0027 finds them through the
    /// open totals): the grant commits 600.00 a month for 2026, March is delivered (released). On
    /// 25 November a month is due by the end of the next, so January to September are due: by hand eight
    /// findings (March released), 600.00 each; October (due 30 November), November and December are not.
    @Test func missingDeliveriesAreTheOpenMonthsDueByTheRunDay() async throws {
        let world = try await BudgetWorld.make()
        _ = try await world.deliveredInMarch()
        let service = reconciler(world)
        _ = try await service.run(world.county, scope: .year(2026))
        let missing = try await findings(world, kind: .missingDelivery)
        #expect(
            missing.map(\.month) == [
                "2026-01", "2026-02", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09",
            ])
        #expect(missing.allSatisfy { $0.amount == 600_00 && $0.tenant == world.alpha.tenant.uuid })
        // A second run finds the same facts once (nothing new).
        let again = try await service.run(world.county, scope: .year(2026))
        #expect(try await findings(world, kind: .missingDelivery).count == 8)
        #expect(again.newFindings == 0)
    }

    /// The statement's granted volume (computed in SQL, months in closed form) equals the domain's month
    /// by month, also for partial first and last months and a scope that cuts the grant.
    @Test func grantedVolumeInStatementsMatchesTheDomain() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.openCase("VER-2026-0300")
            .granted(perMonth: "7.33", from: "2026-02-10", to: "2026-05-20", key: "grant-partial").id
        try await world.grants.endGrant(world.county, grantID: grant, on: day("2026-05-07"))
        let terms = GrantTerms(
            period: DayRange(start: day("2026-02-10"), end: day("2026-05-20"))!,
            volumePerMonth: Quantity(hundredths: 7_33), unit: .hour, rates: [],
            endedOn: day("2026-05-07"))
        let service = reconciler(world)
        for scope in [
            ReconciliationScope.year(2026), .quarter(containing: month("2026-02")), .month(month("2026-05")),
            .month(month("2026-02")),
        ] {
            let expected = scope.months.compactMap { terms.grantedVolume(in: $0)?.hundredths }.reduce(0, +)
            let run = try await service.run(world.county, scope: scope)
            let items = try await service.statementItems(world.county, runID: run.runID, provider: world.alpha.tenant)
            #expect(items.first?.granted == Quantity(hundredths: expected), "\(scope)")
        }
    }

    /// A late correction after a closed month: March's delivery (8 h = 480.00) is reversed after
    /// March closed; the reversal is booked in November for March. Reconciled again, March's actuals
    /// are 0, its commitment is back, and the diff against the earlier run names exactly that change.
    @Test func aLateCorrectionAfterAClosedMonthShowsInTheDiff() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        _ = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: month("2026-03"), quantity: Quantity(hundredths: 8_00),
            idempotencyKey: world.key("delivery-march"))
        try await world.service.closeMonth(world.county, month: month("2026-03"))
        let service = reconciler(world)
        let before = try await service.run(world.county, scope: .year(2026))
        let original = try #require(try await world.deliveryBookings().first)
        _ = try await world.payments.reverse(
            world.alpha, bookingID: original, idempotencyKey: world.key("reverse-march"))
        let after = try await service.run(world.county, scope: .month(month("2026-03")))
        #expect(after.ledgerPosition > before.ledgerPosition)
        let months = try await service.runResult(
            world.county, runID: after.runID, part: .months, socialSpace: world.nord)
        #expect(months.monthResults.first { $0.component == "case" }?.figures[2] == 0)
        let diff = try await service.diff(world.county, from: before.runID, to: after.runID)
        let changes = diff.filter { $0.socialSpace == "nord" && $0.line == "case" }
        // Without its delivery, March is committed again (rule 7) until the corrected one arrives:
        // actuals −480.00, commitments +600.00, available −120.00.
        #expect(changes.contains { $0.field == "actuals" && $0.change == -480_00 })
        #expect(changes.contains { $0.field == "commitments" && $0.change == 600_00 })
        #expect(changes.contains { $0.field == "available" && $0.change == -120_00 })
        #expect(!diff.contains { $0.socialSpace == "sued" })
        // The statement no longer counts the reversed delivery: neither its hours nor its cost.
        let items = try await service.run(world.county, scope: .year(2026))
        let item = try await service.statementItems(world.county, runID: items.runID, provider: world.alpha.tenant)
            .first
        #expect(
            item?.delivered == Quantity(hundredths: 0) && item?.payable == Quantity(hundredths: 0)
                && item?.cost == .zero)
    }

    /// Re-running on the same ledger position gives byte-identical results and says so.
    @Test func aRunIsReproducibleOnTheSameLedgerPosition() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        _ = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: month("2026-02"), quantity: Quantity(hundredths: 12_00),
            idempotencyKey: world.key("delivery-feb"))
        try await project(world, .milieu, spending: euros(1_234))
        let service = reconciler(world)
        let first = try await service.run(world.county, scope: .year(2026))
        let second = try await service.run(world.county, scope: .year(2026))
        #expect(first.ledgerPosition == second.ledgerPosition)
        #expect(first.digest == second.digest)
        #expect(second.sameAs == first.runID)
        for part in ReconciliationService.RunPart.allCases {
            let a = try await service.runResult(world.county, runID: first.runID, part: part)
            let b = try await service.runResult(world.county, runID: second.runID, part: part)
            #expect(a == b)
        }
        #expect(
            try await service.statements(world.county, runID: first.runID)
                == service.statements(world.county, runID: second.runID))
        #expect(try await service.diff(world.county, from: first.runID, to: second.runID).isEmpty)
        // One booking later the digest differs.
        _ = try await world.payInstalment(
            provider: world.alpha.tenant, socialSpace: world.nord, component: .case,
            month: month("2026-11"),
            amount: Money(cents: 100_00), key: "instalment-nov")
        let third = try await service.run(world.county, scope: .year(2026))
        #expect(third.digest != first.digest && third.sameAs == nil)
    }

    /// Settling a statement: alpha delivered 8 h in March (480.00) against a 200.00 instalment →
    /// balance 480.00 − 200.00 = 280.00, the county pays. Certified once and ordered by a second account,
    /// the next statement of the scope balances to 0; the old statement cannot be settled again, by anyone,
    /// with any key.
    @Test func settlingAStatementBooksItsBalanceOnce() async throws {
        let (world, service, run) = try await firstQuarter(instalment: Money(cents: 200_00))

        // Refusals first; each writes nothing.
        let before = try await world.snapshot()
        let forbidden = await #expect(throws: ServiceError.self) {
            try await service.certifySettlement(
                world.alpha, runID: run.runID, provider: world.alpha.tenant, idempotencyKey: world.key("settle-alpha"))
        }
        #expect(forbidden == .forbidden("settling statements"))
        let unknownRun = await #expect(throws: ServiceError.self) {
            try await service.certifySettlement(
                world.county, runID: 999, provider: world.alpha.tenant, idempotencyKey: world.key("settle-999"))
        }
        #expect(unknownRun == .notFound("statement"))
        let noStatement = await #expect(throws: ServiceError.self) {
            try await service.certifySettlement(
                world.county, runID: run.runID, provider: TenantID(UUID()), idempotencyKey: world.key("settle-nobody"))
        }
        #expect(noStatement == .notFound("statement"))
        #expect(try await world.snapshot() == before)

        let settled = try await world.settle(service, runID: run.runID, provider: world.alpha.tenant, key: "settle-q1")
        #expect(settled.amount == Money(cents: 280_00))
        #expect(settled.bookingIDs.count == 1)
        let booking = try await world.store.withTenant(world.county.tenant, readOnly: true) { tx in
            try await LedgerStore.booking(tx, id: settled.bookingIDs[0])
        }
        #expect(
            booking?.kind == .settlement && booking?.amount == Money(cents: 280_00)
                && booking?.serviceMonth == month("2026-03"))
        #expect(booking?.bookedMonth == month("2026-11") && booking?.tenant == world.alpha.tenant)
        // The same request again is the same order; another key finds the statement stale.
        let again = try await service.certifySettlement(
            world.county, runID: run.runID, provider: world.alpha.tenant, idempotencyKey: world.key("settle-q1"))
        #expect(again.amount == Money(cents: 280_00))
        let stale = await #expect(throws: ServiceError.self) {
            try await service.certifySettlement(
                world.county, runID: run.runID, provider: world.alpha.tenant,
                idempotencyKey: world.key("settle-q1-again"))
        }
        #expect(
            stale
                == .conflict("the ledger changed after run \(run.runID); reconcile again and settle the new statement"))
        // The next statement of the quarter balances: nothing to pay, no order.
        let next = try await service.run(world.county, scope: .quarter(containing: month("2026-03")))
        let row = try #require(
            try await service.statements(world.county, runID: next.runID).first { $0.provider == world.alpha.tenant })
        #expect(row.settlements == Money(cents: 280_00) && row.balance == .zero)
        let nothing = await #expect(throws: ServiceError.self) {
            try await service.certifySettlement(
                world.county, runID: next.runID, provider: world.alpha.tenant,
                idempotencyKey: world.key("settle-q1-zero"))
        }
        #expect(nothing == .conflict("the statement balances to 0.00: there is nothing to pay"))
    }

    /// A scheduler slot runs once: the same slot returns the first run.
    @Test func aSlotRunsOnce() async throws {
        let world = try await BudgetWorld.make()
        let service = reconciler(world)
        let first = try await service.run(
            world.county, scope: .month(month("2026-10")), slot: "nightly@2026-11-25T02:30")
        let again = try await service.run(
            world.county, scope: .month(month("2026-10")), slot: "nightly@2026-11-25T02:30")
        #expect(again.runID == first.runID && again.replayed && !first.replayed)
        #expect(try await world.count("sozialraum.reconciliation_run") == 1)
    }

    /// The statement (Abrechnung): alpha delivered 8 h in March (480.00) and received a 1,000.00
    /// instalment → balance −520.00, alpha repays. Each provider sees only its own statement; beta
    /// sees no line of nord.
    @Test func statementsSettleDeliveriesAgainstInstalmentsPerProvider() async throws {
        let (world, service, run) = try await firstQuarter(instalment: Money(cents: 1_000_00))
        let county = try await service.statements(world.county, runID: run.runID)
        let alphaRow = try #require(county.first { $0.provider == world.alpha.tenant })
        #expect(
            alphaRow.accrued == Money(cents: 480_00) && alphaRow.instalments == Money(cents: 1_000_00)
                && alphaRow.balance == Money(cents: -520_00))
        let own = try await service.statements(world.alpha, runID: run.runID)
        #expect(own.count == 1 && own.first?.provider == world.alpha.tenant)
        let other = try await service.statements(world.beta, runID: run.runID)
        #expect(!other.contains { $0.provider == world.alpha.tenant })
        #expect(
            try await service.statementItems(world.beta, runID: run.runID, provider: world.alpha.tenant).isEmpty)
        let betaLines = try await service.runResult(world.beta, runID: run.runID, part: .lines).lineResults
        #expect(!betaLines.isEmpty && betaLines.allSatisfy { $0.socialSpace == "sued" })
        // Items carry the pseudonymous case key for the payment advice; the quarter's granted volume is 30 h.
        let items = try await service.statementItems(world.alpha, runID: run.runID, provider: nil)
        #expect(items.first?.caseKey == "VER-2026-0001" && items.first?.granted == Quantity(hundredths: 30_00))
        // Σ statements' accrued = Σ actuals of the lines over the scope's months.
        let months = try await service.runResult(world.county, runID: run.runID, part: .months)
        let actuals = months.monthResults.reduce(Int64(0)) { $0 + $1.figures[2] }
        #expect(actuals == 480_00)
    }

    /// Findings a run finds: duplicate deliveries (two grants of the same help for one case and
    /// provider), a rate agreement withdrawn, a booking outside its grant's period.
    @Test func runsFindDuplicateDeliveriesMissingRatesAndBookingsOutsideTheGrant() async throws {
        let world = try await BudgetWorld.make()
        let first = try await world.grantedCase()
        let second = try await world.grants.grant(
            world.county,
            .init(
                caseKey: "VER-2026-0001", provider: world.alpha.tenant, helpType: "31", unit: .hour,
                volumePerMonth: Quantity(hundredths: 5_00),
                startsOn: day("2026-06-01"), endsOn: day("2026-08-31")),
            idempotencyKey: world.key("grant-duplicate")
        ).grantID
        for (index, grant) in [first, second].enumerated() {
            _ = try await world.grants.recordDelivery(
                world.alpha, grantID: grant, month: month("2026-07"), quantity: Quantity(hundredths: 5_00),
                idempotencyKey: world.key("delivery-july-\(index)"))
        }
        try await world.store.withTenant(world.county.tenant) { tx in
            // A booking for January on the second grant, which starts in June (only possible by hand).
            try await tx.execute(
                unsafeSQL:
                    """
                    INSERT INTO booking (tenant_id, kind, booked_month, service_month, social_space, component, amount, grant_id, actor)
                    VALUES ($1, 'delivery', '2026-01-01', '2026-01-01', 'nord', 'case', 100, $2, 'test')
                    """, [world.alpha.tenant.uuid, second])
            try await tx.execute(
                unsafeSQL:
                    "DELETE FROM rate_agreement WHERE tenant_id = $1 AND help_type = '34'", [world.beta.tenant.uuid])
        }
        try await world.grants.openCase(
            world.county, key: "VER-2026-0200", socialSpace: world.sued, from: day("2026-01-01"))
        _ = try await world.store.withTenant(world.county.tenant) { tx in
            try await tx.execute(
                unsafeSQL:
                    """
                    INSERT INTO grant_decision (id, tenant_id, case_id, case_key, help_type, unit, volume_per_month, starts_on, ends_on)
                    SELECT gen_random_uuid(), $1, id, case_key, '34', 'day', 1000, '2026-09-01', '2026-12-31' FROM case_file WHERE case_key = 'VER-2026-0200'
                    """, [world.beta.tenant.uuid])
        }
        let service = reconciler(world)
        let run = try await service.run(world.county, scope: .year(2026))
        #expect(run.newFindings > 0)
        let duplicates = try await findings(world, kind: .duplicateDelivery)
        #expect(duplicates.map(\.month) == ["2026-07"] && duplicates.first?.amount == 300_00)
        #expect(try await findings(world, kind: .bookingOutsideGrantPeriod).map(\.month) == ["2026-01"])
        let missingRate = try await findings(world, kind: .rateMissing)
        #expect(missingRate.map(\.month) == ["2026-09"] && missingRate.first?.tenant == world.beta.tenant.uuid)
        // Providers see their own findings only.
        let betaSees = try await world.store.withTenant(world.beta.tenant, readOnly: true) { tx in
            try await tx.query(unsafeSQL: "SELECT DISTINCT tenant_id FROM finding").map {
                try $0.decode(0, as: UUID.self)
            }
        }
        #expect(betaSees == [world.beta.tenant.uuid])
    }

    /// Year end with carry-forward and surplus share (25 %). Nord spent 2,000.00 of milieu: results
    /// case 100,000.00, milieu 18,000.00, structure 10,000.00 → alpha's share 25,000.00 + 4,500.00 +
    /// 2,500.00 = 32,000.00; carried into 2027: 75,000.00, 13,500.00, 7,500.00. Sued (beta, untouched):
    /// share 32,500.00; carried 75,000.00, 15,000.00, 7,500.00. Applied once, only on confirmation.
    @Test func aYearEndCarriesForwardAndPaysTheSurplusShareOnConfirmation() async throws {
        let world = try await BudgetWorld.make()
        try await project(world, .milieu, spending: euros(2_000))
        _ = try await world.store.withTenant(world.county.tenant) { tx in
            try await tx.execute(unsafeSQL: "UPDATE fiscal_year SET provider_surplus_share = 2500 WHERE year = 2026")
        }
        try await world.service.openYear(world.county, year: 2027, overrunPolicy: .warn)
        let service = reconciler(world)
        let refused = await #expect(throws: ServiceError.self) {
            let preview = try await YearEndService(reconciliation: service).previewYearEnd(world.county, year: 2026)
            _ = try await YearEndService(reconciliation: service).confirmYearEnd(
                world.county, year: 2026, runID: preview.runID)
        }
        guard case .conflict = refused else {
            Issue.record("expected a conflict, got \(String(describing: refused))")
            return
        }
        for month in YearMonth.months(of: 2026) {
            try await world.service.closeMonth(world.county, month: month, forceReason: "Jahresabschluss")
        }
        let preview = try await YearEndService(reconciliation: service).previewYearEnd(world.county, year: 2026)
        #expect(
            preview.proposals[world.nord]?.shares == [
                .init(provider: world.alpha.tenant, amount: Money(cents: euros(32_000)))
            ])
        #expect(try await world.count("sozialraum.carry_forward WHERE year = 2027") == 0)
        // Confirmed by the controller, nothing is applied until a second account orders it.
        let certified = try await YearEndService(reconciliation: service).confirmYearEnd(
            world.county, year: 2026, runID: preview.runID)
        #expect(try await world.count("sozialraum.carry_forward WHERE year = 2027") == 0)
        _ = try await world.orders.approve(world.orderer, orderID: certified.orderID)
        let nord2027 = try await world.service.availableFunds(world.county, socialSpace: world.nord, year: 2027)
        #expect(nord2027.line(.case).funds.carryIn == Money(cents: euros(75_000)))
        #expect(nord2027.line(.milieu).funds.carryIn == Money(cents: euros(13_500)))
        #expect(nord2027.line(.structure).funds.carryIn == Money(cents: euros(7_500)))
        let sued2027 = try await world.service.availableFunds(world.county, socialSpace: world.sued, year: 2027)
        #expect(sued2027.line(.milieu).funds.carryIn == Money(cents: euros(15_000)))
        let shares = try await world.store.withTenant(world.beta.tenant, readOnly: true) { tx in
            try await tx.query(unsafeSQL: "SELECT social_space, amount FROM surplus_share").map {
                (try $0.decode(0, as: String.self), try $0.decode(1, as: Int64.self))
            }
        }
        #expect(shares.count == 1 && shares.first?.0 == "sued" && shares.first?.1 == euros(32_500))
        let twice = await #expect(throws: ServiceError.self) {
            _ = try await YearEndService(reconciliation: service).confirmYearEnd(
                world.county, year: 2026, runID: preview.runID)
        }
        #expect(twice == .duplicate("year end 2026"))
    }

    @Test func aYearEndOnAStaleRunIsRefused() async throws {
        let world = try await BudgetWorld.make()
        try await world.service.openYear(world.county, year: 2027, overrunPolicy: .warn)
        for month in YearMonth.months(of: 2026) {
            try await world.service.closeMonth(world.county, month: month, forceReason: "Jahresabschluss")
        }
        let service = reconciler(world)
        let preview = try await YearEndService(reconciliation: service).previewYearEnd(world.county, year: 2026)
        _ = try await world.payInstalment(
            provider: world.alpha.tenant, socialSpace: world.nord, component: .case,
            month: month("2027-01"),
            amount: Money(cents: 100_00), key: "instalment-2027")
        let before = try await world.count("sozialraum.carry_forward")
        let error = await #expect(throws: ServiceError.self) {
            _ = try await YearEndService(reconciliation: service).confirmYearEnd(
                world.county, year: 2026, runID: preview.runID)
        }
        guard case .conflict = error else {
            Issue.record("expected a conflict, got \(String(describing: error))")
            return
        }
        #expect(try await world.count("sozialraum.carry_forward") == before)
    }

    @Test func badRequestsAreRefusedClearly() async throws {
        let world = try await BudgetWorld.make()
        let service = reconciler(world)
        await #expect(throws: ServiceError.notFound("fiscal year 2031")) {
            _ = try await service.run(world.county, scope: .year(2031))
        }
        await #expect(throws: ServiceError.notFound("Sozialraum nowhere")) {
            _ = try await service.run(world.county, scope: .year(2026), socialSpace: SocialSpaceCode("nowhere")!)
        }
        await #expect(throws: ServiceError.self) { _ = try await service.run(world.alpha, scope: .year(2026)) }
        await #expect(throws: ServiceError.notFound("run")) {
            _ = try await service.runResult(world.county, runID: 999, part: .lines)
        }
        await #expect(throws: ServiceError.notFound("run")) {
            _ = try await service.diff(world.county, from: 1, to: 999)
        }
        await #expect(throws: ServiceError.self) {
            try await service.setPopulation(world.county, year: 2026, socialSpace: world.nord, youngInhabitants: -1)
        }
        #expect(try await world.count("sozialraum.reconciliation_run") == 0)
    }

    /// The reports: cost development per Sozialraum and help type, per 1,000 young inhabitants, and the
    /// budget-burn chart as SVG.
    @Test func costDevelopmentAndTheBurnChart() async throws {
        let world = try await BudgetWorld.make()
        let grant = try await world.grantedCase()
        _ = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: month("2026-02"), quantity: Quantity(hundredths: 10_00),
            idempotencyKey: world.key("delivery-feb"))
        try await project(world, .milieu, spending: euros(200))
        let service = reconciler(world)
        try await service.setPopulation(world.county, year: 2026, socialSpace: world.nord, youngInhabitants: 4_000)
        let report = try await service.costDevelopment(world.county, years: 2026...2026, byHelpType: false)
        // Case cost 600.00; per 1,000 young inhabitants 600.00 × 1,000 / 4,000 = 150.00; milieu share
        // 200 / 800 = 25.00 %; one grant of 365 days.
        let nord = try #require(report.first { $0.socialSpace == "nord" })
        #expect(
            nord.caseCost == Money(cents: 600_00) && nord.ambulant == Money(cents: 600_00)
                && nord.milieu == Money(cents: 200_00))
        #expect(
            nord.milieuStructureShare == 2_500 && nord.youngInhabitants == 4_000
                && nord.caseCostPer1000 == Money(cents: 150_00))
        #expect(nord.grants == 1 && nord.averageDays == 365)
        let byType = try await service.costDevelopment(world.county, years: 2026...2026, byHelpType: true)
        #expect(byType.contains { $0.socialSpace == "nord" && $0.helpType == "31" && $0.setting == "ambulant" })
        await #expect(throws: ServiceError.self) {
            _ = try await service.costDevelopment(world.alpha, years: 2026...2026, byHelpType: false)
        }

        let run = try await service.run(world.county, scope: .year(2026))
        let svg = try await service.burnChart(world.county, socialSpace: world.nord, year: 2026, runID: nil)
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.contains("run \(run.runID)") && svg.contains("<polyline") && svg.hasSuffix("</svg>\n"))
        #expect(try await service.burnChart(world.county, socialSpace: world.nord, year: 2026, runID: run.runID) == svg)
        await #expect(throws: ServiceError.notFound("run")) {
            _ = try await service.burnChart(world.beta, socialSpace: world.nord, year: 2027, runID: nil)
        }
    }
}

extension ReconciliationService.RunResult {
    /// The lines of a `.lines` result; empty for the other parts.
    var lineResults: [RunLineResult] {
        if case .lines(let lines) = self { lines } else { [] }
    }

    /// The months of a `.months` result; empty for the other parts.
    var monthResults: [RunMonthResult] {
        if case .months(let months) = self { months } else { [] }
    }
}

extension RunChange {
    /// after − before, as the `run-diff` table shows it.
    var change: Int64 { (after ?? 0) - (before ?? 0) }
}
