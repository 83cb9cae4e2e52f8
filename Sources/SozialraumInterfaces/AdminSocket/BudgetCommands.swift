import Foundation
import Logging
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices
import Synchronization

/// Budgets, cases and grants (county); funds (everyone who may see them).
extension AdminCommands {
    static let budgets: [AdminCommand] = [
        AdminCommand(
            "provider-view", roles: [.county, .auditor, .provider],
            "what providers see of a Sozialraum they share: its totals, or their own figures (county sets)",
            changes: .naturally("sets the view"), Arg.oneOf("view", as: ProviderView.self).optional
        ) { invocation, view in
            guard let view else {
                return .ok(
                    "provider-view \(try await invocation.commands.budget.providerView(invocation.caller).rawValue)")
            }
            try await invocation.commands.budget.setProviderView(invocation.caller, view)
            return .ok("provider-view \(view.rawValue)")
        },
        AdminCommand(
            "funds", roles: [.county, .auditor, .provider],
            "available funds by line and cover pool, with cover transfers",
            changes: .nothing, Arg.socialSpace, Arg.year
        ) { invocation, space, year in
            let report = try await invocation.commands.budget.availableFunds(
                invocation.caller, socialSpace: space, year: year)
            var rows: [[ResultTable.Cell]] = report.lines.map { line in
                [
                    .text(line.component.rawValue), .amount(line.funds.appropriation.cents),
                    .amount(line.funds.carryIn.cents),
                    .amount(line.funds.commitments.cents), .amount(line.funds.actuals.cents),
                    .amount(line.funds.available.cents),
                    .amount(line.availableAfterCover.cents),
                ]
            }
            for transfer in report.transfers {
                rows.append([
                    .text("cover \(transfer.from.rawValue)->\(transfer.to.rawValue)"), .null, .null, .null, .null,
                    .amount(transfer.amount.cents), .null,
                ])
            }
            let table = ResultTable(
                columns: ["line", "appropriation", "carry_in", "commitments", "actuals", "available", "after_cover"],
                rows: rows)
            let overrun = try Money.total(report.pools.map(\.overrun))
            let shares = report.providerShares.isPositive ? ", provider shares \(report.providerShares)" : ""
            return .ok(
                (overrun.isPositive ? "OVERRUN \(overrun) (überplanmäßig)" : "\(space) \(year)") + shares,
                data: invocation.lines(table))
        },
        AdminCommand(
            "appropriation", roles: [.county], right: .caseWork, "set the Ansatz of a budget line",
            changes: .naturally(
                "sets the Ansatz; a change waiting for its second signature is answered with its pending order"),
            Arg.socialSpace, Arg.year, Arg.component, Arg.amount
        ) { invocation, space, year, component, amount in
            let line = BudgetLine(year: year, socialSpace: space, component: component)
            let certified = try await invocation.commands.budget.setAppropriation(
                invocation.caller, line: line, amount: amount)
            return .ok(
                invocation.say(
                    certified.map { AdminText.appropriation("\(line)") + AdminText.certified($0) }
                        ?? AdminText.appropriationSet("\(line)")))
        },
        // Cases and grants (county).
        AdminCommand(
            "open-case", roles: [.county], right: .caseWork, "open a case under its pseudonymous key",
            changes: .naturally("an open case is DUPLICATE"), Arg.caseKey, Arg.socialSpace,
            Arg.day("from", "<from-date>")
        ) { invocation, key, space, from in
            let id = try await invocation.commands.grants.openCase(
                invocation.caller, key: key, socialSpace: space, from: from)
            return .ok(invocation.say(AdminText.caseOpened("\(id)")))
        },
        AdminCommand(
            "move", roles: [.county], right: .caseWork, "record a move of a case (rule 9)",
            changes: .naturally("the same move again is DUPLICATE"), Arg.caseKey, Arg.socialSpace, Arg.day("date")
        ) { invocation, key, space, day in
            try await invocation.commands.grants.recordMove(invocation.caller, key: key, to: space, on: day)
            return .ok(invocation.say(AdminText.moved))
        },
        AdminCommand(
            "grant", roles: [.county], right: .caseWork, "grant a help; never refused for money, overruns are flagged",
            changes: .withKey, Arg.caseKey, Arg.tenant(), Arg.text("help-type"), Arg.oneOf("unit", as: RateUnit.self),
            Arg.quantity.named("volume"), Arg.day("start"), Arg.day("end"), Arg.textKeyword("reason").optional,
            Arg.key
        ) { invocation, key, provider, helpType, unit, volume, start, end, reason, idempotencyKey in
            let outcome = try await invocation.commands.grants.grant(
                invocation.caller,
                .init(
                    caseKey: key, provider: try await invocation.tenant(provider), helpType: helpType, unit: unit,
                    volumePerMonth: volume, startsOn: start, endsOn: end, outOfAreaReason: reason),
                idempotencyKey: idempotencyKey)
            let committed = outcome.committed.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(
                separator: ", ")
            let overruns = outcome.overruns.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            return .ok(
                invocation.say(
                    AdminText.granted(
                        "\(outcome.grantID)", committed: committed, overruns: overruns.joined(separator: ", "))))
        },
        AdminCommand(
            "end-grant", roles: [.county], right: .caseWork, "end a grant early; releases the rest",
            changes: .naturally("ending a grant on the day it ends already changes nothing"), Arg.grantID,
            Arg.day("date")
        ) { invocation, grant, day in
            try await invocation.commands.grants.endGrant(invocation.caller, grantID: grant, on: day)
            return .ok(invocation.say(AdminText.grantEnded))
        },
        AdminCommand(
            "grant-amend", roles: [.county], right: .caseWork,
            "amend a running grant (Fortschreibung): volume and/or end from a day; commitments follow",
            changes: .withKey, Arg.grantID, Arg.day("from", "<from-date>"),
            Arg.quantityKeyword("volume", "<per-month>").optional, Arg.dayKeyword("end").optional,
            Arg.textKeyword("reason", missing: "an amendment needs reason=<text>"), Arg.key
        ) { invocation, grant, from, volume, end, reason, key in
            let outcome = try await invocation.commands.grants.amendGrant(
                invocation.caller,
                .init(grantID: grant, effectiveOn: from, volumePerMonth: volume, endsOn: end, reason: reason),
                idempotencyKey: key)
            let committed = outcome.committed.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
                .joined(separator: ", ")
            return .ok(
                invocation.say(
                    AdminText.granted(outcome.grantID.uuidString.lowercased(), committed: committed, amended: true)))
        },
        AdminCommand(
            "agreement-create", roles: [.county], right: .caseWork,
            "a standing agreement for direct-access help (§28, §20): a monthly contingent for a Sozialraum",
            changes: .withKey, Arg.tenant(), Arg.text("help-type"), Arg.socialSpace,
            Arg.oneOf("unit", as: RateUnit.self), Arg.quantity.named("volume"), Arg.day("start"), Arg.day("end"),
            Arg.key
        ) { invocation, provider, helpType, space, unit, volume, start, end, key in
            let outcome = try await invocation.commands.grants.createStandingAgreement(
                invocation.caller, provider: try await invocation.tenant(provider), helpType: helpType,
                socialSpace: space, unit: unit, volumePerMonth: volume, startsOn: start, endsOn: end,
                idempotencyKey: key)
            let committed = outcome.committed.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
                .joined(separator: ", ")
            return .ok(
                invocation.say(
                    AdminText.granted(outcome.grantID.uuidString.lowercased(), committed: committed, agreement: true)))
        },
        AdminCommand(
            "agreements", roles: [.county, .auditor, .provider],
            "standing agreements for direct-access help (a provider: its own); deliver on their id", changes: .nothing
        ) { invocation in
            let agreements = try await invocation.commands.grants.standingAgreements(invocation.caller)
            let table = ResultTable(
                columns: ["agreement", "provider", "help_type", "sozialraum", "unit", "volume", "from", "to", "case"],
                rows: agreements.map { agreement in
                    [
                        .text(agreement.id.uuidString.lowercased()), .text(agreement.provider.description),
                        .text(agreement.helpType), agreement.socialSpace.map { .text($0.rawValue) } ?? .null,
                        .text(agreement.unit.rawValue), .amount(agreement.volumePerMonth.hundredths),
                        .text(agreement.startsOn.description), .text(agreement.lastDay.description),
                        .text(agreement.caseKey),
                    ]
                })
            try await invocation.showingCases(keys: agreements.map(\.caseKey), command: "agreements")
            return .ok(invocation.say(AdminText.counted(agreements.count, "agreements")), data: invocation.lines(table))
        },
        AdminCommand(
            "grants", roles: [.county, .auditor, .provider],
            "grants with their ids (a provider: its own, to deliver on), of a case or a Sozialraum", changes: .nothing,
            Arg.textKeyword("case", "<case-key>").optional, Arg.socialSpaceKeyword.optional
        ) { invocation, key, space in
            let grants = try await invocation.commands.grants.grantListing(
                invocation.caller, caseKey: key, socialSpace: space)
            let table = ResultTable(
                columns: ["grant", "case", "provider", "help_type", "unit", "volume", "from", "to", "sozialraum"],
                rows: grants.map { grant in
                    [
                        .text(grant.id.uuidString.lowercased()), .text(grant.caseKey), .text(grant.providerName),
                        .text(grant.helpType), .text(grant.unit.rawValue), .amount(grant.volumePerMonth.hundredths),
                        .text(grant.from.description), .text(grant.to.description),
                        grant.socialSpace.map { .text($0) } ?? .null,
                    ]
                })
            try await invocation.showingCases(keys: grants.map(\.caseKey), command: "grants")
            return .ok(invocation.say(AdminText.counted(grants.count, "grants")), data: invocation.lines(table))
        },
        AdminCommand(
            "grant-reason", roles: [.county], right: .caseWork,
            "record or change why a provider serves a case outside its Sozialraum",
            changes: .naturally("sets the reason"),
            Arg.grantID, Arg.textKeyword("reason", missing: "missing")
        ) { invocation, grant, reason in
            try await invocation.commands.grants.setCrossAreaReason(invocation.caller, grantID: grant, reason: reason)
            return .ok(invocation.say(AdminText.reasonRecorded))
        },
        AdminCommand(
            "grants-due", roles: [.county, .auditor, .provider],
            "grants whose end or half-yearly help-plan review (§36) falls in the next weeks (default 6)",
            changes: .nothing, Arg.integer("weeks", in: 1...104).defaulting(to: 6)
        ) { invocation, weeks in
            let due = try await invocation.commands.grants.grantsDue(invocation.caller, withinWeeks: weeks)
            let table = ResultTable(
                columns: ["due", "kind", "grant", "case", "provider", "help_type", "from", "to"],
                rows: due.map { item in
                    [
                        .text(item.due.description), .text(item.kind.rawValue),
                        .text(item.grantID.uuidString.lowercased()),
                        .text(item.caseKey), .text(item.provider.description), .text(item.helpType),
                        .text(item.startsOn.description), .text(item.lastDay.description),
                    ]
                })
            try await invocation.showingCases(keys: due.map(\.caseKey), command: "grants-due")
            return .ok(invocation.say(AdminText.counted(due.count, "due")), data: invocation.lines(table))
        },
        AdminCommand(
            "case", roles: [.county, .auditor, .dpo],
            "a case's history: residences, grants, amendments, deliveries, bookings (pseudonymous)", changes: .nothing,
            Arg.caseKey
        ) { invocation, key in
            let lines = try await invocation.commands.grants.caseHistory(invocation.caller, key: key)
            let table = ResultTable(
                columns: ["day", "kind", "reference", "provider", "sozialraum", "detail", "amount"],
                rows: lines.map { line in
                    [
                        .text(line.day.description), .text(line.kind.rawValue),
                        line.reference.map { .text($0) } ?? .null,
                        line.provider.map { .text($0.description) } ?? .null,
                        line.socialSpace.map { .text($0.rawValue) } ?? .null, .text(line.detail),
                        line.amount.map { .amount($0.cents) } ?? .null,
                    ]
                })
            try await invocation.showingCases(lines.isEmpty ? 0 : 1, command: "case")
            return .ok(invocation.say(AdminText.counted(lines.count, "lines")), data: invocation.lines(table))
        },
    ]
}
