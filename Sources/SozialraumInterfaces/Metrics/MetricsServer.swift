import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Where the metrics endpoint listens: a loopback TCP port or a Unix socket, never a public address
/// (the page has no login; whoever reaches it reads it).
public enum MetricsListen: Sendable, Equatable {
    case tcp(host: String, port: Int)
    case unix(path: String)

    /// `127.0.0.1:9464`, `[::1]:9464`, `localhost:9464` or `unix:/run/sozialraum/metrics.sock`; empty: off.
    public static func parse(_ text: String) throws -> MetricsListen? {
        if text.isEmpty { return nil }
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst("unix:".count))
            guard path.hasPrefix("/") else { throw MetricsListenError(reason: "expected unix:/absolute/path") }
            return .unix(path: path)
        }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { throw MetricsListenError(reason: "expected host:port or unix:/path") }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard AdminServer.isLoopback(host) else {
            throw MetricsListenError(reason: "the metrics page has no login: a loopback address or unix:/path only")
        }
        return .tcp(host: host, port: port)
    }
}

public struct MetricsListenError: Error, CustomStringConvertible, Sendable {
    public var reason: String
    public var description: String { reason }
}

/// Bounds on what a stranger who can connect may hold.
public struct MetricsServerLimits: Sendable {
    /// Connections at once; more are closed as they come.
    public var maximumConnections = 8
    /// A connection that sends nothing for this long is closed.
    public var idleTimeout: Duration = .seconds(10)
    /// A connection that has not sent a whole request head this long after it opened (or after its last
    /// answer) is closed, however slowly it trickles bytes.
    public var requestTimeout: Duration = .seconds(10)
    public init() {}
}

/// The Prometheus endpoint: `GET /metrics` over HTTP/1.1 answers the daemon's metrics in the text format
/// (0.0.4). Off by default (`metrics.listen`). Scrapes run one at a time: a crowd of them queues rather
/// than taking the database pool.
public struct MetricsServer: Service {
    let listen: MetricsListen
    let limits: MetricsServerLimits
    let page: @Sendable () async -> String
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    /// Called once the endpoint accepts connections, with the bound TCP port (nil on a Unix socket).
    let onListening: @Sendable (Int?) -> Void

