import Foundation
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices
import SozialraumTestSupport
import Testing

@testable import SozialraumInterfaces

/// The German interface (issue 32, item 1): every text of the catalogue exists in both languages and reads
/// differently in each; every command has a German summary; a session speaks the county's language, the
/// account's choice, or the session's, while codes, status words and machine formats stay the same.
@Suite struct AdminTextTests {
    /// One of each catalogue entry (with sample values).
    static let samples: [Text] = [
        AdminText.lineTooLong(65_536), AdminText.notUTF8, AdminText.timeout, AdminText.malformed("unclosed quote"),
        AdminText.uploadTooLarge(1_024), AdminText.uploadsFull, AdminText.uploadNotStored("s1"),
        AdminText.tooManySessionsOfAccount, AdminText.tooManySessions, AdminText.logInBeforeUploading,
        AdminText.unknownCommand("fnuds", hint: true), AdminText.accountNotLookedUp, AdminText.logInFirst,
        AdminText.notForRole("grant", .provider), AdminText.takesNoUpload("funds"), AdminText.closing,
        AdminText.sessionEnded, AdminText.accountNotChecked, AdminText.accountChanged,
        AdminText.accountChangedWhileRunning("s1"), AdminText.stopping("s1"), AdminText.databaseUnavailable("s1"),
        AdminText.internalError("s1"), AdminText.invalidArgument("month", "not a month"),
        AdminText.invalidAmount("too large"), AdminText.loggedIn("alpha", .provider), AdminText.locked,
        AdminText.loginFailed, AdminText.noCommandForYou("grant"), AdminText.commands(12),
        AdminText.language(.de, saved: true), AdminText.language(.en, saved: false), AdminText.languageDefault(.de),
        AdminText.refusal(.forbidden("grant")), AdminText.refusal(.notFound("Sozialraum x")),
        AdminText.refusal(.invalid(field: "month", reason: "x")),
        AdminText.refusal(.periodClosed(YearMonth(iso: "2026-03")!)),
        AdminText.refusal(.duplicate("x")), AdminText.refusal(.idempotencyConflict),
        AdminText.refusal(.refusedOverrun(component: .case, shortfall: Money(cents: 100))),
        AdminText.refusal(.conflict("x")), AdminText.refusal(.rejectedRows([])),
        AdminText.row(RowError(line: 3, field: "quantity", reason: "x")),
        AdminText.monthClosed(YearMonth(iso: "2026-03")!), AdminText.findingDecided(accepted: true),
        AdminText.findingDecided(accepted: false),
        AdminText.ordersListed(2, ordered: Money(cents: 1), paid: Money(cents: 0)),
        AdminText.orderRejected(7), AdminText.settlement(Money(cents: 100), due: "county pays"),
        AdminText.yearEnd(2025),
        AdminText.appropriation("nord/case"), AdminText.appropriationSet("nord/case"), AdminText.caseOpened("x"),
        AdminText.moved, AdminText.granted("g", committed: "2026-01: 600.00"),
        AdminText.granted("g", committed: "", agreement: true, amended: true), AdminText.grantEnded,
        AdminText.reasonRecorded, AdminText.counted(3, "grants"), AdminText.rightsSet("certify"),
        AdminText.changeApproved(3, "anordnung", "order"), AdminText.changeRejected(3), AdminText.accountDisabled("x"),
        AdminText.accountEnabled("x"), AdminText.factorRemoved("x"),
        AdminText.limits("x", limit: Money(cents: 100_00), scope: nil), AdminText.held("k"), AdminText.holdLifted("k"),
        AdminText.restricted("k", "claims"), AdminText.restrictionLifted("k"), AdminText.records(3, "k"),
        AdminText.rekeyed("k", "l"), AdminText.nothingDue, AdminText.mappingSet("2026 nord case instalment"),
        AdminText.creditorSet("awo"), AdminText.overrunDecided(1, "overPlan", findings: 2),
        AdminText.overrunsListed(1, undecided: 0), AdminText.yearEndPreview(3, sameAs: 2, year: 2025),
        AdminText.sharesOrdered(2025), AdminText.sharesCertified(2025, [(4, Money(cents: 100))]),
        AdminText.populationSet(2026, "nord", 1_000), AdminText.providerRegistered("awo", "u"),
        AdminText.providerRenamed("awo"), AdminText.cooperation("awo", endsAfter: "2026-12-31"),
        AdminText.cooperation("awo", endsAfter: nil), AdminText.sozialraumDefined("nord", municipalities: 2, from: "d"),
        AdminText.assigned("awo", "nord", lead: true, from: "d", to: nil),
        AdminText.unassigned("awo", "nord", until: "d"),
        AdminText.appropriationsImported(2026, lines: 3, total: Money(cents: 1)),
        AdminText.carryForwardSet("nord/case", Money(cents: 1)),
        AdminText.rateAdded("31", "hour", Money(cents: 1), from: "d"),
        AdminText.projectCreated("p"), AdminText.projectEnds("p", "d"), AdminText.reversed(1),
        AdminText.booked(1, overrun: nil), AdminText.schedulePaused("s"),
        AdminText.scheduleResumed("s", queued: 1, skipped: 0),
        AdminText.jobQueued(1), AdminText.backfilled("s", queued: 1, existing: 0), AdminText.jobRetried(1),
        AdminText.jobCancelled(1, stopped: true), AdminText.jobCancelled(1, stopped: false),
        AdminText.reloadRequested(),
        AdminText.logLevel("debug"), AdminText.loggedOut(), AdminText.format("csv"),
        AdminText.residenceCorrected("k", from: "d", "nord", deliveries: 2, rebooked: "x"),
        AdminText.yearOpened(2026, policy: "warn", share: "50%", carryForward: true, pools: "case+milieu"),
        AdminText.scheduleSet("s", paused: true, skipped: 0), AdminText.scheduleSet("s", paused: false, skipped: 2),
        AdminText.batchVerified(1, bytes: 100), AdminText.erasureOrder(sampleErasure),
        AdminText.erasureRun(sampleErasure, erased: 3, kept: 1), AdminText.erasureUndecided(sampleErasure),
        AdminText.migrated(MigrationService.Summary(), dryRun: true),
        AdminText.migrated(MigrationService.Summary(), dryRun: false), AdminText.batchUnsigned(7),
        AdminText.batchesUnsigned, AdminText.batchNotTheSigned(7),
    ]
    static let sampleErasure = ErasureOrder(
        id: 3, years: 10, dueOn: Day(year: 2037, month: 1, day: 4)!, cases: 120, state: .ordered,
        proposedAt: "2037-01-04 03:00", certifiedBy: "a", decidedBy: "b", decisionReason: nil, erased: 3, kept: 1,
        finishedAt: nil)

