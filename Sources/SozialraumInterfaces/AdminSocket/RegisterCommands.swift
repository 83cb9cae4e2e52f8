import Foundation
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices

/// The county's register (Stammdaten): providers, Sozialräume, assignments, fiscal years, help types,
/// rates, projects and the audit trail. Changes are the county's; the lists follow what each role sees.
extension AdminCommands {
    static let register: [AdminCommand] =
        providerCommands + geographyCommands + yearCommands + rateAndProjectCommands + migrationCommands

    static let providerCommands: [AdminCommand] = [
        AdminCommand(
            "provider-register", roles: [.county], right: .caseWork,
            "register a provider (freier Träger) under a short code",
            changes: .naturally("an existing code is DUPLICATE"),
            Argument<ProviderCode>.required("code", reason: "2 to 32 of a-z, 0-9, '-', starting with a letter") {
                ProviderCode($0)
            },
            Arg.text("name")
        ) { invocation, code, name in
            let id = try await invocation.commands.budget.registerProvider(invocation.caller, code: code, name: name)
            return .ok(invocation.say(AdminText.providerRegistered("\(code)", "\(id)")))
        },
        AdminCommand(
            "provider-rename", roles: [.county], right: .caseWork, "rename a provider",
            changes: .naturally("sets the name"),
            Arg.tenant(), Arg.text("name")
        ) { invocation, reference, name in
            let provider = try await invocation.tenant(reference)
            try await invocation.commands.budget.renameProvider(invocation.caller, provider, name: name)
            return .ok(invocation.say(AdminText.providerRenamed("\(provider)")))
        },
        AdminCommand(
            "provider-end", roles: [.county], right: .caseWork,
            "end the cooperation with a provider after a day (history kept), or let it go on",
            changes: .naturally("sets the end of the cooperation"), Arg.tenant(),
            Argument<Day?>.required("last-day", "<last-day>|continue", reason: "a date YYYY-MM-DD, or continue") {
                text -> Day?? in
                text == "continue" ? .some(nil) : Day(iso: text).map { .some($0) }
            }
        ) { invocation, reference, day in
            let provider = try await invocation.tenant(reference)
            try await invocation.commands.budget.endCooperation(invocation.caller, provider, after: day)
            return .ok(invocation.say(AdminText.cooperation("\(provider)", endsAfter: day.map { "\($0)" })))
        },
    ]

