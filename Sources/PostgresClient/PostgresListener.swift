import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What a listener reports.
public enum PostgresListenerEvent: Sendable, Equatable {
    /// LISTEN is in place (first time, or again after a reconnect). Notifications sent while the
    /// listener was disconnected are lost, so a consumer should re-scan its work on this event.
    case listening
    case notification(PostgresNotification)
}

/// LISTEN on a dedicated connection, delivered as an async sequence.
///
/// A thread of its own waits in `poll(2)` on the connection's socket and a wake-up descriptor,
/// so nothing busy-polls and nothing blocks the cooperative pool. A lost connection is reopened
/// with backoff; the sequence ends only when the consumer stops iterating.
public enum PostgresListener {
    /// Channel names are identifiers and cannot be parameters: plain ones only.
    public static func isValidChannel(_ name: String) -> Bool { PostgresIdentifier.isPlain(name) }

    public static func events(
        conninfo: String, channels: [String], logger: Logger
    ) -> AsyncStream<PostgresListenerEvent> {
        precondition(channels.allSatisfy(isValidChannel), "invalid LISTEN channel name")
        let (stream, continuation) = AsyncStream<PostgresListenerEvent>.makeStream(
            bufferingPolicy: .bufferingNewest(4096))
        var pipeEnds: [Int32] = [0, 0]
        // Close-on-exec: children such as an embedded postgres must not inherit the wake-up pipe.
        precondition(pipe(&pipeEnds) == 0, "cannot create a pipe")
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        let state = ListenerThreadState(wakeFD: pipeEnds[0], signalFD: pipeEnds[1])
        continuation.onTermination = { _ in state.stop() }
        let thread = Thread {
            runLoop(conninfo: conninfo, channels: channels, logger: logger, state: state, continuation: continuation)
            continuation.finish()
            state.close()
        }
        thread.name = "sozialraum.listen"
        thread.start()
        return stream
    }

    private static func runLoop(
        conninfo: String, channels: [String], logger: Logger, state: ListenerThreadState,
        continuation: AsyncStream<PostgresListenerEvent>.Continuation
    ) {
        var failures = 0
        while !state.isStopped {
            do throws(PostgresError) {
                let connection = try LibPQConnection.connect(conninfo: conninfo)
                for channel in channels {
                    _ = try connection.executeSimple("LISTEN \"\(channel)\"", operation: "listen")
                }
                failures = 0
                continuation.yield(.listening)
                while !state.isStopped {
                    var fds = [
                        pollfd(fd: connection.socket, events: Int16(POLLIN), revents: 0),
                        pollfd(fd: state.wakeFD, events: Int16(POLLIN), revents: 0),
                    ]
                    let ready = poll(&fds, 2, -1)
                    if ready < 0 && errno == EINTR { continue }
                    if fds[1].revents != 0 { return }
                    for notification in try connection.drainNotifications() {
                        continuation.yield(.notification(notification))
                    }
                    guard connection.isOK else {
                        throw PostgresError(code: .connectionLost, operation: "listen")
                    }
                }
            } catch {
                failures += 1
                logger.warning(
                    "LISTEN connection lost; reconnecting", metadata: ["error": "\(String(reflecting: error))"])
                // Wait with backoff, but wake at once when stopped.
                let delayMS = Int32(min(100 << min(failures, 6), 5_000))
                var fd = pollfd(fd: state.wakeFD, events: Int16(POLLIN), revents: 0)
                if poll(&fd, 1, delayMS) > 0 { return }
            }
        }
    }
}

/// The stop flag and wake-up descriptor shared between the consumer and the listener thread.
private final class ListenerThreadState: Sendable {
    /// Read end, polled by the thread; write end, written once by `stop()`.
    let wakeFD: Int32
    private let signalFD: Int32
    /// One lock for both flags: `stop()` writes to the descriptor only while `close()` cannot close it
    /// (a descriptor closed in between may already belong to another file).
    private let flags = Mutex<(stopped: Bool, closed: Bool)>((false, false))

    init(wakeFD: Int32, signalFD: Int32) {
        self.wakeFD = wakeFD
        self.signalFD = signalFD
    }

    /// Called by the thread when it ends, after `finish()` has run `stop()`.
    func close() {
        flags.withLock { flags in
            guard !flags.closed else { return }
            flags.closed = true
            _ = Glibc.close(wakeFD)
            _ = Glibc.close(signalFD)
        }
    }

    var isStopped: Bool { flags.withLock { $0.stopped } }

    func stop() {
        flags.withLock { flags in
            guard !flags.stopped else { return }
            flags.stopped = true
            guard !flags.closed else { return }
            var one: UInt8 = 1
            _ = write(signalFD, &one, 1)
        }
    }
}
