#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The batch file of payment orders for the Kasse (Anordnungsdaten): one header line, one line per
/// booking an order pays (its Kontierung), and a closing checksum line. Semicolon-separated, German
/// numbers (`1234,56`) and dates (`31.01.2027`), CRLF line ends, UTF-8 or Windows-1252; the columns are
/// the county's choice (docs/payments.md lists them with the default layout).
public enum PaymentFile {
    /// The character set of the file.
    public enum Encoding: String, Sendable, CaseIterable {
        case utf8 = "utf-8"
        case windows1252 = "windows-1252"
    }

    /// A column the county may place in its layout; the header line shows `header`.
    public enum Column: String, Sendable, CaseIterable {
        case batch, kassenzeichen, year, product, account
        case costCentre = "cost-centre"
        case creditor, payee, amount, direction, due, purpose, order, booking

        public var header: String {
            switch self {
            case .batch: "Stapel"
            case .kassenzeichen: "Kassenzeichen"
            case .year: "Haushaltsjahr"
            case .product: "Produkt"
            case .account: "Sachkonto"
            case .costCentre: "Kostenstelle"
            case .creditor: "Kreditor"
            case .payee: "Empfaenger"
            case .amount: "Betrag"
            case .direction: "Richtung"
            case .due: "Faelligkeit"
            case .purpose: "Verwendungszweck"
            case .order: "Anordnung"
            case .booking: "Buchung"
            }
        }

        /// The layout when the configuration names none.
        public static let defaultLayout: [Column] = [
            .batch, .kassenzeichen, .year, .product, .account, .costCentre, .creditor, .amount, .direction, .due,
            .purpose, .order, .booking,
        ]
    }

    /// One line of the file: a booking paid by an order, with the order's Kontierung.
    public struct Line: Sendable, Equatable {
        public var order: Int64
        public var booking: Int64
        public var kassenzeichen: String
        public var year: Int
        public var product: String
        public var account: String
        public var costCentre: String
        public var creditor: String
        public var payee: String
        public var amount: Money
        public var due: Day
        public var purpose: String

        public init(
            order: Int64, booking: Int64, kassenzeichen: String, year: Int, product: String, account: String,
            costCentre: String, creditor: String, payee: String, amount: Money, due: Day, purpose: String
        ) {
            self.order = order
            self.booking = booking
            self.kassenzeichen = kassenzeichen
            self.year = year
            self.product = product
            self.account = account
            self.costCentre = costCentre
            self.creditor = creditor
            self.payee = payee
            self.amount = amount
            self.due = due
            self.purpose = purpose
        }
    }

    /// A character the chosen encoding cannot hold; nothing is exported.
    public struct UnencodableText: Error, Equatable, Sendable, CustomStringConvertible {
        public var scalar: Unicode.Scalar
        public var description: String {
            "U+" + String(scalar.value, radix: 16, uppercase: true) + " cannot be written in Windows-1252"
        }
    }

    /// `1234,56`, `-0,07`: the German form finance systems import.
    public static func germanAmount(_ money: Money) -> String {
        String(money.description.map { $0 == "." ? "," : $0 })
    }

    /// `31.01.2027`.
    public static func germanDate(_ day: Day) -> String {
        let iso = day.description  // yyyy-mm-dd
        let parts = iso.split(separator: "-")
        return "\(parts[2]).\(parts[1]).\(parts[0])"
    }

    /// The header and the lines, encoded: everything the checksum line covers.
    public static func body(
        batch: Int64, lines: [Line], columns: [Column], encoding: Encoding
    ) throws(UnencodableText)
        -> [UInt8]
    {
        var text = columns.map(\.header).joined(separator: ";") + "\r\n"
        for line in lines {
            text += columns.map { cell($0, of: line, batch: batch) }.map(quoted).joined(separator: ";") + "\r\n"
        }
        return try encode(text, encoding)
    }

    /// `#Pruefsumme;<lines>;<total>;<SHA-256 of the body, hex>` and CRLF: lets the Kasse check that the
    /// file arrived whole.
    public static func checksumLine(lines: Int, total: Money, sha256: String) -> [UInt8] {
        Array("#Pruefsumme;\(lines);\(germanAmount(total));\(sha256)\r\n".utf8)
    }

    static func cell(_ column: Column, of line: Line, batch: Int64) -> String {
        switch column {
        case .batch: String(batch)
        case .kassenzeichen: line.kassenzeichen
        case .year: String(line.year)
        case .product: line.product
        case .account: line.account
        case .costCentre: line.costCentre
        case .creditor: line.creditor
        case .payee: line.payee
        case .amount: germanAmount(line.amount)
        // Auszahlung (the county pays) or Einzahlung (the provider repays).
        case .direction: line.amount.isNegative ? "E" : "A"
        case .due: germanDate(line.due)
        case .purpose: line.purpose
        case .order: String(line.order)
        case .booking: String(line.booking)
        }
    }

    /// A cell with `;`, `"` or a line break is quoted, its quotes doubled.
    static func quoted(_ cell: String) -> String {
        guard cell.contains(where: { $0 == ";" || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else { return cell }
        return "\"" + cell.flatMap { $0 == "\"" ? ["\"", "\""] : [$0] } + "\""
    }

    static func encode(_ text: String, _ encoding: Encoding) throws(UnencodableText) -> [UInt8] {
        switch encoding {
        case .utf8: return Array(text.utf8)
        case .windows1252:
            var bytes: [UInt8] = []
            bytes.reserveCapacity(text.unicodeScalars.count)
            for scalar in text.unicodeScalars {
                guard let byte = windows1252(scalar) else { throw UnencodableText(scalar: scalar) }
                bytes.append(byte)
            }
            return bytes
        }
    }

    /// Windows-1252: Latin-1 except 0x80–0x9F, which hold € and typographic characters.
    static func windows1252(_ scalar: Unicode.Scalar) -> UInt8? {
        switch scalar.value {
        case 0..<0x80, 0xA0...0xFF: return UInt8(scalar.value)
        default: return windows1252High[scalar.value]
        }
    }

    static let windows1252High: [UInt32: UInt8] = [
        0x20AC: 0x80, 0x201A: 0x82, 0x0192: 0x83, 0x201E: 0x84, 0x2026: 0x85, 0x2020: 0x86, 0x2021: 0x87,
        0x02C6: 0x88, 0x2030: 0x89, 0x0160: 0x8A, 0x2039: 0x8B, 0x0152: 0x8C, 0x017D: 0x8E, 0x2018: 0x91,
        0x2019: 0x92, 0x201C: 0x93, 0x201D: 0x94, 0x2022: 0x95, 0x2013: 0x96, 0x2014: 0x97, 0x02DC: 0x98,
        0x2122: 0x99, 0x0161: 0x9A, 0x203A: 0x9B, 0x0153: 0x9C, 0x017E: 0x9E, 0x0178: 0x9F,
    ]
}
