import Crypto
import Foundation
import Logging
import PostgresClient
import PropertyBased
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 19: two people on every payment, payment orders for the Kasse, its confirmations, and decisions
/// on overruns — against a real PostgreSQL, through the services.
@Suite struct PaymentOrderTests {
    let march = YearMonth(iso: "2026-03")!

    func certifyInstalment(
        _ world: BudgetWorld, _ amount: Int64, key: String, by caller: Caller? = nil, provider: TenantID? = nil
    ) async throws -> CertifiedOrder {
        try await world.payments.certifyInstalment(
            caller ?? world.county, provider: provider ?? world.alpha.tenant,
            socialSpace: provider == world.beta.tenant ? world.sued : world.nord, component: .case, month: march,
            amount: Money(cents: amount), idempotencyKey: world.key(key))
    }

    func instalmentsBooked(_ world: BudgetWorld) async throws -> Int {
        try await world.store.withTenant(world.county.tenant, readOnly: true) { tx in
            try await tx.query(unsafeSQL: "SELECT count(*)::int FROM booking WHERE kind = 'instalment'").single()
                .decode(0, as: Int.self)
        }
    }

    /// One person cannot sign twice, whatever rights it holds; an account without the right to order is
    /// refused; a pending order books nothing (no instalment, the statement shows no instalment) until a
    /// second account orders it.
    @Test func aPaymentTakesTwoPeopleAndBooksNothingBeforeTheSecond() async throws {
        let world = try await BudgetWorld.make()
        try await world.mapFinance(year: 2026)
        let certified = try await certifyInstalment(world, 1_000_00, key: "instalment-march")
        #expect(certified.amount == Money(cents: 1_000_00))
        #expect(certified.expiresOn == Day(iso: "2026-12-09")!)  // 2026-11-25 + 14 days
        #expect(try await instalmentsBooked(world) == 0)
        let reconciliation = ReconciliationService(
            store: world.store, logger: Logger(label: "test"), today: { BudgetWorld.today })
        let run = try await reconciliation.run(world.county, scope: .year(2026))
        let statement = try await reconciliation.statements(world.county, runID: run.runID)
        #expect(statement.first { $0.provider == world.alpha.tenant }?.instalments ?? .zero == .zero)

        // The certifier holds every right (kaemmerei) and still cannot order its own payment.
        let own = await #expect(throws: ServiceError.self) {
            try await world.orders.approve(world.county, orderID: certified.orderID)
        }
        #expect(own == .forbidden("ordering a payment you certified (four eyes)"))
        // Another county account without the right to order.
        let clerk = Caller(tenant: world.county.tenant, role: .county, name: "sachbearbeitung", rights: [.certify])
        let noRight = await #expect(throws: ServiceError.self) {
            try await world.orders.approve(clerk, orderID: certified.orderID)
        }
        #expect(noRight == .forbidden("ordering payments needs the right order"))
        // A caller claiming the right without holding it in the database: PostgreSQL refuses the signature.
        let impostor = Caller(tenant: world.county.tenant, role: .county, name: "niemand", rights: [.order])
        let refused = await #expect(throws: ServiceError.self) {
            try await world.orders.approve(impostor, orderID: certified.orderID)
        }
        #expect(refused == .forbidden("this change"))
        #expect(try await instalmentsBooked(world) == 0)

        // The second signature books it, once; ordering again answers the same.
        let ordered = try await world.orders.approve(world.orderer, orderID: certified.orderID)
        #expect(ordered.kassenzeichen == "SR2026000001" && ordered.due == Day(iso: "2026-11-28")!)
        #expect(ordered.bookingIDs.count == 1)
        #expect(try await world.orders.approve(world.orderer, orderID: certified.orderID) == ordered)
        #expect(try await instalmentsBooked(world) == 1)
        let after = try await reconciliation.run(world.county, scope: .year(2026))
        #expect(
            try await reconciliation.statements(world.county, runID: after.runID)
                .first { $0.provider == world.alpha.tenant }?.instalments == Money(cents: 1_000_00))
        let listed = try #require(try await world.orders.orders(world.auditor).first)
        #expect(listed.certifiedBy == "kaemmerei" && listed.decidedBy == "anordnung" && listed.state == .approved)
        #expect(listed.status == .open)
    }

    /// A retried certification is one order; a rejected order books nothing and cannot be ordered later.
    @Test func aRetriedRequestIsOneOrderAndARejectedOneNeverPays() async throws {
        let world = try await BudgetWorld.make()
        try await world.mapFinance(year: 2026)
        let first = try await certifyInstalment(world, 500_00, key: "instalment-retry")
        #expect(try await certifyInstalment(world, 500_00, key: "instalment-retry") == first)
        let conflict = await #expect(throws: ServiceError.self) {
            try await certifyInstalment(world, 600_00, key: "instalment-retry")
        }
        #expect(conflict == .idempotencyConflict)
        #expect(try await world.orders.orders(world.county).count == 1)
        let selfReject = await #expect(throws: ServiceError.self) {
            try await world.orders.reject(world.county, orderID: first.orderID, reason: "doch nicht")
        }
        #expect(selfReject == .forbidden("deciding on a payment you certified (four eyes)"))
        try await world.orders.reject(world.orderer, orderID: first.orderID, reason: "Betrag nicht belegt")
        let late = await #expect(throws: ServiceError.self) {
            try await world.orders.approve(world.orderer, orderID: first.orderID)
        }
        #expect(late == .conflict("the order is rejected"))
        #expect(try await instalmentsBooked(world) == 0)
        #expect(try await world.orders.orders(world.county, states: [.rejected]).first?.reason == "Betrag nicht belegt")
    }

    /// Pending past its day (2026-11-25 + 14 = 2026-12-09): shown as expired, and ordering it on
    /// 2026-12-10 marks it expired and books nothing.
    @Test func aPendingOrderExpires() async throws {
        let world = try await BudgetWorld.make()
        try await world.mapFinance(year: 2026)
        let certified = try await certifyInstalment(world, 300_00, key: "instalment-expiry")
        let later = Day(iso: "2026-12-10")!
        let orders = PaymentOrderService(
            store: world.store, logger: Logger(label: "test"), today: { later }, settings: PaymentSettings(),
            payments: world.payments, grants: world.grants,
            reconciliation: ReconciliationService(store: world.store, logger: Logger(label: "test"), today: { later }))
        #expect(try await orders.orders(world.county).first?.state == .expired)
        let expired = await #expect(throws: ServiceError.self) {
            try await orders.approve(world.orderer, orderID: certified.orderID)
        }
        #expect(expired == .conflict("the order expired after 2026-12-09; certify the payment again"))
        #expect(try await world.orders.orders(world.county, states: [.expired]).count == 1)
        #expect(try await instalmentsBooked(world) == 0)
        // On its last day it could still have been ordered: the stored state is final now.
        let stillExpired = await #expect(throws: ServiceError.self) {
            try await world.orders.approve(world.orderer, orderID: certified.orderID)
        }
        #expect(stillExpired == .conflict("the order is expired"))
    }

    /// Ordering needs the provider's creditor number and the line's Kontierung; without them nothing is
    /// booked and the order stays pending.
    @Test func orderingNeedsACreditorNumberAndAFinanceMapping() async throws {
        let world = try await BudgetWorld.make()
        let certified = try await certifyInstalment(world, 200_00, key: "instalment-unmapped")
        let noCreditor = await #expect(throws: ServiceError.self) {
            try await world.orders.approve(world.orderer, orderID: certified.orderID)
        }
        #expect(noCreditor == .conflict("the provider has no creditor number; set it with provider-creditor"))
        try await world.orders.setCreditorNumber(world.county, provider: world.alpha.tenant, number: "70001")
        let noMapping = await #expect(throws: ServiceError.self) {
            try await world.orders.approve(world.orderer, orderID: certified.orderID)
        }
        #expect(noMapping == .conflict("no finance mapping for 2026 nord case instalment; set it with finance-map"))
        #expect(try await instalmentsBooked(world) == 0)
        #expect(try await world.orders.orders(world.county).first?.state == .pending)
    }

    /// Export: orders 1 and 2 (alpha 1,000.00, beta 250.50) go into batch 1; its stored file is the same
    /// bytes every time; order 3 goes into batch 2 alone; with nothing new there is no batch 3. The file's
    /// lines are computed by hand below, and the checksum line carries the SHA-256 of what precedes it.
    @Test func eachOrderIsExportedOnceAndABatchIsTheSameBytesEveryTime() async throws {
        let world = try await BudgetWorld.make()
        try await world.mapFinance(year: 2026)
        var bookings: [Int64] = []
        for (amount, key, provider) in [
            (1_000_00 as Int64, "export-1", world.alpha.tenant), (250_50, "export-2", world.beta.tenant),
        ] {
            let certified = try await certifyInstalment(world, amount, key: key, provider: provider)
            bookings += try await world.orders.approve(world.orderer, orderID: certified.orderID).bookingIDs
        }
        let batch = try await world.orders.export(world.county)
        #expect(batch.id == 1 && batch.orders == 2 && batch.total == Money(cents: 1_250_50))
        // Due 2026-11-25 + 3 days; Kontierung from mapFinance (Kostenstelle SR1-case for nord, SR2-case for süd).
        let body =
            "Stapel;Kassenzeichen;Haushaltsjahr;Produkt;Sachkonto;Kostenstelle;Kreditor;Betrag;Richtung;Faelligkeit;Verwendungszweck;Anordnung;Buchung\r\n"
            + "1;SR2026000001;2026;36300;53310000;SR1-case;70001;1000,00;A;28.11.2026;Abschlag 2026-03 nord case SR2026000001;1;\(bookings[0])\r\n"
            + "1;SR2026000002;2026;36300;53310000;SR2-case;70002;250,50;A;28.11.2026;Abschlag 2026-03 sued case SR2026000002;2;\(bookings[1])\r\n"
        let digest = SHA256.hash(data: Array(body.utf8)).map { String(format: "%02x", $0) }.joined()
        let expected = body + "#Pruefsumme;2;1250,50;\(digest)\r\n"
        #expect(String(decoding: batch.content, as: UTF8.self) == expected)
        #expect(batch.sha256 == SHA256.hash(data: batch.content).map { String(format: "%02x", $0) }.joined())
        #expect(try await world.orders.batch(world.auditor, id: 1).content == batch.content)
        #expect(try await world.orders.batch(world.county, id: 1).content == batch.content)

        let third = try await certifyInstalment(world, 75_00, key: "export-3")
        _ = try await world.orders.approve(world.orderer, orderID: third.orderID)
        let second = try await world.orders.export(world.county, encoding: .windows1252)
        #expect(second.id == 2 && second.orders == 1 && second.total == Money(cents: 75_00))
        #expect(!String(decoding: second.content, as: UTF8.self).contains("SR2026000001"))
        #expect(String(decoding: second.content, as: UTF8.self).contains("SR2026000003"))
        let nothing = await #expect(throws: ServiceError.self) { try await world.orders.export(world.county) }
        #expect(nothing == .conflict("no ordered payment waits for export"))
        #expect(try await world.orders.batch(world.county, id: 1).content == batch.content)
        #expect(try await world.orders.orders(world.county).map(\.batch) == [2, 1, 1])
    }

    /// The Kasse confirms: order 1 (100.00) paid in full; order 2 (200.00) 150.00 of it (a finding for
    /// 200.00 − 150.00 = 50.00); order 3 (50.00) paid and sent back (returned: finding for 50.00); and a
    /// Kassenzeichen nobody ordered (finding for its 10.00). The same file again changes nothing.
    @Test func aConfirmationFileWithPaidPartlyPaidReturnedAndUnknownOrders() async throws {
        let world = try await BudgetWorld.make()
        try await world.mapFinance(year: 2026)
        for (amount, key) in [(100_00 as Int64, "kasse-order-1"), (200_00, "kasse-order-2"), (50_00, "kasse-order-3")] {
            let certified = try await certifyInstalment(world, amount, key: key)
            _ = try await world.orders.approve(world.orderer, orderID: certified.orderID)
        }
        _ = try await world.orders.export(world.county)
        let csv = """
            Kassenzeichen;Betrag;Valuta
            SR2026000001;100,00;30.11.2026
            SR2026000002;150,00;30.11.2026
            SR2026000003;50,00;30.11.2026
            SR2026000003;-50,00;04.12.2026
            SR2026009999;10,00;30.11.2026

            """
        let outcome = try await world.orders.importConfirmations(
            world.orderer, csv: csv, idempotencyKey: world.key("kasse-ist-1"))
        #expect(
            outcome
                == .init(
                    lines: 5, paid: 1, partlyPaid: 1, returned: 1, overpaid: 0, unknown: 1, findings: 3))
        let status = Dictionary(
            uniqueKeysWithValues: try await world.orders.orders(world.county).map { ($0.id, ($0.status, $0.paid)) })
        #expect(status[1]?.0 == .paid && status[1]?.1 == Money(cents: 100_00))
        #expect(status[2]?.0 == .partlyPaid && status[2]?.1 == Money(cents: 150_00))
        #expect(status[3]?.0 == .returned && status[3]?.1 == .zero)
        let findings = try await world.store.withTenant(world.county.tenant, readOnly: true) { tx in
            try await tx.query(
                unsafeSQL: """
                    SELECT kind, amount FROM finding WHERE kind IN ('payment_difference', 'payment_unknown')
                    ORDER BY kind, amount
                    """
            ).map { "\(try $0.decode(0, as: String.self)) \(try $0.decode(1, as: Int64.self))" }
        }
        #expect(findings == ["payment_difference 5000", "payment_difference 5000", "payment_unknown 1000"])
        let receipts = try await world.count("sozialraum.payment_receipt")
        #expect(receipts == 5)
        #expect(
            try await world.orders.importConfirmations(
                world.orderer, csv: csv, idempotencyKey: world.key("kasse-ist-1"))
                == outcome)
        let twice = await #expect(throws: ServiceError.self) {
            try await world.orders.importConfirmations(
                world.orderer, csv: csv, idempotencyKey: world.key("kasse-ist-2"))
        }
        #expect(twice == .duplicate("this confirmation file (imported under another key)"))
        #expect(try await world.count("sozialraum.payment_receipt") == receipts)
        // A bad file names its lines and imports nothing.
        let bad = await #expect(throws: ServiceError.self) {
            try await world.orders.importConfirmations(
                world.orderer, csv: "Kassenzeichen;Betrag;Valuta\nSR1;1.000,00;30.11.2026\nSR2;5,00;31.02.2026\n",
                idempotencyKey: world.key("kasse-ist-bad"))
        }
        #expect(
            bad
                == .rejectedRows([
                    RowError(line: 2, field: "Betrag", reason: "not an amount (expected e.g. 1234.56)"),
                    RowError(line: 3, field: "Valuta", reason: "a date like 31.01.2027"),
                ]))
    }

    /// Structure in nord spends 13,500.00 of 10,000.00: 3,500.00 überplanmäßig (nothing covers it). A
    /// decision of 3,500.00 settles the run's finding; süd's structure overrun (12,000.00 − 10,000.00 =
    /// 2,000.00) stays undecided and is counted by the next run. A decision above the Kreistag threshold
    /// needs the day it was informed.
    @Test func anOverrunDecidedAndOneLeftOpen() async throws {
        let world = try await BudgetWorld.make()
        for (space, provider, amount) in [
            (world.nord, world.alpha, 13_500_00 as Int64), (world.sued, world.beta, 12_000_00),
        ] {
            let project = try await world.payments.createProject(
                world.county, provider: provider.tenant, title: "Stadtteiltreff", socialSpace: space,
                component: .structure, startsOn: Day(iso: "2026-01-01")!, endsOn: Day(iso: "2026-12-31")!,
                budget: Money(cents: amount), volunteers: 2, professionals: 1)
            _ = try await world.payments.bookProjectExpense(
                provider, projectID: project, day: Day(iso: "2026-04-15")!, amount: Money(cents: amount),
                idempotencyKey: world.key("expense-\(space)"))
        }
        let reconciliation = ReconciliationService(
            store: world.store, logger: Logger(label: "test"), today: { BudgetWorld.today })
        let first = try await reconciliation.run(world.county, scope: .year(2026))
        #expect(first.undecidedOverruns == 2)

        let tooBig = await #expect(throws: ServiceError.self) {
            try await world.orders.decideOverrun(
                world.orderer,
                OverrunDecision(
                    year: 2026, socialSpace: world.nord, component: .structure, kind: .overPlan,
                    amount: Money(cents: 60_000_00), reason: "Mehrbedarf", cover: nil, councilInformedOn: nil,
                    decidedBy: "x"), idempotencyKey: world.key("overrun-decision-5"))
        }
        #expect(
            tooBig
                == .invalid(field: "kreistag", reason: "above 50000.00 the Kreistag is informed: give kreistag=<date>"))
        let clerk = Caller(tenant: world.county.tenant, role: .county, name: "sachbearbeitung", rights: [.certify])
        let forbidden = await #expect(throws: ServiceError.self) {
            try await world.orders.decideOverrun(
                clerk,
                OverrunDecision(
                    year: 2026, socialSpace: world.nord, component: .structure, kind: .overPlan,
                    amount: Money(cents: 3_500_00), reason: "Mehrbedarf", cover: nil, councilInformedOn: nil,
                    decidedBy: "x"), idempotencyKey: world.key("overrun-decision-6"))
        }
        #expect(forbidden == .forbidden("deciding on overruns needs the right order"))

        let decided = try await world.orders.decideOverrun(
            world.orderer,
            OverrunDecision(
                year: 2026, socialSpace: world.nord, component: .structure, kind: .overPlan,
                amount: Money(cents: 3_500_00), reason: "Stadtteiltreff: Mehrbedarf Heizkosten",
                cover: BudgetLineRef(socialSpace: world.nord, component: .case), councilInformedOn: nil,
                decidedBy: "ignored"), idempotencyKey: world.key("overrun-decision-7"))
        #expect(decided.kind == .overPlan && decided.settledFindings == 1)
        let (decisions, undecided) = try await world.orders.overrunDecisions(world.auditor, year: 2026)
        #expect(undecided == 1)
        #expect(decisions.count == 1)
        #expect(
            decisions.first.map { ($0.decidedBy, $0.amount, $0.cover, $0.reason) }
                ?? ("", .zero, "", "") == (
                    "anordnung", Money(cents: 3_500_00), "nord/case", "Stadtteiltreff: Mehrbedarf Heizkosten"
                ))
        // The next night: nord is decided, süd still waits.
        let next = try await reconciliation.run(world.county, scope: .year(2026))
        #expect(next.undecidedOverruns == 1)
        let open = try await world.grants.findings(world.county, all: false).filter { $0.kind == "uncovered_overrun" }
        #expect(open.count == 1 && open.first?.amount == Money(cents: 2_000_00))
    }

    /// A set Ansatz (nord case 100,000.00) changed to 120,000.00 takes two people: nothing changes until
    /// it is ordered; a first Ansatz (2027) is set at once; an import that would change a set one names
    /// the line and imports nothing.
    @Test func changingASetAppropriationTakesTwoPeople() async throws {
        let world = try await BudgetWorld.make()
        let line = BudgetLine(year: 2026, socialSpace: world.nord, component: .case)
        let certified = try #require(
            try await world.service.setAppropriation(world.county, line: line, amount: Money(cents: 120_000_00)))
        #expect(try await world.funds(world.nord).line(.case).funds.appropriation == Money(cents: 100_000_00))
        _ = try await world.orders.approve(world.orderer, orderID: certified.orderID)
        #expect(try await world.funds(world.nord).line(.case).funds.appropriation == Money(cents: 120_000_00))
        // The same amount again is no change at all.
        #expect(
            try await world.service.setAppropriation(world.county, line: line, amount: Money(cents: 120_000_00)) == nil)
        try await world.service.openYear(world.county, year: 2027, overrunPolicy: .warn)
        #expect(
            try await world.service.setAppropriation(
                world.county, line: BudgetLine(year: 2027, socialSpace: world.nord, component: .case),
                amount: Money(cents: 90_000_00)) == nil)
        let imported = await #expect(throws: ServiceError.self) {
            try await world.service.setAppropriations(
                world.county, year: 2026,
                csv: "sozialraum,component,amount\nsued,case,100000.00\nnord,milieu,25000.00\n")
        }
        #expect(
            imported
                == .rejectedRows([
                    RowError(
                        line: 3, field: "amount",
                        reason:
                            "changes the set Ansatz 20000.00 beyond the threshold: set it with appropriation (two signatures)"
                    )
                ]))
    }

    /// Property: whatever instalments are certified and whichever of them a second account orders, the
    /// instalments booked are exactly the ordered ones, each once, and sum to what was ordered.
    @Test func theLedgerHoldsExactlyTheOrderedPayments() async throws {
        let world = try await BudgetWorld.make()
        try await world.mapFinance(year: 2026)
        var round = 0
        await propertyCheck(count: 5, input: Gen.int(in: 1...100_000).array(of: 1...4), Gen.bool.array(of: 4)) {
            amounts, decisions in
            round += 1
            var ordered: Int64 = 0
            var orderedCount = 0
            let before = try await self.instalmentTotals(world)
            for (index, amount) in amounts.enumerated() {
                let key = "property-\(round)-\(index)"
                let certified = try await self.certifyInstalment(world, Int64(amount), key: key)
                // A retry of the same request is the same order.
                #expect(try await self.certifyInstalment(world, Int64(amount), key: key) == certified)
                if decisions[index] {
                    _ = try await world.orders.approve(world.orderer, orderID: certified.orderID)
                    _ = try await world.orders.approve(world.orderer, orderID: certified.orderID)
                    ordered += Int64(amount)
                    orderedCount += 1
                } else {
                    try await world.orders.reject(world.orderer, orderID: certified.orderID, reason: "nein")
                }
            }
            let after = try await self.instalmentTotals(world)
            #expect(after.count - before.count == orderedCount)
            #expect(after.sum - before.sum == ordered)
        }
    }

    func instalmentTotals(_ world: BudgetWorld) async throws -> (count: Int, sum: Int64) {
        try await world.store.withTenant(world.county.tenant, readOnly: true) { tx in
            let row = try await tx.query(
                unsafeSQL:
                    "SELECT count(*)::int, coalesce(sum(amount), 0)::bigint FROM booking WHERE kind = 'instalment'"
            ).single()
            return (try row.decode(0, as: Int.self), try row.decode(1, as: Int64.self))
        }
    }
}
