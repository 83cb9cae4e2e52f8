import Foundation
import Logging
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices
import Synchronization

/// The session: help, ping, login, logout, whoami, format, quit (no login needed for most).
extension AdminCommands {
    static let session: [AdminCommand] = [
        .session("help", "the commands you may use", Arg.text("command").optional) {
            (call, state: inout SessionState, name) in
            call.commands.help(command: name, state)
        },
        .session("ping", "check the connection") { _, _ in .ok("pong") },
        .session("login", "log in with a password or token", Arg.text("name"), Arg.text("secret")) {
            (call, state: inout SessionState, name, secret) in
            try await call.commands.login(name: name, secret: secret, &state)
        },
        .session("logout", "end the login, keep the connection") { (call, state: inout SessionState) in
            state.account = nil
            await call.commands.sessions.loggedOut(state.id)
            return .ok("logged out")
        },
        AdminCommand(
            "whoami", roles: Set(Role.allCases), "account, tenant and role of this session", changes: .nothing
        ) { invocation in
            let account = invocation.account
            return .ok("\(account.name)@\(account.tenant) role=\(account.role.rawValue)")
        },
        .session(
            "format", "how results are written in this session",
            Arg.oneOf("format", as: OutputFormat.self)
        ) { (_, state: inout SessionState, format) in
            state.format = format
            return .ok("format \(format.rawValue)")
        },
        .session("quit", "close the connection") { _, _ in .ok("bye") },
    ]
}
