import Logging
import ServiceLifecycle
import SozialraumInterfaces
import UnixSignals

/// SIGHUP (`systemctl reload`): reads the configuration again and applies what can change without a
/// restart, telling systemd `RELOADING=1` and then `READY=1`. An invalid configuration is refused with
/// its reason in the log and in `STATUS=`; the previous one stays in force. Sessions are not dropped.
struct ReloadService: Service {
    let signals: UnixSignalsSequence
    let reload: @Sendable () async throws -> Settings
    let apply: @Sendable (Settings) async throws -> Void
    let notifier: SystemdNotifier
    let logger: Logger

    func run() async throws {
        for await _ in signals.cancelOnGracefulShutdown() {
            notifier.notify(
                "RELOADING=1\nMONOTONIC_USEC=\(SystemdNotifier.monotonicMicroseconds())\nSTATUS=reloading the configuration"
            )
            do {
                try await apply(try await reload())
                logger.notice("configuration reloaded")
                notifier.notify("READY=1\nSTATUS=serving; configuration reloaded")
            } catch {
                let reason = String(String(describing: error).prefix(300))
                logger.error(
                    "configuration reload refused; the previous configuration stays", metadata: ["reason": "\(reason)"])
                notifier.notify("READY=1\nSTATUS=serving; reload refused: \(reason)")
            }
        }
    }
}