    static let geographyCommands: [AdminCommand] = [
        AdminCommand(
            "sozialraum-define", roles: [.county], right: .caseWork,
            "define or rename a Sozialraum and (re)group municipalities into it from a date",
            changes: .naturally("the same definition again is DUPLICATE"), Arg.socialSpace.named("code"),
            Arg.text("name"), Arg.day("from", "<from-date>"),
            Argument.rest("municipality", "<municipality-code>:<name>")
        ) { invocation, code, name, from, texts in
            var municipalities: [(code: SocialSpaceCode, name: String)] = []
            for text in texts {
                let parts = text.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, let municipality = SocialSpaceCode(String(parts[0])) else {
                    throw ArgumentError(name: "municipality", reason: "<code>:<name>, e.g. \"verden:Verden (Aller)\"")
                }
                municipalities.append((municipality, String(parts[1])))
            }
            try await invocation.commands.budget.defineSocialSpace(
                invocation.caller, code: code, name: name, municipalities: municipalities, validFrom: from)
            return .ok(
                invocation.say(
                    AdminText.sozialraumDefined("\(code)", municipalities: municipalities.count, from: "\(from)")))
        },
        AdminCommand(
            "sozialraeume", roles: [.county, .auditor, .provider], "Sozialräume and their municipalities over time",
            changes: .nothing
        ) { invocation in
            let members = try await invocation.commands.budget.socialSpaces(invocation.caller)
            let table = ResultTable(
                columns: ["sozialraum", "name", "municipality", "municipality_name", "from", "to"],
                rows: members.map { member in
                    let grouped = !member.municipalityName.isEmpty
                    return [
                        .text(member.socialSpace.rawValue), .text(member.socialSpaceName),
                        grouped ? .text(member.municipality.rawValue) : .null,
                        grouped ? .text(member.municipalityName) : .null,
                        grouped ? .text(member.validFrom.description) : .null,
                        member.validTo.map { .text($0.description) } ?? .null,
                    ]
                })
            let spaces = Set(members.map(\.socialSpace)).count
            return .ok(invocation.say(AdminText.counted(spaces, "sozialraeume")), data: invocation.lines(table))
        },
        AdminCommand(
            "assign", roles: [.county], right: .caseWork, "assign a provider to a Sozialraum from a date",
            changes: .naturally("the same assignment again is DUPLICATE"), Arg.tenant(), Arg.socialSpace,
            Arg.choice("lead", ["lead", "member"]), Arg.day("from"), Arg.dayKeyword("to").optional
        ) { invocation, reference, space, role, from, to in
            let provider = try await invocation.tenant(reference)
            try await invocation.commands.budget.assignProvider(
                invocation.caller, provider: provider, socialSpace: space, lead: role == "lead", from: from, to: to)
            return .ok(
                invocation.say(
                    AdminText.assigned(
                        "\(provider)", "\(space)", lead: role == "lead", from: "\(from)", to: to.map { "\($0)" })))
        },
        AdminCommand(
            "unassign", roles: [.county], right: .caseWork, "end a provider's assignment to a Sozialraum",
            changes: .naturally("ending an ended assignment is CONFLICT"), Arg.tenant(), Arg.socialSpace,
            Arg.day("last-day")
        ) { invocation, reference, space, day in
            let provider = try await invocation.tenant(reference)
            try await invocation.commands.budget.endAssignment(
                invocation.caller, provider: provider, socialSpace: space, on: day)
            return .ok(invocation.say(AdminText.unassigned("\(provider)", "\(space)", until: "\(day)")))
        },
        AdminCommand(
            "assignments", roles: [.county, .auditor, .provider],
            "which providers serve which Sozialraum (a provider: its own)", changes: .nothing
        ) { invocation in
            let assignments = try await invocation.commands.budget.assignments(invocation.caller)
            let table = ResultTable(
                columns: ["sozialraum", "provider", "tenant", "lead", "from", "to"],
                rows: assignments.map { assignment in
                    [
                        .text(assignment.socialSpace.rawValue), .text(assignment.providerName),
                        .text(assignment.provider.description), .text(assignment.lead ? "lead" : "member"),
                        .text(assignment.validFrom.description),
                        assignment.validTo.map { .text($0.description) } ?? .null,
                    ]
                })
            return .ok(
                invocation.say(AdminText.counted(assignments.count, "assignments")), data: invocation.lines(table))
        },
    ]

