import Foundation
import SozialraumDomain

/// Open sessions, for limits and `sessions`.
public actor SessionRegistry {
    struct Entry {
        var account: String?
        var source: String
        /// The listener's name for network connections; nil for the Unix socket.
        var networkListener: String?
        var since: Date
    }
    private var entries: [String: Entry] = [:]
    private var counter = 0

    public init() {}

    var count: Int { entries.count }

    /// Opens a session unless a limit says no: the total (less the room kept for the Unix socket when the
    /// connection comes over the network), and for network connections the sessions not yet logged in per
    /// listener and per source.
    func open(source: String, networkListener: String?, limits: AdminLimits) -> String? {
        let total =
            networkListener == nil ? limits.maximumSessions : limits.maximumSessions - limits.sessionsKeptForUnixSocket
        guard entries.count < total else { return nil }
        if let networkListener {
            let waiting = entries.values.filter { $0.account == nil && $0.networkListener == networkListener }
            guard waiting.count < limits.maximumSessionsBeforeLogin,
                waiting.filter({ $0.source == source }).count < limits.maximumSessionsBeforeLoginPerSource
            else { return nil }
        }
        counter += 1
        let id = "s\(counter)"
        entries[id] = Entry(account: nil, source: source, networkListener: networkListener, since: Date())
        return id
    }

    func authenticated(_ id: String, account: String, perAccountLimit: Int) -> Bool {
        guard entries.values.filter({ $0.account == account }).count < perAccountLimit else { return false }
        entries[id]?.account = account
        return true
    }

    /// The session keeps its connection but no longer counts for its account.
    func loggedOut(_ id: String) { entries[id]?.account = nil }

    func close(_ id: String) { entries[id] = nil }

    func list() -> [(id: String, account: String?, source: String, since: String)] {
        entries.sorted { $0.key < $1.key }.map {
            // One presentation of a moment everywhere: Europe/Berlin, ISO 8601 with offset and seconds.
            (
                $0.key, $0.value.account, $0.value.source,
                ZoneRules.europeBerlin.iso8601(Instant(seconds: Int64($0.value.since.timeIntervalSince1970)))
            )
        }
    }
}
