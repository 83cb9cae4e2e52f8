import ArgumentParser
import Foundation
import SozialraumProtocol

#if canImport(Glibc)
import Glibc
#endif

/// The admin client: sends requests to sozialraumd's admin socket and prints the replies.
///
/// Exit status: 0 when every reply was OK, 1 when one was an error, 2 when the daemon cannot be
/// reached or the arguments are wrong, 3 when the connection broke mid-reply.
struct SozialraumCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sozialraumctl",
        abstract: "Admin client for sozialraumd.",
        discussion: """
            Examples:
              sozialraumctl funds achim-oyten 2026
              sozialraumctl --format csv-de bookings 2026-10 > buchungen.csv
              sozialraumctl --upload deliveries.csv import-deliveries key=import-2026-10
              sozialraumctl < requests.txt           (one request per line)
              sozialraumctl                          (interactive, when stdin is a terminal)
            See docs/protocol.md for every command.
            """)

    @Option(help: "Path of the admin socket (env SOZIALRAUM_SOCKET; default .sozialraum/admin.sock).")
    var socket: String?

    @Option(help: "Output format: table, csv, csv-de, jsonl.")
    var format: String?

    @Option(help: "Log in as this account (the secret is read from SOZIALRAUM_SECRET).")
    var login: String?

    @Option(help: "A file sent as the upload block of the request (CSV imports).")
    var upload: String?

    @Option(name: .shortAndLong, help: "A request to send (instead of positional words).")
    var command: String?

    @Argument(help: "The request as words, e.g. funds achim-oyten 2026.")
    var words: [String] = []

    func run() throws {
        let path = socket ?? ProcessInfo.processInfo.environment["SOZIALRAUM_SOCKET"] ?? ".sozialraum/admin.sock"
        let connection: Connection
        do { connection = try Connection(path: path) } catch {
            FileHandle.standardError.write(Data("sozialraumctl: cannot connect to \(path): \(error)\n".utf8))
            throw ExitCode(2)
        }
        var failed = false
        func send(_ line: String, echo: Bool = true) throws {
            connection.write(line + "\n")
            guard let reply = connection.readReply() else {
                FileHandle.standardError.write(Data("sozialraumctl: connection closed by the daemon\n".utf8))
                throw ExitCode(3)
            }
            for line in reply.data { print(line) }
            if reply.status.hasPrefix("ERR") {
                failed = true
                FileHandle.standardError.write(Data((reply.status + "\n").utf8))
            } else if echo, reply.status != "OK" {
                FileHandle.standardError.write(Data((reply.status + "\n").utf8))
            }
        }
        if let login {
            let secret = ProcessInfo.processInfo.environment["SOZIALRAUM_SECRET"] ?? ""
            try send(Request(command: "login", positional: [login, secret]).line, echo: false)
            if failed { throw ExitCode(1) }
        }
        if let format { try send("format \(Request.quote(format))", echo: false) }
        let request = command ?? (words.isEmpty ? nil : words.map(Request.quote).joined(separator: " "))
        if let request {
            if let upload {
                guard let text = try? String(contentsOfFile: upload, encoding: .utf8) else {
                    FileHandle.standardError.write(Data("sozialraumctl: cannot read \(upload)\n".utf8))
                    throw ExitCode(2)
                }
                var block = request + " <<\n"
                var lines = 0
                for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
                    block += (line.hasPrefix(".") ? "." : "") + line + "\n"
                    lines += 1
                }
                if isatty(2) != 0 { FileHandle.standardError.write(Data("uploading \(lines) lines ...\n".utf8)) }
                connection.write(block + ".")
                try send("", echo: true)
            } else {
                try send(request)
            }
        } else {
            // Script mode (stdin is not a terminal) or interactive mode.
            let interactive = isatty(0) != 0
            if interactive {
                connection.write("whoami\n")
                let who = connection.readReply()?.status.split(separator: " ").dropFirst().first.map(String.init) ?? "not logged in"
                while true {
                    FileHandle.standardOutput.write(Data("\(who)> ".utf8))
                    guard let line = readLine() else { break }
                    if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                    try send(line)
                    if line.trimmingCharacters(in: .whitespaces) == "quit" { break }
                }
            } else {
                while let line = readLine() {
                    if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
                    try send(line)
                }
            }
        }
        if failed { throw ExitCode(1) }
    }
}

/// A blocking Unix-socket connection: a command-line tool has nothing else to do while it waits.
final class Connection {
    let fd: Int32
    private var pending: [UInt8] = []

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { throw POSIXError(.ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        let descriptor = fd
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .ECONNREFUSED)
        }
    }

    deinit { close(fd) }

    func write(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            offset += written
        }
    }

    func readLine() -> String? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let newline = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[0..<newline], as: UTF8.self)
                pending.removeSubrange(0...newline)
                return line
            }
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 { return nil }
            pending.append(contentsOf: buffer[0..<count])
        }
    }

    /// Data lines (without their `- `) and the status line.
    func readReply() -> (data: [String], status: String)? {
        var data: [String] = []
        while let line = readLine() {
            if line.hasPrefix("- ") { data.append(String(line.dropFirst(2))) } else { return (data, line) }
        }
        return nil
    }
}

SozialraumCtl.main()
