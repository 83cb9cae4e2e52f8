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
            "account-set", roles: [.county], right: .accounts,
            "create an account (rights wait for a second holder of accounts) or rotate another's token; prints a new token once",
            changes: .naturally(
                "the account as named; each answer carries a fresh token (the earlier one no longer works)"),
            Arg.text("name"), Arg.tenant("tenant", county: true), Arg.oneOf("role", as: Role.self),
            Arg.rightsKeyword.optional
        ) { invocation, name, tenant, role, rights in
            let (token, change) = try await invocation.commands.accounts.administer(
                invocation.caller, name: name, tenant: try await invocation.tenant(tenant), role: role, rights: rights)
            return .ok("token \(token)" + (change.map { "; " + invocation.say(AdminText.changeRequested($0)) } ?? ""))
        },
        AdminCommand(
            "account-rights", roles: [.county], right: .accounts,
            "narrow a county account's rights at once, or request wider ones for a second holder of accounts",
            changes: .naturally("the same change again answers the one waiting, or sets the same rights"),
            Arg.text("name"), Arg.rightsOrNone
        ) { invocation, name, rights in
            switch try await invocation.commands.accounts.changeRights(invocation.caller, name: name, rights: rights) {
            case .applied(let rights): return .ok(invocation.say(AdminText.rightsSet(CountyRight.list(rights))))
            case .pending(let change): return .ok(invocation.say(AdminText.changeRequested(change)))
            }
        },
        AdminCommand(
            "account-approve", roles: [.county], right: .accounts,
            "the second signature on a change of rights (right accounts; not the requester, not the account)",
            changes: .naturally("a decided change is CONFLICT"), Arg.number("change", reason: "a change number")
        ) { invocation, id in
            let (account, rights) = try await invocation.commands.accounts.approveChange(invocation.caller, id: id)
            return .ok(invocation.say(AdminText.changeApproved(id, account, CountyRight.list(rights))))
        },
        AdminCommand(
            "account-reject", roles: [.county], right: .accounts,
            "refuse a change of rights with a reason (right accounts)",
            changes: .naturally("a decided change is CONFLICT"), Arg.number("change", reason: "a change number"),
            Arg.textKeyword("reason")
        ) { invocation, id, reason in
            try await invocation.commands.accounts.rejectChange(invocation.caller, id: id, reason: reason)
            return .ok(invocation.say(AdminText.changeRejected(id)))
        },
        AdminCommand(
            "account-changes", roles: [.county, .auditor],
            "changes of rights, newest first: requested, approved, rejected or expired, by whom", changes: .nothing
        ) { invocation in
            let changes = try await invocation.commands.accounts.changes(invocation.caller)
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
            return .ok(invocation.say(AdminText.counted(changes.count, "changes")), data: invocation.lines(table))
        },
        AdminCommand(
            "account-disable", roles: [.county], right: .accounts,
            "disable an account at once: its sessions end at their next request (right accounts)",
            changes: .naturally("a disabled account stays disabled"), Arg.text("name")
        ) { invocation, name in
            try await invocation.commands.accounts.setDisabled(invocation.caller, name: name, disabled: true)
            return .ok(invocation.say(AdminText.accountDisabled(name)))
        },
        AdminCommand(
            "account-enable", roles: [.county], right: .accounts,
            "enable a disabled account again, with the rights it held (right accounts)",
            changes: .naturally("an enabled account stays enabled"), Arg.text("name")
        ) { invocation, name in
            try await invocation.commands.accounts.setDisabled(invocation.caller, name: name, disabled: false)
            return .ok(invocation.say(AdminText.accountEnabled(name)))
        },
        AdminCommand(
            "account-factor-reset", roles: [.county], right: .accounts,
            "remove an account's portal second factor (a lost phone); it sets up a new one at its next login (right accounts)",
            changes: .naturally("a removed factor is NOT_FOUND"), Arg.text("name")
        ) { invocation, name in
            try await invocation.commands.accounts.resetSecondFactor(invocation.caller, account: name)
            return .ok(invocation.say(AdminText.factorRemoved(name)))
        },
        AdminCommand(
            "account-limits", roles: [.county], right: .accounts,
            "the most a county account may order at once, and for which Sozialräume (right accounts)",
            changes: .naturally("sets the limits"), Arg.text("name"), Arg.amountOrNone("limit"),
            Arg.socialSpacesOrAll("sozialraeume")
        ) { invocation, name, limit, scope in
            try await invocation.commands.accounts.setOrderingLimits(
                invocation.caller, name: name, limit: limit, scope: scope)
            return .ok(invocation.say(AdminText.limits(name, limit: limit, scope: scope)))
        },
        AdminCommand(
            "portal-certificates", roles: [.county, .auditor],
            "the client certificates pinned for the portal, of every tenant or of one (county, a provider)",
            changes: .nothing, Arg.tenant("tenant", county: true).optional
        ) { invocation, reference in
            var tenant: TenantID? = nil
            if let reference { tenant = try await invocation.tenant(reference) }
            let pins = try await invocation.commands.accounts.portalCertificates(invocation.caller, tenant: tenant)
            let table = ResultTable(
                columns: ["tenant", "sha256", "label", "added_by", "added_at"],
                rows: pins.map {
                    [
                        .text($0.tenant.description), .text($0.sha256), .text($0.label), .text($0.addedBy),
                        .text($0.addedAt),
                    ]
                })
            return .ok(invocation.say(AdminText.counted(pins.count, "certificates")), data: invocation.lines(table))
        },
        AdminCommand(
            "portal-certificate-pin", roles: [.county], right: .accounts,
            "pin a client certificate (its SHA-256) to a tenant: its accounts then log in to the portal only with a pinned one (right accounts)",
            changes: .naturally("a pinned certificate is DUPLICATE"), Arg.tenant("tenant", county: true),
            Arg.text("fingerprint", "<sha256>"), Arg.textKeyword("label")
        ) { invocation, reference, fingerprint, label in
            let tenant = try await invocation.tenant(reference)
            try await invocation.commands.accounts.pinPortalCertificate(
                invocation.caller, tenant: tenant, fingerprint: fingerprint, label: label)
            return .ok(invocation.say(AdminText.certificatePinned(label)))
        },
        AdminCommand(
            "portal-certificate-unpin", roles: [.county], right: .accounts,
            "remove a pinned client certificate (right accounts); with none left the tenant logs in without one",
            changes: .naturally("an unpinned certificate is NOT_FOUND"), Arg.tenant("tenant", county: true),
            Arg.text("fingerprint", "<sha256>")
        ) { invocation, reference, fingerprint in
            let tenant = try await invocation.tenant(reference)
            try await invocation.commands.accounts.unpinPortalCertificate(
                invocation.caller, tenant: tenant, fingerprint: fingerprint)
            return .ok(invocation.say(AdminText.certificateUnpinned))
        },
        AdminCommand(
            "token-rotate", roles: [.operator, .county, .provider, .auditor],
            "a new token for your own account; every session under the old one ends (this one too)",
            changes: .naturally("each answer carries a fresh token (the earlier one no longer works)")
        ) { invocation in
            .ok("token \(try await invocation.commands.accounts.rotateOwnToken(invocation.caller))")
        },
        AdminCommand(
            "accounts", roles: [.county, .auditor], "every account with its tenant, role and rights (never a secret)",
            changes: .nothing
        ) { invocation in
            let accounts = try await invocation.commands.accounts.accounts(invocation.caller)
            let table = ResultTable(
                columns: ["name", "tenant", "role", "rights", "disabled"],
                rows: accounts.map {
                    [
                        .text($0.name), .text($0.tenant), .text($0.role.rawValue),
                        .text($0.role == .county ? CountyRight.list($0.rights) : "-"),
                        .text($0.disabled ? "yes" : "no"),
                    ]
                })
            return .ok(invocation.say(AdminText.counted(accounts.count, "accounts")), data: invocation.lines(table))
        },
    ]
}