    @Test func everyTextIsInBothLanguagesAndTranslated() {
        for text in Self.samples {
            #expect(!text.de.isEmpty && !text.en.isEmpty)
            #expect(text.de != text.en, "not translated: \(text.en)")
            #expect(text(.de) == text.de && text(.en) == text.en)
        }
    }

    /// Every reason an argument declares in the sources (a literal without a value in it, after `reason:` or
    /// `missing:`) has its German wording; those with a value are matched by their start.
    @Test func everyArgumentReasonIsInGerman() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/SozialraumInterfaces")
        var reasons: Set<String> = []
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "swift" else { continue }
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: /(?:reason|missing): "((?:[^"\\]|\\")*)"/) {
                let literal = String(match.output.1).replacingOccurrences(of: "\\\"", with: "\"")
                if !literal.contains("\\(") { reasons.insert(literal) }
            }
        }
        #expect(reasons.count > 40, "the scan finds the declared reasons")
        var nouns: Set<String> = []
        let again = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let file = again?.nextObject() as? URL {
            guard file.pathExtension == "swift" else { continue }
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: /AdminText\.counted\([^"]*, "([^"]+)"\)/) {
                nouns.insert(String(match.output.1))
            }
        }
        #expect(nouns.count > 25, "the scan finds the listings")
        #expect(nouns.filter { AdminText.nouns[$0] == nil }.sorted() == [], "listings without a German noun")
        #expect(reasons.filter { ArgumentReasons.german[$0] == nil }.sorted() == [])
        #expect(ArgumentReasons.text("a whole number 1...12").de == "eine ganze Zahl 1...12")
        #expect(ArgumentReasons.text("table, csv, csv-de or jsonl").de == "table, csv, csv-de oder jsonl")
    }

    /// Every action a use case names when a role or right is missing, every thing it does not find and every
    /// reason it gives has its German wording (the Services' sources are scanned; a reason with a value needs
    /// its template in `ServiceReasons+Values`).
    @Test func everyRefusedActionAndUnknownThingIsInGerman() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/SozialraumServices")
        var actions: Set<String> = []
        var things: Set<String> = []
        var reasons: Set<String> = []
        var valued: Set<String> = []
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "swift" else { continue }
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: /for: "([^"\\]+)"/) { actions.insert(String(match.output.1)) }
            for match in text.matches(of: /notFound\("([^"\\]+)"\)/) { things.insert(String(match.output.1)) }
            for literal in SourceLiterals.after(/(?:conflict|duplicate)\(\s*|reason:\s*/, in: text) {
                if literal.hasValues { valued.insert(literal.template) } else { reasons.insert(literal.template) }
            }
            for literal in SourceLiterals.after(/notFound\(\s*/, in: text) where literal.hasValues {
                valued.insert(literal.template)
            }
        }
        #expect(reasons.count > 70, "the scan finds the use cases' reasons")
        #expect(reasons.filter { ServiceReasons.reasons[$0] == nil }.sorted() == [], "reasons without German")
        #expect(valued.count > 60, "the scan finds the reasons with values")
        let templates = ServiceReasons.valueReasons.map(\.english) + ServiceReasons.things.keys.map { $0 + " {}" }
        // Texts stored with a booking or a finding (not refusals), and an error's own description.
        let stored: Set = ["Haushaltsrest {} (run {})", "superseded: the delivery was reversed (booking {})", "{}"]
        #expect(
            valued.subtracting(stored).filter { scanned in
                // A template fits it with a value filled in, or begins with it (a literal continued by code).
                ServiceReasons.valueReason(scanned.replacingOccurrences(of: "{}", with: "7")) == nil
                    && !templates.contains { $0.hasPrefix(scanned) }
            }.sorted() == [], "reasons with values without a German template")
        #expect(actions.count > 70 && things.count > 15, "the scan finds the use cases' words")
        #expect(actions.filter { ServiceReasons.actions[$0] == nil }.sorted() == [])
        #expect(things.filter { ServiceReasons.things[$0] == nil }.sorted() == [])
        #expect(
            ServiceReasons.forbidden("ordering payments needs the right order")
                == "Zahlungen anordnen braucht das Recht order")
        #expect(ServiceReasons.notFound("Sozialraum nowhere") == "Sozialraum nowhere")
        #expect(ServiceReasons.notFound("second factor of alpha") == "zweiter Faktor von alpha")
    }

    /// A reason with values is worded with its values in place, in the German order, state words worded;
    /// a text no template fits stays as it is.
    @Test func reasonsWithValuesAreWordedWithTheirValues() {
        #expect(ServiceReasons.reason("no fiscal period 2026-13") == "kein Haushaltsmonat 2026-13")
        #expect(ServiceReasons.reason("the order is approved") == "die Anordnung ist angeordnet")
        #expect(ServiceReasons.reason("the change is approved") == "die Änderung ist genehmigt")
        #expect(
            ServiceReasons.reason("the provider does not serve achim-oyten on 2026-03-01; give a reason")
                == "der Träger ist am 2026-03-01 nicht in achim-oyten tätig; eine Begründung angeben")
        #expect(ServiceReasons.reason("expected 3 fields, found 2") == "3 Felder erwartet, 2 gefunden")
        #expect(
            ServiceReasons.reason("erasure order 4 is done, not certified")
                == "die Löschanordnung 4 ist erledigt, nicht festgestellt")
        #expect(ServiceReasons.notFound("fiscal year 2031") == "Haushaltsjahr 2031")
        #expect(
            ServiceReasons.notFound("an assignment of the provider to verden open on 2026-05-01")
                == "eine am 2026-05-01 offene Zuordnung des Trägers zu verden")
        #expect(ServiceReasons.reason("the order is ") == "the order is ", "a value is never empty")
        #expect(ServiceReasons.reason("something else 7") == "something else 7")
        #expect(RowReasons.german("not an amount (expected e.g. 12.50)") != "", "rows fall back to the use cases")
    }

    @Test func everyCommandHasAGermanSummary() {
        let names = Set(AdminCommands.all.map(\.name))
        #expect(Set(CommandSummaries.german.keys) == names)
        for command in AdminCommands.all {
            #expect(command.summary(.de) != command.summary(.en), "not translated: \(command.name)")
            #expect(command.summary(.en) == command.summary)
        }
    }

    /// A county whose `interface.language` is German: the session speaks German before and after login; alpha
    /// chooses English for its account, which its next session keeps; `language default` goes back. Status
    /// words and codes, and csv's column names, are the same in both.
    @Test(.timeLimit(.minutes(2))) func aSessionSpeaksTheCountysLanguageOrTheAccounts() async throws {
        let admin = try await AdminWorld.start { $0.language = .de }
        defer { admin.stop() }
        let stranger = try await admin.client()
        #expect(await stranger.request("fnuds")?.status == "ERR UNKNOWN_COMMAND unbekannter Befehl fnuds; siehe help")
        #expect(
            await stranger.request("funds nord 2026")?.status
                == "ERR NOT_LOGGED_IN bitte zuerst anmelden (login <name> <schlüssel>)")
        #expect(await stranger.request("login alpha falsch")?.status == "ERR LOGIN_FAILED Name oder Schlüssel falsch")

        let alpha = try await admin.client(loggedInAs: nil)
        #expect(
            await alpha.request("login alpha \(admin.tokens["alpha"]!)")?.status
                == "OK angemeldet als alpha Rolle=provider")
        let help = await alpha.request("help funds")
        #expect(help?.status == "OK verfügbare Mittel je Budgetzeile und Deckungsring, mit Deckungsübertragungen")
        #expect(await alpha.request("funds nowhere 2026")?.status == "ERR NOT_FOUND unbekannt: Sozialraum nowhere")
        #expect(await alpha.request("grants")?.status == "OK 0 Bewilligungen")
        // A delivery on alpha's grant: 10 hours at 60.00 = 600.00.
        let grant = try await admin.world.grantedCase()
        let delivered = await alpha.request("deliver \(grant.uuidString.lowercased()) 2026-03 10 key=lieferung-maerz-1")
        #expect(
            delivered?.status.hasPrefix("OK Leistung ") == true && delivered?.status.hasSuffix(" Kosten 600.00") == true
        )
        // The same month again under another key: refused, in German, naming what is recorded already.
        let again = await alpha.request("deliver \(grant.uuidString.lowercased()) 2026-03 10 key=lieferung-maerz-2")
        #expect(again?.status == "ERR DUPLICATE schon erfasst: Leistung für diese Bewilligung und diesen Monat")
        let malformed = await alpha.request("funds nord zwanzig")?.status ?? ""
        #expect(malformed.hasPrefix("ERR INVALID ungültige Angabe year: eine ganze Zahl "), "\(malformed)")
        let csv = await alpha.request("funds nord 2026 format=csv")
        #expect(csv?.data.first == "line,appropriation,carry_in,commitments,actuals,available,after_cover")

        #expect(await alpha.request("language en")?.status == "OK language English, kept for your account")
        #expect(await alpha.request("funds nowhere 2026")?.status == "ERR NOT_FOUND unknown Sozialraum nowhere")
        let later = try await admin.client(loggedInAs: "alpha")
        #expect(await later.request("fnuds")?.status == "ERR UNKNOWN_COMMAND unknown command fnuds; try help")
        #expect(await later.request("language default")?.status == "OK Sprache des Kreises (Deutsch)")
        let third = try await admin.client(loggedInAs: nil)
        _ = await third.request("login alpha \(admin.tokens["alpha"]!)")
        #expect(await third.request("fnuds")?.status == "ERR UNKNOWN_COMMAND unbekannter Befehl fnuds; siehe help")
    }
}

