import Foundation
import SozialraumDomain
import SozialraumServices
import SozialraumTestSupport
import Testing

/// The KJH-Statistik Teil IV over the socket (issue 33, items 3 and 4): the mapping is imported all or
/// nothing by a holder of `controller`; the report comes as a table (German headings in csv-de, the form's
/// order) and as the HTML working paper; a provider reads neither.
@Suite struct ReportSocketTests {
    @Test(.timeLimit(.minutes(2))) func theCountyMapsAYearAndReadsItsStatistics() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let controlling = try await admin.client(countyAccount: "controlling", rights: [.controller])
        let auditor = try await admin.client(loggedInAs: "pruefer")
        let alpha = try await admin.client(loggedInAs: "alpha")

        controlling.send("report-mapping-import 2026 <<\nkey;position;title\n31;HzE-31;SPFH\n77;X;Y\n.\n")
        let refused = await controlling.reply()
        #expect(refused?.status == "ERR REJECTED_ROWS 1 rows rejected, nothing imported")
        #expect(refused?.data == ["line 3: key: not a help type code or projekt-milieu / projekt-struktur"])
        controlling.send(
            "report-mapping-import 2026 <<\nkey;position;title\n34;HzE-34;Heimerziehung (§ 34)\n"
                + "31;HzE-31;Sozialpädagogische Familienhilfe (§ 31)\nprojekt-struktur;10;Einrichtungen der Jugendarbeit\n.\n"
        )
        #expect(await controlling.reply()?.status == "OK mapping of 2026 set: 3 help types and project kinds")

        let mapping = await auditor.request("report-mapping 2026 format=csv")
        #expect(mapping?.status == "OK 3 statistics mappings")
        #expect(
            mapping?.data == [
                "key,part,position,title", "31,1,HzE-31,Sozialpädagogische Familienhilfe (§ 31)",
                "34,1,HzE-34,Heimerziehung (§ 34)", "projekt-struktur,2,10,Einrichtungen der Jugendarbeit",
            ])
        // Nothing paid yet: every mapped position with 0, in the form's order.
        let report = await auditor.request("report kjh-teil4 2026 format=csv-de")
        #expect(report?.status == "OK KJH statistics part IV 2026: 3 positions, paid 0.00, findings 0")
        #expect(report?.data.first == "Teil;Schlüssel;Titel;Ausgaben (Euro);Einnahmen (Euro);Ausgaben;Einnahmen")
        #expect(report?.data.dropFirst().map { String($0.prefix(9)) } == ["1;HzE-31;", "1;HzE-34;", "2;10;Einr"])
        let paper = await auditor.request("report kjh-teil4 2026 html")
        #expect(paper?.status == "OK report kjh-teil4 2026 (HTML)")
        #expect(paper?.data.first == "<!DOCTYPE html>" && paper?.data.last == "</html>")
        #expect(await alpha.request("report kjh-teil4 2026")?.status.hasPrefix("ERR") == true)

        #expect(
            await auditor.request("report kjh-teil4 2026 quarter=1")?.status
                == "ERR INVALID quarter: a quarter is for the jha report only")
    }

    /// The committee report over the socket: without a run it names the run to make; with one, its figures as a
    /// table (csv-de: German headings) and as the document.
    @Test(.timeLimit(.minutes(2))) func theCommitteeReportStandsOnARun() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let county = try await admin.client(loggedInAs: "kaemmerei")
        #expect(
            await county.request("report jha 2026 quarter=2")?.status
                == "ERR NOT_FOUND unknown run over all Sozialräume for 2026..2026-06 (reconcile 2026..2026-06)")
        #expect(await county.request("reconcile 2026")?.status.hasPrefix("OK") == true)
        let table = await county.request("report jha 2026 format=csv-de")
        #expect(table?.status.hasPrefix("OK report to the Jugendhilfeausschuss, 2026, from run ") == true)
        #expect(table?.data.first == "Abschnitt;Sozialraum;Betrifft;Kennzahl;Betrag;Anzahl")
        // BudgetWorld's Ansatz: 100,000.00 for each case line, the county's twice that.
        #expect(table?.data.contains("mittel;nord;case;ansatz;100000,00;") == true)
        #expect(table?.data.contains("mittel;Landkreis;case;ansatz;200000,00;") == true)
        let document = await county.request("report jha 2026 html")
        #expect(document?.data.first == "<!DOCTYPE html>" && document?.data.last == "</html>")
    }
}
