import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices
import Synchronization

/// What county IT may ask of the daemon process over the socket; the composition supplies it.
public struct AdminOperations: Sendable {
    /// Reload the configuration as on SIGHUP.
    public var reload: @Sendable () -> Void
    /// Change the log threshold until the next reload or restart.
    public var setLogLevel: @Sendable (Logger.Level) -> Void

    public init(reload: @escaping @Sendable () -> Void, setLogLevel: @escaping @Sendable (Logger.Level) -> Void) {
        self.reload = reload
        self.setLogLevel = setLogLevel
    }

    /// Without a daemon around (tests of other parts): both do nothing.
    public static let none = AdminOperations(reload: {}, setLogLevel: { _ in })
}

/// Settings a reload changes for connections accepted afterwards.
final class LiveAdminSettings: Sendable {
    let value: Mutex<(peerAccounts: [UInt32: String], limits: AdminLimits)>
    /// Open session channels, so that a shutdown can end them (see `endSessions`).
    let sessions = Mutex<[ObjectIdentifier: any Channel]>([:])
    /// The TLS context for new connections; a reload replaces it (new certificates), sessions keep theirs.
    let tls = Mutex<NIOSSLContext?>(nil)
    init(peerAccounts: [UInt32: String], limits: AdminLimits) { value = Mutex((peerAccounts, limits)) }

    /// Ends every session after its current request: closing a connection's input ends its request
    /// loop once the reply in progress is written; where a channel cannot half-close (TLS), it closes.
    func endSessions() {
        for channel in sessions.withLock({ Array($0.values) }) {
            channel.close(mode: .input).whenFailure { _ in channel.close(promise: nil) }
        }
    }
}

/// The admin socket as a service of the daemon's `ServiceGroup`.
public struct AdminServer: Service {
    let configuration: AdminSocketConfiguration
    /// What a reload may change for new connections: peer accounts and limits.
    let live: LiveAdminSettings
    let commands: AdminCommands
    /// The bound on delivery imports running at once, for the portal to share.
    public var imports: ConcurrencyLimit { commands.imports }
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    /// Called once every listener accepts connections (tests, readiness), with the bound TCP ports.
    let onListening: @Sendable (BoundPorts) -> Void

    public struct BoundPorts: Sendable {
        public var tls: Int?
        public var plainTCP: Int?
        public init(tls: Int? = nil, plainTCP: Int? = nil) {
            self.tls = tls
            self.plainTCP = plainTCP
        }
    }

    public init(
        configuration: AdminSocketConfiguration, services: UseCases, operations: AdminOperations = .none,
        metrics: DaemonMetrics = DaemonMetrics(), logger: Logger,
        group: MultiThreadedEventLoopGroup = .singleton,
        onListening: @escaping @Sendable (BoundPorts) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.live = LiveAdminSettings(peerAccounts: configuration.peerAccounts, limits: configuration.limits)
        var commands = AdminCommands(
            budget: services.budget, grants: services.grants, payments: services.payments,
            reconciliation: services.reconciliation, yearEnd: services.yearEnd, accounts: services.accounts,
            status: services.status, jobs: services.jobs, migration: services.migration,
            paymentOrders: services.paymentOrders, accessLog: services.accessLog, erasure: services.erasure,
            restriction: services.restriction, auskunft: services.auskunft,
            sessions: SessionRegistry(),
            logger: logger, operations: operations, metrics: metrics,
            uploadBudget: UploadBudget(limit: configuration.limits.maximumUploadBytesInFlight),
            imports: ConcurrencyLimit(limit: configuration.limits.maximumConcurrentImports))
        commands.reportMinimumGroup = configuration.reportMinimumGroup
        self.commands = commands
        self.logger = logger
        self.group = group
        self.onListening = onListening
    }

    typealias Connection = (channel: NIOAsyncChannel<InboundLine, ByteBuffer>, peerUID: UInt32?)

