import Foundation
import SozialraumDomain

public struct SchedulerOptions: Sendable {
    /// Names this instance in claims: host, pid and a random part.
    public var instance: String
    /// How often a running job proves its instance is alive.
    public var heartbeatInterval: Duration = .seconds(10)
    /// A running job without a heartbeat for this long is rescued by another instance.
    public var rescueAfterSeconds: Int64 = 60
    /// A slot at most this old is on time (the missed-run policy does not apply to it).
    public var graceSeconds: Int64 = 300
    /// Finished runs are kept this long.
    public var historyDays: Int64 = 90
    /// On shutdown, a running job may finish for this long; then it is cancelled and released.
    public var stopTimeout: Duration = .seconds(30)
    /// The most an idle scheduler sleeps before looking again (rescue checks, clock changes).
    public var maximumSleep: Duration = .seconds(30)

    /// The process this instance runs in: a restart on the same host takes back a name whose process is gone.
    public var process = InstanceProcess.current
    /// Whether a process of this host and boot still runs (a signal 0 reaches it).
    public var processIsAlive: @Sendable (Int32) -> Bool = { pid in kill(pid, 0) == 0 || errno != ESRCH }

    public init(instance: String = SchedulerOptions.defaultInstance()) {
        self.instance = instance
    }

    public static func defaultInstance() -> String {
        let process = InstanceProcess.current
        return "\(process.host):\(process.pid):\(UInt32.random(in: 0...UInt32.max) % 100_000)"
    }
}

extension InstanceProcess {
    /// This process: the host's name, the host's boot (Linux's boot id; "unknown" where /proc/sys is
    /// hidden, as under `ProcSubset=pid`, and then only the pid tells) and the pid.
    public static var current: InstanceProcess {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count)
        let name = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let boot = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return InstanceProcess(
            host: name.isEmpty ? "localhost" : String(name.prefix(255)),
            bootID: boot.flatMap { $0.isEmpty ? nil : String($0.prefix(64)) } ?? "unknown", pid: getpid())
    }
}
