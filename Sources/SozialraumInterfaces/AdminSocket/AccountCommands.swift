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
            name: "account-set", roles: [.county], usage: "account-set <name> <tenant> <role>",
            summary: "create an account or rotate its secret; prints a new token once", mutates: true
        ) { commands, request, state, _ in
            guard let role = Role(rawValue: try commands.positional(request, 2, name: "role")) else {
                throw ArgumentError(name: "role", reason: "operator, county, provider or auditor")
            }
            let token = AccountService.generateToken()
            try await commands.accounts.setAccount(
                name: try commands.positional(request, 0, name: "name"),
                tenant: try await commands.tenant(request, 1, state, name: "tenant"), role: role,
                secret: token, actingAs: state.account!.tenant)
            return .ok("token \(token)")
        }
    ]
}
