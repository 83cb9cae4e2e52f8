import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Synchronization
import Testing

@testable import SozialraumInterfaces

/// A running admin socket on a fresh database (see `BudgetWorld`), with accounts for each role.
struct AdminWorld: Sendable {
    let world: BudgetWorld
    let path: String
    let tokens: [String: String]
    let task: Task<Void, any Error>
    let server: AdminServer
    var ports = AdminServer.BoundPorts()

    static func start(
        limits: AdminLimits = AdminLimits(), peerAccounts: [UInt32: String] = [:], operations: AdminOperations = .none,
        retention: RetentionRules = RetentionRules(), configure: (inout AdminSocketConfiguration) -> Void = { _ in }
    ) async throws -> AdminWorld {
        let world = try await BudgetWorld.make()
        // Cheap hashes: the scrypt cost is not under test here, and debug builds of BoringSSL are slow.
        let accounts = AccountService(store: world.store, logger: Logger(label: "test.accounts"), scryptRounds: 1024)
        var tokens: [String: String] = [:]
        for (name, caller) in [
            ("kaemmerei", world.county), ("alpha", world.alpha), ("beta", world.beta), ("pruefer", world.auditor),
        ] {
            let token = AccountService.generateToken()
            try await accounts.setAccount(
                name: name, tenant: caller.tenant, role: caller.role, secret: token, actingAs: world.county.tenant)
            tokens[name] = token
        }
        // The second signature on payments: an account holding only the right to order.
        let ordering = AccountService.generateToken()
        try await accounts.setAccount(
            name: "anordnung", tenant: world.county.tenant, role: .county, secret: ordering,
            actingAs: world.county.tenant, rights: [.order])
        tokens["anordnung"] = ordering
        try await world.mapFinance(year: 2026)
        try await accounts.setAccount(
            name: "it", tenant: world.county.tenant, role: .operator, secret: "operator-secret-1",
            actingAs: world.county.tenant)
        let path = TestScratch.path("admin", suffix: ".sock")
        var configuration = AdminSocketConfiguration(unixSocketPath: path)
        configuration.limits = limits
        configuration.peerAccounts = peerAccounts
        configure(&configuration)
        let (listening, continuation) = AsyncStream<AdminServer.BoundPorts>.makeStream()
        var services = UseCases(
            store: world.store, logger: Logger(label: "test.admin"), today: CountyCalendar.today, accounts: accounts,
            retention: retention)
        services.budget = world.service
        services.grants = world.grants
        services.payments = world.payments
        let server = AdminServer(
            configuration: configuration, services: services, operations: operations,
            logger: Logger(label: "test.admin"),
            onListening: { ports in
                continuation.yield(ports)
                continuation.finish()
            })
        let task = Task { try await server.run() }
        var ports = AdminServer.BoundPorts()
        for await bound in listening { ports = bound }
        return AdminWorld(world: world, path: path, tokens: tokens, task: task, server: server, ports: ports)
    }

    func client(loggedInAs name: String? = nil) async throws -> LineClient {
        let client = try LineClient(path: path)
        if let name {
            let reply = await client.request("login \(name) \(tokens[name]!)")
            #expect(reply?.status.hasPrefix("OK logged in") == true, "login \(name): \(String(describing: reply))")
        }
        return client
    }

    /// A county account `name` holding `rights`, made now and logged in on a new session (its secret:
    /// `<name>-secret-1`).
    func client(countyAccount name: String, rights: Set<CountyRight>) async throws -> LineClient {
        let accounts = AccountService(store: world.store, logger: Logger(label: "test.accounts"), scryptRounds: 1024)
        try await accounts.setAccount(
            name: name, tenant: world.county.tenant, role: .county, secret: "\(name)-secret-1",
            actingAs: world.county.tenant, rights: rights)
        let client = try LineClient(path: path)
        let reply = await client.request("login \(name) \(name)-secret-1")
        #expect(reply?.status == "OK logged in as \(name) role=county", "login \(name): \(String(describing: reply))")
        return client
    }

    func stop() { task.cancel() }

    /// The real `sozialraumctl` logged in as `account` (its token in SOZIALRAUM_SECRET): its exit status
    /// and output lines.
    func ctl(as account: String, _ arguments: [String]) async throws -> (Int32, [String]) {
        try await Self.ctl(socket: path, login: account, secret: tokens[account], arguments)
    }

    static func ctl(
        socket: String, login account: String, secret: String?, _ arguments: [String]
    ) async throws -> (Int32, [String]) {
        var environment = ProcessInfo.processInfo.environment
        environment["SOZIALRAUM_SECRET"] = secret
        let process = try Subprocess(
            [Subprocess.binary("sozialraumctl"), "--socket", socket, "--login", account] + arguments,
            environment: environment)
        var lines: [String] = []
        for await line in process.lines { lines.append(line) }
        return (await process.exitStatus(), lines)
    }

    /// Alpha's granted case with 12 h delivered in March (10 h granted: 2 h held back as a finding).
    func alphaDeliveredInMarch() async throws -> UUID {
        let grant = try await world.grantedCase()
        _ = try await world.grants.recordDelivery(
            world.alpha, grantID: grant, month: YearMonth(iso: "2026-03")!, quantity: Quantity(hundredths: 12_00),
            idempotencyKey: world.key("alpha-del-0001"))
        return grant
    }
}

