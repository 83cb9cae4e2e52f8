#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// UUIDs as PostgreSQL writes them (lower-case, hyphenated), without Foundation's formatter and parser:
// bulk imports and large results convert hundreds of thousands of them.
extension UUID {
    /// A UUID from its 36-character hyphenated text: 32 hex digits in either case with hyphens after the
    /// 8th, 12th, 16th and 20th. Stricter than `UUID(uuidString:)`, which also takes e.g. a space for a
    /// leading digit.
    public init?(hyphenatedUTF8 text: UnsafeBufferPointer<UInt8>) {
        guard text.count == 36 else { return nil }
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let valid = Swift.withUnsafeMutableBytes(of: &value) { bytes in
            var position = 0
            for index in 0..<16 {
                if position == 8 || position == 13 || position == 18 || position == 23 {
                    guard text[position] == UInt8(ascii: "-") else { return false }
                    position += 1
                }
                guard let high = Self.nibble(text[position]), let low = Self.nibble(text[position + 1]) else {
                    return false
                }
                bytes[index] = high << 4 | low
                position += 2
            }
            return true
        }
        guard valid else { return nil }
        self.init(uuid: value)
    }

    /// The same from text.
    public init?(hyphenated text: Substring) {
        var text = text
        guard let value = text.withUTF8({ UUID(hyphenatedUTF8: $0) }) else { return nil }
        self = value
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Lower-case hyphenated text, as PostgreSQL writes a uuid.
    public var hyphenatedText: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(36)
        bytes.appendHyphenated(self)
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension [UInt8] {
    /// Appends the lower-case hyphenated text of `id`.
    public mutating func appendHyphenated(_ id: UUID) {
        @inline(__always) func digit(_ nibble: UInt8) -> UInt8 {
            nibble < 10 ? nibble + UInt8(ascii: "0") : nibble - 10 + UInt8(ascii: "a")
        }
        Swift.withUnsafeBytes(of: id.uuid) { raw in
            for (index, byte) in raw.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 { append(UInt8(ascii: "-")) }
                append(digit(byte >> 4))
                append(digit(byte & 0x0f))
            }
        }
    }
}
