import Foundation
import SozialraumServices
import Synchronization

/// The portal's server-side sessions (issue 32): a random id in an `HttpOnly; Secure; SameSite=Strict` cookie
/// names the account and its form token; nothing else leaves the server. Bounded: a stranger cannot exhaust
/// memory with logins, and a session ends after `idle` without a request. Whether the account is still as it
/// logged in (token not rotated, not disabled) is asked on every request (`AccountService.current`).
final class PortalSessions: Sendable {
    struct Session: Sendable {
        var account: Account
        /// The form token (CSRF): every form carries it, every POST must send it back.
        var formToken: String
        var lastSeen: ContinuousClock.Instant
        /// Whether the holder showed a code of the account's second factor (at login or when setting it up):
        /// ordering a payment needs it.
        var secondFactor: Bool
        /// A secret shown for setting up a second factor, until a code of it is shown (never stored before).
        var pendingSecret: [UInt8]? = nil
        /// The pinned client certificate (DER) the session was opened with: every request must show it.
        var certificate: [UInt8]? = nil
    }

    private let sessions = Mutex<[String: Session]>([:])
    let limit: Int
    let idle: Duration

    init(limit: Int = 1000, idle: Duration = .seconds(900)) {
        self.limit = limit
        self.idle = idle
    }

    /// A new session for `account`: its id and form token; nil when the portal holds `limit` live sessions.
    func open(
        _ account: Account, secondFactor: Bool, certificate: [UInt8]? = nil, now: ContinuousClock.Instant
    ) -> (id: String, formToken: String)? {
        let id = Self.randomToken()
        let formToken = Self.randomToken()
        return sessions.withLock { sessions in
            sessions = sessions.filter { now - $0.value.lastSeen < idle }
            guard sessions.count < limit else { return nil }
            sessions[id] = Session(
                account: account, formToken: formToken, lastSeen: now, secondFactor: secondFactor,
                certificate: certificate)
            return (id, formToken)
        }
    }

    /// The live session of `id`, touched; nil when unknown or idle too long.
    func session(_ id: String, now: ContinuousClock.Instant) -> Session? {
        sessions.withLock { sessions in
            guard var session = sessions[id], now - session.lastSeen < idle else {
                sessions[id] = nil
                return nil
            }
            session.lastSeen = now
            sessions[id] = session
            return session
        }
    }

    /// Changes a live session (a second factor shown, a secret pending).
    func update(_ id: String, _ change: (inout Session) -> Void) {
        sessions.withLock { sessions in
            if var session = sessions[id] {
                change(&session)
                sessions[id] = session
            }
        }
    }

    /// The certificate session `id` is bound to; nil when it is bound to none (or unknown).
    func boundCertificate(_ id: String) -> [UInt8]? { sessions.withLock { $0[id]?.certificate } }

    func close(_ id: String) { _ = sessions.withLock { $0.removeValue(forKey: id) } }

    /// 32 random bytes, URL-safe Base64 without padding.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
