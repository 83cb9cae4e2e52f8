import CLibPQ

/// A connection string's settings, as libpq reads them (`key=value` pairs or a `postgresql://` URI).
public enum PostgresConnInfo {
    /// The settings given in `conninfo` (only those given), or nil when libpq cannot parse it.
    public static func parse(_ conninfo: String) -> [String: String]? {
        var message: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &message) else {
            if let message { PQfreemem(message) }
            return nil
        }
        defer { PQconninfoFree(options) }
        var settings: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { settings[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        return settings
    }

    /// A `key=value` connection string of `settings`, values quoted as libpq expects.
    public static func format(_ settings: [String: String]) -> String {
        settings.keys.sorted().map { key in
            let value = settings[key]!.replacingBackslashesAndQuotes()
            return "\(key)='\(value)'"
        }.joined(separator: " ")
    }
}

extension String {
    fileprivate func replacingBackslashesAndQuotes() -> String {
        var escaped = ""
        for character in self {
            if character == "\\" || character == "'" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
