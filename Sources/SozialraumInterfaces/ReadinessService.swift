import Logging
import ServiceLifecycle

/// Announces readiness once the service group runs and the admin socket accepts connections (its signal handlers are installed before any
/// service starts, so a SIGTERM sent after "ready" always leads to a graceful shutdown), then
/// waits for the shutdown; tells systemd `READY=1` and `STOPPING=1` (with `STATUS=` lines).
public struct ReadinessService: Service {
    let logger: Logger
    let metadata: Logger.Metadata
    /// Finishes when the parts that must serve before "ready" (the admin listeners) do.
    let prerequisites: AsyncStream<Void>
    let notifier: SystemdNotifier?

    public init(
        logger: Logger, metadata: Logger.Metadata = [:], prerequisites: AsyncStream<Void> = AsyncStream { $0.finish() },
        notifier: SystemdNotifier? = nil
    ) {
        self.logger = logger
        self.metadata = metadata
        self.prerequisites = prerequisites
        self.notifier = notifier
    }

    public func run() async throws {
        for await _ in prerequisites.cancelOnGracefulShutdown() {}
        logger.info("sozialraumd ready", metadata: metadata)
        notifier?.notify("READY=1\nSTATUS=serving; database reachable, schema current, admin socket listening")
        try? await gracefulShutdown()
        notifier?.notify("STOPPING=1\nSTATUS=stopping: finishing running commands and jobs")
        logger.info("sozialraumd stopping")
    }
}
