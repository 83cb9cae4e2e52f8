import Foundation
import Logging
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices
import Synchronization

/// Accounts of the admin socket: administration under four eyes (right `accounts`, issue 35), one's own
/// token, the list of accounts and of changes.
extension AdminCommands {
    static let accountCommands: [AdminCommand] = [
        AdminCommand(
            name: "account-set", roles: [.county],
            usage: "account-set <name> <tenant> <role> [rights=case,certify,order,controller,accounts]",
            summary:
                "create an account (rights wait for a second holder of accounts) or rotate another's token; prints a new token once",
            changes: .naturally(
                "the account as named; each answer carries a fresh token (the earlier one no longer works)")
        ) { commands, request, state, _ in
            guard let role = Role(rawValue: try commands.positional(request, 2, name: "role")) else {
                throw ArgumentError(name: "role", reason: "operator, county, provider or auditor")
            }
            let rights = try request.keywords["rights"].map { try commands.rights($0) }
            let (token, change) = try await commands.accounts.administer(
                commands.caller(state), name: try commands.positional(request, 0, name: "name"),
                // `county` names the county's own tenant, as `sozialraumd user set --tenant county` does.
                tenant: try commands.positional(request, 1, name: "tenant") == "county"
                    ? state.account!.tenant : try await commands.tenant(request, 1, state, name: "tenant"),
                role: role, rights: rights)
            return .ok("token \(token)" + (change.map { "; " + $0.replyText } ?? ""))
        },
        AdminCommand(
            name: "account-rights", roles: [.county], usage: "account-rights <name> <rights>|none",
            summary: "narrow a county account's rights at once, or request wider ones for a second holder of accounts",
            changes: .naturally("the same change again answers the one waiting, or sets the same rights")
        ) { commands, request, state, _ in
            let text = try commands.positional(request, 1, name: "rights")
            let outcome = try await commands.accounts.changeRights(
                commands.caller(state), name: try commands.positional(request, 0, name: "name"),
                rights: text == "none" ? [] : try commands.rights(text))
            switch outcome {
            case .applied(let rights): return .ok("rights \(CountyRight.list(rights)) set")
            case .pending(let change): return .ok(change.replyText)
            }
        },
        AdminCommand(
            name: "account-approve", roles: [.county], usage: "account-approve <change>",
            summary: "the second signature on a change of rights (right accounts; not the requester, not the account)",
            changes: .naturally("a decided change is CONFLICT")
        ) { commands, request, state, _ in
            let id = try commands.number(request, 0, name: "change", reason: "a change number")
            let (account, rights) = try await commands.accounts.approveChange(commands.caller(state), id: id)
            return .ok("change \(id) approved: \(account) holds \(CountyRight.list(rights))")
        },
        AdminCommand(
            name: "account-reject", roles: [.county], usage: "account-reject <change> reason=<text>",
            summary: "refuse a change of rights with a reason (right accounts)",
            changes: .naturally("a decided change is CONFLICT")
        ) { commands, request, state, _ in
            guard let reason = request.keywords["reason"] else {
                throw ArgumentError(name: "reason", reason: "required")
            }
            let id = try commands.number(request, 0, name: "change", reason: "a change number")
            try await commands.accounts.rejectChange(commands.caller(state), id: id, reason: reason)
            return .ok("change \(id) rejected")
        },
        AdminCommand(
            name: "account-changes", roles: [.county, .auditor], usage: "account-changes",
            summary: "changes of rights, newest first: requested, approved, rejected or expired, by whom",
            changes: .nothing
        ) { commands, request, state, _ in
            let changes = try await commands.accounts.changes(commands.caller(state))
            let table = ResultTable(
                columns: [
                    "change", "account", "rights", "requested_by", "requested_at", "expires", "state", "decided_by",
                ],
                rows: changes.map {
                    [
                        .integer($0.id), .text($0.account), .text(CountyRight.list($0.rights)), .text($0.requestedBy),
                        .text($0.requestedAt), .text($0.expiresOn.description), .text($0.state),
                        $0.decidedBy.map { .text($0) } ?? .null,
                    ]
                })
            return .ok("\(changes.count) changes", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "account-disable", roles: [.county], usage: "account-disable <name>",
            summary: "disable an account at once: its sessions end at their next request (right accounts)",
            changes: .naturally("a disabled account stays disabled")
        ) { commands, request, state, _ in
            let name = try commands.positional(request, 0, name: "name")
            try await commands.accounts.setDisabled(commands.caller(state), name: name, disabled: true)
            return .ok("account \(name) disabled")
        },
        AdminCommand(
            name: "account-enable", roles: [.county], usage: "account-enable <name>",
            summary: "enable a disabled account again, with the rights it held (right accounts)",
            changes: .naturally("an enabled account stays enabled")
        ) { commands, request, state, _ in
            let name = try commands.positional(request, 0, name: "name")
            try await commands.accounts.setDisabled(commands.caller(state), name: name, disabled: false)
            return .ok("account \(name) enabled")
        },
        AdminCommand(
            name: "account-limits", roles: [.county],
            usage: "account-limits <name> limit=<amount>|none sozialraeume=<code>,…|all",
            summary: "the most a county account may order at once, and for which Sozialräume (right accounts)",
            changes: .naturally("sets the limits")
        ) { commands, request, state, _ in
            let name = try commands.positional(request, 0, name: "name")
            guard let limitText = request.keywords["limit"], let scopeText = request.keywords["sozialraeume"] else {
                throw ArgumentError(name: "limit", reason: "give limit=<amount>|none and sozialraeume=<code>,…|all")
            }
            var limit: Money?
            if limitText != "none" {
                do throws(Money.ParseError) { limit = try Money(parsing: limitText) } catch {
                    throw ArgumentError(name: "limit", reason: error.description)
                }
            }
            let scope =
                try scopeText == "all"
                ? nil
                : scopeText.split(separator: ",").map { code in
                    guard let space = SocialSpaceCode(String(code)) else {
                        throw ArgumentError(name: "sozialraeume", reason: "Sozialraum codes, or all")
                    }
                    return space
                }
            try await commands.accounts.setOrderingLimits(
                commands.caller(state), name: name, limit: limit, scope: scope)
            return .ok(
                "account \(name) orders up to \(limit?.description ?? "any amount") for "
                    + (scope.map { $0.map(\.rawValue).joined(separator: ", ") } ?? "every Sozialraum"))
        },
        AdminCommand(
            name: "token-rotate", roles: [.operator, .county, .provider, .auditor], usage: "token-rotate",
            summary: "a new token for your own account; every session under the old one ends (this one too)",
            changes: .naturally("each answer carries a fresh token (the earlier one no longer works)")
        ) { commands, _, state, _ in
            let token = try await commands.accounts.rotateOwnToken(commands.caller(state))
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

    /// `case,certify` → the rights, or a clear error.
    func rights(_ text: String) throws -> Set<CountyRight> {
        guard let parsed = CountyRight.parseList(text), !parsed.isEmpty else {
            throw ArgumentError(name: "rights", reason: "a list of case, certify, order, controller, accounts")
        }
        return parsed
    }
}

extension AccountService.PendingChange {
    /// What the requester is told: the change waits for a second holder of `accounts`.
    var replyText: String {
        "rights \(CountyRight.list(rights)) requested\(alreadyPending ? " already" : ""): change \(id) waits for a "
            + "second holder of accounts (account-approve \(id)) until \(expiresOn)"
    }
}
