import Foundation

/// Sockets passed by systemd (`sd_listen_fds` without libsystemd): `LISTEN_PID` must be this process,
/// `LISTEN_FDS` counts descriptors from 3, `LISTEN_FDNAMES` names them (`FileDescriptorName=`). The
/// variables are removed afterwards, so that children (the embedded PostgreSQL) do not see them, and
/// the descriptors are marked close-on-exec.
public enum SocketActivation {
    public static let firstDescriptor: Int32 = 3

    /// Name → descriptor; empty when not socket-activated.
    public static func takeListeningSockets(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> [String: Int32] {
        defer {
            unsetenv("LISTEN_PID")
            unsetenv("LISTEN_FDS")
            unsetenv("LISTEN_FDNAMES")
        }
        guard let pidText = environment["LISTEN_PID"], Int32(pidText) == getpid(),
            let countText = environment["LISTEN_FDS"], let count = Int32(countText), count > 0, count < 64
        else { return [:] }
        let names =
            environment["LISTEN_FDNAMES"]?.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            ?? []
        var sockets: [String: Int32] = [:]
        for index in 0..<count {
            let descriptor = firstDescriptor + index
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            let name = Int(index) < names.count && !names[Int(index)].isEmpty ? names[Int(index)] : "unknown"
            sockets[sockets[name] == nil ? name : "\(name)-\(index)"] = descriptor
        }
        return sockets
    }

    /// The admin Unix socket among them: named `admin`, or the only one passed.
    public static func adminSocket(in sockets: [String: Int32]) -> Int32? {
        sockets["admin"] ?? (sockets.count == 1 ? sockets.values.first : nil)
    }
}
