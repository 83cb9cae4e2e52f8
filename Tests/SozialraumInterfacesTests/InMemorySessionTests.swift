import Foundation
import Logging
import NIOCore
import NIOEmbedded
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Synchronization
import Testing

@testable import SozialraumInterfaces

/// One admin session over an in-memory channel, with the server's own pipeline (line framing, request
/// timeouts) and its own session loop (`AdminServer.serve`): no socket, and a clock that moves only when
/// the test moves it, so that timeouts are tested without waiting for them.
struct InMemorySession {
    let channel: NIOAsyncTestingChannel
    private let served: Task<Void, Never>

    /// A session on `server` as its Unix listener would open it for a peer with `peerUID`.
    static func open(on server: AdminServer, peerUID: UInt32? = nil) async throws -> InMemorySession {
        let channel = NIOAsyncTestingChannel()
        let limits = server.live.value.withLock { $0.limits }
        let sessionChannel = try await channel.testingEventLoop.executeInContext {
            try AdminServer.sessionChannel(channel, tls: nil, limits: limits)
        }
        // Active as an accepted connection is: the login timeout starts now (at time zero of the loop).
        try await channel.connect(to: SocketAddress(unixDomainSocketPath: "/in-memory"))
        let served = Task { await server.serve((sessionChannel, peerUID), via: "unix") }
        return InMemorySession(channel: channel, served: served)
    }

    /// A server whose database is not there: for what a session does without one.
    static func serverWithoutDatabase(limits: AdminLimits = AdminLimits()) -> AdminServer {
        let logger = Logger(label: "test.in-memory")
        let store = Store(
            conninfo: "host=/nonexistent-sozialraum port=1 dbname=none user=none connect_timeout=1",
            maxConnections: 1, acquireTimeout: .seconds(1), logger: logger)
        var configuration = AdminSocketConfiguration(unixSocketPath: "/nonexistent-sozialraum/admin.sock")
        configuration.limits = limits
        return AdminServer(
            configuration: configuration,
            services: UseCases(store: store, logger: logger, today: { BudgetWorld.today }), logger: logger)
    }

    func send(_ text: String) async throws {
        try await channel.writeInbound(ByteBuffer(string: text))
    }

    func send(bytes: [UInt8]) async throws {
        try await channel.writeInbound(ByteBuffer(bytes: bytes))
    }

    /// The next reply the session writes (it writes each reply at once): its data lines and status line.
    func reply() async throws -> (data: [String], status: String) {
        let written = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        var lines = String(buffer: written).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.last == "", "a reply ends with a line break")
        lines.removeLast()
        let status = lines.removeLast()
        return (lines.map { String($0.dropFirst(2)) }, status)
    }

    func request(_ line: String) async throws -> (data: [String], status: String) {
        try await send(line + "\n")
        return try await reply()
    }

    /// Moves the session's clock on, firing the timers that fall due.
    func advance(by duration: Duration) async {
        await channel.testingEventLoop.advanceTime(by: TimeAmount(duration))
    }

    /// Waits for the session loop to end; then whether the connection is closed and nothing more was written.
    func ended() async throws -> Bool {
        await served.value
        let unread = try await channel.readOutbound(as: ByteBuffer.self)
        return !channel.isActive && unread == nil
    }
}