@Suite struct AdminProtocolTests {
    @Test func aProviderReadsFundsInEveryFormat() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let client = try await admin.client(loggedInAs: "alpha")
        #expect(await client.request("whoami")?.status == "OK alpha@\(admin.world.alpha.tenant) role=provider")
        let table = await client.request("funds nord 2026")
        #expect(table?.data.first?.hasPrefix("line") == true)
        #expect(table?.data.contains { $0.hasPrefix("case") && $0.contains("100000.00") } == true)
        #expect(await client.request("format csv-de")?.status == "OK format csv-de")
        let csv = await client.request("funds nord 2026")
        #expect(csv?.data.first == "Budgetzeile;Ansatz;Übertrag;Obligo;Ist;verfügbar;nach Deckung")
        #expect(csv?.data.contains { $0.hasPrefix("case;100000,00;") } == true)
        let json = await client.request("funds nord 2026 format=jsonl")
        #expect(json?.data.first?.hasPrefix(#"{"line":"case","appropriation":"100000.00""#) == true)
        // The budget of a Sozialraum alpha does not serve is unknown to it.
        #expect(await client.request("funds sued 2026")?.status == "ERR NOT_FOUND unknown budget")
        // A county command is refused by role.
        #expect(
            await client.request("close-month 2026-03")?.status == "ERR FORBIDDEN close-month is not for role provider")
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let client = try await admin.client(loggedInAs: "kaemmerei")
        client.send((1...500).map { $0 % 2 == 0 ? "@t\($0) ping\n" : "@t\($0) funds nord 2026 format=csv\n" }.joined())
        for number in 1...500 {
            let reply = await client.reply()
            #expect(
                reply?.status.hasPrefix("OK @t\(number) ") == true,
                "reply \(number): \(String(describing: reply?.status))")
        }
    }

    @Test func aClientThatDoesNotReadIsNotBufferedForAndOthersAreServed() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let greedy = try LineClient(path: admin.path, reading: false)
        let requests = 3000
        greedy.send(String(repeating: "help\n", count: requests))
        // Several MiB of replies are due; the daemon writes only as fast as they are read.
        let other = try await admin.client()
        #expect(await other.request("ping")?.status == "OK pong")
        greedy.startReading()
        var replies = 0
        let openCommands = AdminCommands.all.filter { $0.roles == nil }.count
        while replies < requests, let reply = await greedy.reply() {
            #expect(reply.status == "OK \(openCommands) commands")
            replies += 1
        }
        #expect(replies == requests)
    }

    @Test func sessionsBeyondTheLimitAreTurnedAway() async throws {
        var limits = AdminLimits()
        limits.maximumSessions = 2
        let admin = try await AdminWorld.start(limits: limits)
        defer { admin.stop() }
        let first = try await admin.client()
        let second = try await admin.client()
        #expect(await first.request("ping")?.status == "OK pong")
        #expect(await second.request("ping")?.status == "OK pong")
        let third = try await admin.client()
        #expect(await third.reply()?.status == "ERR BUSY too many sessions; try again later")
        #expect(await third.next() == nil)
        #expect(await first.request("ping")?.status == "OK pong")
    }

    /// Issue 17: a second login inside a session used to bypass the new account's session limit and
    /// leave `sessions` naming the first; now it switches and counts, and a logout frees the slot.
    @Test func aSecondLoginInASessionCountsForTheNewAccountAndLogoutFreesTheSlot() async throws {
        var limits = AdminLimits()
        limits.maximumSessionsPerAccount = 1
        let admin = try await AdminWorld.start(limits: limits)
        defer { admin.stop() }
        let session = try await admin.client(loggedInAs: "alpha")
        #expect(
            await session.request("login beta \(admin.tokens["beta"]!)")?.status.hasPrefix("OK logged in as beta")
                == true)
        #expect(await session.request("whoami")?.status.hasPrefix("OK beta@") == true)
        // Beta's one slot is now taken by the switched session, alpha's is free again.
        let other = try await admin.client()
        // Refused in the login's own reply, not after an OK.
        #expect(
            await other.request("login beta \(admin.tokens["beta"]!)")?.status
                == "ERR BUSY too many sessions of this account")
        #expect(await other.request("login alpha \(admin.tokens["alpha"]!)")?.status.hasPrefix("OK logged in") == true)
        #expect(await other.request("whoami")?.status.hasPrefix("OK alpha@") == true)
        // A logout frees the account's slot.
        #expect(await session.request("logout")?.status == "OK logged out")
        let third = try await admin.client()
        #expect(await third.request("login beta \(admin.tokens["beta"]!)")?.status.hasPrefix("OK logged in") == true)
        #expect(await third.request("whoami")?.status.hasPrefix("OK beta@") == true)
    }

    /// Issue 17: a stranger's upload is never read into memory; nor one for a command that takes none.
    @Test func anUploadBeforeLoginOrToTheWrongCommandEndsTheConnectionUnread() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let stranger = try await admin.client()
        stranger.send("nosuchcommand <<\n" + String(repeating: "x", count: 1000) + "\n")
        #expect(await stranger.reply()?.status == "ERR NOT_LOGGED_IN log in before uploading; closing")
        #expect(await stranger.next() == nil)
        let alpha = try await admin.client(loggedInAs: "alpha")
        alpha.send("ping <<\nsomething\n.\n")
        #expect(await alpha.reply()?.status == "ERR BAD_REQUEST ping takes no upload; closing")
        #expect(await alpha.next() == nil)
        let county = try await admin.client(loggedInAs: "kaemmerei")
        county.send("import-deliveries key=import-0001 <<\ngrant_id,month,quantity\n.\n")
        #expect(await county.reply()?.status == "ERR FORBIDDEN import-deliveries is not for role county; closing")
        #expect(await county.next() == nil)
        let beta = try await admin.client(loggedInAs: "beta")
        beta.send("nosuchcommand <<\nsomething\n.\n")
        #expect(await beta.reply()?.status == "ERR UNKNOWN_COMMAND unknown command nosuchcommand; closing")
        #expect(await beta.next() == nil)
    }

    /// Issue 17: strangers on a network listener hold few sessions (per source, per listener), and the
    /// local Unix socket keeps its room whatever the network does.
    @Test func strangersOnTheNetworkHoldFewSessionsAndTheUnixSocketAlwaysHasRoom() async throws {
        var limits = AdminLimits()
        limits.maximumSessions = 6
        limits.sessionsKeptForUnixSocket = 2
        limits.maximumSessionsBeforeLogin = 3
        limits.maximumSessionsBeforeLoginPerSource = 2
        // No stranger may time out while a loaded machine runs the test: the counts are what is under test.
        limits.loginTimeout = .seconds(3600)
        let admin = try await AdminWorld.start(limits: limits) { $0.plainTCP = ("127.0.0.1", 0) }
        defer { admin.stop() }
        let port = try #require(admin.ports.plainTCP)
        // Two strangers from 127.0.0.1 get sessions; the third from the same source is refused.
        var strangers: [LineClient] = []
        for _ in 0..<2 {
            let stranger = try LineClient(loopbackPort: port)
            #expect(await stranger.request("ping")?.status == "OK pong")
            strangers.append(stranger)
        }
        let third = try LineClient(loopbackPort: port)
        #expect(await third.next() == "ERR BUSY too many sessions; try again later")
        // A stranger who logs in no longer counts as one: the next stranger gets its session.
        #expect(
            await strangers[0].request("login alpha \(admin.tokens["alpha"]!)")?.status.hasPrefix("OK logged in")
                == true)
        let fourth = try LineClient(loopbackPort: port)
        #expect(
            await fourth.request("login kaemmerei \(admin.tokens["kaemmerei"]!)")?.status.hasPrefix("OK logged in")
                == true)
        strangers.append(fourth)
        // Network sessions: 3 of the 6 - 2 = 4 they may have. One more fills them.
        let fifth = try LineClient(loopbackPort: port)
        #expect(await fifth.request("ping")?.status == "OK pong")
        let sixth = try LineClient(loopbackPort: port)
        #expect(await sixth.next() == "ERR BUSY too many sessions; try again later")
        // The Unix socket still has its two.
        for _ in 0..<2 {
            let local = try await admin.client()
            #expect(await local.request("ping")?.status == "OK pong")
            strangers.append(local)
        }
        _ = fifth
    }

    /// Issue 17: uploads of all sessions together stay within the daemon's budget; past it an upload is
    /// read, dropped and answered `BUSY`, and the session goes on.
    @Test func uploadsTogetherStayWithinTheDaemonsBudget() async throws {
        var limits = AdminLimits()
        limits.maximumUploadBytesInFlight = 2_000
        let admin = try await AdminWorld.start(limits: limits, peerAccounts: [getuid(): "it"])
        defer { admin.stop() }
        let row = "00000000-0000-0000-0000-000000000000,2026-03,8\n"  // 47 bytes a line
        // Alpha's upload is held open: 30 lines (1,410 bytes plus the header's 24) stay in the budget.
        let alpha = try await admin.client(loggedInAs: "alpha")
        alpha.send(
            "import-deliveries key=held-upload-1 <<\ngrant_id,month,quantity\n" + String(repeating: row, count: 30))
        // Until the daemon has read them (the operator's `stats` shows the bytes in flight).
        let operatorSession = try await admin.client()
        var inFlight = 0
        for _ in 0..<10_000 where inFlight < 1_434 {
            let stats = await operatorSession.request("stats format=csv")
            let line = stats?.data.first { $0.hasPrefix("sozialraum_admin_upload_bytes_in_flight,") }
            inFlight = line.flatMap { Int($0.split(separator: ",").last ?? "") } ?? 0
        }
        #expect(inFlight == 1_434)
        // Beta's 20 lines do not fit beside them: read, dropped, BUSY; beta's session stays usable.
        let beta = try await admin.client(loggedInAs: "beta")
        beta.send(
            "import-deliveries key=beta-upload-1 <<\ngrant_id,month,quantity\n" + String(repeating: row, count: 20)
                + ".\n")
        #expect(
            await beta.reply()?.status
                == "ERR BUSY the daemon holds as many uploads as it may; nothing imported; try again later")
        #expect(await beta.request("ping")?.status == "OK pong")
        // Alpha's block ends: it is imported (or refused row by row), and its bytes are given back.
        alpha.send(".\n")
        #expect(await alpha.reply()?.status.hasPrefix("ERR BUSY") == false)
        let after = await operatorSession.request("stats format=csv")
        #expect(after?.data.contains("sozialraum_admin_upload_bytes_in_flight,,0") == true)
        beta.send(
            "import-deliveries key=beta-upload-2 <<\ngrant_id,month,quantity\n" + String(repeating: row, count: 20)
                + ".\n")
        #expect(await beta.reply()?.status.hasPrefix("ERR BUSY") == false)
    }

    /// Issue 17: an upload directory that refuses the block (gone, full) gives a clear `UNAVAILABLE`,
    /// nothing is imported, the budget gets its bytes back and the session goes on.
    @Test func anUploadThatCannotBeStoredIsRefusedAndTheSessionGoesOn() async throws {
        var limits = AdminLimits()
        limits.uploadDirectory = "/nonexistent-upload-directory"
        let admin = try await AdminWorld.start(limits: limits, peerAccounts: [getuid(): "it"])
        defer { admin.stop() }
        let alpha = try await admin.client(loggedInAs: "alpha")
        alpha.send(
            "import-deliveries key=unstored-1 <<\ngrant_id,month,quantity\n"
                + "00000000-0000-0000-0000-000000000000,2026-03,8\n.\n")
        let refused = await alpha.reply()
        #expect(
            refused?.status.hasPrefix("ERR UNAVAILABLE the daemon cannot store the upload now; nothing imported")
                == true)
        #expect(await alpha.request("ping")?.status == "OK pong")
        let operatorSession = try await admin.client()
        let stats = await operatorSession.request("stats format=csv")
        #expect(stats?.data.contains("sozialraum_admin_upload_bytes_in_flight,,0") == true)
    }

    @Test func aHalfClosedClientStillGetsItsAnswers() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let client = try await admin.client()
        client.send("ping\nping")
        client.shutdownWriting()
        #expect(await client.reply()?.status == "OK pong")
        #expect(await client.reply()?.status == "OK pong")
        #expect(await client.next() == nil, "the server closes after answering")
    }

    /// A client that sends half a line holds nothing up: others are served meanwhile, and its line counts
    /// once complete. (Its cut-off at the timeout: `InMemorySessionTests`.)
    @Test func aTricklingClientHoldsUpNoOne() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let slow = try await admin.client()
        slow.send("pi")
        let other = try await admin.client()
        #expect(await other.request("ping")?.status == "OK pong")
        slow.send("ng\n")
        #expect(await slow.reply()?.status == "OK pong")
    }

    @Test func bruteForceLocksTheNameWithoutRevealingWhetherItExists() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let client = try await admin.client()
        for _ in 0..<LoginThrottle.pair.limit {
            #expect(
                await client.request("login alpha wrong-secret-123")?.status == "ERR LOGIN_FAILED wrong name or secret")
        }
        #expect(await client.request("login alpha \(admin.tokens["alpha"]!)")?.status.hasPrefix("ERR LOCKED") == true)
        // An unknown name is locked the same way: the answer says nothing about whether a name exists.
        for _ in 0..<LoginThrottle.pair.limit {
            #expect(
                await client.request("login nobody wrong-secret-123")?.status == "ERR LOGIN_FAILED wrong name or secret"
            )
        }
        #expect(await client.request("login nobody wrong-secret-123")?.status.hasPrefix("ERR LOCKED") == true)
        // A colleague at the same machine is not locked out with the guessed names.
        #expect(await client.request("login beta \(admin.tokens["beta"]!)")?.status.hasPrefix("OK logged in") == true)
    }

    @Test func thePeersUidLogsInWithoutASecret() async throws {
        let admin = try await AdminWorld.start(peerAccounts: [getuid(): "it"])
        defer { admin.stop() }
        let client = try await admin.client()
        #expect(await client.request("whoami")?.status == "OK it@\(admin.world.county.tenant) role=operator")
        let status = await client.request("status format=csv")
        #expect(status?.data.last?.hasPrefix("reachable,") == true)
        #expect(await client.request("funds nord 2026")?.status == "ERR FORBIDDEN funds is not for role operator")
    }
}

