import SozialraumDomain
import Synchronization

/// The one `STATUS=` line systemd shows (`systemctl status`): whether the database is reachable and which
/// schedules are past their deadline. Sent only when it changes.
public final class ServiceStatus: Sendable {
    struct State: Equatable {
        var reachable = true
        var overdue: [OverdueSchedule] = []
        var sent: String?
    }

    let state = Mutex(State())
    let send: @Sendable (String) -> Void

    /// `send` gets the whole `STATUS=…` message (e.g. `SystemdNotifier.notify`).
    public init(send: @escaping @Sendable (String) -> Void) {
        self.send = send
    }

    public func database(reachable: Bool) { update { $0.reachable = reachable } }

    public func overdue(_ schedules: [OverdueSchedule]) { update { $0.overdue = schedules } }

    /// The status text of a state: `serving; database reachable`, then each overdue schedule with its slot.
    static func text(reachable: Bool, overdue: [OverdueSchedule]) -> String {
        var text = reachable ? "serving; database reachable" : "degraded: database unreachable, reconnecting"
        if !overdue.isEmpty {
            text +=
                "; OVERDUE: "
                + overdue.map { "\($0.schedule) (slot \(ZoneRules.europeBerlin.local($0.slot)))" }.joined(
                    separator: ", ")
        }
        return text
    }

    func update(_ change: (inout State) -> Void) {
        let message: String? = state.withLock { state in
            change(&state)
            let text = "STATUS=" + Self.text(reachable: state.reachable, overdue: state.overdue)
            guard text != state.sent else { return nil }
            state.sent = text
            return text
        }
        if let message { send(message) }
    }
}
