import Logging
import ServiceLifecycle
import SozialraumServices

/// Checks the database at an interval and logs each change between healthy and degraded once.
/// A database outage does not stop the daemon: the pool reconnects when the server is back.
public struct DatabaseMonitor: Service {
    let status: SystemStatusService
    let interval: Duration
    let logger: Logger
    let onChange: @Sendable (Bool) -> Void

    public init(
        status: SystemStatusService, interval: Duration = .seconds(10), logger: Logger,
        onChange: @escaping @Sendable (Bool) -> Void = { _ in }
    ) {
        self.status = status
        self.interval = interval
        self.logger = logger
        self.onChange = onChange
    }

    public func run() async throws {
        var healthy: Bool? = nil
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let reachable = await status.status().databaseReachable
            if reachable != healthy {
                if reachable {
                    logger.info("database reachable")
                } else {
                    logger.error("database unreachable; serving degraded and retrying")
                }
                healthy = reachable
                onChange(reachable)
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }
}