    static let yearCommands: [AdminCommand] = [
        AdminCommand(
            "year-open", roles: [.county], right: .caseWork,
            "open a fiscal year with its months, overrun policy, provider share, carry-forward and cover pools",
            changes: .naturally("an open year is DUPLICATE"), Arg.year,
            Argument<OverrunPolicy>.keyword("policy", "warn|refuse", reason: "warn or refuse") {
                OverrunPolicy(rawValue: $0)
            }.defaulting(to: .warn),
            Argument<Int>.keyword("share", "<percent>", reason: "a percentage 0 to 100 with at most two decimals") {
                basisPoints($0)
            }.defaulting(to: 0),
            Argument<Bool>.keyword("carry-forward", "yes|no", reason: "yes or no") {
                ["yes": true, "no": false][$0]
            }.defaulting(to: true),
            Argument<CoverPools>.checkedKeyword("pools", "case+milieu,…|none") { text throws(ArgumentError) in
                try coverPools(text)
            }.defaulting(to: CoverPools.standard)
        ) { invocation, year, policy, share, carryForward, pools in
            try await invocation.commands.budget.openYear(
                invocation.caller, year: year, overrunPolicy: policy, providerSurplusShare: share, coverPools: pools,
                carryForwardAllowed: carryForward)
            return .ok(
                invocation.say(
                    AdminText.yearOpened(
                        year, policy: policy.rawValue, share: Self.percent(share), carryForward: carryForward,
                        pools: Self.describe(pools))))
        },
        AdminCommand(
            "years", roles: [.county, .auditor, .provider], "fiscal years with their policies", changes: .nothing
        ) {
            invocation in
            let years = try await invocation.commands.budget.fiscalYears(invocation.caller)
            let table = ResultTable(
                columns: ["year", "overrun_policy", "provider_share", "carry_forward", "cover_pools", "closed_months"],
                rows: years.map { year in
                    [
                        .integer(Int64(year.year)), .text(year.overrunPolicy.rawValue),
                        .text(Self.percent(year.providerSurplusShare)), .text(year.carryForwardAllowed ? "yes" : "no"),
                        .text(Self.describe(year.coverPools)), .integer(Int64(year.closedMonths)),
                    ]
                })
            return .ok(invocation.say(AdminText.counted(years.count, "years")), data: invocation.lines(table))
        },
        AdminCommand(
            "appropriation-import", roles: [.county], right: .caseWork,
            "set a year's appropriations from a CSV block (sozialraum,component,amount); all or nothing",
            changes: .naturally(
                "lines already set to their amount are unchanged; a change waits for its second signature"),
            upload: true, Arg.year
        ) { invocation, year in
            let outcome = try await invocation.commands.budget.setAppropriations(
                invocation.caller, year: year, csv: try await invocation.upload().text())
            return .ok(
                invocation.say(AdminText.appropriationsImported(year, lines: outcome.lines, total: outcome.total)))
        },
        AdminCommand(
            "carry-forward", roles: [.county], right: .caseWork,
            "set a manual carry-forward (Haushaltsrest) into a year, with its reason",
            changes: .naturally("sets the carry-forward of the line"), Arg.socialSpace, Arg.year, Arg.component,
            Arg.amount, Arg.textKeyword("reason", missing: "a carry-forward needs reason=<text>")
        ) { invocation, space, year, component, amount, reason in
            let line = BudgetLine(year: year, socialSpace: space, component: component)
            try await invocation.commands.budget.carryForward(
                invocation.caller, into: line, amount: amount, reason: reason)
            return .ok(invocation.say(AdminText.carryForwardSet("\(line)", amount)))
        },
    ]

    // MARK: Arguments of the register

    /// A percentage with at most two decimals (`25`, `12.5`, `12,5`) as basis points (hundredths of a
    /// percent are read like cents).
    static func basisPoints(_ text: String) -> Int? {
        guard let value = try? Money(parsing: text, decimalComma: text.contains(",")),
            value >= .zero, value <= Money(cents: 10_000)
        else { return nil }
        return Int(value.cents)
    }

    /// `case+milieu` (the default), `case+milieu,structure` (a structure alone is the same), `none`.
    static func coverPools(_ text: String) throws(ArgumentError) -> CoverPools {
        if text == "none" { return CoverPools([])! }
        var pools: [Set<BudgetComponent>] = []
        for pool in text.split(separator: ",") {
            let members = pool.split(separator: "+").map { BudgetComponent(rawValue: String($0)) }
            guard !members.contains(nil) else {
                throw ArgumentError(name: "pools", reason: "components case, milieu, structure joined by + and ,")
            }
            if members.count > 1 { pools.append(Set(members.compactMap { $0 })) }
        }
        guard let result = CoverPools(pools) else {
            throw ArgumentError(name: "pools", reason: "each component in one pool at most")
        }
        return result
    }

    static func percent(_ basisPoints: Int) -> String { "\(Money(cents: Int64(basisPoints))) %" }

    static func describe(_ pools: CoverPools) -> String {
        let order: [BudgetComponent] = [.case, .milieu, .structure]
        let named = pools.pools.map { pool in order.filter(pool.contains).map(\.rawValue).joined(separator: "+") }
        return named.isEmpty ? "none" : named.joined(separator: ",")
    }
}
