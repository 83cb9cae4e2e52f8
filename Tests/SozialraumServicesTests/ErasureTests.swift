import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Erasure that keeps the figures (issue 31, items 2, 3, 5 and 8; rule 19), against a real PostgreSQL, on the
/// closed year of `BudgetWorld.closedYearCase` (beta's 2025 case, 1,800.00, its year end confirmed). With a
/// deletion rule of 0 years the 2025 case is due from 1 January 2026.
@Suite struct ErasureTests {
    struct Erasable {
        let world: BudgetWorld
        let grant: UUID
        let run: Int64
        let statement: Int64
        let first: Caller
        let second: Caller
        let erasure: ErasureService
    }

    static func erasable(batch: Int = 1) async throws -> Erasable {
        let world = try await BudgetWorld.make()
        let closed = try await world.closedYearCase()
        // Two people hold the right to erase (and nothing else); the database checks it when they sign.
        let accounts = AccountService(store: world.store, logger: Logger(label: "test.erasure"), scryptRounds: 1024)
        for name in ["dsb-erste", "dsb-zweite"] {
            try await accounts.setAccount(
                name: name, tenant: world.county.tenant, role: .county, secret: "\(name)-secret",
                actingAs: world.county.tenant, rights: [.erase])
        }
        return Erasable(
            world: world, grant: closed.grant, run: closed.run, statement: closed.statement,
            first: Caller(tenant: world.county.tenant, role: .county, name: "dsb-erste", rights: [.erase]),
            second: Caller(tenant: world.county.tenant, role: .county, name: "dsb-zweite", rights: [.erase]),
            erasure: ErasureService(
                store: world.store, logger: Logger(label: "test.erasure"), today: { BudgetWorld.today },
                caseLinkYears: 0, batch: batch))
    }

    /// Every figure a county reports, as the services give them.
    struct Figures: Equatable {
        let funds: [FundsReport]
        let costs: [CostDevelopmentRow]
        let runs: [ReconciliationRunListing]
        let lines: ReconciliationService.RunResult
        let statement: StatementDocument
        let statementCost: Money
        let ledger: [String]
    }