    typealias Listener = NIOAsyncChannel<Connection, Never>

    /// The per-connection pipeline: TLS (when given), line framing, request timeouts, async channel.
    private func initializer(tls useTLS: Bool, unix: Bool) -> @Sendable (any Channel) -> EventLoopFuture<Connection> {
        let live = self.live
        return { channel in
            let limits = live.value.withLock { $0.limits }
            let tls = useTLS ? live.tls.withLock { $0 } : nil
            return channel.eventLoop.makeCompletedFuture {
                try Self.sessionChannel(channel, tls: tls, limits: limits)
            }.flatMap { asyncChannel in
                unix
                    ? Self.peerUID(channel).map { uid in (asyncChannel, uid) }
                    : channel.eventLoop.makeSucceededFuture((asyncChannel, nil))
            }
        }
    }

    /// Sets up a session's pipeline on `channel` (on its event loop): TLS when given, line framing,
    /// request timeouts. The in-process session tests use it on an in-memory channel.
    static func sessionChannel(
        _ channel: any Channel, tls: NIOSSLContext?, limits: AdminLimits
    ) throws -> NIOAsyncChannel<InboundLine, ByteBuffer> {
        if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(LineFrameDecoder(maximumLength: limits.maximumLineBytes)))
        try channel.pipeline.syncOperations.addHandler(
            RequestTimeoutHandler(loginTimeout: .init(limits.loginTimeout), idleTimeout: .init(limits.idleTimeout)))
        return try NIOAsyncChannel(wrappingChannelSynchronously: channel)
    }

    private func bootstrap() -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // A client that half-closes after its last request still gets its replies.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
    }

    /// TLS 1.2 suites the BSI recommends (TR-02102-2, 2024: forward secrecy with ECDHE, AEAD only), for
    /// RSA and ECDSA certificates. TLS 1.3 suites are BoringSSL's fixed set (AES-GCM and ChaCha20-Poly1305,
    /// all AEAD with forward secrecy).
    static let tls12CipherSuites = [
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256",
    ].joined(separator: ":")

    /// The TLS context of the listener's certificate and key; an error names the file that is unusable.
    static func tlsContext(
        _ tls: AdminSocketConfiguration.TLSListener, setting: String = "admin"
    ) throws(AdminSocketError) -> NIOSSLContext {
        let configuration = try serverTLSConfiguration(tls, setting: setting)
        do { return try NIOSSLContext(configuration: configuration) } catch {
            throw AdminSocketError(
                description:
                    "\(setting).tlsPrivateKey: \(tls.privateKeyPath) does not belong to the certificate in \(tls.certificateChainPath)"
            )
        }
    }

    /// A server's TLS configuration from the listener's PEM files, TLS 1.2 at least with the suites of BSI
    /// TR-02102-2 (the admin socket's, and the portal's when it serves TLS itself); an error names the setting
    /// (`<setting>.tlsCertificate`, `<setting>.tlsPrivateKey`) and the file that is unusable.
    public static func serverTLSConfiguration(
        _ tls: AdminSocketConfiguration.TLSListener, setting: String = "admin"
    ) throws(AdminSocketError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(tls.certificateChainPath) } catch {
            throw AdminSocketError(
                description:
                    "\(setting).tlsCertificate: \(tls.certificateChainPath) is not a readable PEM certificate chain")
        }
        guard !chain.isEmpty else {
            throw AdminSocketError(
                description: "\(setting).tlsCertificate: \(tls.certificateChainPath) holds no certificate")
        }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem) } catch {
            throw AdminSocketError(
                description: "\(setting).tlsPrivateKey: \(tls.privateKeyPath) is not a readable PEM private key")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        // TLS 1.0 and 1.1 are refused (BSI TR-02102-2: TLS 1.2 at least).
        configuration.minimumTLSVersion = .tlsv12
        configuration.cipherSuites = tls12CipherSuites
        if let authorityPath = tls.clientAuthorityPath {
            let authorities = (try? NIOSSLCertificate.fromPEMFile(authorityPath)) ?? []
            guard !authorities.isEmpty else {
                throw AdminSocketError(
                    description: "\(setting).clientCA: \(authorityPath) is not a readable PEM certificate")
            }
            // A certificate shown is verified against these; none shown is let through (the login decides).
            configuration.trustRoots = .certificates(authorities)
            configuration.certificateVerification = .optionalVerification
        }
        return configuration
    }

    /// Whether the listener's certificate and key can be used (check-config, and the start before READY=1).
    public static func checkTLS(
        _ tls: AdminSocketConfiguration.TLSListener, setting: String = "admin"
    ) throws(AdminSocketError) {
        _ = try tlsContext(tls, setting: setting)
    }

    /// Reads the TLS certificate and key again (renewed certificates) for connections from now on.
    /// Throws, and keeps the current ones, when the files are not a usable pair.
    public func reloadTLS() throws {
        guard let tls = configuration.tls else { return }
        let context = try Self.tlsContext(tls)
        live.tls.withLock { $0 = context }
    }

    /// Applies reloaded settings to connections accepted from now on; sessions stay as they are.
    public func reload(peerAccounts: [UInt32: String], limits: AdminLimits) {
        live.value.withLock { $0 = (peerAccounts, limits) }
    }

    public func run() async throws {
        var listeners: [(name: String, channel: Listener)] = []
        var ports = BoundPorts()
        if let activated = configuration.activatedUnixSocket {
            let listener: Listener = try await bootstrap().bind(
                activated, childChannelInitializer: initializer(tls: false, unix: true))
            // An adopted socket becomes active while it registers, before anything asked to read:
            // ask once, or no connection would ever be accepted.
            listener.channel.read()
            listeners.append(("unix", listener))
            logger.info("admin socket listening (passed by systemd)", metadata: ["descriptor": "\(activated)"])
        } else {
            listeners.append(
                (
                    "unix",
                    try await bootstrap().bind(
                        unixDomainSocketPath: configuration.unixSocketPath, cleanupExistingSocketFile: true,
                        childChannelInitializer: initializer(tls: false, unix: true))
                ))
            try applyPermissions()
            logger.info("admin socket listening", metadata: ["path": "\(configuration.unixSocketPath)"])
        }
        if let tls = configuration.tls {
            let context = try Self.tlsContext(tls)
            live.tls.withLock { $0 = context }
            let listener: Listener = try await bootstrap().bind(
                host: tls.host, port: tls.port, childChannelInitializer: initializer(tls: true, unix: false))
            ports.tls = listener.channel.localAddress?.port
            listeners.append(("tls", listener))
            logger.info("admin TLS listening", metadata: ["host": "\(tls.host)", "port": "\(ports.tls ?? 0)"])
        }
        if let plain = configuration.plainTCP {
            guard Self.isLoopback(plain.host) else {
                throw AdminSocketError(
                    description: "plain TCP is for development on a loopback address only, not \(plain.host)")
            }
            let listener: Listener = try await bootstrap().bind(
                host: plain.host, port: plain.port, childChannelInitializer: initializer(tls: false, unix: false))
            ports.plainTCP = listener.channel.localAddress?.port
            listeners.append(("tcp", listener))
            logger.warning("admin plain TCP listening (development only)", metadata: ["port": "\(ports.plainTCP ?? 0)"])
        }
        onListening(ports)
        let allListeners = listeners
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                for listener in allListeners {
                    group.addTask {
                        try await listener.channel.executeThenClose { inbound in
                            try await withThrowingDiscardingTaskGroup { sessions in
                                for try await connection in inbound {
                                    sessions.addTask { await self.serve(connection, via: listener.name) }
                                }
                            }
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            // Closing the listeners ends the accept loops; sessions finish their current request, and
            // idle ones end at once: a client that keeps its connection open cannot hold up a stop.
            for listener in allListeners { listener.channel.channel.close(promise: nil) }
            self.live.endSessions()
        }
        if configuration.activatedUnixSocket == nil {
            try? FileManager.default.removeItem(atPath: configuration.unixSocketPath)
        }
    }

    /// `localhost`, `::1` or an IPv4 address in 127.0.0.0/8, written as one (not a name that starts
    /// with "127.").
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127"
            && parts.allSatisfy { part in
                !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber)
                    && Int(part).map { $0 <= 255 } == true
            }
    }

    private func applyPermissions() throws {
        guard chmod(configuration.unixSocketPath, configuration.unixSocketMode) == 0 else {
            throw AdminSocketError(description: "cannot set the mode of \(configuration.unixSocketPath)")
        }
        if let groupName = configuration.unixSocketGroup {
            guard let group = getgrnam(groupName) else {
                throw AdminSocketError(description: "unknown group \(groupName)")
            }
            guard chown(configuration.unixSocketPath, uid_t.max, group.pointee.gr_gid) == 0 else {
                throw AdminSocketError(description: "cannot give \(configuration.unixSocketPath) to group \(groupName)")
            }
        }
    }

    /// Linux's `struct ucred`, which Glibc only declares under _GNU_SOURCE.
    struct PeerCredentials: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// SO_PEERCRED (17 on Linux): the uid of the process at the other end of a Unix socket.
    static func peerUID(_ channel: any Channel) -> EventLoopFuture<UInt32?> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeSucceededFuture(nil)
        }
        let future: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
            level: .socket, name: .init(rawValue: 17))
        return future.map { Optional($0.uid) }.recover { _ in nil }
    }

    func serve(_ connection: Connection, via listener: String) async {
        let source =
            connection.peerUID.map { "uid:\($0)" }
            ?? connection.channel.channel.remoteAddress.map { "\(listener):\($0.ipAddress ?? "?")" } ?? listener
        let (peerAccounts, limits) = live.value.withLock { ($0.peerAccounts, $0.limits) }
        guard
            let sessionID = await commands.sessions.open(
                source: source, networkListener: listener == "unix" ? nil : listener, limits: limits)
        else {
            logger.notice("admin session refused: too many sessions", metadata: ["source": "\(source)"])
            try? await connection.channel.executeThenClose { _, outbound in
                try await outbound.write(
                    ByteBuffer(
                        string: Reply.error(.busy, AdminText.tooManySessions, configuration.language).encoded))
            }
            return
        }
        var session = AdminSession(
            state: SessionState(id: sessionID, source: source, defaultLanguage: configuration.language),
            commands: commands, limits: limits, logger: logger)
        let channel = connection.channel.channel
        live.sessions.withLock { $0[ObjectIdentifier(channel)] = channel }
        defer { live.sessions.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(channel)) } }
        if Task.isShuttingDownGracefully { live.endSessions() }
        do {
            try await connection.channel.executeThenClose { inbound, outbound in
                if let uid = connection.peerUID, let name = peerAccounts[uid] {
                    do {
                        if let account = try await commands.accounts.account(named: name) {
                            await session.authenticate(account, channel: connection.channel.channel)
                        }
                    } catch {
                        // The database is away: the session still answers (status, ping, UNAVAILABLE).
                        session.pendingPeerAccount = name
                        logger.warning(
                            "admin session: peer account not looked up (database unavailable)",
                            metadata: ["session": "\(sessionID)"])
                    }
                }
                try await session.run(inbound: inbound, outbound: outbound, channel: connection.channel.channel)
            }
        } catch {
            logger.debug(
                "admin session ended with an error",
                metadata: ["session": "\(sessionID)", "error": "\(type(of: error))"])
        }
        await commands.sessions.close(sessionID)
    }
}

public struct AdminSocketError: Error, CustomStringConvertible, Sendable {
    public var description: String
}