@Suite struct AdminTenantIsolationTests {
    @Test func anotherProvidersIdsAreIndistinguishableFromUnknownOnes() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let grant = try await admin.world.grantedCase()
        let beta = try await admin.client(loggedInAs: "beta")
        let foreign = await beta.request("deliver \(grant) 2026-03 5 key=beta-try-0001")
        let unknown = await beta.request("deliver \(UUID()) 2026-03 5 key=beta-try-0002")
        #expect(foreign?.status == "ERR NOT_FOUND unknown grant")
        #expect(foreign?.status == unknown?.status)
        let alpha = try await admin.client(loggedInAs: "alpha")
        let delivered = await alpha.request("deliver \(grant) 2026-03 5 key=alpha-0001")
        #expect(delivered?.status.hasPrefix("OK delivery") == true)
        let booking = try await admin.world.store.withTenant(admin.world.alpha.tenant, readOnly: true) { tx in
            try await tx.query(unsafeSQL: "SELECT id FROM booking").single().decode(0, as: Int64.self)
        }
        #expect(await beta.request("reverse \(booking) key=beta-rev-0001")?.status == "ERR NOT_FOUND unknown booking")
        #expect(await beta.request("bookings 2026-03")?.status == "OK 0 bookings")
        #expect(await beta.request("findings all")?.status == "OK 0 findings")
        #expect(await alpha.request("bookings 2026-03")?.status == "OK 1 bookings")
    }

    @Test func anUploadWithOneBadRowImportsNothingAndNamesTheRow() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let grant = try await admin.world.grantedCase()
        let alpha = try await admin.client(loggedInAs: "alpha")
        alpha.send(
            "import-deliveries key=import-0001 <<\ngrant_id,month,quantity\n\(grant),2026-03,8\n\(grant),2026-13,8\n.\n"
        )
        let rejected = await alpha.reply()
        #expect(rejected?.status == "ERR REJECTED_ROWS 1 rows rejected, nothing imported")
        #expect(rejected?.data == ["line 3: month: not a month (expected YYYY-MM)"])
        alpha.send(
            "import-deliveries key=import-0002 <<\ngrant_id,month,quantity\n\(grant),2026-03,8\n\(grant),2026-04,12\n.\n"
        )
        #expect(await alpha.reply()?.status == "OK imported 2 deliveries, 2 bookings, 1 findings, total 1080.00")
        // Retrying the same upload under the same key books nothing more.
        alpha.send(
            "import-deliveries key=import-0002 <<\ngrant_id,month,quantity\n\(grant),2026-03,8\n\(grant),2026-04,12\n.\n"
        )
        #expect(await alpha.reply()?.status == "OK imported 2 deliveries, 2 bookings, 1 findings, total 1080.00")
        #expect(try await admin.world.count("delivery") == 2)
    }
}

