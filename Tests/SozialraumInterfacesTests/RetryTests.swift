import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices
import SozialraumTestSupport
import Testing

@testable import SozialraumInterfaces

/// Issue 29, item 7: every changing command is safe to send twice (a retry after a lost answer). Those
/// that add take `key=`; those that set a value or a state are naturally idempotent: the second request
/// leaves every table as the first left it, and its answer is the same or says the state reached
/// (`DUPLICATE`, `CONFLICT`). The walk sends each such command twice through the real socket.
@Suite struct RetryTests {
    /// Naturally idempotent commands whose retry is tested elsewhere, and where.
    static let retriedElsewhere: [String: String] = [
        "account-factor-reset": "PortalFlowTests.theCountyOrdersInTheBrowser (a removed factor is NOT_FOUND)",
        "report-mapping-import": "CashStatisticsReportTests (the same file again: the same mapping, the same report)",
        "portal-certificate-pin": "PortalCertificateSocketTests (a pinned certificate is DUPLICATE)",
        "portal-certificate-unpin": "PortalCertificateSocketTests (an unpinned certificate is NOT_FOUND)",
        "job-retry": "SchedulerTests (a failed slot retried; a job no longer failed is CONFLICT)",
        "job-cancel": "SchedulerOutcomeTests (cancel means cancelled)",
        "appropriation-import": "PaymentOrderTests.changingASetAppropriationTakesTwoPeople",
        "token-rotate": "ControlsTests.rightsEndAtOnce (the session ends with the rotation; a new login rotates again)",
        "erasure-propose": "ErasureSocketTests (an order on its way is CONFLICT naming it)",
        "erasure-certify": "ErasureSocketTests (a certified order is CONFLICT)",
        "erasure-order": "ErasureSocketTests (a done order is CONFLICT)",
        "erasure-reject": "ErasureSocketTests (a decided order is CONFLICT)",
        "hold": "ErasureSocketTests (a case under a hold is CONFLICT)",
        "hold-lift": "ErasureSocketTests (a case without a hold is CONFLICT)",
        "restrict": "RestrictionSocketTests (a restricted case is CONFLICT)",
        "restriction-lift": "RestrictionSocketTests (a case not restricted is CONFLICT)",
        "case-rekey": "AuskunftSocketTests (the old key is NOT_FOUND afterwards)",
        "residence-correct": "ResidenceCorrectionTests (the same correction again is CONFLICT)",
    ]

    /// How the second answer must relate to the first.
    enum Second {
        /// The very same answer (a value set again).
        case same
        /// The same answer, or `DUPLICATE` / `CONFLICT` naming the state the first reached.
        case sameOrRefused
        /// OK again, saying the request was taken already (a change waiting for its second signature).
        case already
        /// OK again (a fresh secret, a backfill with nothing left to queue): the same rows.
        case okAgain
        /// A run on the same ledger position says which earlier run it equals (runs are records).
        case sameRun
    }

    struct Step {
        var account: String
        var line: String
        var second: Second
        var command: String { String(line.prefix { $0 != " " }) }
    }

    /// What the setup and earlier steps made, as requests name it.
    struct Ids {
        var alpha = "alpha"
        var grant = "grant"
        var finding = "finding"
        var project = "project"
        var instalmentOrder = "1"
        var appropriationOrder = "2"
        var yearEndRun = "3"
        var accountChange = "1"
        var widerChange = "2"
    }

