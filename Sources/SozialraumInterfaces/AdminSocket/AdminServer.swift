import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresClient
import ServiceLifecycle
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices
import SozialraumStore

/// Limits of the admin socket. Defaults suit an office: generous for people, tight for floods.
public struct AdminLimits: Sendable {
    public var maximumLineBytes = 64 * 1024
    public var maximumUploadBytes = 256 * 1024 * 1024
    public var maximumSessions = 256
    public var maximumSessionsPerAccount = 32
    public var loginTimeout: Duration = .seconds(30)
    public var idleTimeout: Duration = .seconds(900)
    public init() {}
}

/// Where the admin socket listens and who a Unix peer is.
public struct AdminSocketConfiguration: Sendable {
    public var unixSocketPath: String
    /// Unix socket mode; the group is set by `unixSocketGroup` when given.
    public var unixSocketMode: mode_t = 0o660
    public var unixSocketGroup: String?
    /// Peer uid → account name: such a peer is logged in without a secret.
    public var peerAccounts: [UInt32: String] = [:]
    public var limits = AdminLimits()

    public init(unixSocketPath: String) {
        self.unixSocketPath = unixSocketPath
    }
}

/// Open sessions, for limits and `sessions`.
public actor SessionRegistry {
    struct Entry { var account: String?; var source: String; var since: Date }
    private var entries: [String: Entry] = [:]
    private var counter = 0

    public init() {}

    var count: Int { entries.count }

    func open(source: String, limit: Int) -> String? {
        guard entries.count < limit else { return nil }
        counter += 1
        let id = "s\(counter)"
        entries[id] = Entry(account: nil, source: source, since: Date())
        return id
    }

    func authenticated(_ id: String, account: String, perAccountLimit: Int) -> Bool {
        guard entries.values.filter({ $0.account == account }).count < perAccountLimit else { return false }
        entries[id]?.account = account
        return true
    }

    func close(_ id: String) { entries[id] = nil }

    func list() -> [(id: String, account: String?, source: String, since: String)] {
        entries.sorted { $0.key < $1.key }.map { ($0.key, $0.value.account, $0.value.source, ISO8601DateFormatter().string(from: $0.value.since)) }
    }
}

/// The admin socket as a service of the daemon's `ServiceGroup`.
public struct AdminServer: Service {
    let configuration: AdminSocketConfiguration
    let commands: AdminCommands
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    /// Called once the socket accepts connections (tests, readiness).
    let onListening: @Sendable () -> Void

    public init(
        configuration: AdminSocketConfiguration, budget: BudgetService, accounts: AccountService, status: SystemStatusService, store: Store,
        logger: Logger, group: MultiThreadedEventLoopGroup = .singleton, onListening: @escaping @Sendable () -> Void = {}
    ) {
        self.configuration = configuration
        self.commands = AdminCommands(
            budget: budget, accounts: accounts, status: status, sessions: SessionRegistry(), store: store, logger: logger)
        self.logger = logger
        self.group = group
        self.onListening = onListening
    }

    typealias Connection = (channel: NIOAsyncChannel<InboundLine, ByteBuffer>, peerUID: UInt32?)

    public func run() async throws {
        let limits = configuration.limits
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            // A client that half-closes after its last request still gets its replies.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .bind(unixDomainSocketPath: configuration.unixSocketPath, cleanupExistingSocketFile: true) { channel in
                channel.eventLoop.makeCompletedFuture { () -> NIOAsyncChannel<InboundLine, ByteBuffer> in
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maximumLength: limits.maximumLineBytes)))
                    try channel.pipeline.syncOperations.addHandler(
                        RequestTimeoutHandler(loginTimeout: .init(limits.loginTimeout), idleTimeout: .init(limits.idleTimeout)))
                    return try NIOAsyncChannel(wrappingChannelSynchronously: channel)
                }.flatMap { asyncChannel in
                    Self.peerUID(channel).map { uid in (asyncChannel, uid) }
                }
            }
        try applyPermissions()
        logger.info("admin socket listening", metadata: ["path": "\(configuration.unixSocketPath)"])
        onListening()
        try await withGracefulShutdownHandler {
            try await server.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { tasks in
                    for try await connection in inbound {
                        tasks.addTask { await self.serve(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            // Closing the listener ends the accept loop; sessions finish their current request.
            server.channel.close(promise: nil)
        }
        try? FileManager.default.removeItem(atPath: configuration.unixSocketPath)
    }

    private func applyPermissions() throws {
        guard chmod(configuration.unixSocketPath, configuration.unixSocketMode) == 0 else {
            throw AdminSocketError(description: "cannot set the mode of \(configuration.unixSocketPath)")
        }
        if let groupName = configuration.unixSocketGroup {
            guard let group = getgrnam(groupName) else { throw AdminSocketError(description: "unknown group \(groupName)") }
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
        guard let provider = channel as? any SocketOptionProvider else { return channel.eventLoop.makeSucceededFuture(nil) }
        let future: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(level: .socket, name: .init(rawValue: 17))
        return future.map { Optional($0.uid) }.recover { _ in nil }
    }

    func serve(_ connection: Connection) async {
        let source = connection.peerUID.map { "uid:\($0)" } ?? "unix"
        guard let sessionID = await commands.sessions.open(source: source, limit: configuration.limits.maximumSessions) else {
            logger.notice("admin session refused: too many sessions", metadata: ["source": "\(source)"])
            try? await connection.channel.executeThenClose { _, outbound in
                try await outbound.write(ByteBuffer(string: Reply.error(.busy, "too many sessions; try again later").encoded))
            }
            return
        }
        var session = AdminSession(
            state: SessionState(id: sessionID, source: source), commands: commands, limits: configuration.limits, logger: logger)
        do {
            try await connection.channel.executeThenClose { inbound, outbound in
                if let uid = connection.peerUID, let name = configuration.peerAccounts[uid] {
                    if let account = try await commands.accounts.account(named: name) {
                        await session.authenticate(account, channel: connection.channel.channel)
                    }
                }
                try await session.run(inbound: inbound, outbound: outbound, channel: connection.channel.channel)
            }
        } catch {
            logger.debug("admin session ended with an error", metadata: ["session": "\(sessionID)", "error": "\(type(of: error))"])
        }
        await commands.sessions.close(sessionID)
    }
}

public struct AdminSocketError: Error, CustomStringConvertible, Sendable {
    public var description: String
}
