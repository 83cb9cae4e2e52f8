import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

#if canImport(Glibc)
import Glibc
#endif

/// A connection to the admin socket as a command-line tool needs it: blocking, line by line. The
/// tool has nothing else to do while it waits for a reply.
public protocol AdminConnection: AnyObject {
    /// Sends bytes; false when the daemon has gone.
    @discardableResult func write(_ bytes: [UInt8]) -> Bool
    /// The next line without its newline; nil when the connection is closed.
    func readLine() -> String?
}

extension AdminConnection {
    @discardableResult public func write(_ text: String) -> Bool { write(Array(text.utf8)) }

    /// One reply: its data lines (without the leading `- `) and its status line; nil when the
    /// connection closed before the status.
    public func readReply() -> (data: [String], status: String)? {
        var data: [String] = []
        while let line = readLine() {
            if line.hasPrefix("- ") { data.append(String(line.dropFirst(2))) } else { return (data, line) }
        }
        return nil
    }
}

/// Errors while connecting, with a message for the person at the terminal.
public struct ConnectionError: Error, CustomStringConvertible {
    /// What went wrong, in both languages (a system's own message is the same in both).
    public let text: CtlText
    public var description: String { text.en }
    public init(_ text: CtlText) { self.text = text }
    public init(_ description: String) { self.text = CtlText(de: description, en: description) }
}

/// Splits a byte stream into lines.
struct LineSplitter {
    private var pending: [UInt8] = []

    mutating func append(_ bytes: some Sequence<UInt8>) { pending.append(contentsOf: bytes) }

    mutating func nextLine() -> String? {
        guard let newline = pending.firstIndex(of: 10) else { return nil }
        let line = String(decoding: pending[0..<newline], as: UTF8.self)
        pending.removeSubrange(0...newline)
        return line
    }
}

// MARK: Unix socket

/// The local admin socket; the daemon knows the caller by its uid (SO_PEERCRED).
public final class UnixConnection: AdminConnection {
    /// The socket, for callers that wait on many connections at once (the benchmarks' load generator).
    public let fd: Int32
    private var lines = LineSplitter()

    public init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ConnectionError("no socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else {
            close(fd)
            throw ConnectionError("socket path too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        let descriptor = fd
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw ConnectionError(message)
        }
    }

    /// Adopts a connected stream socket and closes it at the end (tests pass a loopback TCP one for the
    /// daemon's development listener).
    public init(connectedDescriptor: Int32) {
        fd = connectedDescriptor
    }

    /// A plain TCP connection to 127.0.0.1:`port`, the daemon's development listener (tests, benchmarks):
    /// the same blocking line connection over another socket.
    public static func loopbackTCP(port: Int) throws -> UnixConnection {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ConnectionError("no socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(0x7f00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw ConnectionError(message)
        }
        return UnixConnection(connectedDescriptor: fd)
    }

    deinit { close(fd) }

    /// Gives up a read after `seconds` without a byte (the read then reports the connection closed).
    public func setReceiveTimeout(seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// No more requests: the daemon sees end of input but can still answer.
    public func shutdownWriting() { shutdown(fd, Int32(SHUT_WR)) }

    @discardableResult public func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a daemon that went away is an error to report, not SIGPIPE.
            let written = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0, errno == EINTR { continue }
            if written <= 0 { return false }
            offset += written
        }
        return true
    }

    public func readLine() -> String? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let line = lines.nextLine() { return line }
            let count = read(fd, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            if count <= 0 { return nil }
            lines.append(buffer[0..<count])
        }
    }
}

// MARK: TLS

/// The admin port over TCP with TLS (swift-nio-ssl). The server certificate is verified against
/// `trustRoots` (a PEM file, e.g. the county's CA) or the system's roots, and must name the host.
/// There are no peer credentials over TCP: the caller logs in.
public final class TLSConnection: AdminConnection {
    private let channel: any Channel
    private let inbox: Inbox

    /// Received bytes and the connection's state, shared between the event loop and the caller.
    final class Inbox: Sendable {
        struct State {
            var lines = LineSplitter()
            var handshakeDone = false
            var closed = false
            var error: String?
        }
        let state = NIOLockedValueBox(State())
        /// Signalled on every change; the waiter re-checks the state (extra signals cost a loop).
        private let changed = DispatchSemaphore(value: 0)

        func update(_ change: (inout State) -> Void) {
            state.withLockedValue(change)
            changed.signal()
        }

        func wait<T>(until ready: (inout State) -> T?) -> T {
            while true {
                if let value = state.withLockedValue(ready) { return value }
                _ = changed.wait(timeout: .now() + .milliseconds(100))
            }
        }
    }

    final class InboxHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let inbox: Inbox
        init(_ inbox: Inbox) { self.inbox = inbox }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            inbox.update { $0.lines.append(buffer.readableBytesView) }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case TLSUserEvent.handshakeCompleted = event as? TLSUserEvent ?? .shutdownCompleted {
                inbox.update { $0.handshakeDone = true }
            }
            context.fireUserInboundEventTriggered(event)
        }

        func channelInactive(context: ChannelHandlerContext) {
            inbox.update { $0.closed = true }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            inbox.update { if $0.error == nil { $0.error = "\(error)" } }
            context.close(promise: nil)
        }
    }

    /// Connects and completes the TLS handshake, or throws with the reason (refused, timed out,
    /// certificate not trusted or not for this host).
    public init(
        host: String, port: Int, trustRoots: String?, serverName: String?, timeout: Duration = .seconds(10)
    ) throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let trustRoots {
            do { configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(trustRoots)) } catch {
                throw ConnectionError(CtlTexts.cannotReadCA(trustRoots))
            }
        }
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: configuration) } catch {
            throw ConnectionError(
                CtlText(de: CtlTexts.tlsSetupFailed.de + ": \(error)", en: CtlTexts.tlsSetupFailed.en + ": \(error)"))
        }
        // SNI carries names only; for an IP address the certificate is checked against the address.
        let name = serverName ?? (Self.isIPAddress(host) ? nil : host)
        let inbox = Inbox()
        self.inbox = inbox
        do {
            channel = try ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.milliseconds(timeout.components.seconds * 1000))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: context, serverHostname: name))
                        try channel.pipeline.syncOperations.addHandler(InboxHandler(inbox))
                    }
                }
                .connect(host: host, port: port).wait()
        } catch {
            throw ConnectionError("\(error)")
        }
        let deadline = ContinuousClock.now + timeout
        let failure: String? = inbox.wait { state in
            if state.handshakeDone { return .some(nil) }
            if let error = state.error { return .some(error) }
            if state.closed { return .some("the server closed the connection during the TLS handshake") }
            if ContinuousClock.now > deadline { return .some("TLS handshake timed out") }
            return nil
        }
        if let failure {
            channel.close(promise: nil)
            throw ConnectionError(failure)
        }
    }

    deinit { channel.close(promise: nil) }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    @discardableResult public func write(_ bytes: [UInt8]) -> Bool {
        do {
            try channel.writeAndFlush(channel.allocator.buffer(bytes: bytes)).wait()
            return true
        } catch {
            return false
        }
    }

    public func readLine() -> String? {
        inbox.wait { state -> String?? in
            if let line = state.lines.nextLine() { return .some(line) }
            if state.closed || state.error != nil { return .some(nil) }
            return nil
        }
    }
}