    static func before(_ ids: Ids) -> [Step] {
        [
            Step(account: "kaemmerei", line: "provider-view own", second: .same),
            Step(account: "kaemmerei", line: "provider-register caritas Caritas", second: .sameOrRefused),
            Step(account: "kaemmerei", line: "provider-rename caritas Caritasverband", second: .same),
            Step(account: "kaemmerei", line: "provider-end caritas 2030-12-31", second: .same),
            Step(account: "kaemmerei", line: "provider-creditor caritas 70009", second: .same),
            Step(
                account: "kaemmerei", line: "sozialraum-define ost Ost 2020-01-01 langwedel:Langwedel",
                second: .sameOrRefused),
            Step(account: "kaemmerei", line: "assign caritas ost member 2026-01-01", second: .sameOrRefused),
            Step(account: "kaemmerei", line: "unassign caritas ost 2026-12-31", second: .sameOrRefused),
            Step(account: "kaemmerei", line: "year-open 2027", second: .sameOrRefused),
            Step(account: "kaemmerei", line: "appropriation ost 2027 case 1000.00", second: .same),
            Step(account: "kaemmerei", line: "carry-forward ost 2027 milieu 10.00 reason=Rest", second: .same),
            Step(account: "kaemmerei", line: "population 2026 nord 4000", second: .same),
            Step(
                account: "kaemmerei",
                line: "finance-map 2027 ost case instalment produkt=36300 sachkonto=53310000 kostenstelle=SR9",
                second: .same),
            Step(account: "kaemmerei", line: "rate-add caritas 31 hour 2026-01-01 55.00", second: .sameOrRefused),
            Step(account: "kaemmerei", line: "open-case VER-2026-0777 nord 2026-01-01", second: .sameOrRefused),
            Step(account: "kaemmerei", line: "move VER-2026-0777 sued 2026-06-01", second: .sameOrRefused),
            Step(account: "kaemmerei", line: "grant-reason \(ids.grant) reason=Bindung", second: .same),
            Step(account: "kaemmerei", line: "end-grant \(ids.grant) 2026-11-30", second: .sameOrRefused),
            Step(
                account: "kaemmerei", line: "resolve-finding \(ids.finding) reject reason=\"zu viel\"",
                second: .sameOrRefused),
            Step(account: "kaemmerei", line: "project-end \(ids.project) 2026-10-31", second: .sameOrRefused),
            Step(account: "anna", line: "account-set sachbearbeitung county county rights=case", second: .okAgain),
            Step(account: "anordnung", line: "order-approve \(ids.instalmentOrder)", second: .same),
            Step(account: "anordnung", line: "payment-export", second: .sameOrRefused),
            Step(account: "kaemmerei", line: "reconcile 2026", second: .sameRun),
            Step(account: "kaemmerei", line: "statement-issue 1 \(ids.alpha)", second: .sameOrRefused),
            Step(account: "kaemmerei", line: "statement-withdraw 1 reason=Fehler", second: .sameOrRefused),
            Step(account: "kaemmerei", line: "appropriation nord 2026 case 150000.00", second: .already),
            Step(account: "it", line: "log-level info", second: .same),
            Step(account: "it", line: "reload", second: .same),
            Step(
                account: "it", line: "schedule-set nacht \"30 2 * * *\" reconcile parameters=year-to-date",
                second: .same),
            Step(account: "it", line: "pause nacht", second: .sameOrRefused),
            Step(account: "it", line: "resume nacht missed=skip", second: .sameOrRefused),
            Step(account: "it", line: "schedule-backfill nacht from=2026-11-01 to=2026-11-02", second: .okAgain),
        ]
    }

    /// Account administration, once the change of `account-set` is known.
    static func administration(_ ids: Ids) -> [Step] {
        [
            Step(account: "bert", line: "account-approve \(ids.accountChange)", second: .sameOrRefused),
            Step(account: "anna", line: "account-rights sachbearbeitung case,certify", second: .already),
        ]
    }

    static func decisions(_ ids: Ids) -> [Step] {
        [
            Step(account: "bert", line: "account-reject \(ids.widerChange) reason=nein", second: .sameOrRefused),
            Step(account: "anna", line: "account-disable sachbearbeitung", second: .same),
            Step(account: "anna", line: "account-enable sachbearbeitung", second: .same),
            Step(account: "anna", line: "account-limits anordnung limit=none sozialraeume=all", second: .same),
        ]
    }

    static func after(_ ids: Ids) -> [Step] {
        [
            Step(
                account: "anordnung", line: "order-reject \(ids.appropriationOrder) reason=nein", second: .sameOrRefused
            ),
            Step(account: "kaemmerei", line: "close-month 2026-12 reason=Jahresabschluss", second: .sameOrRefused),
            Step(account: "kaemmerei", line: "year-end 2026", second: .sameRun),
            Step(account: "kaemmerei", line: "year-end-confirm 2026 \(ids.yearEndRun)", second: .sameOrRefused),
            Step(account: "kaemmerei", line: "year-end-shares 2026", second: .same),
        ]
    }