/// Every command a provider may use, tried by provider beta against provider alpha's data. The list of
/// commands comes from `help` as beta sees it, so a new provider command fails this test until it is
/// covered here.
@Suite struct ProviderIsolationPerCommandTests {
    @Test func noCommandShowsOrTouchesAnotherProvidersData() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let world = admin.world
        let grant = try await admin.alphaDeliveredInMarch()
        let project = try await world.payments.createProject(
            world.county, provider: world.alpha.tenant, title: "Elterncafé", socialSpace: world.nord,
            component: .milieu,
            startsOn: Day(iso: "2026-01-01")!, endsOn: Day(iso: "2026-12-31")!, budget: Money(cents: 1_000_00),
            volunteers: 3, professionals: 1)
        let booking = try await world.store.withTenant(world.alpha.tenant, readOnly: true) { tx in
            try await tx.query(unsafeSQL: "SELECT id FROM booking ORDER BY id LIMIT 1").single().decode(
                0, as: Int64.self)
        }
        // Alpha also serves a case of süd (rule 9: a cross-area grant with its reason).
        _ = try await world.openCase("VER-2026-0077", in: world.sued).granted(
            perMonth: "2", from: "2026-02-01", to: "2026-06-30", reason: "Familie kennt Alpha seit Jahren",
            key: "grant-cross-0077")
        // An instalment to alpha, signed twice: a payment order only alpha and the county see.
        _ = try await world.payInstalment(
            provider: world.alpha.tenant, socialSpace: world.nord, month: YearMonth(iso: "2026-04")!,
            amount: Money(cents: 100_00), key: "alpha-instalment-april")
        // October: no delivery is due yet, so the run adds no finding; alpha gets a statement item, and its
        // statement is issued (statement 1).
        let reconciliation = ReconciliationService(
            store: world.store, logger: Logger(label: "test"), today: { BudgetWorld.today })
        let run = try await reconciliation.run(world.county, scope: .month(YearMonth(iso: "2026-10")!)).runID
        let alphaStatement = try await reconciliation.issueStatement(
            world.county, runID: run, provider: world.alpha.tenant)
        #expect(alphaStatement.id == 1 && alphaStatement.items == 1)
        let before = try await world.snapshot()

