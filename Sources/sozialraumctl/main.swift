import ArgumentParser
import Foundation
import SozialraumCtlKit
import SozialraumProtocol

#if canImport(Glibc)
import Glibc
#endif

/// The admin client: sends requests to sozialraumd's admin socket and prints the replies.
///
/// Exit status: 0 when every reply was OK, 1 when one was an error, 2 when the daemon cannot be
/// reached or the arguments or configuration are wrong, 3 when the connection broke mid-reply.
struct SozialraumCtl: ParsableCommand {
    /// The language before the settings are read — of `--help` and of a bad setting's message (`--language`
    /// among the arguments, else `SOZIALRAUM_LANGUAGE`, else German).
    static let helpLanguage = CtlHelp.language(
        arguments: CommandLine.arguments, environment: ProcessInfo.processInfo.environment)

    static func help(_ option: String) -> ArgumentHelp { ArgumentHelp(CtlHelp.options[option]!(helpLanguage)) }

    static let configuration = CommandConfiguration(
        commandName: "sozialraumctl", abstract: CtlHelp.abstract(helpLanguage),
        discussion: CtlHelp.discussion(helpLanguage), version: SozialraumRelease.version)

    @Option(help: help("socket")) var socket: String?
    @Option(help: help("host")) var host: String?
    @Option(help: help("ca")) var ca: String?
    @Option(help: help("server-name")) var serverName: String?
    @Option(help: help("config")) var config: String?
    @Option(help: help("format")) var format: String?
    @Option(help: help("language")) var language: String?
    @Option(help: help("login")) var login: String?
    @Option(help: help("upload")) var upload: String?
    @Option(help: help("save")) var save: String?
    @Option(name: .shortAndLong, help: help("command")) var command: String?
    @Argument(help: help("words")) var words: [String] = []

    func fail(_ text: CtlText, _ language: CtlLanguage, status: Int32) -> ExitCode {
        FileHandle.standardError.write(Data("sozialraumctl: \(text(language))\n".utf8))
        return ExitCode(status)
    }

    func fail(_ error: any Error, _ language: CtlLanguage, status: Int32) -> ExitCode {
        fail((error as? ConnectionError)?.text ?? CtlText(de: "\(error)", en: "\(error)"), language, status: status)
    }

    func settings() throws -> CtlConfiguration {
        let environment = ProcessInfo.processInfo.environment
        var flags: CtlConfiguration.Source = [:]
        for (key, value) in [
            ("socket", socket), ("host", host), ("ca", ca), ("server-name", serverName), ("account", login),
            ("format", format), ("language", language),
        ] {
            if let value { flags[key] = value }
        }
        var file: CtlConfiguration.Source = [:]
        if let path = config ?? CtlConfiguration.defaultFile(environment: environment) {
            if let text = readTextFile(path) {
                file = try CtlConfiguration.parse(file: text, name: path)
            } else if config != nil || environment["SOZIALRAUM_CTL_CONFIG"] != nil {
                throw ConnectionError(CtlTexts.cannotReadConfig(path))
            }
        }
        let systemFile = try readTextFile(CtlConfiguration.systemFile).map {
            try CtlConfiguration.parse(file: $0, name: CtlConfiguration.systemFile)
        }
        return try CtlConfiguration.resolve(
            flags: flags, environment: CtlConfiguration.source(environment: environment), file: file,
            systemFile: systemFile ?? [:], installedSocketExists: access(CtlConfiguration.installedSocket, F_OK) == 0)
    }