/// Issue 34: the session's behaviour where a real socket adds nothing (framing, parsing, admission,
/// timeouts), in process. What needs the socket (peer credentials, TLS, backpressure, half-close,
/// listeners and their limits) stays in `AdminProtocolTests`.
@Suite(.timeLimit(.minutes(2))) struct InMemorySessionTests {
    @Test func beforeLoginOnlySessionCommandsAreOffered() async throws {
        let session = try await InMemorySession.open(on: InMemorySession.serverWithoutDatabase())
        let help = try await session.request("help")
        // Before login: the commands that need none.
        let open = AdminCommands.all.filter { $0.roles == nil }
        #expect(!open.isEmpty)
        #expect(help.status == "OK \(open.count) commands")
        #expect(help.data == open.map { "\($0.usage)  -- \($0.summary)" })
        #expect(
            try await session.request("funds nord 2026").status
                == "ERR NOT_LOGGED_IN log in first (login <name> <secret>)")
        #expect(
            try await session.request("frobnicate").status == "ERR UNKNOWN_COMMAND unknown command frobnicate; try help"
        )
    }

    @Test func hostileLinesAreAnsweredAndTheSessionGoesOn() async throws {
        var limits = AdminLimits()
        limits.maximumLineBytes = 1024
        let session = try await InMemorySession.open(on: InMemorySession.serverWithoutDatabase(limits: limits))
        try await session.send(String(repeating: "x", count: 100_000) + "\n")
        #expect(try await session.reply().status == "ERR TOO_LONG line longer than 1024 bytes")
        try await session.send(bytes: Array("ping".utf8) + [0x00, 0x0a])
        #expect(try await session.reply().status == "ERR BAD_REQUEST control characters are not allowed")
        try await session.send(bytes: Array("ping ".utf8) + [0xff, 0xfe, 0x0a])
        #expect(try await session.reply().status == "ERR BAD_REQUEST not UTF-8")
        #expect(try await session.request(#"help "unterminated"#).status == "ERR BAD_REQUEST unterminated quote")
        #expect(try await session.request("ping").status == "OK pong")
    }

    /// Tags pair pipelined requests with their replies, in order, also for refusals.
    @Test func tagsComeBackOnEveryKindOfReply() async throws {
        let session = try await InMemorySession.open(on: InMemorySession.serverWithoutDatabase())
        try await session.send("@a ping\n@b funds nord 2026\n@c frobnicate\n@d help ping\n")
        #expect(try await session.reply().status == "OK @a pong")
        #expect(try await session.reply().status == "ERR NOT_LOGGED_IN @b log in first (login <name> <secret>)")
        #expect(try await session.reply().status == "ERR UNKNOWN_COMMAND @c unknown command frobnicate; try help")
        let help = try await session.reply()
        #expect(help.status.hasPrefix("OK @d "))
        #expect(help.data == ["ping"])
    }

    /// Issue 17: a stranger's upload is never read: the connection ends before the block.
    @Test func aStrangersUploadEndsTheConnectionUnread() async throws {
        let session = try await InMemorySession.open(on: InMemorySession.serverWithoutDatabase())
        try await session.send("nosuchcommand <<\n" + String(repeating: "x", count: 1000) + "\n")
        #expect(try await session.reply().status == "ERR NOT_LOGGED_IN log in before uploading; closing")
        #expect(try await session.ended())
    }

    /// Issue 17: a connection that never logs in is closed at the login timeout, however often it sends
    /// (it used to keep its session slot by sending `ping` now and then).
    @Test func aStrangerIsClosedAtTheLoginTimeoutWhateverItSends() async throws {
        // The default login timeout: 30 s.
        let session = try await InMemorySession.open(on: InMemorySession.serverWithoutDatabase())
        #expect(try await session.request("ping").status == "OK pong")
        await session.advance(by: .seconds(29))
        #expect(try await session.request("ping").status == "OK pong")
        // 29 s + 1 s = 30 s after the connection began, whatever came in between.
        await session.advance(by: .seconds(1))
        #expect(try await session.reply().status == "ERR UNAVAILABLE timeout; closing")
        #expect(try await session.ended())
    }

    /// A client that sends a line byte by byte (never completing it) is cut off at the timeout: only
    /// complete lines count.
    @Test func aTricklingClientIsCutOffAtTheLoginTimeout() async throws {
        let session = try await InMemorySession.open(on: InMemorySession.serverWithoutDatabase())
        for byte in "pin".utf8 {
            try await session.send(bytes: [byte])
            await session.advance(by: .seconds(10))
        }
        // 3 × 10 s = 30 s: the login timeout, with the line still incomplete.
        #expect(try await session.reply().status == "ERR UNAVAILABLE timeout; closing")
        #expect(try await session.ended())
    }

    /// The login timeout is for sessions that are not logged in: one logged in (by its peer's uid, so
    /// that no login's duration counts) outlives it; each request restarts its idle timeout, and a
    /// session idle for that long is closed.
    @Test func aLoggedInSessionOutlivesTheLoginTimeoutUntilItIsIdle() async throws {
        let peer: UInt32 = 4242
        let admin = try await AdminWorld.start(peerAccounts: [peer: "kaemmerei"])
        defer { admin.stop() }
        let session = try await InMemorySession.open(on: admin.server, peerUID: peer)
        // Answered after the peer's account was looked up: the session is logged in from here.
        #expect(try await session.request("whoami").status == "OK kaemmerei@\(admin.world.county.tenant) role=county")
        // Login timeout 30 s, idle timeout 900 s (the defaults).
        await session.advance(by: .seconds(31))
        #expect(try await session.request("ping").status == "OK pong")
        // The ping at 31 s restarted the idle timeout: 899 s later the session still answers, and that
        // request restarts it again.
        await session.advance(by: .seconds(899))
        #expect(try await session.request("ping").status == "OK pong")
        await session.advance(by: .seconds(899))
        #expect(try await session.request("ping").status == "OK pong")
        await session.advance(by: .seconds(900))
        #expect(try await session.reply().status == "ERR UNAVAILABLE timeout; closing")
        #expect(try await session.ended())
    }
}
