#if canImport(Glibc)
import Glibc
#endif

/// Where sozialraumctl connects and as whom: flags over environment over the config file.
///
/// The config file (`--config`, `SOZIALRAUM_CTL_CONFIG`, or `$XDG_CONFIG_HOME/sozialraum/sozialraumctl.conf`,
/// `~/.config/sozialraum/sozialraumctl.conf`) holds `key = value` lines, `#` starts a comment:
///
///     host = sozialraum.kreis-verden.de:7443   # TLS (or: socket = /run/sozialraum/admin.sock)
///     ca = /etc/ssl/certs/kreis-verden-ca.pem
///     account = traeger-alpha
///     secret-file = ~/.config/sozialraum/secret   # readable by the owner only
///     format = csv-de
///
/// Weakest of all, the host's file `/etc/sozialraum/sozialraumctl.conf` (the package installs it naming the
/// installed socket). With no socket or host named anywhere, the installed socket `/run/sozialraum/admin.sock`
/// when it exists, else the quick start's `.sozialraum/admin.sock`.
///
/// A secret is never taken from a flag (it would show in `ps` and shell history): it comes from
/// `SOZIALRAUM_SECRET` or a secret file that only its owner can read. `language = de|en` sets the client's own
/// texts (default German).
public struct CtlConfiguration: Equatable, Sendable {
    public enum Endpoint: Equatable, Sendable {
        case unix(path: String)
        case tls(host: String, port: Int, ca: String?, serverName: String?)
    }

    public var endpoint: Endpoint
    public var account: String?
    public var secret: String?
    public var format: String?
    /// The language of the client's own texts (`language`, `SOZIALRAUM_LANGUAGE`, `--language`; default German).
    public var language: CtlLanguage = .de

    /// Values from one source, by key (`socket`, `host`, `ca`, `server-name`, `account`, `secret`,
    /// `secret-file`, `format`).
    public typealias Source = [String: String]

    /// The quick start's socket, relative to where `swift run sozialraumd` runs.
    public static let defaultSocket = ".sozialraum/admin.sock"
    /// The socket of an installed daemon (`sozialraumd.socket`).
    public static let installedSocket = "/run/sozialraum/admin.sock"
    /// The host's config file, read after the user's.
    public static let systemFile = "/etc/sozialraum/sozialraumctl.conf"
    public static let defaultPort = 7443
    static let keys: Set<String> = [
        "socket", "host", "ca", "server-name", "account", "secret-file", "format", "language",
    ]

    /// Resolves the sources, the strongest first (flags, environment, file). The endpoint comes from
    /// the strongest source that names a socket or a host.
    public static func resolve(
        flags: Source, environment: Source, file: Source, systemFile: Source = [:],
        installedSocketExists: Bool = false,
        readSecretFile: (String) throws -> String = CtlConfiguration.readSecretFile
    ) throws -> CtlConfiguration {
        let sources = [flags, environment, file, systemFile]
        func value(_ key: String) -> String? { sources.lazy.compactMap { $0[key] }.first }
        var endpoint = Endpoint.unix(path: installedSocketExists ? installedSocket : defaultSocket)
        for source in sources {
            if let path = source["socket"] {
                endpoint = .unix(path: path)
                break
            }
            if let address = source["host"] {
                let (host, port) = try hostAndPort(address)
                endpoint = .tls(host: host, port: port, ca: value("ca"), serverName: value("server-name"))
                break
            }
        }
        var secret = environment["secret"]
        if secret == nil, let file = value("secret-file") { secret = try readSecretFile(file) }
        var configuration = CtlConfiguration(
            endpoint: endpoint, account: value("account"), secret: secret, format: value("format"))
        configuration.language = try language(value("language"))
        return configuration
    }

    /// `de`, `en`, or German when none is named.
    public static func language(_ value: String?) throws -> CtlLanguage {
        guard let value else { return .de }
        guard let language = CtlLanguage(rawValue: value.lowercased()) else {
            throw ConnectionError(CtlTexts.badLanguage(value))
        }
        return language
    }

    /// `host:port`, `[v6]:port` or a bare host (default port).
    static func hostAndPort(_ text: String) throws -> (String, Int) {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || rest.hasPrefix(":") else { throw ConnectionError(CtlTexts.hostBracketed) }
            return (host, try port(rest.isEmpty ? nil : String(rest.dropFirst())))
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard !text.isEmpty, parts.count <= 2, !parts[0].isEmpty else {
            throw ConnectionError(CtlTexts.hostPort)
        }
        return (String(parts[0]), try port(parts.count == 2 ? String(parts[1]) : nil))
    }