/// String literals in Swift source, as templates: an interpolation `\(…)` becomes `{}`, literals joined by `+`
/// are one, and a literal continued by `+` with a non-literal ends in `{}` too.
enum SourceLiterals {
    struct Literal {
        let template: String
        var hasValues: Bool { template.contains("{}") }
    }

    static func after(_ start: some RegexComponent, in text: String) -> [Literal] {
        text.matches(of: start).compactMap { match in
            var index = match.range.upperBound
            guard index < text.endIndex, text[index] == "\"" else { return nil }
            var template = ""
            while true {
                template += literal(in: text, from: &index)
                let rest = text[index...].drop { $0 == " " || $0 == "\n" }
                guard rest.first == "+" else { break }
                let next = rest.dropFirst().drop { $0 == " " || $0 == "\n" }
                guard next.first == "\"" else {
                    template += "{}"
                    break
                }
                index = next.startIndex
            }
            return Literal(template: template)
        }
    }

    /// The literal starting at the quote at `index`; leaves `index` after its closing quote.
    private static func literal(in text: String, from index: inout String.Index) -> String {
        var result = ""
        index = text.index(after: index)
        while index < text.endIndex, text[index] != "\"" {
            if text[index] == "\\" {
                let next = text.index(after: index)
                if text[next] == "(" {
                    var depth = 0
                    var cursor = next
                    repeat {
                        if text[cursor] == "(" { depth += 1 } else if text[cursor] == ")" { depth -= 1 }
                        cursor = text.index(after: cursor)
                    } while depth > 0
                    result += "{}"
                    index = cursor
                } else {
                    result.append(text[next])
                    index = text.index(after: next)
                }
                continue
            }
            result.append(text[index])
            index = text.index(after: index)
        }
        if index < text.endIndex { index = text.index(after: index) }
        return result
    }
}
