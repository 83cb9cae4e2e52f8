import NIOCore

/// What the framing makes of the bytes of one connection.
enum InboundLine: Sendable, Equatable {
    case line(String)
    /// A line longer than the limit; its bytes were discarded up to the next line break.
    case tooLong
    /// A line that is not UTF-8.
    case invalidUTF8
    /// No complete line for longer than the timeout (also a client sending a byte now and then).
    /// `beforeLogin`: the login timeout, which a login that succeeded meanwhile (its hash may have waited
    /// behind others) makes moot.
    case timedOut(beforeLogin: Bool)
}

/// Splits bytes into lines (`\n`, optional `\r` before it) of at most `maximumLength` bytes.
/// An oversized line is reported once and skipped without buffering it.
struct LineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = InboundLine

    let maximumLength: Int
    private var discarding = false

    init(maximumLength: Int) {
        self.maximumLength = maximumLength
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > maximumLength {
                if !discarding {
                    discarding = true
                    context.fireChannelRead(wrapInboundOut(.tooLong))
                }
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        var line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        if discarding {
            discarding = false
            return .continue
        }
        guard length <= maximumLength else {
            context.fireChannelRead(wrapInboundOut(.tooLong))
            return .continue
        }
        if line.readableBytesView.last == UInt8(ascii: "\r") { line.moveWriterIndex(to: line.writerIndex - 1) }
        guard let text = String(validating: line.readableBytesView, as: UTF8.self) else {
            context.fireChannelRead(wrapInboundOut(.invalidUTF8))
            return .continue
        }
        context.fireChannelRead(wrapInboundOut(.line(text)))
        return .continue
    }

    mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        // A last line without its line break (a client that half-closes after writing) still counts.
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0, !discarding {
            buffer.writeInteger(UInt8(ascii: "\n"))
            while try decode(context: context, buffer: &buffer) == .continue {}
        }
        return .needMoreData
    }
}

/// Closes the wait for a complete line after `timeout`: bytes arriving slowly do not count, only
/// complete lines. Sends `.timedOut` up the pipeline, which the session answers and closes on.
final class RequestTimeoutHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: all state is touched on the channel's event loop only.
    typealias InboundIn = InboundLine
    typealias InboundOut = InboundLine

    /// Sent by the session after a successful login: switch to the (longer) idle timeout.
    struct Authenticated: Sendable {}

    private var timeout: TimeAmount
    private let idleTimeout: TimeAmount
    private var scheduled: Scheduled<Void>?
    /// Before login the timeout runs from the connection's start, whatever the peer sends (a stranger
    /// sending `ping` now and then must not hold a session slot); after it, each line restarts it.
    private var authenticated = false

    init(loginTimeout: TimeAmount, idleTimeout: TimeAmount) {
        self.timeout = loginTimeout
        self.idleTimeout = idleTimeout
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if authenticated { arm(context) }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is Authenticated {
            authenticated = true
            timeout = idleTimeout
            arm(context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        scheduled?.cancel()
        context.fireChannelInactive()
    }

    private func arm(_ context: ChannelHandlerContext) {
        scheduled?.cancel()
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        let beforeLogin = !authenticated
        scheduled = context.eventLoop.scheduleTask(in: timeout) {
            boundContext.value.fireChannelRead(NIOAny(InboundLine.timedOut(beforeLogin: beforeLogin)))
            // The async channel hands reads on at read-complete.
            boundContext.value.fireChannelReadComplete()
        }
    }
}
