import PropertyBased
import SozialraumProtocol
import Testing

@Suite struct RequestParsingTests {
    @Test func wordsQuotesAndKeywords() throws {
        let request = try Request.parse(#"@t1 FUNDS nord year=2026 name="Dörverden Süd" note="a \"b\" c\\d""#)
        #expect(request.tag == "t1")
        #expect(request.command == "funds")
        #expect(request.positional == ["nord"])
        #expect(request.keywords == ["year": "2026", "name": "Dörverden Süd", "note": #"a "b" c\d"#])
        #expect(!request.expectsUpload)
    }

    @Test func anUploadIsAnnouncedWithDoubleAngle() throws {
        let request = try Request.parse("import-deliveries key=imp-2026-03 <<")
        #expect(request.expectsUpload)
        #expect(request.keywords["key"] == "imp-2026-03")
        #expect(try Request.parse(#"note "<<""#).expectsUpload == false)
    }

    @Test(arguments: [
        ("", ParseError.empty), ("   ", .empty), ("funds \"nord", .unterminatedQuote),
        ("funds x=\"a", .unterminatedQuote),
        ("funds a\"b", .unterminatedQuote), ("funds \"a\\q\"", .badEscape), ("@ funds", .badTag), ("@t", .empty),
        ("fu$nds", .badCommand), ("\"funds\"", .badCommand), ("funds \u{0}", .controlCharacter),
        ("funds \u{1b}[2J", .controlCharacter),
        ("funds a=1 A=2", .duplicateKeyword("a")), ("funds =1", .badKeyword("")),
    ])
    func malformedLinesAreRefusedWithAReason(_ line: String, _ error: ParseError) {
        #expect(throws: error) { try Request.parse(line[...]) }
    }

    @Test func tooManyArgumentsAreRefused() {
        let line = "funds " + (0...70).map { "a\($0)" }.joined(separator: " ")
        #expect(throws: ParseError.tooManyArguments) { try Request.parse(line[...]) }
    }

    @Test func quotedArgumentsRoundTrip() async {
        let text = Gen.oneOf(
            Gen.letterOrNumber, Gen.always(" "), Gen.always("\""), Gen.always("\\"), Gen.always("="), Gen.always("ö"),
            Gen.always("\n")
        )
        .string(of: 0...12)
        await propertyCheck(input: text, text) { positional, value in
            let request = Request(command: "note", positional: [positional], keywords: ["text": value])
            #expect((try? Request.parse(request.line[...])) == request)
        }
    }

    /// `sozialraumctl instalment … key=abcd-0001` given as shell words must be the request typed at the prompt.
    @Test func wordsReadAsTheSameLineTyped() throws {
        let typed = "instalment 0b7e3a52-7d1f-4c59-9c55-1f0a6d1b2c3d achim-oyten case 2026-11 10.00 key=abcd-0001"
        let words = typed.split(separator: " ").map(String.init)
        #expect(try Request.parse(Request.line(words: words)[...]) == Request.parse(typed[...]))
        #expect(
            try Request.parse(Request.line(words: ["resolve-finding", "x", "reason=zu viel, geprüft"])[...]).keywords[
                "reason"] == "zu viel, geprüft")
        // A word that is no keyword (`=` first, or not a name before it) stays one positional argument.
        #expect(try Request.parse(Request.line(words: ["note", "=x", "a.b=c"])[...]).positional == ["=x", "a.b=c"])
    }

    @Test func wordsRoundTripAsPositionalAndKeywordArguments() async {
        let value = Gen.oneOf(
            Gen.letterOrNumber, Gen.always(" "), Gen.always("\""), Gen.always("\\"), Gen.always("="), Gen.always("ö")
        )
        .string(of: 0...12)
        let word = Gen.oneOf(
            Gen.letterOrNumber, Gen.always(" "), Gen.always("\""), Gen.always("\\"), Gen.always("<"), Gen.always("ö")
        )
        .string(of: 1...12)
        await propertyCheck(input: word, value) { positional, value in
            let request = try? Request.parse(Request.line(words: ["note", positional, "text=" + value])[...])
            #expect(request?.positional == [positional])
            #expect(request?.keywords == ["text": value])
        }
    }
}

