import Foundation
import Logging
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices
import Synchronization

/// The session: help, ping, login, logout, whoami, format, quit (no login needed for most).
extension AdminCommands {
    static let session: [AdminCommand] = [
        AdminCommand(
            name: "help", roles: nil, usage: "help [command]", summary: "the commands you may use", changes: .nothing
        ) { commands, request, state, _ in
            commands.help(request, state)
        },
        AdminCommand(name: "ping", roles: nil, usage: "ping", summary: "check the connection", changes: .nothing) {
            _, _, _, _ in .ok("pong")
        },
        AdminCommand(
            name: "login", roles: nil, usage: "login <name> <secret>", summary: "log in with a password or token",
            changes: .nothing
        ) {
            commands, request, state, _ in try await commands.login(request, &state)
        },
        AdminCommand(
            name: "logout", roles: nil, usage: "logout", summary: "end the login, keep the connection",
            changes: .nothing
        ) { commands, _, state, _ in
            state.account = nil
            await commands.sessions.loggedOut(state.id)
            return .ok("logged out")
        },
        AdminCommand(
            name: "whoami", roles: Set(Role.allCases), usage: "whoami",
            summary: "account, tenant and role of this session", changes: .nothing
        ) {
            _, _, state, _ in
            let account = state.account!
            return .ok("\(account.name)@\(account.tenant) role=\(account.role.rawValue)")
        },
        AdminCommand(
            name: "format", roles: nil, usage: "format table|csv|csv-de|jsonl",
            summary: "how results are written in this session", changes: .nothing
        ) {
            _, request, state, _ in
            guard let name = request.positional.first, let format = OutputFormat(rawValue: name) else {
                throw ArgumentError(name: "format", reason: "one of table, csv, csv-de, jsonl")
            }
            state.format = format
            return .ok("format \(format.rawValue)")
        },
        AdminCommand(name: "quit", roles: nil, usage: "quit", summary: "close the connection", changes: .nothing) {
            _, _, _, _ in .ok("bye")
        },
    ]
}
