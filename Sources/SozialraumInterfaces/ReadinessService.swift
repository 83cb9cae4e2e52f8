import Logging
import ServiceLifecycle

/// Announces readiness once the service group runs and the admin socket accepts connections (its signal handlers are installed before any
/// service starts, so a SIGTERM sent after "ready" always leads to a graceful shutdown), then
/// waits for the shutdown. The systemd issue adds `READY=1`/`STOPPING=1` notifications here.
public struct ReadinessService: Service {
    let logger: Logger
    let metadata: Logger.Metadata
    /// Finishes when the parts that must serve before "ready" (the admin listeners) do.
    let prerequisites: AsyncStream<Void>

    public init(logger: Logger, metadata: Logger.Metadata = [:], prerequisites: AsyncStream<Void> = AsyncStream { $0.finish() }) {
        self.logger = logger
        self.metadata = metadata
        self.prerequisites = prerequisites
    }

    public func run() async throws {
        for await _ in prerequisites.cancelOnGracefulShutdown() {}
        logger.info("sozialraumd ready", metadata: metadata)
        try? await gracefulShutdown()
        logger.info("sozialraumd stopping")
    }
}
