import Foundation
import SozialraumDomain
import SozialraumServices
import SozialraumTestSupport
import Testing

/// Issue 18: the register's commands refuse bad input clearly and write nothing; providers see only
/// their own part; the county reads a case's history, what falls due and the audit trail.
@Suite struct RegisterSocketTests {
    @Test func badRegisterInputIsRefusedClearlyAndWritesNothing() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let county = try await admin.client(loggedInAs: "kaemmerei")
        let before = try await admin.world.snapshot()
        #expect(
            await county.request("provider-register AWO \"AWO\"")?.status
                == "ERR INVALID code: 2 to 32 of a-z, 0-9, '-', starting with a letter")
        #expect(
            await county.request("provider-register awo \"AWO Verden\"")?.status.hasPrefix("OK provider awo ") == true)
        let duplicate = await county.request("provider-register awo \"AWO Achim\"")?.status
        #expect(duplicate == "ERR DUPLICATE already recorded: provider code awo", "\(String(describing: duplicate))")
        #expect(await county.request("provider-rename nobody \"X\"")?.status == "ERR NOT_FOUND unknown provider nobody")
        #expect(await county.request("year-open 2027 policy=maybe")?.status == "ERR INVALID policy: warn or refuse")
        #expect(
            await county.request("year-open 2027 share=101")?.status
                == "ERR INVALID share: a percentage 0 to 100 with at most two decimals")
        #expect(
            await county.request("year-open 2027 pools=case+milieu,milieu+structure")?.status
                == "ERR INVALID pools: each component in one pool at most")
        let year = await county.request("year-open 2026")?.status
        #expect(year == "ERR DUPLICATE already recorded: fiscal year 2026", "\(String(describing: year))")
        #expect(
            await county.request("rate-add awo 99 hour 2026-01-01 60.00")?.status == "ERR NOT_FOUND unknown help type")
        // Every bad line of an appropriation file, with its number; nothing is set.
        county.send(
            "appropriation-import 2026 <<\nsozialraum,component,amount\nnord,case,1.00\nnord,rent,2.00\n"
                + "nirgendwo,case,3.00\nnord,case,4.00\nsued,milieu,-5.00\n.\n")
        let rejected = await county.reply()
        #expect(rejected?.status.hasPrefix("ERR REJECTED_ROWS") == true)
        #expect(
            rejected?.data == [
                "line 3: component: case, milieu or structure",
                "line 5: component: second line for this line (first on line 2)",
                "line 6: amount: must not be negative",
            ])
        // An unknown Sozialraum is found against the database, once the file itself is clean.
        county.send("appropriation-import 2026 <<\nsozialraum,component,amount\nnirgendwo,case,3.00\n.\n")
        #expect(await county.reply()?.data == ["line 2: sozialraum: unknown Sozialraum"])
        #expect(try await admin.world.snapshot() == before)
        // BudgetWorld's nord case line is 100,000.00 and stays so.
        #expect(
            try await admin.world.funds(admin.world.nord).line(.case).funds.appropriation == Money(cents: 100_000_00))
        // `action=provider` would also match the world's two `provider.assign` events.
        let trail = await county.request("audit action=provider.register format=csv")?.data ?? []
        #expect(trail.count == 2, "\(trail)")  // the header and the one registration
        #expect(trail.last?.contains(",kaemmerei,provider.register,tenant,") == true)
    }

    @Test func aProviderSeesItsOwnPartOfTheRegisterAndNoCaseHistory() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let grant = try await admin.alphaDeliveredInMarch()
        let beta = try await admin.client(loggedInAs: "beta")
        let alpha = try await admin.client(loggedInAs: "alpha")
        // Beta is assigned to süd only, alpha to nord only (BudgetWorld).
        let assignments = await beta.request("assignments format=csv")?.data ?? []
        #expect(assignments.dropFirst().allSatisfy { $0.hasPrefix("sued,Träger Beta,") })
        #expect(await beta.request("rates \(admin.world.alpha.tenant)")?.status == "ERR NOT_FOUND unknown provider")
        #expect(await beta.request("case VER-2026-0001")?.status.hasPrefix("ERR FORBIDDEN") == true)
        #expect(await beta.request("audit")?.status.hasPrefix("ERR FORBIDDEN") == true)
        // Alpha's grant ends on 31 December, within six weeks of 25 November (BudgetWorld's today).
        let due = await alpha.request("grants-due format=csv")?.data ?? []
        #expect(due.dropFirst().map { $0.prefix(51) } == ["2026-12-31,end,\(grant.uuidString.lowercased())"])
        #expect(await beta.request("grants-due")?.status == "OK 0 due")

        // The county reads the case's whole history; the auditor too.
        let county = try await admin.client(loggedInAs: "kaemmerei")
        let history = await county.request("case VER-2026-0001 format=csv")?.data ?? []
        #expect(history.first == "day,kind,reference,provider,sozialraum,detail,amount")
        // A residence, the grant, the March delivery (12 h delivered, 10 h payable) and its booking of
        // 10 h × 60.00 = 600.00.
        #expect(
            history.dropFirst().map { $0.split(separator: ",")[1] } == ["residence", "grant", "delivery", "booking"])
        #expect(
            history.contains {
                $0.hasPrefix("2026-03-01,delivery,") && $0.hasSuffix(",\"12.00 hour, payable 10.00\",600.00")
            },
            "\(history)")
        let auditor = try await admin.client(loggedInAs: "pruefer")
        #expect(await auditor.request("case VER-2026-0001")?.status == "OK 4 lines")
    }

    /// A regrouping from a date keeps the past; a carry-forward, a project's early end and a cross-area
    /// reason are recorded over the socket.
    @Test func regroupingCarryForwardProjectEndAndReasonOverTheSocket() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let county = try await admin.client(loggedInAs: "kaemmerei")
        // Achim belongs to nord since 2020 (BudgetWorld); from July 2026 it forms a Sozialraum of its own.
        #expect(
            await county.request("sozialraum-define achim-neu \"Achim\" 2026-07-01 \"achim:Achim\"")?.status
                == "OK sozialraum achim-neu with 1 municipalities from 2026-07-01")
        let grouping = await county.request("sozialraeume format=csv")?.data ?? []
        #expect(grouping.contains("nord,Nord,achim,Achim,2020-01-01,2026-06-30"), "\(grouping)")
        #expect(grouping.contains("achim-neu,Achim,achim,Achim,2026-07-01,"), "\(grouping)")
        // A carry-forward into 2026 with its reason; nord's case line then has 1,500.00 carried in.
        #expect(
            await county.request("carry-forward nord 2026 case 1500.00")?.status
                == "ERR INVALID reason: a carry-forward needs reason=<text>")
        #expect(
            await county.request("carry-forward nord 2026 case 1500.00 reason=\"Haushaltsrest 2025\"")?.status
                == "OK carry-forward 2026/nord/case 1500.00")
        #expect(try await admin.world.funds(admin.world.nord).line(.case).funds.carryIn == Money(cents: 1_500_00))
        // A project ends early, not before a month it has spent in.
        let created = await county.request(
            "project-create alpha-x nord milieu 2026-01-01 2026-12-31 1000.00 title=Spielplatz key=project-end-1")
        // A code no provider has is not found.
        #expect(created?.status == "ERR NOT_FOUND unknown provider alpha-x")
        let project = await county.request(
            "project-create \(admin.world.alpha.tenant) nord milieu 2026-01-01 2026-12-31 1000.00 title=Spielplatz key=project-end-2"
        )
        let projectID = String(project?.status.dropFirst("OK project ".count) ?? "")
        let alpha = try await admin.client(loggedInAs: "alpha")
        #expect(
            await alpha.request("expense \(projectID) 2026-05-10 250.00 key=project-expense-1")?.status.hasPrefix(
                "OK booking")
                == true)
        #expect(
            await county.request("project-end \(projectID) 2026-04-30")?.status
                == "ERR CONFLICT conflict: the project has expenses in 2026-05, after 2026-04-30")
        #expect(
            await county.request("project-end \(projectID) 2026-05-31")?.status
                == "OK project \(projectID) ends 2026-05-31")
        #expect(
            await county.request("projects 2026 format=csv")?.data.contains {
                $0.contains(",2026-05-31,1000.00,250.00,")
            } == true)
        // The recorded reason of a grant, changed.
        let grant = try await admin.world.grantedCase()
        #expect(
            await county.request("grant-reason \(grant) reason=\"Familie bleibt beim Träger\"")?.status
                == "OK reason recorded")
        #expect(
            await county.request("case VER-2026-0001 format=csv")?.data.contains {
                $0.contains("cross-area: Familie bleibt beim Träger")
            }
                == true)
    }
}