extension Arg {
    static let rightsReason = "a list of case, certify, order, controller, accounts, erase"

    /// `rights=case,certify,…`.
    static var rightsKeyword: Argument<Set<CountyRight>> {
        Argument<Set<CountyRight>>.keyword(
            "rights", "case,certify,order,controller,accounts,erase", reason: rightsReason
        ) {
            CountyRight.parseList($0).flatMap { $0.isEmpty ? nil : $0 }
        }
    }

    /// `<rights>|none`.
    static var rightsOrNone: Argument<Set<CountyRight>> {
        Argument<Set<CountyRight>>.required("rights", "<rights>|none", reason: rightsReason) {
            $0 == "none" ? [] : CountyRight.parseList($0).flatMap { $0.isEmpty ? nil : $0 }
        }
    }

    /// `name=<amount>|none`: nil for none.
    static func amountOrNone(_ name: String) -> Argument<Money?> {
        Argument<Money?>.keyword(
            name, "<amount>|none", reason: "an amount (e.g. 5000.00) or none",
            missing: "give limit=<amount>|none and sozialraeume=<code>,…|all"
        ) {
            text -> Money?? in
            text == "none" ? .some(nil) : (try? Money(parsing: text)).map { .some($0) }
        }
    }

    /// `name=<code>,…|all`: nil for all.
    static func socialSpacesOrAll(_ name: String) -> Argument<[SocialSpaceCode]?> {
        Argument<[SocialSpaceCode]?>.keyword(
            name, "<code>,…|all", reason: "Sozialraum codes, or all",
            missing: "give limit=<amount>|none and sozialraeume=<code>,…|all"
        ) {
            text -> [SocialSpaceCode]?? in
            guard text != "all" else { return .some(nil) }
            let codes = text.split(separator: ",").compactMap { SocialSpaceCode(String($0)) }
            return codes.count == text.split(separator: ",").count && !codes.isEmpty ? .some(codes) : nil
        }
    }
}
