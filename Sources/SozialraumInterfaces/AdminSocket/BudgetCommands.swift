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
            name: "provider-view", roles: [.county, .auditor, .provider], usage: "provider-view [totals|own]",
            summary: "what providers see of a Sozialraum they share: its totals, or their own figures (county sets)",
            changes: .naturally("sets the view")
        ) { commands, request, state, _ in
            guard let text = request.positional.first else {
                let view = try await commands.budget.providerView(commands.caller(state))
                return .ok("provider-view \(view.rawValue)")
            }
            guard let view = ProviderView(rawValue: text) else {
                throw ArgumentError(name: "view", reason: "totals or own")
            }
            try await commands.budget.setProviderView(commands.caller(state), view)
            return .ok("provider-view \(view.rawValue)")
        },
        AdminCommand(
            name: "funds", roles: [.county, .auditor, .provider], usage: "funds <sozialraum> <year>",
            summary: "available funds by line and cover pool, with cover transfers", changes: .nothing
        ) { commands, request, state, _ in
            let space = try commands.socialSpace(request, 0)
            let year = try commands.integer(request, 1, name: "year", range: 2000...2199)
            let report = try await commands.budget.availableFunds(
                commands.caller(state), socialSpace: space, year: year)
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
                data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "appropriation", roles: [.county], usage: "appropriation <sozialraum> <year> <component> <amount>",
            summary: "set the Ansatz of a budget line",
            changes: .naturally(
                "sets the Ansatz; a change waiting for its second signature is answered with its pending order")
        ) { commands, request, state, _ in
            let line = BudgetLine(
                year: try commands.integer(request, 1, name: "year", range: 2000...2199),
                socialSpace: try commands.socialSpace(request, 0),
                component: try commands.component(request, 2))
            let certified = try await commands.budget.setAppropriation(
                commands.caller(state), line: line, amount: try commands.amount(request, 3))
            return .ok(certified.map { "appropriation \(line): " + $0.replyText } ?? "appropriation \(line) set")
        },
        // Cases and grants (county).
        AdminCommand(
            name: "open-case", roles: [.county], usage: "open-case <case-key> <sozialraum> <from-date>",
            summary: "open a case under its pseudonymous key", changes: .naturally("an open case is DUPLICATE")
        ) { commands, request, state, _ in
            let id = try await commands.grants.openCase(
                commands.caller(state), key: try commands.positional(request, 0, name: "case"),
                socialSpace: try commands.socialSpace(request, 1),
                from: try commands.day(request, 2, name: "from"))
            return .ok("case \(id)")
        },
        AdminCommand(
            name: "move", roles: [.county], usage: "move <case-key> <sozialraum> <date>",
            summary: "record a move of a case (rule 9)", changes: .naturally("the same move again is DUPLICATE")
        ) {
            commands, request, state, _ in
            try await commands.grants.recordMove(
                commands.caller(state), key: try commands.positional(request, 0, name: "case"),
                to: try commands.socialSpace(request, 1),
                on: try commands.day(request, 2, name: "date"))
            return .ok("moved")
        },
        AdminCommand(
            name: "grant", roles: [.county],
            usage:
                "grant <case-key> <provider> <help-type> <hour|day|flat_month> <volume> <start> <end> [reason=...] key=<idempotency-key>",
            summary: "grant a help; never refused for money, overruns are flagged", changes: .withKey
        ) { commands, request, state, _ in
            guard let unit = RateUnit(rawValue: try commands.positional(request, 3, name: "unit")) else {
                throw ArgumentError(name: "unit", reason: "hour, day or flat_month")
            }
            let outcome = try await commands.grants.grant(
                commands.caller(state),
                .init(
                    caseKey: try commands.positional(request, 0, name: "case"),
                    provider: try await commands.tenant(request, 1, state, name: "provider"),
                    helpType: try commands.positional(request, 2, name: "help-type"), unit: unit,
                    volumePerMonth: try commands.quantity(request, 4),
                    startsOn: try commands.day(request, 5, name: "start"),
                    endsOn: try commands.day(request, 6, name: "end"), outOfAreaReason: request.keywords["reason"]),
                idempotencyKey: try commands.idempotencyKey(request))
            let committed = outcome.committed.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(
                separator: ", ")
            let overruns = outcome.overruns.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            return .ok(
                "grant \(outcome.grantID) committed \(committed)"
                    + (overruns.isEmpty ? "" : " OVERRUN \(overruns.joined(separator: ", "))"))
        },
        AdminCommand(
            name: "end-grant", roles: [.county], usage: "end-grant <grant-id> <date>",
            summary: "end a grant early; releases the rest",
            changes: .naturally("ending a grant on the day it ends already changes nothing")
        ) {
            commands, request, state, _ in
            try await commands.grants.endGrant(
                commands.caller(state), grantID: try commands.uuid(request, 0, name: "grant"),
                on: try commands.day(request, 1, name: "date"))
            return .ok("grant ended")
        },
        AdminCommand(
            name: "grant-amend", roles: [.county],
            usage:
                "grant-amend <grant-id> <from-date> [volume=<per-month>] [end=<date>] reason=<text> key=<idempotency-key>",
            summary: "amend a running grant (Fortschreibung): volume and/or end from a day; commitments follow",
            changes: .withKey
        ) { commands, request, state, _ in
            guard let reason = request.keywords["reason"] else {
                throw ArgumentError(name: "reason", reason: "an amendment needs reason=<text>")
            }
            let volume = try request.keywords["volume"].map { text in
                do { return try Quantity(parsing: text, decimalComma: text.contains(",")) } catch {
                    throw ArgumentError(name: "volume", reason: "\(error)")
                }
            }
            let end = try commands.keywordDay(request, "end")
            let outcome = try await commands.grants.amendGrant(
                commands.caller(state),
                .init(
                    grantID: try commands.uuid(request, 0, name: "grant"),
                    effectiveOn: try commands.day(request, 1, name: "from"), volumePerMonth: volume, endsOn: end,
                    reason: reason),
                idempotencyKey: try commands.idempotencyKey(request))
            let committed = outcome.committed.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
                .joined(separator: ", ")
            return .ok(
                "grant \(outcome.grantID.uuidString.lowercased()) committed \(committed.isEmpty ? "nothing" : committed)"
            )
        },
        AdminCommand(
            name: "agreement-create", roles: [.county],
            usage:
                "agreement-create <provider> <help-type> <sozialraum> <hour|day|flat_month> <volume> <start> <end> key=<idempotency-key>",
            summary: "a standing agreement for direct-access help (§28, §20): a monthly contingent for a Sozialraum",
            changes: .withKey
        ) { commands, request, state, _ in
            guard let unit = RateUnit(rawValue: try commands.positional(request, 3, name: "unit")) else {
                throw ArgumentError(name: "unit", reason: "hour, day or flat_month")
            }
            let outcome = try await commands.grants.createStandingAgreement(
                commands.caller(state), provider: try await commands.tenant(request, 0, state, name: "provider"),
                helpType: try commands.positional(request, 1, name: "help-type"),
                socialSpace: try commands.socialSpace(request, 2), unit: unit,
                volumePerMonth: try commands.quantity(request, 4),
                startsOn: try commands.day(request, 5, name: "start"),
                endsOn: try commands.day(request, 6, name: "end"), idempotencyKey: try commands.idempotencyKey(request))
            let committed = outcome.committed.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
                .joined(separator: ", ")
            return .ok("agreement \(outcome.grantID.uuidString.lowercased()) committed \(committed)")
        },
        AdminCommand(
            name: "agreements", roles: [.county, .auditor, .provider], usage: "agreements",
            summary: "standing agreements for direct-access help (a provider: its own); deliver on their id",
            changes: .nothing
        ) { commands, request, state, _ in
            let agreements = try await commands.grants.standingAgreements(commands.caller(state))
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
            return .ok("\(agreements.count) agreements", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "grants", roles: [.county, .auditor, .provider],
            usage: "grants [case=<case-key>] [sozialraum=<code>]",
            summary: "grants with their ids (a provider: its own, to deliver on), of a case or a Sozialraum",
            changes: .nothing
        ) { commands, request, state, _ in
            let space = try request.keywords["sozialraum"].map { text in
                guard let code = SocialSpaceCode(text) else {
                    throw ArgumentError(name: "sozialraum", reason: "a Sozialraum code")
                }
                return code
            }
            let grants = try await commands.grants.grantListing(
                commands.caller(state), caseKey: request.keywords["case"], socialSpace: space)
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
            return .ok("\(grants.count) grants", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "grant-reason", roles: [.county], usage: "grant-reason <grant-id> reason=<text>",
            summary: "record or change why a provider serves a case outside its Sozialraum",
            changes: .naturally("sets the reason")
        ) { commands, request, state, _ in
            guard let reason = request.keywords["reason"] else {
                throw ArgumentError(name: "reason", reason: "missing")
            }
            let id = try commands.uuid(request, 0, name: "grant")
            try await commands.grants.setCrossAreaReason(commands.caller(state), grantID: id, reason: reason)
            return .ok("reason recorded")
        },
        AdminCommand(
            name: "grants-due", roles: [.county, .auditor, .provider], usage: "grants-due [weeks]",
            summary: "grants whose end or half-yearly help-plan review (§36) falls in the next weeks (default 6)",
            changes: .nothing
        ) { commands, request, state, _ in
            let weeks = request.positional.isEmpty ? 6 : try commands.integer(request, 0, name: "weeks", range: 1...104)
            let due = try await commands.grants.grantsDue(commands.caller(state), withinWeeks: weeks)
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
            return .ok("\(due.count) due", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "case", roles: [.county, .auditor], usage: "case <case-key>",
            summary: "a case's history: residences, grants, amendments, deliveries, bookings (pseudonymous)",
            changes: .nothing
        ) { commands, request, state, _ in
            let lines = try await commands.grants.caseHistory(
                commands.caller(state), key: try commands.positional(request, 0, name: "case"))
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
            return .ok("\(lines.count) lines", data: table.lines(commands.format(request: request, state)))
        },
    ]
}