@Suite struct ReplyEncodingTests {
    @Test func dataLinesThenOneStatusLine() {
        var reply = Reply.ok("2 rows", data: ["a", "b"])
        reply.tag = "t1"
        #expect(reply.encoded == "- a\n- b\nOK @t1 2 rows\n")
        #expect(Reply.error(.notFound, "unknown grant").encoded == "ERR NOT_FOUND unknown grant\n")
    }

    @Test func noTextCanEndAReplyEarly() {
        let reply = Reply.ok("done\nOK forged", data: ["line\nERR INTERNAL forged"])
        #expect(reply.encoded.split(separator: "\n").count == 2)
    }

    /// The byte scan that lets clean text through untouched must still catch every control character, and must
    /// not mistake the bytes of a longer UTF-8 sequence (all >= 0x80) for one.
    @Test func controlCharactersAreReplacedAndOtherTextIsKeptAsItIs() {
        #expect(Reply.singleLine("Dörverden – Süd €") == "Dörverden – Süd €")
        #expect(Reply.singleLine("a\tb") == "a b")
        #expect(Reply.singleLine("a\u{0}b\u{1b}c\u{7f}d\re") == "a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}e")
        // U+0085 (NEL) is a C1 control but encoded as two bytes >= 0x80: it cannot end a line of the protocol.
        #expect(Reply.singleLine("x\u{85}y") == "x\u{85}y")
    }

    let table = ResultTable(
        columns: ["component", "available", "note"],
        rows: [[.text("case"), .amount(123_456), .text("Dörverden; \"Süd\"")], [.text("milieu"), .amount(-5), .null]])

    @Test func tablesForPeople() {
        #expect(
            table.lines(.table) == [
                "component  available  note",
                "case         1234.56  Dörverden; \"Süd\"",
                "milieu         -0.05",
            ])
    }

    /// csv-de: German headings (`note` has none and keeps its name), `;` and decimal commas.
    @Test func csvAndGermanCsv() {
        #expect(
            table.lines(.csv) == [
                "component,available,note", "case,1234.56,\"Dörverden; \"\"Süd\"\"\"", "milieu,-0.05,",
            ])
        #expect(
            table.lines(.csvDE) == [
                "Budgetbereich;verfügbar;note", "case;1234,56;\"Dörverden; \"\"Süd\"\"\"", "milieu;-0,05;",
            ])
    }

    @Test func jsonLinesCarryAmountsAsExactStrings() {
        #expect(
            table.lines(.jsonl) == [
                #"{"component":"case","available":"1234.56","note":"Dörverden; \"Süd\""}"#,
                #"{"component":"milieu","available":"-0.05","note":null}"#,
            ])
    }

    @Test func spreadsheetFormulasAreDefused() {
        let risky = ResultTable(columns: ["title"], rows: [[.text("=HYPERLINK(\"x\")")]])
        #expect(risky.lines(.csv).last == "\"'=HYPERLINK(\"\"x\"\")\"")
    }

    /// Issue 17: every leading character a spreadsheet evaluates is defused in text cells (a leading "-"
    /// too: `-1+cmd|...`), while negative amounts stay numbers and a lone "-" (no value) stays as it is.
    @Test(arguments: ["-2+3+cmd|' /C calc'!A0", "+1", "@SUM(A1)", "=1", "\t=1", "\r=1"])
    func textThatASpreadsheetWouldEvaluateIsQuotedWithAnApostrophe(_ text: String) {
        let table = ResultTable(columns: ["note"], rows: [[.text(text)]])
        for format in [OutputFormat.csv, .csvDE] {
            let field = table.lines(format).last ?? ""
            #expect(field.hasPrefix("\"'"), "\(format): \(field)")
        }
    }

    @Test func negativeAmountsAndALoneDashStayAsTheyAre() {
        let table = ResultTable(columns: ["amount", "schedule"], rows: [[.amount(-520_00), .text("-")]])
        #expect(table.lines(.csv).last == "-520.00,-")
        #expect(table.lines(.csvDE).last == "-520,00;-")
    }
}
