/// Identifiers (role, database and channel names) cannot be `$n` parameters. Where one must be written
/// into SQL text, it is restricted to a plain lowercase identifier (and then double-quoted): the one check
/// for every such place.
public enum PostgresIdentifier {
    /// 1 to 63 bytes of a-z, 0-9 and '_', not starting with a digit.
    public static func isPlain(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63 else { return false }
        let lower = UInt8(ascii: "a")...UInt8(ascii: "z")
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        return (lower.contains(first) || first == UInt8(ascii: "_"))
            && name.utf8.allSatisfy { lower.contains($0) || digits.contains($0) || $0 == UInt8(ascii: "_") }
    }
}