    func run() throws {
        let settings: CtlConfiguration
        do { settings = try self.settings() } catch { throw fail(error, Self.helpLanguage, status: 2) }
        let language = settings.language
        if command == nil, words == ["check"] { try check(settings) }
        let connection = try connect(settings, language)
        var failed = false
        func send(_ line: String, echo: Bool = true) throws {
            guard connection.write(line + "\n"), let reply = connection.readReply() else {
                throw fail(CtlTexts.connectionClosed, language, status: 3)
            }
            print(reply, echo: echo, failed: &failed)
        }
        if let account = settings.account {
            guard let secret = settings.secret else {
                throw fail(CtlTexts.noSecret(account), language, status: 2)
            }
            try send(Request(command: "login", positional: [account, secret]).line, echo: false)
            if failed { throw ExitCode(1) }
        }
        if let format = settings.format { try send("format \(Request.quote(format))", echo: false) }
        let request = command ?? (words.isEmpty ? nil : Request.line(words: words))
        if let request {
            if let upload {
                try sendUpload(request, file: upload, over: connection, language)
                guard let reply = connection.readReply() else {
                    throw fail(CtlTexts.connectionClosed, language, status: 3)
                }
                print(reply, echo: true, failed: &failed)
            } else if let save {
                guard connection.write(request + "\n"), let reply = connection.readReply() else {
                    throw fail(CtlTexts.connectionClosed, language, status: 3)
                }
                if reply.status.hasPrefix("OK") {
                    // A file the daemon keeps (the Kasse's batch) comes as base64 and says so; a table is
                    // written as the lines it was sent as.
                    let bytes =
                        reply.status.contains(" base64 ")
                        ? Data(base64Encoded: reply.data.joined())
                        : Data(reply.data.map { $0 + "\n" }.joined().utf8)
                    guard let bytes else {
                        throw fail(CtlTexts.notAFile, language, status: 1)
                    }
                    guard FileManager.default.createFile(atPath: save, contents: bytes) else {
                        throw fail(CtlTexts.cannotWrite(save), language, status: 2)
                    }
                }
                print((data: [], status: reply.status), echo: true, failed: &failed)
            } else {
                try send(request)
            }
        } else if let terminal = RawTerminal() {
            try interactive(connection, terminal: terminal, language, send: send)
        } else {
            // Script mode: stdin is a file or a pipe.
            while let line = readLine() {
                if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
                try send(line)
            }
        }
        if failed { throw ExitCode(1) }
    }

    /// Connects to the daemon (exit 2 when it cannot).
    func connect(_ settings: CtlConfiguration, _ language: CtlLanguage) throws -> any AdminConnection {
        do { return try openConnection(settings) } catch { throw fail(error, language, status: 2) }
    }

    func openConnection(_ settings: CtlConfiguration) throws -> any AdminConnection {
        switch settings.endpoint {
        case .unix(let path):
            do { return try UnixConnection(path: path) } catch {
                throw ConnectionError(CtlTexts.cannotConnect(path, "\(error)"))
            }
        case .tls(let host, let port, let ca, let serverName):
            do { return try TLSConnection(host: host, port: port, trustRoots: ca, serverName: serverName) } catch {
                throw ConnectionError(CtlTexts.cannotConnectTLS(host, port, "\(error)"))
            }
        }
    }

    /// A monitoring plugin (Nagios, Icinga): one line `SOZIALRAUM <LEVEL> - <reasons>` and the exit status
    /// 0 OK, 1 WARNING, 2 CRITICAL (also: the daemon cannot be reached), 3 UNKNOWN.
    func check(_ settings: CtlConfiguration) throws -> Never {
        let language = settings.language
        func report(_ level: String, _ text: String) -> Never {
            Swift.print("SOZIALRAUM \(level) - \(text)")
            fflush(nil)
            Glibc.exit(["OK": 0, "WARNING": 1, "CRITICAL": 2][level] ?? 3)
        }
        let connection: any AdminConnection
        do { connection = try openConnection(settings) } catch {
            report("CRITICAL", ((error as? ConnectionError)?.text ?? CtlText(de: "\(error)", en: "\(error)"))(language))
        }
        func ask(_ line: String) -> (data: [String], status: String)? {
            connection.write(line + "\n") ? connection.readReply() : nil
        }
        // The daemon answers but its database does not (an outage): critical, whether the account was to be
        // looked up for a login or for the peer's uid.
        func criticalIfUnavailable(_ status: String) {
            let unavailable = "ERR UNAVAILABLE "
            if status.hasPrefix(unavailable) { report("CRITICAL", String(status.dropFirst(unavailable.count))) }
        }
        if let account = settings.account {
            guard let secret = settings.secret else { report("UNKNOWN", CtlTexts.noSecret(account)(language)) }
            guard let login = ask(Request(command: "login", positional: [account, secret]).line) else {
                report("CRITICAL", CtlTexts.daemonClosed(language))
            }
            criticalIfUnavailable(login.status)
            guard login.status.hasPrefix("OK") else { report("UNKNOWN", CtlTexts.loginRefused(account)(language)) }
        }
        guard let reply = ask("check") else { report("CRITICAL", CtlTexts.daemonClosed(language)) }
        criticalIfUnavailable(reply.status)
        let words = reply.status.split(separator: " ", maxSplits: 3).map(String.init)
        guard words.count == 4, words[0] == "OK", words[2] == "-" else { report("UNKNOWN", reply.status) }
        report(words[1], words[3])
    }