    static func port(_ text: String?) throws -> Int {
        guard let text else { return defaultPort }
        guard let port = Int(text), (1...65535).contains(port) else {
            throw ConnectionError(CtlTexts.portRange)
        }
        return port
    }

    /// Parses a config file's text; unknown keys and malformed lines are errors (a typo should not
    /// silently connect somewhere else).
    public static func parse(file text: String, name: String) throws -> Source {
        var values: Source = [:]
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(raw)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let trimmed = line.trimmingWhitespace
            if trimmed.isEmpty { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw ConnectionError(CtlTexts.expectedKeyValue("\(name):\(number + 1)"))
            }
            let key = String(trimmed[..<equals].trimmingWhitespace),
                value = String(trimmed[trimmed.index(after: equals)...].trimmingWhitespace)
            guard keys.contains(key) else {
                throw ConnectionError(CtlTexts.unknownKey("\(name):\(number + 1)", key))
            }
            guard !value.isEmpty else { throw ConnectionError(CtlTexts.noValue("\(name):\(number + 1)", key)) }
            values[key] = expandingHome(value)
        }
        return values
    }

    /// The settings in the environment, as a source.
    public static func source(environment: [String: String]) -> Source {
        var values: Source = [:]
        let names = [
            "SOZIALRAUM_SOCKET": "socket", "SOZIALRAUM_HOST": "host", "SOZIALRAUM_CA": "ca",
            "SOZIALRAUM_SERVER_NAME": "server-name",
            "SOZIALRAUM_ACCOUNT": "account", "SOZIALRAUM_SECRET": "secret", "SOZIALRAUM_SECRET_FILE": "secret-file",
            "SOZIALRAUM_FORMAT": "format", "SOZIALRAUM_LANGUAGE": "language",
        ]
        for (variable, key) in names { if let value = environment[variable], !value.isEmpty { values[key] = value } }
        return values
    }

    /// The default config file's path, if the environment names a home.
    public static func defaultFile(environment: [String: String]) -> String? {
        if let path = environment["SOZIALRAUM_CTL_CONFIG"], !path.isEmpty { return path }
        if let config = environment["XDG_CONFIG_HOME"], !config.isEmpty {
            return config + "/sozialraum/sozialraumctl.conf"
        }
        return environment["HOME"].map { $0 + "/.config/sozialraum/sozialraumctl.conf" }
    }

    static func expandingHome(_ path: String) -> String {
        guard path.hasPrefix("~/"), let home = getenv("HOME") else { return path }
        return String(cString: home) + path.dropFirst()
    }

    /// Reads a secret file, refusing one that others could read.
    public static func readSecretFile(_ path: String) throws -> String {
        var status = stat()
        guard stat(path, &status) == 0 else { throw ConnectionError(CtlTexts.cannotReadSecret(path)) }
        guard status.st_mode & 0o077 == 0 else {
            throw ConnectionError(CtlTexts.secretReadableByOthers(path))
        }
        guard let text = readTextFile(path) else { throw ConnectionError(CtlTexts.cannotReadSecret(path)) }
        return String(text.trimmingWhitespace)
    }
}

/// Reads a whole (small) file as UTF-8, without Foundation.
public func readTextFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = read(fd, &buffer, buffer.count)
        if count < 0, errno == EINTR { continue }
        guard count >= 0 else { return nil }
        if count == 0 { break }
        bytes.append(contentsOf: buffer[0..<count])
    }
    return String(decoding: bytes, as: UTF8.self)
}

extension StringProtocol {
    var trimmingWhitespace: SubSequence {
        var text = self[...]
        while let first = text.first, first.isWhitespace { text = text.dropFirst() }
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return text
    }
}

/// The files of a migration directory as one upload block: `<kind>.csv` for each kind present, in the
/// order the daemon applies them, each after a line `#file <kind>` (docs/migration.md). nil when `path`
/// is not a directory or holds none of them.
public func migrationBundle(directory path: String) -> String? {
    var status = stat()
    guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else { return nil }
    let kinds = ["providers", "sozialraeume", "assignments", "rates", "appropriations", "cases", "grants", "projects"]
    var bundle = ""
    for kind in kinds {
        guard var text = readTextFile(path + "/" + kind + ".csv") else { continue }
        if !text.hasSuffix("\n") { text += "\n" }
        bundle += "#file \(kind)\n" + text
    }
    return bundle.isEmpty ? nil : bundle
}
