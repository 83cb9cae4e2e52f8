import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import SozialraumDomain
import SozialraumInterfaces
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 18: a new county goes live without anyone touching SQL. `sozialraumd setup` (the real binary)
/// creates the missing database, the schema, the county, the help-type catalogue and the first account;
/// then everything happens over the admin socket.
@Suite struct GoLiveTests {
    /// The county's day during the walk: January 2027, so that 2026 can be closed and ended.
    static let today = Day(iso: "2027-01-20")!

    struct Session {
        let client: LineClient

        /// Sends `line`, expects an `OK` status starting with `prefix`, returns the reply.
        @discardableResult
        func ok(
            _ line: String, _ prefix: String = "OK", sourceLocation: SourceLocation = #_sourceLocation
        ) async
            -> (data: [String], status: String)
        {
            let reply = await client.request(line)
            #expect(
                reply?.status.hasPrefix(prefix) == true, "\(line) → \(String(describing: reply))",
                sourceLocation: sourceLocation)
            return reply ?? ([], "none")
        }

        /// The csv row of `line`'s reply that starts with `prefix`.
        func row(_ line: String, startingWith prefix: String) async -> String? {
            await client.request(line + " format=csv")?.data.first { $0.hasPrefix(prefix) }
        }
    }

    /// A new county's database made by the real `sozialraumd setup` (it creates the missing database and
    /// the first account), served by an admin socket whose peer (the test's user) is that account.
    static func newCounty(
        today: Day
    ) async throws -> (path: String, server: Task<Void, any Error>, administrators: [String: String]) {
        let cluster = try await TestCluster.shared.running()
        let database = "golive_\(UInt32.random(in: 0...UInt32.max))"
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SOZIALRAUM_CONFIG")
        let setup = try Subprocess(
            [
                Subprocess.binary("sozialraumd"), "setup", "--superuser-conninfo", cluster.conninfo(database: database),
                "--first-account", "controlling", "--account-administrators", "benutzer-eins,benutzer-zwei",
            ], environment: environment)
        var setupOutput: [String] = []
        for await line in setup.lines { setupOutput.append(line) }
        #expect(await setup.exitStatus() == 0, "\(setupOutput)")
        #expect(setupOutput.contains("database \(database) created"))
        #expect(
            setupOutput.contains { $0.hasPrefix("account controlling (role county) set; its token (shown once): ") })
        // Account administration in two hands from the start: every right is given under four eyes.
        var administrators: [String: String] = [:]
        for name in ["benutzer-eins", "benutzer-zwei"] {
            let prefix = "account \(name) (role county, right accounts) set; its token (shown once): "
            administrators[name] = setupOutput.first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        }
        #expect(administrators.count == 2 && administrators.values.allSatisfy { !$0.isEmpty }, "\(setupOutput)")
        let store = Store(
            conninfo: cluster.conninfo(database: database, user: DatabaseRoles.defaultLogin), maxConnections: 4,
            logger: Logger(label: "test.golive"))
        let accounts = AccountService(store: store, logger: Logger(label: "test.golive"), scryptRounds: 1024)
        let path = NSTemporaryDirectory() + "sozialraum-golive-\(UUID().uuidString.prefix(8)).sock"
        var configuration = AdminSocketConfiguration(unixSocketPath: path)
        configuration.peerAccounts = [getuid(): "controlling"]
        let (listening, signal) = AsyncStream<AdminServer.BoundPorts>.makeStream()
        let server = AdminServer(
            configuration: configuration,
            services: UseCases(
                store: store, logger: Logger(label: "test.golive"), today: { today }, accounts: accounts),
            logger: Logger(label: "test.golive"),
            onListening: { _ in
                signal.yield(AdminServer.BoundPorts())
                signal.finish()
            })
        let serverTask = Task { try await server.run() }
        for await _ in listening {}
        return (path, serverTask, administrators)
    }

    @Test(.timeLimit(.minutes(3))) func aNewCountyIsSetUpAndRunsAYearOverTheSocketAlone() async throws {
        // 1. and 2. Setup, then the daemon's admin socket on that database.
        let (path, serverTask, administrators) = try await Self.newCounty(today: Self.today)
        // The two holders of account administration (Benutzerverwaltung), each at a session of their own.
        let administration = Session(client: try LineClient(path: path))
        await administration.ok("login benutzer-eins \(administrators["benutzer-eins"] ?? "")", "OK logged in")
        let secondAdministrator = Session(client: try LineClient(path: path))
        await secondAdministrator.ok("login benutzer-zwei \(administrators["benutzer-zwei"] ?? "")", "OK logged in")
        defer { serverTask.cancel() }
        let county = Session(client: try LineClient(path: path))
        await county.ok("whoami", "OK controlling@")

        // A fresh county is empty: no demo data.
        await county.ok("providers", "OK 1 tenants")
        await county.ok("years", "OK 0 years")
        // The SGB VIII catalogue that setup loaded, with the usual unit and direct access.
        #expect(
            await county.row("help-types", startingWith: "31,")
                == "31,Sozialpädagogische Familienhilfe,ambulant,hour,no")
        #expect(await county.row("help-types", startingWith: "33,") == "33,Vollzeitpflege,residential,flat_month,no")
        #expect(await county.row("help-types", startingWith: "28,") == "28,Erziehungsberatung,ambulant,hour,yes")

        // 3. Master data.
        await county.ok("provider-register awo \"AWO Kreisverband Verden\"", "OK provider awo ")
        await county.ok(
            "sozialraum-define achim-oyten \"Achim/Oyten\" 2026-01-01 \"achim:Achim\" \"oyten:Oyten\"",
            "OK sozialraum achim-oyten with 2 municipalities from 2026-01-01")
        await county.ok(
            "sozialraum-define verden \"Verden (Aller)\" 2026-01-01 \"verden:Verden (Aller)\"",
            "OK sozialraum verden with 1 municipalities")
        await county.ok("assign awo achim-oyten lead 2026-01-01")
        let registered = await county.client.request("providers format=csv")?.data ?? []
        #expect(registered.contains { $0.contains(",provider,AWO Kreisverband Verden,awo,,achim-oyten") })
        await county.ok(
            "year-open 2026 policy=refuse share=25 carry-forward=yes pools=case+milieu",
            "OK year 2026 open: 12 months, policy refuse, provider share 25.00 %, carry-forward yes, pools case+milieu")
        #expect(await county.row("years", startingWith: "2026,") == "2026,refuse,25.00 %,yes,case+milieu,0")
        county.client.send(
            "appropriation-import 2026 <<\nsozialraum,component,amount\nachim-oyten,case,10000.00\n"
                + "achim-oyten,milieu,2000.00\nachim-oyten,structure,1000.00\nverden,case,5000.00\n.\n")
        // 10,000.00 + 2,000.00 + 1,000.00 + 5,000.00 = 18,000.00
        #expect(await county.client.reply()?.status == "OK appropriations 2026: 4 lines, total 18000.00")
        await county.ok("rate-add awo 31 hour 2026-01-01 60.00")
        // From 16 March the hour costs 62.00: March splits by date (rule 6).
        await county.ok("rate-add awo 31 hour 2026-03-16 62.00")
        #expect(await county.row("rates awo on=2026-03-20", startingWith: "31,") == "31,hour,2026-03-16,62.00")
        let project = await county.ok(
            "project-create awo achim-oyten structure 2026-01-01 2026-12-31 500.00 title=\"Elterncafé Oyten\" volunteers=6 professionals=1 key=golive-project-1",
            "OK project ")
        let projectID = String(project.status.dropFirst("OK project ".count))
        // The controller has no right to administer accounts; account administration creates the provider's.
        await county.ok("account-set awo-buchhaltung awo provider", "ERR FORBIDDEN")
        let token = await administration.ok("account-set awo-buchhaltung awo provider", "OK token ")
        let providerSecret = String(token.status.dropFirst("OK token ".count))

        // 4. A case, a grant over March and April, 10 hours a month.
        await county.ok("open-case K-2026-0001 achim-oyten 2026-01-01")
        let granted = await county.ok(
            "grant K-2026-0001 awo 31 hour 10 2026-03-01 2026-04-30 key=golive-grant-1", "OK grant ")
        let grantID = granted.status.split(separator: " ").dropFirst(2).first.map(String.init) ?? "none"
        // Commitments: March 10 h × (15 days × 60.00 + 16 days × 62.00) / 31 days = 18,920.00 / 31 = 610.3226 → 610.32;
        // April 10 h × 62.00 = 620.00; together 1,230.32. Available 10,000.00 − 1,230.32 = 8,769.68.
        #expect(
            await county.row("funds achim-oyten 2026", startingWith: "case,")
                == "case,10000.00,0.00,1230.32,0.00,8769.68,8769.68")

        // 5. The provider delivers both months and books the project's expense.
        let provider = Session(client: try LineClient(path: path))
        await provider.ok("login awo-buchhaltung \(providerSecret)", "OK logged in as awo-buchhaltung")
        // March: priced like its commitment, 610.32; April: 620.00.
        let march = await provider.ok("deliver \(grantID) 2026-03 10 key=golive-delivery-03", "OK delivery ")
        #expect(march.status.hasSuffix(" cost 610.32"))
        let april = await provider.ok("deliver \(grantID) 2026-04 10 key=golive-delivery-04", "OK delivery ")
        #expect(april.status.hasSuffix(" cost 620.00"))
        await provider.ok("expense \(projectID) 2026-06-15 300.00 key=golive-expense-1", "OK booking ")
        // Case: actuals 610.32 + 620.00 = 1,230.32, nothing committed, available 8,769.68.
        // Structure: 1,000.00 − 300.00 = 700.00 (structure is in no pool).
        #expect(
            await county.row("funds achim-oyten 2026", startingWith: "case,")
                == "case,10000.00,0.00,0.00,1230.32,8769.68,8769.68")
        #expect(
            await county.row("funds achim-oyten 2026", startingWith: "structure,")
                == "structure,1000.00,0.00,0.00,300.00,700.00,700.00")
        #expect(await county.row("projects 2026", startingWith: projectID)?.contains(",500.00,300.00,6,1") == true)
        // The provider cannot end its cooperation while its grant and project run (2 of them past 31 March).
        await county.ok(
            "provider-end awo 2026-03-31",
            "ERR CONFLICT conflict: 2 grants or projects of the provider run past 2026-03-31")

        // 6. A reconciliation of April: the case line's figures for the year as of its position.
        let reconciled = await county.ok("reconcile 2026-04 achim-oyten", "OK run ")
        let runID = reconciled.status.split(separator: " ").dropFirst(2).first.map(String.init) ?? "none"
        #expect(
            await county.row("run \(runID) lines achim-oyten", startingWith: "achim-oyten,case,")?
                .hasPrefix("achim-oyten,case,10000.00,0.00,0.00,1230.32,8769.68,") == true)

        // 7. Close the year, open the next, end 2026 and confirm.
        for month in 1...12 { await county.ok("close-month 2026-\(month < 10 ? "0" : "")\(month)", "OK") }
        // A closed month's prices never change: no rate from inside it.
        await county.ok(
            "rate-add awo 31 hour 2026-03-20 65.00",
            "ERR CONFLICT conflict: a rate cannot take effect in or before a closed month")
        await county.ok("year-open 2027", "OK year 2027 open")
        let proposal = await county.ok("year-end 2026", "OK run ")
        // "OK run <n>; apply with: year-end-confirm 2026 <n>"
        let proposalRun = proposal.status.split(separator: " ").last.map(String.init) ?? "none"
        // Achim/Oyten, lead AWO with a 25 % share of each surplus, rounded down; the rest carried forward:
        //   case       10,000.00 − 1,230.32 = 8,769.68; share 2,192.42; carried 6,577.26
        //   milieu      2,000.00             = 2,000.00; share   500.00; carried 1,500.00
        //   structure   1,000.00 −   300.00 =   700.00; share   175.00; carried   525.00
        // Verden has no lead provider: no share, its 5,000.00 case surplus is carried whole.
        // Two people on the year end: the controller confirms, an account with the right to order applies it.
        let who = await county.ok("whoami", "OK controlling@")
        let countyID = who.status.dropFirst("OK controlling@".count).prefix { $0 != " " }
        // The right to order is given by one administrator and approved by the other.
        let orderAccount = await administration.ok(
            "account-set kasse-anordnung \(countyID) county rights=order", "OK token ")
        let changeID = orderAccount.status.split(separator: " ").drop { $0 != "change" }.dropFirst().first ?? "none"
        await administration.ok("account-approve \(changeID)", "ERR FORBIDDEN")
        await secondAdministrator.ok(
            "account-approve \(changeID)", "OK change \(changeID) approved: kasse-anordnung holds order")
        let orderToken = (data: orderAccount.data, status: String(orderAccount.status.prefix { $0 != ";" }))
        let orderer = Session(client: try LineClient(path: path))
        await orderer.ok(
            "login kasse-anordnung \(orderToken.status.dropFirst("OK token ".count))", "OK logged in as kasse-anordnung"
        )
        let confirmed = await county.ok("year-end-confirm 2026 \(proposalRun)", "OK year end 2026: order ")
        let orderID = confirmed.status.split(separator: " ").dropFirst(5).first.map(String.init) ?? "none"
        // Nothing is carried before the second signature.
        #expect(
            await county.row("funds achim-oyten 2027", startingWith: "case,")
                == "case,0.00,0.00,0.00,0.00,0.00,0.00")
        await county.ok("order-approve \(orderID)", "ERR FORBIDDEN")
        await orderer.ok("order-approve \(orderID)", "OK order \(orderID) ordered: ")
        #expect(
            await county.row("funds achim-oyten 2027", startingWith: "case,")
                == "case,0.00,6577.26,0.00,0.00,6577.26,6577.26")
        #expect(
            await county.row("funds achim-oyten 2027", startingWith: "milieu,")
                == "milieu,0.00,1500.00,0.00,0.00,1500.00,1500.00")
        #expect(
            await county.row("funds achim-oyten 2027", startingWith: "structure,")
                == "structure,0.00,525.00,0.00,0.00,525.00,525.00")
        #expect(
            await county.row("funds verden 2027", startingWith: "case,")
                == "case,0.00,5000.00,0.00,0.00,5000.00,5000.00")
        // Who did all this: the audit trail names the controller's steps.
        let trail = await county.client.request("audit account=controlling action=provider format=csv")?.data ?? []
        #expect(trail.contains { $0.contains(",controlling,provider.register,tenant,") })
        #expect(trail.contains { $0.contains(",controlling,provider.assign,tenant,") })
    }

    /// Moving over (docs/migration.md) with the real client: `--upload <directory>` sends the example
    /// set as one bundle; a dry run writes nothing, the real run loads it.
    @Test(.timeLimit(.minutes(3))) func aCountyMovesOverFromADirectoryWithSozialraumctl() async throws {
        let (path, serverTask, _) = try await Self.newCounty(today: Day(iso: "2026-07-01")!)
        defer { serverTask.cancel() }
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/migration-example").path
        func ctl(_ words: [String]) async throws -> (status: Int32, lines: [String]) {
            let process = try Subprocess([Subprocess.binary("sozialraumctl"), "--socket", path] + words)
            var lines: [String] = []
            for await line in process.lines { lines.append(line) }
            return (await process.exitStatus(), lines)
        }
        #expect(try await ctl(["year-open", "2026"]).status == 0)
        let dry = try await ctl([
            "--upload", example, "migration-import", "2026-07-01", "dry-run", "key=uebernahme-2026",
        ])
        #expect(dry.status == 0, "\(dry.lines)")
        #expect(dry.lines.first?.hasPrefix("OK dry run, nothing written: would migrate providers 2,") == true)
        let providers = try await ctl(["--format", "csv", "providers"]).lines
        #expect(
            providers.contains { $0.contains(",county,") } && !providers.contains { $0.contains(",provider,") },
            "\(providers)")
        let real = try await ctl(["--upload", example, "migration-import", "2026-07-01", "key=uebernahme-2026"])
        // As docs/migration.md says: appropriations 280,000.00, commitments from July 30,600.00, opening 32,700.00.
        #expect(
            real.lines.first
                == "OK migrated providers 2, sozialraeume 3, assignments 2, rates 2, appropriations 4 (280000.00), "
                + "cases 2, grants 2 (committed 30600.00), projects 1, opening 3 entries (32700.00)")
        // Achim/Oyten's case line: 100,000.00, 3,600.00 committed, 3,600.00 spent, 92,800.00 available.
        let funds = try await ctl(["--format", "csv", "funds", "achim-oyten", "2026"])
        #expect(funds.lines.contains("case,100000.00,0.00,3600.00,3600.00,92800.00,92800.00"), "\(funds.lines)")
    }
}