    func print(_ reply: (data: [String], status: String), echo: Bool, failed: inout Bool) {
        for line in reply.data { Swift.print(line) }
        fflush(nil)  // every output stream: replies appear before the next prompt
        if reply.status.hasPrefix("ERR") {
            failed = true
            FileHandle.standardError.write(Data((reply.status + "\n").utf8))
        } else if echo, reply.status != "OK" {
            FileHandle.standardError.write(Data((reply.status + "\n").utf8))
        }
    }

    /// Line editing with history; the prompt shows who the daemon says we are.
    func interactive(
        _ connection: any AdminConnection, terminal: RawTerminal, _ language: CtlLanguage,
        send: (String, Bool) throws -> Void
    ) throws {
        let environment = ProcessInfo.processInfo.environment
        let historyPath = History.defaultPath(environment: environment)
        var editor = LineEditor(history: historyPath.map(History.load) ?? [])
        func whoami() -> String {
            guard connection.write("whoami\n"), let reply = connection.readReply(), reply.status.hasPrefix("OK ") else {
                return CtlTexts.notLoggedIn(language)
            }
            // "OK alpha@<tenant-uuid> role=provider": the prompt shows alpha@ and the uuid's first block.
            guard let who = reply.status.split(separator: " ").dropFirst().first else {
                return CtlTexts.notLoggedIn(language)
            }
            let parts = who.split(separator: "@", maxSplits: 1)
            guard parts.count == 2 else { return String(who) }
            return "\(parts[0])@\(parts[1].prefix { $0 != "-" })"
        }
        var who = whoami()
        defer { if let historyPath { History.save(editor.history, to: historyPath) } }
        while let line = terminal.readLine(prompt: "\(who)> ", editor: &editor) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            try send(line, true)
            if trimmed == "quit" { break }
            if trimmed.hasPrefix("login ") || trimmed == "logout" { who = whoami() }
        }
    }

    /// Streams a file as the request's upload block (lines starting with `.` are dot-stuffed),
    /// showing progress on a terminal for large files.
    func sendUpload(
        _ request: String, file: String, over connection: any AdminConnection, _ language: CtlLanguage
    ) throws {
        // A directory is a migration's files, sent as one bundle.
        guard let text = migrationBundle(directory: file) ?? readTextFile(file) else {
            throw fail(CtlTexts.cannotRead(file), language, status: 2)
        }
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        let total = lines.count - (lines.last?.isEmpty == true ? 1 : 0)
        let showProgress = isatty(STDERR_FILENO) != 0 && total > 10_000
        guard connection.write(request + " <<\n") else { throw fail(CtlTexts.connectionClosed, language, status: 3) }
        var chunk: [UInt8] = []
        chunk.reserveCapacity(1 << 16)
        for (index, line) in lines.prefix(total).enumerated() {
            if line.hasPrefix(".") { chunk.append(UInt8(ascii: ".")) }
            chunk.append(contentsOf: line.utf8)
            chunk.append(10)
            if chunk.count >= 1 << 16 || index == total - 1 {
                guard connection.write(chunk) else {
                    throw fail(CtlTexts.connectionClosedDuringUpload, language, status: 3)
                }
                chunk.removeAll(keepingCapacity: true)
                if showProgress {
                    FileHandle.standardError.write(
                        Data(("\r" + CtlTexts.uploading(index + 1, of: total)(language)).utf8))
                }
            }
        }
        if showProgress { FileHandle.standardError.write(Data((CtlTexts.waiting(language) + "\n").utf8)) }
        guard connection.write(".\n") else {
            throw fail(CtlTexts.connectionClosedDuringUpload, language, status: 3)
        }
    }
}

SozialraumCtl.main()
