import Logging
import ServiceLifecycle

/// Announces readiness once the service group runs (its signal handlers are installed before any
/// service starts, so a SIGTERM sent after "ready" always leads to a graceful shutdown), then
/// waits for the shutdown. The systemd issue adds `READY=1`/`STOPPING=1` notifications here.
public struct ReadinessService: Service {
    let logger: Logger
    let metadata: Logger.Metadata

    public init(logger: Logger, metadata: Logger.Metadata = [:]) {
        self.logger = logger
        self.metadata = metadata
    }

    public func run() async throws {
        logger.info("sozialraumd ready", metadata: metadata)
        try? await gracefulShutdown()
        logger.info("sozialraumd stopping")
    }
}
