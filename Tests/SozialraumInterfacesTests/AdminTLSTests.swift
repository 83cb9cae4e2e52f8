import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import SozialraumCtlKit
import SozialraumDomain
import SozialraumInterfaces
import SozialraumServices
import SozialraumTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The admin protocol over TCP with TLS, with a certificate made for the test by openssl.
@Suite struct AdminTLSTests {
    static func makeCertificate(
        in directory: String = TestScratch.path("tls")
    ) async throws -> (certificate: String, key: String) {
        try await TestCertificates.make(in: directory)
    }

    /// Issue 30: an unusable certificate or key is named with its file before anything starts (check-config
    /// and `serve` use this check), not found by the listener after READY=1.
    @Test func anUnusableCertificateOrKeyIsNamedWithItsFile() async throws {
        let (certificate, key) = try await Self.makeCertificate()
        let (_, otherKey) = try await Self.makeCertificate(in: TestScratch.path("tls-other"))
        func check(_ certificate: String, _ key: String) -> String? {
            do throws(AdminSocketError) {
                try AdminServer.checkTLS(
                    .init(host: "127.0.0.1", port: 0, certificateChainPath: certificate, privateKeyPath: key))
                return nil
            } catch {
                return error.description
            }
        }
        #expect(check(certificate, key) == nil)
        #expect(
            check("/nonexistent/cert.pem", key)
                == "admin.tlsCertificate: /nonexistent/cert.pem is not a readable PEM certificate chain")
        #expect(
            check(certificate, "/nonexistent/key.pem")
                == "admin.tlsPrivateKey: /nonexistent/key.pem is not a readable PEM private key")
        #expect(
            check(certificate, otherKey)
                == "admin.tlsPrivateKey: \(otherKey) does not belong to the certificate in \(certificate)")
        // A key given as the certificate: not a certificate.
        #expect(
            check(key, key) == "admin.tlsCertificate: \(key) holds no certificate"
                || check(key, key) == "admin.tlsCertificate: \(key) is not a readable PEM certificate chain")
    }

    /// Sends `text` over TLS, half-closes, and returns everything the server answered.
    static func exchange(
        port: Int, trusting certificate: String, _ text: String,
        _ base: TLSConfiguration = .makeClientConfiguration()
    ) async throws -> String {
        var configuration = base
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certificate))
        let context = try NIOSSLContext(configuration: configuration)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: text))
            var answer = ""
            for try await var chunk in inbound {
                answer += chunk.readString(length: chunk.readableBytes) ?? ""
                if answer.contains("OK bye\n") { break }
            }
            return answer
        }
    }

    /// Issue 17: the TLS listener speaks TLS 1.2 with the BSI's AEAD suites and TLS 1.3; TLS 1.0, 1.1 and
    /// CBC suites are refused at the handshake.
    @Test func onlyTLS12WithStrongSuitesAndTLS13AreAccepted() async throws {
        let (certificate, key) = try await Self.makeCertificate()
        let admin = try await AdminWorld.start { configuration in
            configuration.tls = .init(
                host: "127.0.0.1", port: 0, certificateChainPath: certificate, privateKeyPath: key)
        }
        defer { admin.stop() }
        let port = try #require(admin.ports.tls)
        func handshake(_ adjust: (inout TLSConfiguration) -> Void) async -> Bool {
            var configuration = TLSConfiguration.makeClientConfiguration()
            adjust(&configuration)
            return (try? await Self.exchange(port: port, trusting: certificate, "ping\nquit\n", configuration))?
                .hasPrefix("OK pong") == true
        }
        #expect(await handshake { _ in })
        #expect(
            await handshake {
                $0.maximumTLSVersion = .tlsv12
                $0.cipherSuites = "ECDHE-ECDSA-AES128-GCM-SHA256"
            })
        #expect(
            !(await handshake {
                $0.minimumTLSVersion = .tlsv1
                $0.maximumTLSVersion = .tlsv11
            }))
        #expect(
            !(await handshake {
                $0.maximumTLSVersion = .tlsv12
                $0.cipherSuites = "ECDHE-ECDSA-AES128-SHA"
            }))
    }

    /// Issue 17: plain TCP is only for a loopback address written as one, not a name beginning "127.".
    @Test func onlyLoopbackAddressesCountAsLoopback() {
        for host in ["localhost", "::1", "127.0.0.1", "127.1.2.3"] { #expect(AdminServer.isLoopback(host), "\(host)") }
        for host in ["127.attacker.example", "127.0.0.1.example", "1270.0.0.1", "127.0.0", "0.0.0.0", "127.0.0.256"] {
            #expect(!AdminServer.isLoopback(host), "\(host)")
        }
    }

    @Test func accountsLogInOverTLSAndNeverByPeerCredentials() async throws {
        let (certificate, key) = try await Self.makeCertificate()
        let admin = try await AdminWorld.start(peerAccounts: [getuid(): "it"]) { configuration in
            configuration.tls = .init(
                host: "127.0.0.1", port: 0, certificateChainPath: certificate, privateKeyPath: key)
        }
        defer { admin.stop() }
        let port = try #require(admin.ports.tls)
        // No peer credentials over TCP: the uid mapping of the Unix socket does not apply.
        let anonymous = try await Self.exchange(port: port, trusting: certificate, "whoami\nquit\n")
        #expect(anonymous.hasPrefix("ERR NOT_LOGGED_IN"))
        let answer = try await Self.exchange(
            port: port, trusting: certificate, "login alpha \(admin.tokens["alpha"]!)\nwhoami\nquit\n")
        #expect(answer.contains("OK logged in as alpha role=provider"))
        #expect(answer.contains("OK alpha@\(admin.world.alpha.tenant) role=provider"))
    }

    /// sozialraumctl's TLS connection: verified against the given CA, by IP address or name; a
    /// certificate from elsewhere is refused before anything is sent.
    @Test func theClientsTLSConnectionVerifiesTheDaemon() async throws {
        let (certificate, key) = try await Self.makeCertificate()
        let (stranger, _) = try await Self.makeCertificate()
        let admin = try await AdminWorld.start { configuration in
            configuration.tls = .init(
                host: "127.0.0.1", port: 0, certificateChainPath: certificate, privateKeyPath: key)
        }
        defer { admin.stop() }
        let port = try #require(admin.ports.tls)
        let token = try #require(admin.tokens["alpha"])
        // The client blocks while it waits: on a thread of its own, never on the cooperative pool the
        // server's sessions need.
        let (login, funds, ping, refused) = try await onOwnThread {
            let connection = try TLSConnection(host: "127.0.0.1", port: port, trustRoots: certificate, serverName: nil)
            connection.write("login alpha \(token)\nfunds nord 2026 format=csv\n")
            let login = connection.readReply()?.status
            let funds = connection.readReply()
            let byName = try TLSConnection(
                host: "127.0.0.1", port: port, trustRoots: certificate, serverName: "localhost")
            byName.write("ping\n")
            let ping = byName.readReply()?.status
            var refused: ConnectionError?
            do { _ = try TLSConnection(host: "127.0.0.1", port: port, trustRoots: stranger, serverName: nil) } catch {
                refused = error as? ConnectionError
            }
            return (login, funds, ping, refused)
        }
        #expect(login?.hasPrefix("OK logged in as alpha") == true)
        #expect(funds?.status == "OK nord 2026")
        #expect(funds?.data.first?.hasPrefix("line,") == true)
        #expect(ping?.hasPrefix("OK pong") == true)
        #expect(
            refused?.description.localizedCaseInsensitiveContains("certificate") == true,
            "\(String(describing: refused))")
    }

    /// The tool itself over TLS: flags, or a config file with an owner-only secret file; exit status
    /// 0 for OK, 1 for an error reply, 2 when the daemon cannot be trusted.
    @Test func sozialraumctlConnectsOverTLSFromFlagsOrItsConfigFile() async throws {
        let directory = NSTemporaryDirectory() + "sozialraumctl-tls-\(UUID().uuidString.prefix(8))"
        let (certificate, key) = try await Self.makeCertificate(in: directory)
        let (stranger, _) = try await Self.makeCertificate()
        let admin = try await AdminWorld.start { configuration in
            configuration.tls = .init(
                host: "127.0.0.1", port: 0, certificateChainPath: certificate, privateKeyPath: key)
        }
        defer { admin.stop() }
        let port = try #require(admin.ports.tls)
        func run(_ arguments: [String], secret: String? = nil) async throws -> (status: Int32, output: [String]) {
            var environment = ProcessInfo.processInfo.environment
            environment["SOZIALRAUM_SECRET"] = secret
            environment["HOME"] = directory
            let process = try Subprocess([Subprocess.binary("sozialraumctl")] + arguments, environment: environment)
            var output: [String] = []
            for await line in process.lines { output.append(line) }
            return (await process.exitStatus(), output)
        }
        var result = try await run(
            ["--host", "127.0.0.1:\(port)", "--ca", certificate, "--login", "alpha", "whoami"],
            secret: admin.tokens["alpha"])
        #expect(result.status == 0)
        #expect(
            result.output.contains { $0.hasPrefix("OK alpha@") && $0.hasSuffix("role=provider") }, "\(result.output)")
        result = try await run(
            ["--host", "127.0.0.1:\(port)", "--ca", certificate, "--login", "alpha", "funds", "nowhere", "2026"],
            secret: admin.tokens["alpha"])
        #expect(result.status == 1)
        result = try await run(["--host", "127.0.0.1:\(port)", "--ca", stranger, "ping"])
        #expect(result.status == 2)
        #expect(
            result.output.contains { $0.contains("keine Verbindung zu 127.0.0.1:\(port) über TLS") }, "\(result.output)"
        )
        // From the config file: host, CA, account, secret file (refused while others can read it).
        let secretFile = directory + "/secret", configFile = directory + "/ctl.conf"
        try admin.tokens["beta"]!.write(toFile: secretFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: secretFile)
        try "host = 127.0.0.1:\(port)\nca = \(certificate)\naccount = beta\nsecret-file = \(secretFile)\nformat = csv\n"
            .write(toFile: configFile, atomically: true, encoding: .utf8)
        result = try await run(["--config", configFile, "whoami"])
        #expect(result.status == 2 && result.output.contains { $0.contains("chmod 600") }, "\(result.output)")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secretFile)
        result = try await run(["--config", configFile, "whoami"])
        #expect(result.status == 0 && result.output.contains { $0.hasPrefix("OK beta@") }, "\(result.output)")
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A reload reads renewed certificates for new connections; unusable files are refused and the
    /// current certificate keeps serving.
    @Test func renewedCertificatesAreReloadedAndBrokenOnesRefused() async throws {
        let directory = TestScratch.path("tls")
        let (certificate, key) = try await Self.makeCertificate(in: directory)
        let old = directory + "/old.pem"
        try FileManager.default.copyItem(atPath: certificate, toPath: old)
        let admin = try await AdminWorld.start { configuration in
            configuration.tls = .init(
                host: "127.0.0.1", port: 0, certificateChainPath: certificate, privateKeyPath: key)
        }
        defer { admin.stop() }
        let port = try #require(admin.ports.tls)
        #expect(try await Self.exchange(port: port, trusting: old, "ping\nquit\n").hasPrefix("OK pong"))
        // Renewed in place (same paths, new key pair), then reloaded.
        _ = try await Self.makeCertificate(in: directory)
        try admin.server.reloadTLS()
        #expect(try await Self.exchange(port: port, trusting: certificate, "ping\nquit\n").hasPrefix("OK pong"))
        await #expect(throws: (any Error).self, "the old certificate is no longer presented") {
            _ = try await Self.exchange(port: port, trusting: old, "ping\nquit\n")
        }
        // A broken key: refused, the renewed certificate stays.
        try "not a key".write(toFile: key, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try admin.server.reloadTLS() }
        #expect(try await Self.exchange(port: port, trusting: certificate, "ping\nquit\n").hasPrefix("OK pong"))
    }

    @Test func plainTCPIsOnlyForLoopback() async throws {
        let admin = try await AdminWorld.start { configuration in configuration.plainTCP = ("127.0.0.1", 0) }
        defer { admin.stop() }
        #expect(admin.ports.plainTCP != nil)
        let world = try await BudgetWorld.make()
        var configuration = AdminSocketConfiguration(
            unixSocketPath: TestScratch.path("x", suffix: ".sock"))
        configuration.plainTCP = ("0.0.0.0", 0)
        let server = AdminServer(
            configuration: configuration,
            services: UseCases(
                store: world.store, logger: .init(label: "t"), today: { BudgetWorld.today },
                accounts: .init(store: world.store, logger: .init(label: "t"), scryptRounds: 1024)),
            logger: .init(label: "t"))
        await #expect(throws: AdminSocketError.self) { try await server.run() }
    }
}

