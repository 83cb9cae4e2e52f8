import Foundation
import Logging
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices
import Synchronization

/// Accounts of the admin socket (county).
extension AdminCommands {
    static let accountCommands: [AdminCommand] = [
        AdminCommand(
            name: "account-set", roles: [.county],
            usage: "account-set <name> <tenant> <role> [rights=case,certify,order,controller]",
            summary:
                "create an account or rotate its secret (a county account's rights: all unless named); prints a new token once",
            changes: .naturally("sets the account to what the request names (a token again is the same token)")
        ) { commands, request, state, _ in
            guard let role = Role(rawValue: try commands.positional(request, 2, name: "role")) else {
                throw ArgumentError(name: "role", reason: "operator, county, provider or auditor")
            }
            var rights: Set<CountyRight>?
            if let text = request.keywords["rights"] {
                guard role == .county else {
                    throw ArgumentError(name: "rights", reason: "only county accounts hold rights")
                }
                guard let parsed = CountyRight.parseList(text), !parsed.isEmpty else {
                    throw ArgumentError(name: "rights", reason: "a list of case, certify, order, controller")
                }
                rights = parsed
            }
            let token = AccountService.generateToken()
            try await commands.accounts.setAccount(
                name: try commands.positional(request, 0, name: "name"),
                // `county` names the county's own tenant, as `sozialraumd user set --tenant county` does.
                tenant: try commands.positional(request, 1, name: "tenant") == "county"
                    ? state.account!.tenant : try await commands.tenant(request, 1, state, name: "tenant"),
                role: role,
                secret: token, actingAs: state.account!.tenant, rights: rights)
            return .ok("token \(token)")
        },
        AdminCommand(
            name: "accounts", roles: [.county, .auditor], usage: "accounts",
            summary: "every account with its tenant, role and rights (never a secret)", changes: .nothing
        ) { commands, request, state, _ in
            let accounts = try await commands.accounts.accounts(commands.caller(state))
            let table = ResultTable(
                columns: ["name", "tenant", "role", "rights", "disabled"],
                rows: accounts.map {
                    [
                        .text($0.name), .text($0.tenant), .text($0.role.rawValue),
                        .text($0.role == .county ? CountyRight.list($0.rights) : "-"),
                        .text($0.disabled ? "yes" : "no"),
                    ]
                })
            return .ok("\(accounts.count) accounts", data: table.lines(commands.format(request: request, state)))
        },
    ]
}