    static func figures(_ setup: Erasable) async throws -> Figures {
        let world = setup.world
        let service = world.reconciler()
        var funds: [FundsReport] = []
        for year in [2025, 2026] {
            for space in [world.nord, world.sued] {
                funds.append(try await world.service.availableFunds(world.county, socialSpace: space, year: year))
            }
        }
        let (document, items) = try await service.issuedStatement(world.county, id: setup.statement)
        let admin = try await world.database.superuserConnection()
        let ledger = try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT concat_ws('|', tenant_id, social_space, component, service_month, sum(amount))
                    FROM sozialraum.booking GROUP BY tenant_id, social_space, component, service_month ORDER BY 1
                    """)
        ).map { try $0.decode(0, as: String.self) }
        return Figures(
            funds: funds,
            costs: try await service.costDevelopment(world.county, years: 2025...2026, byHelpType: true),
            runs: try await service.runs(world.county, year: 2025),
            lines: try await service.runResult(world.county, runID: setup.run, part: .lines),
            statement: document, statementCost: Money(cents: items.reduce(0) { $0 + $1.cost.cents }), ledger: ledger)
    }

    /// Item 2 and 5: the 2025 case is proposed (counted, no key), certified by one holder of `erase` and
    /// ordered by a second; afterwards every figure is what it was, the case's key is a tombstone, its
    /// residence and texts are gone, and the same key entered again opens a new case.
    @Test func anErasedCaseLeavesEveryFigureAsItWas() async throws {
        let setup = try await Self.erasable()
        let world = setup.world
        let before = try await Self.figures(setup)
        let crossArea = try await world.reconciler().crossAreaGrants(world.county, year: 2025, socialSpace: nil)
        #expect(crossArea.map(\.reason) == ["Geschwisterkind von Frau M. bei Beta"])
        let caseBefore = try await caseRow(world, key: "VER-2025-0001")

        guard case .proposed(let proposed, let counts) = try await setup.erasure.propose(world.county) else {
            Issue.record("nothing proposed")
            return
        }
        // One case (the 2026 one is not due): its residence, its grant, beta's statement item, and two texts
        // (the out-of-area reason, the finding's resolution).
        #expect(proposed.cases == 1 && proposed.state == .proposed)
        #expect(
            counts == [ErasureCount(lastYear: 2025, cases: 1, residences: 1, grants: 1, statementItems: 1, texts: 2)])

        _ = try await setup.erasure.certify(setup.first, id: proposed.id)
        let (order, progress) = try await setup.erasure.order(setup.second, id: proposed.id)
        #expect(order.state == .done && order.erased == 1 && order.kept == 0)
        #expect(progress == ErasureProgress(erased: 1, kept: 0, remaining: 0))

        #expect(try await Self.figures(setup) == before)
        // The case-level reads still answer: the draft of the run adds up as before (1,800.00), the grant is
        // listed under its tombstone without a Sozialraum, the cross-area list no longer names it.
        let service = world.reconciler()
        let draft = try await service.statementItems(world.county, runID: setup.run, provider: world.beta.tenant)
        #expect(draft.map(\.cost) == [Money(cents: 1_800_00)] && draft.map(\.socialSpace) == [""])
        let listed = try await world.grants.grantListing(world.county, caseKey: nil, socialSpace: nil)
        #expect(listed.filter { $0.caseKey.hasPrefix("ERASED-") }.map(\.socialSpace) == [nil])
        #expect(try await service.crossAreaGrants(world.county, year: 2025, socialSpace: nil).isEmpty)

        let admin = try await world.database.superuserConnection()
        let erased = try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT c.case_key, g.case_key AS grant_key, g.out_of_area_reason,
                           (SELECT count(*)::int FROM sozialraum.residence r WHERE r.case_id = c.id) AS residences,
                           (SELECT string_agg(f.resolution, ',') FROM sozialraum.finding f WHERE f.grant_id = g.id) AS resolutions
                    FROM sozialraum.case_file c JOIN sozialraum.grant_decision g ON g.case_id = c.id WHERE c.id = $1
                    """, [caseBefore])
        ).single()
        let tombstone = try erased.decode("case_key", as: String.self)
        #expect(tombstone.hasPrefix("ERASED-") && tombstone.count == 31)
        #expect(try erased.decode("grant_key", as: String.self) == tombstone)
        #expect(try erased.decode("out_of_area_reason", as: String?.self) == "(gelöscht)")
        #expect(try erased.decode("residences", as: Int.self) == 0)
        #expect(try erased.decode("resolutions", as: String?.self) == "(gelöscht)")
        await #expect(throws: ServiceError.notFound("case")) {
            _ = try await world.grants.caseHistory(world.county, key: "VER-2025-0001")
        }
        // The same key later is a new case; the erased one stays erased.
        _ = try await world.openCase("VER-2025-0001", from: "2026-02-01")
        #expect(try await caseRow(world, key: "VER-2025-0001") != caseBefore)
        // Nothing is due any more.
        #expect(try await setup.erasure.propose(world.county) == .nothingDue)
    }

    /// Item 3: beta's issued statement still verifies from its download after the case key is redacted:
    /// each item's hash is sha256 of its line (the redacted item keeps the hash its line had), and the
    /// document's hash is sha256 of the items' hashes in item-id order, one per line.
    @Test func anIssuedStatementVerifiesAfterTheRedaction() async throws {
        let setup = try await Self.erasable()
        let world = setup.world
        let service = world.reconciler()
        let (_, itemsBefore) = try await service.issuedStatement(world.beta, id: setup.statement)
        try await eraseAll(setup)
        let (document, items) = try await service.issuedStatement(world.beta, id: setup.statement)

        let redacted = try #require(items.first { $0.id == setup.grant })
        let original = try #require(itemsBefore.first { $0.id == setup.grant })
        #expect(original.caseKey == "VER-2025-0001" && redacted.caseKey == "")
        #expect(redacted.itemHash == original.itemHash && redacted.itemHash != nil)

        let admin = try await world.database.superuserConnection()
        // The original line, as docs/statements.md gives it: 30 h granted (3 × 10), 32 delivered, 30 payable.
        let line = "grant|\(setup.grant.uuidString.lowercased())|VER-2025-0001|31|hour|nord|3000|3200|3000|180000"
        #expect(try await admin.sha256Hex(line) == original.itemHash)
        for item in items where item.caseKey != "" || item.item == "project" {
            let line = [
                item.item, item.id.uuidString.lowercased(), item.caseKey, item.helpType, item.unit, item.socialSpace,
                item.granted.map { String($0.hundredths) } ?? "", item.delivered.map { String($0.hundredths) } ?? "",
                item.payable.map { String($0.hundredths) } ?? "", String(item.cost.cents),
            ].joined(separator: "|")
            #expect(try await admin.sha256Hex(line) == item.itemHash)
        }
        let hashes = items.sorted { $0.id.uuidString.lowercased() < $1.id.uuidString.lowercased() }
            .compactMap(\.itemHash)
        #expect(try await admin.sha256Hex(hashes.joined(separator: "\n")) == document.contentHash)
    }

    /// Item 5: no one person erases. The certifier cannot order; an account whose database record lacks the
    /// right `erase` is refused by PostgreSQL whatever the daemon believes; a rejected order erases nothing.
    @Test func noOnePersonErases() async throws {
        let setup = try await Self.erasable()
        let world = setup.world
        guard case .proposed(let proposed, _) = try await setup.erasure.propose(world.county) else {
            Issue.record("nothing proposed")
            return
        }
        // kaemmerei holds case, certify, order and controller in the database, not erase.
        let claimingTheRight = Caller(tenant: world.county.tenant, role: .county, name: "kaemmerei", rights: [.erase])
        await #expect(throws: ServiceError.forbidden("this change")) {
            _ = try await setup.erasure.certify(claimingTheRight, id: proposed.id)
        }
        _ = try await setup.erasure.certify(setup.first, id: proposed.id)
        await #expect(throws: ServiceError.forbidden("the certifier cannot also order the erasure (four eyes)")) {
            _ = try await setup.erasure.order(setup.first, id: proposed.id)
        }
        await #expect(throws: ServiceError.forbidden("this change")) {
            _ = try await setup.erasure.order(claimingTheRight, id: proposed.id)
        }
        let rejected = try await setup.erasure.reject(setup.second, id: proposed.id, reason: "Klage angekündigt")
        #expect(rejected.state == .rejected && rejected.erased == 0)
        let history = try await world.grants.caseHistory(world.county, key: "VER-2025-0001")
        #expect(!history.isEmpty)
    }

    /// Item 5: a legal hold keeps a case out of the proposal; one placed after the proposal keeps it when the
    /// order is carried out (counted as kept); lifted, the case is proposed again.
    @Test func aLegalHoldStopsTheErasureUntilLifted() async throws {
        let setup = try await Self.erasable()
        let world = setup.world
        try await setup.erasure.placeHold(world.county, key: "VER-2025-0001", reference: "LG Verden 3 O 12/26")
        #expect(try await setup.erasure.holds(world.county).map(\.reference) == ["LG Verden 3 O 12/26"])
        await #expect(throws: ServiceError.conflict("the case is under a legal hold already")) {
            try await setup.erasure.placeHold(world.county, key: "VER-2025-0001", reference: "zweimal")
        }
        #expect(try await setup.erasure.propose(world.county) == .nothingDue)
        try await setup.erasure.liftHold(world.county, key: "VER-2025-0001")

        guard case .proposed(let proposed, _) = try await setup.erasure.propose(world.county) else {
            Issue.record("nothing proposed")
            return
        }
        _ = try await setup.erasure.certify(setup.first, id: proposed.id)
        try await setup.erasure.placeHold(world.county, key: "VER-2025-0001", reference: "Widerspruch 2026-17")
        let (order, _) = try await setup.erasure.order(setup.second, id: proposed.id)
        #expect(order.state == .done && order.erased == 0 && order.kept == 1)
        let history = try await world.grants.caseHistory(world.county, key: "VER-2025-0001")
        #expect(!history.isEmpty)
    }

    /// Item 5: an order cut short after its first batch (the daemon killed) is resumed by the next job run,
    /// which erases the rest and no case twice: the first case's tombstone stays what the first batch made it.
    @Test func aRunCutShortResumesAndErasesEachCaseOnce() async throws {
        let setup = try await Self.erasable(batch: 1)
        let world = setup.world
        // A second 2025 case, also due.
        _ = try await world.openCase("VER-2025-0002", from: "2025-01-01")
        guard case .proposed(let proposed, _) = try await setup.erasure.propose(world.county) else {
            Issue.record("nothing proposed")
            return
        }
        #expect(proposed.cases == 2)
        _ = try await setup.erasure.certify(setup.first, id: proposed.id)
        // The second signature and one batch committed, then the process died.
        let ordered = try await world.store.withTenant(world.county.tenant) { tx in
            try await ErasureStore.order(tx, id: proposed.id, by: setup.second.name)
        }
        #expect(ordered)
        let first = try await world.store.withTenant(world.county.tenant) { tx in
            try await ErasureStore.eraseBatch(tx, orderID: proposed.id, batch: 1)
        }
        #expect(first == ErasureProgress(erased: 1, kept: 0, remaining: 1))
        let admin = try await world.database.superuserConnection()
        func tombstones() async throws -> [String] {
            try await admin.query(
                PostgresQuery(
                    unsafeSQL: "SELECT case_key FROM sozialraum.case_file WHERE erased_at IS NOT NULL ORDER BY id")
            ).map { try $0.decode(0, as: String.self) }
        }
        let afterFirst = try await tombstones()
        #expect(afterFirst.count == 1)

        let report = try await setup.erasure.scheduledRun(world.county)
        #expect(report == "order \(proposed.id) carried out: erased 1, kept 0; nothing due")
        let afterAll = try await tombstones()
        #expect(afterAll.count == 2 && afterAll.contains(afterFirst[0]))
        let (order, _) = try await setup.erasure.details(world.county, id: proposed.id)
        #expect(order.state == .done && order.erased == 2)
    }

    /// Items 4 and 5: a restricted case is kept, not exempt from its deletion rule: proposed, erased, and its
    /// restriction (whose reference may name people) goes with it.
    @Test func aRestrictedCaseIsErasedWithItsRestriction() async throws {
        let setup = try await Self.erasable()
        let world = setup.world
        try await RestrictionService(store: world.store, logger: Logger(label: "test")).restrict(
            setup.first, key: "VER-2025-0001", ground: .claims, reference: "Widerspruch von Frau M.")
        guard case .proposed(let proposed, let counts) = try await setup.erasure.propose(world.county) else {
            Issue.record("nothing proposed")
            return
        }
        #expect(counts.map(\.residences) == [1])
        _ = try await setup.erasure.certify(setup.first, id: proposed.id)
        let (order, _) = try await setup.erasure.order(setup.second, id: proposed.id)
        #expect(order.erased == 1)
        let left = try await world.database.superuserConnection().query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT (SELECT count(*)::int FROM sozialraum.case_restriction) AS restrictions,
                           (SELECT count(*)::int FROM sozialraum.grant_decision WHERE case_key LIKE 'RESTRICTED-%') AS masked
                    """)
        ).single()
        #expect(try left.decode("restrictions", as: Int.self) == 0)
        #expect(try left.decode("masked", as: Int.self) == 0)
    }

    /// Item 8: only the erasure function erases. The daemon's role, in the county's own context, cannot
    /// redact, rewrite or delete the data an erasure touches, nor move an order past its signatures, nor
    /// carry out an order that is only certified. Each statement fails with its own SQLSTATE.
    @Test(arguments: [
        ("UPDATE case_file SET erased_at = now()", "42501"),
        ("UPDATE statement_document_item SET case_key = NULL", "42501"),
        ("UPDATE legacy_statement_item SET case_key = NULL", "42501"),
        ("UPDATE grant_amendment SET reason = '(gelöscht)'", "42501"),
        ("UPDATE finding SET resolution = '(gelöscht)' WHERE status <> 'open'", "SZ002"),
        ("DELETE FROM case_hold", "42501"),
        ("UPDATE case_hold SET reference = 'anders'", "SZ009"),
        ("UPDATE erasure_order SET state = 'done', finished_at = now()", "SZ009"),
        ("UPDATE erasure_order SET erased = 1", "SZ009"),
        ("UPDATE erasure_order SET state = 'ordered', decided_by = certified_by", "23514"),
        ("UPDATE erasure_order_case SET state = 'erased'", "42501"),
        ("DELETE FROM erasure_order_case", "42501"),
        (
            "INSERT INTO erasure_order_case SELECT o.id, c.id, 2026 FROM erasure_order o, case_file c WHERE c.case_key = 'VER-2026-0007'",
            "SZ009"
        ),
        ("SELECT * FROM erase_ordered_cases((SELECT max(id) FROM erasure_order), 10)", "SZ009"),
    ])
    func onlyTheErasureFunctionErases(statement: String, sqlState: String) async throws {
        let setup = try await Self.erasable()
        let world = setup.world
        guard case .proposed(let proposed, _) = try await setup.erasure.propose(world.county) else {
            Issue.record("nothing proposed")
            return
        }
        _ = try await setup.erasure.certify(setup.first, id: proposed.id)
        try await setup.erasure.placeHold(world.county, key: "VER-2026-0007", reference: "AG Verden 7 F 3/26")
        do {
            try await world.store.withTenant(world.county.tenant) { tx in
                _ = try await tx.query(unsafeSQL: statement)
            }
            Issue.record("\(statement) went through")
        } catch let error as PostgresError {
            #expect(error.sqlState?.rawValue == sqlState, "\(statement)")
        }
        let history = try await world.grants.caseHistory(world.county, key: "VER-2025-0001")
        #expect(!history.isEmpty)
    }

    private func eraseAll(_ setup: Erasable) async throws {
        guard case .proposed(let proposed, _) = try await setup.erasure.propose(setup.world.county) else {
            Issue.record("nothing proposed")
            return
        }
        _ = try await setup.erasure.certify(setup.first, id: proposed.id)
        _ = try await setup.erasure.order(setup.second, id: proposed.id)
    }

    private func caseRow(_ world: BudgetWorld, key: String) async throws -> UUID {
        let admin = try await world.database.superuserConnection()
        return try await admin.query(
            PostgresQuery(unsafeSQL: "SELECT id FROM sozialraum.case_file WHERE case_key = $1", [key])
        ).single().decode(0, as: UUID.self)
    }
}