/// sozialraumctl on a real terminal (a pseudo-terminal): the prompt, line editing and the history.
@Suite struct InteractiveCtlTests {
    /// A pseudo-terminal pair: the test holds the master, the tool gets the slave as stdin and stdout.
    struct Terminal {
        let master: Int32
        let slave: Int32
        /// Output read past the text the last `read(until:)` waited for: the next one starts there.
        private let unread = Locked("")

        /// Linux's /dev/ptmx; Swift's Glibc module does not export posix_openpt, so the two ioctls
        /// (unlock, number) are spelled out: TIOCSPTLCK = _IOW('T', 0x31, int), TIOCGPTN = _IOR('T', 0x30, uint).
        init() throws {
            master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
            var unlock: CInt = 0, number: CInt = 0
            guard master >= 0, ioctl(master, UInt(0x4004_5431), &unlock) == 0,
                ioctl(master, UInt(0x8004_5430), &number) == 0
            else {
                throw POSIXError(.ENOTTY)
            }
            slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
            guard slave >= 0, isatty(slave) == 1 else { throw POSIXError(.ENOTTY) }
        }

        func type(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) } }

        /// Reads what the tool draws until `text` has appeared (or the terminal closes), returning
        /// the output up to and including it; on a thread of its own, as reads block.
        func read(until text: String) async -> String {
            let master = self.master
            let earlier = unread.withLock { value in
                let taken = value
                value = ""
                return taken
            }
            let seen: String = await withCheckedContinuation { continuation in
                Thread {
                    var seen = earlier
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    var poll = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                    // The poll timeout only guards against a hung tool; every wake-up reads output.
                    while !seen.contains(text), Glibc.poll(&poll, 1, 20_000) > 0 {
                        let count = Glibc.read(master, &buffer, buffer.count)
                        if count <= 0 { break }
                        seen += String(decoding: buffer[0..<count], as: UTF8.self)
                    }
                    continuation.resume(returning: seen)
                }.start()
            }
            guard let match = seen.range(of: text) else { return seen }
            unread.withLock { $0 = String(seen[match.upperBound...]) }
            return String(seen[..<match.upperBound])
        }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/pts/ptmx"), "needs pseudo-terminals (devpts)"))
    func theInteractivePromptEditsLinesAndRemembersThem() async throws {
        let admin = try await AdminWorld.start(peerAccounts: [getuid(): "kaemmerei"])
        defer { admin.stop() }
        let home = NSTemporaryDirectory() + "sozialraumctl-pty-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        let terminal = try Terminal()
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home
        environment["XDG_STATE_HOME"] = nil
        environment["XDG_CONFIG_HOME"] = nil
        let tool = try Subprocess(
            [Subprocess.binary("sozialraumctl"), "--socket", admin.path], environment: environment,
            descriptors: [0: terminal.slave, 1: terminal.slave], deadline: .seconds(60))
        close(terminal.slave)
        var statuses = tool.lines.makeAsyncIterator()
        let tenant = String(admin.world.county.tenant.uuid.uuidString.lowercased().prefix(8))
        let prompt = "kaemmerei@\(tenant)> "
        #expect(await terminal.read(until: prompt).contains(prompt))
        // "pign", ← , Backspace (drops the g), Ctrl-E, "g": the line sent is "ping". Typed ahead in the
        // same write: ↑ brings "ping" back, Enter sends it again; type-ahead survives the switch out of
        // raw mode while the first reply prints (it was flushed once, and the tool waited forever).
        terminal.type(
            Array("pign".utf8) + [0x1b, 0x5b, 0x44, 0x7f, 0x05] + Array("g\r".utf8) + [0x1b, 0x5b, 0x41, 0x0d])
        #expect(await statuses.next() == "OK pong")
        #expect(await statuses.next() == "OK pong")
        // A table reply is drawn on the terminal.
        terminal.type(Array("funds nord 2026\r".utf8))
        let drawn = await terminal.read(until: "structure")
        #expect(drawn.contains("line") && drawn.contains("appropriation"))
        #expect(await statuses.next() == "OK nord 2026")
        // At the next prompt (raw mode again), Ctrl-D ends the session.
        #expect(await terminal.read(until: prompt).contains(prompt))
        terminal.type([0x04])
        #expect(await tool.exitStatus() == 0)
        close(terminal.master)
        let history = try String(contentsOfFile: home + "/.local/state/sozialraum/history", encoding: .utf8)
        #expect(history == "ping\nfunds nord 2026\n")
    }
}
