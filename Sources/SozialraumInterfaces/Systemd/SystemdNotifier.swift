import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// `sd_notify` without libsystemd: one datagram per message to `$NOTIFY_SOCKET` (a path, or an
/// abstract socket when it starts with `@`). Without the variable (not under systemd) it does nothing.
public final class SystemdNotifier: Sendable {
    let path: String?
    /// Watchdog interval requested by systemd (`WATCHDOG_USEC`, only when `WATCHDOG_PID` is unset or ours).
    public let watchdogInterval: Duration?
    private let descriptor: Mutex<Int32>

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let socket = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        path = socket
        let forUs = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        if forUs, let text = environment["WATCHDOG_USEC"], let usec = Int64(text), usec > 0 {
            watchdogInterval = .microseconds(usec)
        } else {
            watchdogInterval = nil
        }
        descriptor = Mutex(
            socket == nil
                ? -1 : Foundation.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0))
    }

    deinit {
        descriptor.withLock { if $0 >= 0 { close($0) } }
    }

    public var isActive: Bool { path != nil }

    /// Sends `state` ("READY=1", "STATUS=…", several lines allowed). Returns false when not under
    /// systemd or the datagram could not be sent (never fatal: the daemon runs on).
    @discardableResult
    public func notify(_ state: String) -> Bool {
        guard let path else { return false }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
        let message = Array(state.utf8)
        return descriptor.withLock { fd in
            guard fd >= 0 else { return false }
            let sent = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    message.withUnsafeBytes {
                        sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), socketAddress, length)
                    }
                }
            }
            return sent == message.count
        }
    }

    /// `RELOADING=1` needs the monotonic time (systemd ≥ 253 checks it; 252 ignores it).
    public static func monotonicMicroseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000 + UInt64(time.tv_nsec) / 1000
    }
}

/// Pings systemd's watchdog at half its interval while the daemon's loops are alive. `alive` proves
/// it (e.g. the admin event loop answers); a database outage does not stop the pings: the daemon then
/// says so in `STATUS=` and keeps serving what it can.
public struct WatchdogService: Service {
    let notifier: SystemdNotifier
    let logger: Logger
    let alive: @Sendable () async -> Bool
    /// Waits between pings: `Task.sleep`, or a test's clock.
    let sleep: @Sendable (Duration) async throws -> Void

    public init(
        notifier: SystemdNotifier, logger: Logger, alive: @escaping @Sendable () async -> Bool = { true },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.notifier = notifier
        self.logger = logger
        self.alive = alive
        self.sleep = sleep
    }

    public func run() async throws {
        guard let interval = notifier.watchdogInterval else {
            try? await gracefulShutdown()
            return
        }
        logger.info("watchdog enabled", metadata: ["interval": "\(interval)"])
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if await alive() {
                notifier.notify("WATCHDOG=1")
            } else {
                logger.error("a daemon loop did not answer; no watchdog ping")
            }
            try? await cancelWhenGracefulShutdown { try await sleep(interval / 2) }
        }
    }
}