    @Test func everyChangingCommandTakesAKeyOrIsNaturallyIdempotent() {
        let walked = Set(
            (Self.before(Ids()) + Self.administration(Ids()) + Self.decisions(Ids()) + Self.after(Ids())).map(\.command)
        )
        var untested: [String] = []
        for command in AdminCommands.all {
            switch command.changes {
            case .nothing: break
            case .withKey:
                #expect(command.usage.contains("key="), "\(command.name): usage does not name key=")
            case .naturally(let how):
                #expect(!how.isEmpty)
                if Self.retriedElsewhere[command.name] == nil, !walked.contains(command.name) {
                    untested.append(command.name)
                }
            }
        }
        #expect(untested == [], "changing commands without a retry test")
    }

    @Test(.timeLimit(.minutes(5))) func naturallyIdempotentCommandsSentTwiceChangeNothingMore() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let world = admin.world
        let grant = try await admin.alphaDeliveredInMarch()
        let finding = try #require(
            try await world.grants.findings(world.county, all: false).first { $0.kind == "delivery_over_grant" })
        let project = try await world.payments.createProject(
            world.county, provider: world.alpha.tenant, title: "Treff", socialSpace: world.nord, component: .milieu,
            startsOn: Day(iso: "2026-01-01")!, endsOn: Day(iso: "2026-12-31")!, budget: Money(cents: 1_000_00),
            volunteers: 1, professionals: 1)
        let instalment = try await world.payments.certifyInstalment(
            world.county, provider: world.alpha.tenant, socialSpace: world.nord, component: .case,
            month: YearMonth(iso: "2026-11")!, amount: Money(cents: 100_00), idempotencyKey: world.key("retry-abschlag")
        )
        var ids = Ids(
            alpha: "\(world.alpha.tenant)", grant: "\(grant)", finding: "\(finding.id)", project: "\(project)",
            instalmentOrder: "\(instalment.orderID)")
        var clients: [String: LineClient] = [:]
        for name in ["kaemmerei", "anordnung"] { clients[name] = try await admin.client(loggedInAs: name) }
        let it = try LineClient(path: admin.path)
        #expect(await it.request("login it operator-secret-1")?.status == "OK logged in as it role=operator")
        clients["it"] = it
        // Two holders of account administration (set up from the shell, before four eyes govern).
        let shell = AccountService(store: world.store, logger: Logger(label: "test.accounts"), scryptRounds: 1024)
        for name in ["anna", "bert"] {
            try await shell.setAccount(
                name: name, tenant: world.county.tenant, role: .county, secret: "\(name)-secret-1234",
                actingAs: world.county.tenant, rights: [.accounts])
            let client = try LineClient(path: admin.path)
            #expect(
                await client.request("login \(name) \(name)-secret-1234")?.status
                    == "OK logged in as \(name) role=county")
            clients[name] = client
        }

        var firsts: [String: String] = [:]
        for step in Self.before(ids) {
            firsts[step.command] = try await walk(step, clients: clients, admin: admin)
        }
        ids.accountChange = try #require(Self.number(after: "change ", in: firsts["account-set"]))
        for step in Self.administration(ids) {
            firsts[step.command] = try await walk(step, clients: clients, admin: admin)
        }
        ids.widerChange = try #require(Self.number(after: "change ", in: firsts["account-rights"]))
        for step in Self.decisions(ids) {
            firsts[step.command] = try await walk(step, clients: clients, admin: admin)
        }
        ids.appropriationOrder = try #require(Self.number(after: "order ", in: firsts["appropriation"]))
        for month in 1...11 {
            try await world.service.closeMonth(
                world.county, month: YearMonth(year: 2026, month: month)!, forceReason: "Jahresabschluss")
        }
        for step in Self.after(ids) where step.command != "year-end-confirm" && step.command != "year-end-shares" {
            firsts[step.command] = try await walk(step, clients: clients, admin: admin)
        }
        ids.yearEndRun = try #require(Self.number(after: "OK run ", in: firsts["year-end"]))
        let confirm = try #require(Self.after(ids).first { $0.command == "year-end-confirm" })
        let certified = try await walk(confirm, clients: clients, admin: admin)
        let yearEndOrder = try #require(Self.number(after: "order ", in: certified).flatMap { Int64($0) })
        _ = try await world.orders.approve(world.orderer, orderID: yearEndOrder)
        let shares = try #require(Self.after(ids).first { $0.command == "year-end-shares" })
        _ = try await walk(shares, clients: clients, admin: admin)
    }

    /// The commands that add, each sent twice with the same key through the socket (uploads included): the
    /// second answer is the first, and no table gains a row (runs and jobs included).
    @Test(.timeLimit(.minutes(5))) func commandsWithAKeyAnswerARetryTheSame() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let world = admin.world
        try await world.grants.openCase(
            world.county, key: "VER-2026-0901", socialSpace: world.nord, from: Day(iso: "2025-06-01")!)
        try await world.service.addRate(
            world.county, provider: world.alpha.tenant, helpType: "28", unit: .hour,
            validFrom: Day(iso: "2020-01-01")!, amount: Money(cents: 55_00))
        var clients: [String: LineClient] = [:]
        for name in ["kaemmerei", "anordnung", "alpha"] { clients[name] = try await admin.client(loggedInAs: name) }
        let it = try LineClient(path: admin.path)
        #expect(await it.request("login it operator-secret-1")?.status == "OK logged in as it role=operator")
        clients["it"] = it
        let alpha = "\(world.alpha.tenant)"
        var walked: Set<String> = []
        func twice(_ account: String, _ line: String, upload: [String]? = nil) async throws -> String {
            let client = try #require(clients[account])
            func send() async -> String {
                guard let upload else { return await client.request(line)?.status ?? "no answer" }
                client.send(([line] + upload + ["."]).joined(separator: "\n") + "\n")
                return await client.reply()?.status ?? "no answer"
            }
            let first = await send()
            #expect(first.hasPrefix("OK"), "\(line): \(first)")
            let rows = try await Self.rows(admin, including: true)
            let second = await send()
            #expect(second == first, "\(line): first \(first), then \(second)")
            #expect(try await Self.rows(admin, including: true) == rows, "\(line) wrote again")
            walked.insert(String(line.prefix { $0 != " " }))
            return first
        }
        let granted = try await twice(
            "kaemmerei", "grant VER-2026-0901 \(alpha) 31 hour 10 2026-01-01 2026-12-31 key=retry-grant-1")
        let grant = try #require(granted.split(separator: " ").dropFirst(2).first.map(String.init))
        _ = try await twice("alpha", "deliver \(grant) 2026-03 5 key=retry-deliver-1")
        _ = try await twice(
            "alpha", "import-deliveries key=retry-import-1 <<",
            upload: ["grant_id,month,quantity", "\(grant),2026-04,5"])
        _ = try await twice("kaemmerei", "grant-amend \(grant) 2026-07-01 volume=8 reason=Weniger key=retry-amend-1")
        _ = try await twice(
            "kaemmerei", "agreement-create \(alpha) 28 nord hour 20 2026-01-01 2026-12-31 key=retry-agreement-1")
        let created = try await twice(
            "kaemmerei",
            "project-create \(alpha) nord milieu 2026-01-01 2026-12-31 1000.00 title=Treff key=retry-project-1")
        let project = try #require(created.split(separator: " ").dropFirst(2).first.map(String.init))
        let expense = try await twice("alpha", "expense \(project) 2026-05-10 100.00 key=retry-expense-1")
        let booking = try #require(Self.number(after: "booking ", in: expense))
        _ = try await twice("alpha", "reverse \(booking) key=retry-reverse-1")
        let instalment = try await twice(
            "kaemmerei", "instalment \(alpha) nord case 2026-11 100.00 key=retry-abschlag-1")
        let order = try #require(Self.number(after: "order ", in: instalment))
        // 100.00 ordered as certified, paid through the Kasse (a Kassenzeichen and a due day follow).
        #expect(
            await clients["anordnung"]!.request("order-approve \(order)")?.status
                .hasPrefix("OK order \(order) ordered: 100.00 kassenzeichen ") == true)
        let exported = await clients["anordnung"]!.request("payment-export")
        // The one ordered instalment: one order of 100.00 in the batch.
        #expect(
            exported?.status.hasPrefix("OK batch 1: 1 orders, total 100.00, ") == true,
            "\(String(describing: exported))")
        let kassenzeichen = "SR\(CountyCalendar.today().year)" + String(repeating: "0", count: 6 - order.count) + order
        _ = try await twice(
            "anordnung", "payment-confirm key=retry-ist-1 <<",
            upload: ["Kassenzeichen;Betrag;Valuta", "\(kassenzeichen);100,00;30.11.2026"])
        _ = try await twice(
            "anordnung", "overrun-decide 2026 nord structure 100.00 reason=Mehrbedarf key=retry-overrun-1")
        #expect(
            await clients["kaemmerei"]!.request("reconcile 2026")?.status.hasPrefix("OK run 1 2026 position ") == true)
        #expect(
            await clients["kaemmerei"]!.request("statement-issue 1 \(alpha)")?.status
                .hasPrefix("OK statement 1 issued: run 1, ") == true)
        _ = try await twice("kaemmerei", "settle 1 \(alpha) key=retry-settle-1")
        #expect(
            await it.request("schedule-set nacht \"30 2 * * *\" reconcile parameters=year-to-date")?.status
                .hasPrefix("OK schedule nacht set; ") == true)
        _ = try await twice("it", "run-now nacht key=retry-run-now-1")
        _ = try await twice(
            "kaemmerei", "migration-import 2026-07-01 key=retry-migration-1 <<",
            upload: ["#file providers", "code,name", "neu,Neuer Träger"])
        let withKey = Set(AdminCommands.all.filter { $0.changes == .withKey }.map(\.name))
        #expect(withKey.subtracting(walked).sorted() == [], "commands with a key not retried")
    }

    /// The digits after `prefix` in a reply.
    static func number(after prefix: String, in reply: String?) -> String? {
        guard let reply, let range = reply.range(of: prefix) else { return nil }
        let digits = reply[range.upperBound...].prefix { $0.isNumber }
        return digits.isEmpty ? nil : String(digits)
    }

    /// Sends the step twice; checks the first succeeded, the second changed no table (but the audit trail,
    /// and the run tables for a run) and answered as the step says. Returns the first answer.
    func walk(_ step: Step, clients: [String: LineClient], admin: AdminWorld) async throws -> String {
        let client = try #require(clients[step.account])
        let first = await client.request(step.line)?.status ?? "no answer"
        #expect(first.hasPrefix("OK"), "\(step.line): \(first)")
        let rows = try await Self.rows(admin, including: step.second != .sameRun)
        let second = await client.request(step.line)?.status ?? "no answer"
        let after = try await Self.rows(admin, including: step.second != .sameRun)
        #expect(
            after == rows,
            "\(step.line) wrote again: \(after.filter { rows[$0.key] != $0.value }.sorted { $0.key < $1.key })")
        let answered: Bool
        switch step.second {
        case .same: answered = second == first
        case .sameOrRefused:
            answered = second == first || second.hasPrefix("ERR DUPLICATE") || second.hasPrefix("ERR CONFLICT")
        case .already: answered = second.hasPrefix("OK") && second.contains("already")
        case .okAgain: answered = second.hasPrefix("OK")
        case .sameRun: answered = second.hasPrefix("OK") && second.contains("same as run")
        }
        #expect(answered, "\(step.line): first \(first), then \(second)")
        return first
    }

    /// Rows of every table of the schema but the audit trail (and, unless asked, a run's record), as the
    /// superuser sees them.
    static func rows(_ admin: AdminWorld, including runs: Bool) async throws -> [String: Int] {
        let connection = try await admin.world.database.superuserConnection()
        var counts: [String: Int] = [:]
        for row in try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT table_name::text,
                           (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema,
                                                                       table_name), false, true, '')))[1]::text::int
                    FROM information_schema.tables
                    WHERE table_schema = 'sozialraum' AND table_type = 'BASE TABLE' AND table_name <> 'audit_event'
                    """))
        {
            let table = try row.decode(0, as: String.self)
            // A run's record: the run, its lines, months, transfers and per-provider figures (`statement`).
            if !runs, table.hasPrefix("reconciliation_") || table.hasPrefix("job_") || table == "statement" {
                continue
            }
            counts[table] = try row.decode(1, as: Int.self)
        }
        return counts
    }
}
