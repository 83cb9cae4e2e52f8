import Foundation
import Logging
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices
import Synchronization

/// The session: help, ping, login, logout, whoami, format, language, quit (no login needed for most).
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
            return .ok(AdminText.loggedOut()(state.language))
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
            return .ok(AdminText.format(format.rawValue)(state.language))
        },
        .session(
            "language", "the language of texts: de or en, kept for your account when logged in; default: the county's",
            Arg.oneOf("language", "de|en|default", as: LanguageChoice.self)
        ) { (call, state: inout SessionState, choice) in
            let language = choice.language
            if let account = state.account {
                try await call.commands.accounts.setOwnLanguage(
                    Caller(tenant: account.tenant, role: account.role, name: account.name, requestID: state.id),
                    language)
                state.account?.language = language
            }
            state.chosenLanguage = language
            let text =
                language.map { AdminText.language($0, saved: state.account != nil) }
                ?? AdminText.languageDefault(state.defaultLanguage)
            return .ok(text(state.language))
        },
        .session("quit", "close the connection") { _, _ in .ok("bye") },
    ]
}

/// The `language` command's choice: a language, or back to the county's.
enum LanguageChoice: String, CaseIterable, Sendable {
    case de
    case en
    case `default`

    var language: Language? {
        switch self {
        case .de: .de
        case .en: .en
        case .default: nil
        }
    }
}