        let beta = try await admin.client(loggedInAs: "beta")
        let commands = Set((await beta.request("help"))!.data.map { String($0.split(separator: " ").first!) })
        let probes: [String: [(request: String, expected: String)]] = [
            "help": [("help deliver", "OK")], "ping": [("ping", "OK pong")], "whoami": [("whoami", "OK beta@")],
            "language": [("language en", "OK language English, kept for your account")],
            "format": [("format csv", "OK format csv")], "logout": [], "login": [], "quit": [],
            // Touches the caller's own account only, and ends this session (ControlsTests.rightsEndAtOnce).
            "token-rotate": [],
            "providers": [("providers", "OK 1 tenants")],
            "funds": [("funds nord 2026", "ERR NOT_FOUND unknown budget")],
            "provider-view": [("provider-view", "OK provider-view totals"), ("provider-view own", "ERR FORBIDDEN")],
            "deliver": [("deliver \(grant) 2026-04 1 key=beta-probe-01", "ERR NOT_FOUND unknown grant")],
            "import-deliveries": [
                (
                    "import-deliveries key=beta-probe-02 <<\ngrant_id,month,quantity\n\(grant),2026-04,1\n.",
                    "ERR REJECTED_ROWS"
                )
            ],
            "expense": [("expense \(project) 2026-05-01 10 key=beta-probe-03", "ERR NOT_FOUND unknown project")],
            "reverse": [("reverse \(booking) key=beta-probe-04", "ERR NOT_FOUND unknown booking")],
            "bookings": [("bookings 2026-03", "OK 0 bookings")],
            "findings": [("findings all", "OK 0 findings")],
            "runs": [("runs", "OK 1 runs")],
            "run": [
                ("run \(run)", "OK run"), ("run \(run) months nord", "OK run"), ("run \(run) transfers", "OK run"),
            ],
            "run-diff": [("run-diff \(run) \(run)", "OK 0 changes")],
            "statement": [
                ("statement \(run)", "OK run \(run) 0 rows"),
                ("statement \(run) items \(world.alpha.tenant)", "OK run \(run) 0 rows"),
            ],
            // Issued statements (issue 20): alpha's statement 1 of the run is issued above; beta sees none.
            "issued-statements": [
                ("issued-statements", "OK 0 statements"),
                ("issued-statements \(world.alpha.tenant)", "OK 0 statements"),
                ("issued-statements run=\(run)", "OK 0 statements"),
            ],
            "issued-statement": [
                ("issued-statement 1", "ERR NOT_FOUND unknown statement"),
                ("issued-statement 1 items", "ERR NOT_FOUND unknown statement"),
            ],
            "chart": [("chart nord 2026", "ERR NOT_FOUND unknown budget")],
            "cross-area": [
                ("cross-area 2026", "OK 0 cross-area grants"), ("cross-area 2026 sued", "OK 0 cross-area grants"),
            ],
            // The register (issue 18): the county's geography, years and help types are everyone's; a
            // provider's assignments, rates and projects are its own.
            "sozialraeume": [("sozialraeume", "OK 2 sozialraeume")],
            "years": [("years", "OK 1 years")],
            "help-types": [("help-types", "OK")],
            "assignments": [("assignments", "OK 1 assignments")],
            "rates": [
                ("rates \(world.alpha.tenant)", "ERR NOT_FOUND"), ("rates \(world.beta.tenant)", "OK 2 rates"),
            ],
            "projects": [("projects", "OK 0 projects"), ("projects 2026", "OK 0 projects")],
            "grants-due": [("grants-due", "OK 0 due"), ("grants-due 104", "OK 0 due")],
            "agreements": [("agreements", "OK 0 agreements")],
            "grants": [("grants", "OK 0 grants"), ("grants case=VER-2026-0001", "OK 0 grants")],
            "orders": [("orders", "OK 0 orders"), ("orders approved", "OK 0 orders")],
        ]
        #expect(
            commands == Set(probes.keys),
            "provider commands without an isolation probe: \(commands.subtracting(probes.keys))")
        for (_, cases) in probes.sorted(by: { $0.key < $1.key }) {
            for probe in cases {
                let reply = await beta.request(probe.request)
                #expect(
                    reply?.status.hasPrefix(probe.expected) == true,
                    "\(probe.request): \(String(describing: reply?.status))")
                #expect(
                    reply?.data.contains { $0.contains("Alpha") || $0.contains("VER-2026") } == false,
                    "\(probe.request) leaked data")
            }
        }
        #expect(try await world.snapshot() == before)
        // The same probes as alpha do see alpha's data (the probes can fail).
        let alpha = try await admin.client(loggedInAs: "alpha")
        #expect(await alpha.request("bookings 2026-03")?.status == "OK 1 bookings")
        #expect(await alpha.request("findings all")?.status == "OK 1 findings")
        #expect(await alpha.request("grants case=VER-2026-0001")?.status == "OK 1 grants")
        #expect(await alpha.request("statement \(run) items")?.data.contains { $0.contains("VER-2026-0001") } == true)
        #expect(await alpha.request("run \(run) months nord")?.data.count == 4)
        #expect(await alpha.request("cross-area 2026")?.status == "OK 1 cross-area grants")
        #expect(await alpha.request("orders")?.status == "OK 1 orders; ordered 100.00, paid by the Kasse 0.00")
    }

    @Test func reconciliationOverTheSocket() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let world = admin.world
        _ = try await admin.alphaDeliveredInMarch()
        let county = try await admin.client(loggedInAs: "kaemmerei")
        let reply = await county.request("reconcile 2026")
        #expect(reply?.status.hasPrefix("OK run 1 2026 position 1 digest ") == true, "\(String(describing: reply))")
        #expect(await county.request("reconcile 2026")?.status.contains("same as run 1") == true)
        let lines = await county.request("run 1 lines nord format=csv-de")
        // 12 h delivered in March, 10 h granted: 600.00 paid (2 h held back as a finding); 11 months of 600.00
        // still committed = 6,600.00; available 100,000.00 − 6,600.00 − 600.00 = 92,800.00.
        #expect(
            lines?.data.first
                == "Sozialraum;Budgetzeile;Ansatz;Übertrag;Obligo;Ist;verfügbar;Deckungsübertrag;nach Deckung;Prognose;Prognose verfügbar;Überschreitung"
        )
        #expect(
            lines?.data.contains { $0.hasPrefix("nord;case;100000,00;0,00;6600,00;600,00;92800,00;") } == true,
            "\(String(describing: lines))")
        let chart = await county.request("chart nord 2026")
        #expect(chart?.data.first?.hasPrefix("<svg") == true && chart?.data.last == "</svg>")
        #expect(
            await county.request("statement 1 format=jsonl")?.data.first?.contains("\"balance\":\"600.00\"") == true)
        #expect(
            await county.request("settle 1 \(world.alpha.tenant)")?.status
                == "ERR INVALID key: every change needs key=<idempotency-key>")
        // The county pays on an issued statement: settling a draft is refused, issuing freezes it.
        #expect(
            await county.request("settle 1 \(world.alpha.tenant) key=settle-2026-draft")?.status.hasPrefix(
                "ERR CONFLICT conflict: a settlement pays an issued statement: issue it first") == true)
        let issued = await county.request("statement-issue 1 \(world.alpha.tenant)")
        #expect(
            issued?.status.hasPrefix("OK statement 1 issued: run 1, 1 items, balance 600.00, sha256 ") == true,
            "\(String(describing: issued))")
        // Certified by one account, ordered by another: 600.00 to alpha (nothing paid before).
        let settled = await county.request("settle 1 \(world.alpha.tenant) key=settle-2026-alpha")
        #expect(
            settled?.status.hasPrefix("OK settlement 600.00 (county pays): order 1 certified: 600.00, waits for")
                == true,
            "\(String(describing: settled))")
        #expect(
            await county.request("order-approve 1")?.status
                == "ERR FORBIDDEN not allowed: ordering a payment you certified (four eyes)")
        let orderer = try await admin.client(loggedInAs: "anordnung")
        // This world runs on the county's real calendar: the due day is a week ahead, the Kassenzeichen
        // carries this year.
        let today = CountyCalendar.today()
        let due = today.adding(days: 7)
        let ordered = await orderer.request("order-approve 1 due=\(due)")
        let expected = "OK order 1 ordered: 600.00 kassenzeichen SR\(today.year)000001 due \(due) bookings "
        #expect(ordered?.status.hasPrefix(expected) == true, "\(String(describing: ordered))")
        #expect(
            await county.request("settle 1 \(world.alpha.tenant) key=settle-2026-again")?.status.hasPrefix(
                "ERR CONFLICT") == true)
        #expect(await county.request("reconcile 2026-13")?.status.hasPrefix("ERR INVALID") == true)
        #expect(await county.request("run 999")?.status == "ERR NOT_FOUND unknown run")
        // Ids in their hyphenated form only (Foundation's parser would take a space for the first digit).
        #expect(
            await county.request("end-grant \" 0000000-0000-0000-0000-000000000000\" 2026-05-31")?.status
                == "ERR INVALID grant: an id")
        #expect(
            await county.request("end-grant 00000000-0000-0000-0000-000000000000 2026-05-31")?.status.hasPrefix(
                "ERR NOT_FOUND") == true)
        #expect(
            await county.request("settle 1 \" 0000000-0000-0000-0000-000000000000\" key=settle-odd-id")?.status
                == "ERR INVALID provider: a provider code or a tenant id")
        #expect(await county.request("run 1 sideways")?.status.hasPrefix("ERR INVALID") == true)
        #expect(await county.request("cost-report 2026 by=colour")?.status.hasPrefix("ERR INVALID") == true)
        #expect(await county.request("cost-report 2026 by=help-type")?.status == "OK 1 rows")
        let preview = await county.request("year-end 2026")
        #expect(
            preview?.status.hasPrefix("OK run 3; apply with: year-end-confirm 2026 3") == true,
            "\(String(describing: preview))")
        #expect(await county.request("year-end-confirm 2026 3")?.status.hasPrefix("ERR CONFLICT") == true)
        let alpha = try await admin.client(loggedInAs: "alpha")
        #expect(await alpha.request("reconcile 2026")?.status.hasPrefix("ERR FORBIDDEN") == true)
        #expect(
            await alpha.request("settle 1 \(world.alpha.tenant) key=settle-by-alpha")?.status.hasPrefix("ERR FORBIDDEN")
                == true)
        #expect(await alpha.request("statement 1 items")?.data.contains { $0.contains("VER-2026-0001") } == true)
        #expect(await alpha.request("help")?.data.contains { $0.hasPrefix("year-end") } == false)
    }

    @Test func countyITOperatesTheSchedulesOverTheSocket() async throws {
        let asked = Locked<[String]>([])
        let admin = try await AdminWorld.start(
            operations: AdminOperations(
                reload: { asked.withLock { $0.append("reload") } },
                setLogLevel: { level in asked.withLock { $0.append(level.rawValue) } }))
        defer { admin.stop() }
        let it = try await admin.client()
        #expect(await it.request("login it operator-secret-1")?.status.hasPrefix("OK logged in") == true)
        let list = await it.request("schedules format=csv")
        // The migrations seed three reconciliations (sql/0005) and the weekly erasure job (sql/0034).
        #expect(list?.status == "OK 4 schedules")
        #expect(
            list?.data.contains {
                $0.hasPrefix("nightly-month-to-date,30 2 * * *,Europe/Berlin,reconcile,month-to-date,latest,")
            } == true)
        #expect(list?.data.contains { $0.hasPrefix("erasure,0 5 * * mon,Europe/Berlin,erasure,,latest,") } == true)
        #expect(
            await it.request(
                "schedule-set weekly-check \"0 7 * * mon\" reconcile parameters=year-to-date missed=skip timeout=600")?
                .status
                == "OK schedule weekly-check set; 0 unplanned slots skipped")
        #expect(
            await it.request("schedule-set broken \"61 * * * *\" reconcile")?.status
                == "ERR INVALID cron: invalid minute field '61'")
        #expect(
            await it.request("schedule-set odd \"@daily\" reconcile parameters=fortnight")?.status.hasPrefix(
                "ERR INVALID parameters") == true)
        #expect(
            await it.request("schedule-set odd \"@daily\" launder-money")?.status.hasPrefix("ERR INVALID job") == true)
        #expect(await it.request("pause nowhere")?.status == "ERR NOT_FOUND unknown schedule")
        #expect(await it.request("pause weekly-check")?.status == "OK schedule weekly-check paused")
        #expect(
            await it.request("schedules")?.data.contains { $0.hasPrefix("weekly-check") && $0.contains("paused") }
                == true)
        // Changing a paused schedule keeps it paused (issue 21): it used to un-pause silently.
        #expect(
            await it.request("schedule-set weekly-check \"0 8 * * mon\" reconcile parameters=year-to-date")?.status
                == "OK schedule weekly-check set (still paused; resume to plan its slots)")
        #expect(
            await it.request("schedules")?.data.contains { $0.hasPrefix("weekly-check") && $0.contains("paused") }
                == true)
        #expect(
            await it.request("resume weekly-check missed=sometimes")?.status
                == "ERR INVALID missed: all, latest or skip")
        #expect(
            await it.request("resume weekly-check")?.status
                == "OK schedule weekly-check resumed; slots of the pause: 0 queued, 0 skipped")
        let queued = await it.request("run-now weekly-check key=run-now-0001")
        let again = await it.request("run-now weekly-check key=run-now-0001")
        #expect(
            queued?.status.hasPrefix("OK job ") == true && queued?.status == again?.status,
            "a retried run-now queues once")
        let jobID = queued!.status.split(separator: " ")[2]
        #expect(await it.request("jobs weekly-check")?.data.contains { $0.contains("queued") } == true)
        #expect(await it.request("job-cancel \(jobID)")?.status == "OK job \(jobID) cancelled")
        #expect(await it.request("job-cancel \(jobID)")?.status == "ERR NOT_FOUND unknown running or queued job")
        #expect(await it.request("log-level chatty")?.status.hasPrefix("ERR INVALID level") == true)
        #expect(await it.request("log-level debug")?.status == "OK log level debug until the next reload or restart")
        #expect(await it.request("reload")?.status == "OK reload requested")
        #expect(asked.withLock { $0 } == ["debug", "reload"])
        let stats = await it.request("stats")
        #expect(
            stats?.data.contains {
                $0.contains("sozialraum_admin_commands_total")
                    && $0.contains(#"command="schedule-set",result="INVALID""#)
            } == true)
        #expect(
            stats?.data.contains {
                $0.contains("sozialraum_admin_commands_total") && $0.contains(#"command="pause",result="NOT_FOUND""#)
            } == true)
        #expect(
            stats?.data.contains {
                $0.contains("sozialraum_admin_command_duration_seconds_bucket") && $0.contains(#"le="+Inf""#)
            } == true)
        #expect(
            stats?.data.contains {
                $0.contains("sozialraum_last_reconciliation_seconds") && $0.contains(#"sozialraum="nord""#)
            } == true)
        #expect(
            stats?.data.contains { $0.contains("sozialraum_job_runs_retained") && $0.contains(#"state="cancelled""#) }
                == true)
        let provider = try await admin.client(loggedInAs: "alpha")
        #expect(await provider.request("stats")?.status.hasPrefix("ERR FORBIDDEN") == true)
        #expect(await provider.request("reload")?.status.hasPrefix("ERR FORBIDDEN") == true)
        #expect(await provider.request("log-level debug")?.status.hasPrefix("ERR FORBIDDEN") == true)
        #expect(await provider.request("schedules")?.status.hasPrefix("ERR FORBIDDEN") == true)
        #expect(
            await provider.request("run-now weekly-check key=run-now-0002")?.status.hasPrefix("ERR FORBIDDEN") == true)
    }
}