    public init(
        listen: MetricsListen, limits: MetricsServerLimits = MetricsServerLimits(), logger: Logger,
        group: MultiThreadedEventLoopGroup = .singleton, onListening: @escaping @Sendable (Int?) -> Void = { _ in },
        page: @escaping @Sendable () async -> String
    ) {
        self.listen = listen
        self.limits = limits
        self.page = page
        self.logger = logger
        self.group = group
        self.onListening = onListening
    }

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    public func run() async throws {
        let idleTimeout = TimeAmount(limits.idleTimeout)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 16)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        let initializer: @Sendable (any Channel) -> EventLoopFuture<Connection> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                try channel.pipeline.syncOperations.addHandler(CloseWhenIdle())
                // Header size is bounded by the parser (llhttp: 80 KiB); a bad request gets 400 and a close.
                try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                return try Connection(wrappingChannelSynchronously: channel)
            }
        }
        let listener: NIOAsyncChannel<Connection, Never>
        switch listen {
        case .tcp(let host, let port):
            listener = try await bootstrap.bind(host: host, port: port, childChannelInitializer: initializer)
            logger.info(
                "metrics endpoint listening",
                metadata: ["host": "\(host)", "port": "\(listener.channel.localAddress?.port ?? port)"])
        case .unix(let path):
            listener = try await bootstrap.bind(
                unixDomainSocketPath: path, cleanupExistingSocketFile: true, childChannelInitializer: initializer)
            // The daemon's user and group: a scraper reads it as a member of the group.
            guard chmod(path, 0o660) == 0 else { throw MetricsListenError(reason: "cannot set the mode of \(path)") }
            logger.info("metrics endpoint listening", metadata: ["path": "\(path)"])
        }
        onListening(listener.channel.localAddress?.port)
        let open = ConnectionSlots(limit: limits.maximumConnections)
        let scrapes = ConcurrencyLimit(limit: 1)
        let requestTimeout = TimeAmount(limits.requestTimeout)
        try await withGracefulShutdownHandler {
            try await listener.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { connections in
                    for try await connection in inbound {
                        let channel = connection.channel
                        guard open.take(channel) else {
                            // Closed through the async channel, which finishes its writer.
                            try? await connection.executeThenClose { _, _ in }
                            continue
                        }
                        open.awaitRequest(channel, within: requestTimeout)
                        connections.addTask {
                            defer { open.giveBack(channel) }
                            await serve(connection, slots: open, requestTimeout: requestTimeout, scrapes: scrapes)
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            listener.channel.close(promise: nil)
        }
        if case .unix(let path) = listen { try? FileManager.default.removeItem(atPath: path) }
    }

    private func serve(
        _ connection: Connection, slots: ConnectionSlots, requestTimeout: TimeAmount, scrapes: ConcurrencyLimit
    ) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                for try await part in inbound {
                    // Bodies are never kept; only GET and HEAD get past the head.
                    guard case .head(let head) = part else { continue }
                    slots.requestArrived(connection.channel)
                    let response = try await respond(to: head, scrapes: scrapes)
                    try await outbound.write(.head(response.head))
                    if head.method != .HEAD {
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(string: response.body))))
                    }
                    try await outbound.write(.end(nil))
                    if !response.keepOpen { return }
                    slots.awaitRequest(connection.channel, within: requestTimeout)
                }
            }
        } catch {
            logger.debug("metrics connection ended with an error", metadata: ["error": "\(type(of: error))"])
        }
    }

    private func respond(
        to request: HTTPRequestHead, scrapes: ConcurrencyLimit
    ) async throws -> (head: HTTPResponseHead, body: String, keepOpen: Bool) {
        var headers = HTTPHeaders()
        let status: HTTPResponseStatus
        let body: String
        switch (request.method, request.uri.split(separator: "?", maxSplits: 1).first ?? "") {
        case (.GET, "/metrics"), (.HEAD, "/metrics"):
            status = .ok
            body = try await scrapes.run { await page() }
            headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
        case (.GET, _), (.HEAD, _):
            status = .notFound
            body = "only /metrics is here\n"
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        default:
            // Anything else may carry a body nobody reads: answer and close.
            status = .methodNotAllowed
            body = "GET /metrics only\n"
            headers.add(name: "Allow", value: "GET, HEAD")
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        }
        let keepOpen = status != .methodNotAllowed && request.isKeepAlive
        headers.add(name: "Content-Length", value: "\(body.utf8.count)")
        if !keepOpen { headers.add(name: "Connection", value: "close") }
        return (HTTPResponseHead(version: request.version, status: status, headers: headers), body, keepOpen)
    }
}

/// Connections of the endpoint at once. Those still waiting for a whole request head are the first to go:
/// each is closed when its request deadline passes, and when every place is taken a new connection takes
/// the place of the one that has waited longest, so that slow or silent strangers never keep a scrape out.
final class ConnectionSlots: Sendable {
    private struct State {
        var open = 0
        /// Connections waiting for a request head, oldest first.
        var waiting: [any Channel] = []
    }

    private let limit: Int
    private let state = Mutex(State())

    init(limit: Int) { self.limit = limit }

    private enum Admission {
        case admitted
        case admittedInPlaceOf(any Channel)
        case refused
    }

    func take(_ channel: any Channel) -> Bool {
        let admission: Admission = state.withLock { state in
            if state.open < limit {
                state.open += 1
                return .admitted
            }
            guard !state.waiting.isEmpty else { return .refused }
            // The evicted connection gives its place back when its task ends; this one counts from now.
            state.open += 1
            return .admittedInPlaceOf(state.waiting.removeFirst())
        }
        switch admission {
        case .admitted: return true
        case .admittedInPlaceOf(let evicted):
            evicted.close(promise: nil)
            return true
        case .refused: return false
        }
    }

    /// The connection owes a request head within `timeout`: closed otherwise.
    func awaitRequest(_ channel: any Channel, within timeout: TimeAmount) {
        state.withLock { $0.waiting.append(channel) }
        channel.eventLoop.scheduleTask(in: timeout) { [self] in
            if isWaiting(channel) { channel.close(promise: nil) }
        }
    }

    func requestArrived(_ channel: any Channel) {
        state.withLock { state in state.waiting.removeAll { $0 === channel } }
    }

    func giveBack(_ channel: any Channel) {
        state.withLock { state in
            state.open -= 1
            state.waiting.removeAll { $0 === channel }
        }
    }

    private func isWaiting(_ channel: any Channel) -> Bool {
        state.withLock { state in state.waiting.contains { $0 === channel } }
    }
}

/// Closes a connection on the idle event of the `IdleStateHandler` before it.
final class CloseWhenIdle: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
