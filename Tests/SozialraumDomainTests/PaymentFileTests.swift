import PropertyBased
import Testing

@testable import SozialraumDomain

@Suite struct PaymentFileTests {
    static let line = PaymentFile.Line(
        order: 7, booking: 42, kassenzeichen: "SR2026000007", year: 2026, product: "36300", account: "53310000",
        costCentre: "SR1-case", creditor: "70001", payee: "Träger; \"Alpha\"", amount: Money(cents: -1_234_56),
        due: Day(iso: "2026-12-01")!, purpose: "Abschlag 2026-03 nord case SR2026000007")

    /// German numbers and dates, quoting of `;` and `"`, CRLF, and the sign in both amount and direction.
    @Test func aLineIsWrittenTheWayFinanceSystemsReadIt() throws {
        let body = try PaymentFile.body(
            batch: 3, lines: [Self.line], columns: [.batch, .payee, .amount, .direction, .due, .order],
            encoding: .utf8)
        #expect(
            String(decoding: body, as: UTF8.self)
                == "Stapel;Empfaenger;Betrag;Richtung;Faelligkeit;Anordnung\r\n"
                + "3;\"Träger; \"\"Alpha\"\"\";-1234,56;E;01.12.2026;7\r\n")
        #expect(
            String(decoding: PaymentFile.checksumLine(lines: 1, total: Money(cents: 5), sha256: "ab"), as: UTF8.self)
                == "#Pruefsumme;1;0,05;ab\r\n")
    }

    /// Windows-1252: ä is 0xE4 (Latin-1), € is 0x80 (the 0x80–0x9F block); ł has no byte and the
    /// export is refused rather than written wrong.
    @Test func windows1252HoldsUmlautsAndTheEuroAndRefusesWhatItCannot() throws {
        var line = Self.line
        line.payee = "Jugendhilfe Ärzte €"
        let bytes = try PaymentFile.body(batch: 1, lines: [line], columns: [.payee], encoding: .windows1252)
        // Header "Empfaenger\r\n", then the payee: Ä is 0xC4, € 0x80, one byte each (UTF-8 would be 0xC3 0x84).
        #expect(Array(bytes.suffix(9)) == [0xC4, 0x72, 0x7A, 0x74, 0x65, 0x20, 0x80, 0x0D, 0x0A])
        #expect(bytes.count == "Empfaenger\r\n".utf8.count + "Jugendhilfe Ärzte €\r\n".unicodeScalars.count)
        line.payee = "Łódź e.V."
        #expect(throws: PaymentFile.UnencodableText(scalar: "Ł")) {
            _ = try PaymentFile.body(batch: 1, lines: [line], columns: [.payee], encoding: .windows1252)
        }
        // The same text in UTF-8 is written as is.
        #expect(try PaymentFile.body(batch: 1, lines: [line], columns: [.payee], encoding: .utf8).count > 0)
    }

    /// The Kasse's answer: paid exactly, partly, returned to zero, overpaid; orders the provider repays
    /// (negative) compare by magnitude.
    @Test func paymentStatusFollowsWhatWasConfirmed() {
        let ordered = Money(cents: 200_00)
        #expect(PaymentStatus.of(ordered: ordered, paid: .zero, confirmations: 0) == .open)
        #expect(PaymentStatus.of(ordered: ordered, paid: ordered, confirmations: 1) == .paid)
        #expect(PaymentStatus.of(ordered: ordered, paid: Money(cents: 150_00), confirmations: 1) == .partlyPaid)
        #expect(PaymentStatus.of(ordered: ordered, paid: .zero, confirmations: 2) == .returned)
        #expect(PaymentStatus.of(ordered: ordered, paid: Money(cents: 250_00), confirmations: 1) == .overpaid)
        #expect(PaymentStatus.of(ordered: Money(cents: -80_00), paid: Money(cents: -80_00), confirmations: 1) == .paid)
        #expect(
            PaymentStatus.of(ordered: Money(cents: -80_00), paid: Money(cents: -30_00), confirmations: 1) == .partlyPaid
        )
    }

    /// Whatever is confirmed, an order is paid exactly when the confirmations add up to it.
    @Test func paidExactlyWhenTheConfirmationsAddUp() async {
        await propertyCheck(input: Gen.int(in: -1_000_000...1_000_000), Gen.int(in: -1_000_000...1_000_000)) {
            ordered, paid in
            guard ordered != 0 else { return }
            let status = PaymentStatus.of(
                ordered: Money(cents: Int64(ordered)), paid: Money(cents: Int64(paid)), confirmations: 1)
            #expect((status == .paid) == (ordered == paid))
        }
    }

    @Test func rightsAreParsedAndListedInOneOrder() {
        #expect(CountyRight.parseList("order,case") == [.order, .caseWork])
        #expect(CountyRight.parseList("case,kasse") == nil)
        #expect(CountyRight.parseList("") == [])
        #expect(CountyRight.list([.controller, .certify]) == "certify,controller")
        #expect(PaymentSettings().kassenzeichen(order: 17, year: 2026) == "SR2026000017")
    }
}
