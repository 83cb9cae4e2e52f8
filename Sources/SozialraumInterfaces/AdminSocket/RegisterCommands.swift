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
            name: "provider-register", roles: [.county], usage: "provider-register <code> <name>",
            summary: "register a provider (freier Träger) under a short code",
            changes: .naturally("an existing code is DUPLICATE")
        ) { commands, request, state, _ in
            let text = try commands.positional(request, 0, name: "code")
            guard let code = ProviderCode(text) else {
                throw ArgumentError(name: "code", reason: "2 to 32 of a-z, 0-9, '-', starting with a letter")
            }
            let id = try await commands.budget.registerProvider(
                commands.caller(state), code: code, name: try commands.positional(request, 1, name: "name"))
            return .ok("provider \(code) \(id)")
        },
        AdminCommand(
            name: "provider-rename", roles: [.county], usage: "provider-rename <provider> <name>",
            summary: "rename a provider", changes: .naturally("sets the name")
        ) { commands, request, state, _ in
            let provider = try await commands.tenant(request, 0, state, name: "provider")
            try await commands.budget.renameProvider(
                commands.caller(state), provider, name: try commands.positional(request, 1, name: "name"))
            return .ok("provider \(provider) renamed")
        },
        AdminCommand(
            name: "provider-end", roles: [.county], usage: "provider-end <provider> <last-day>|continue",
            summary: "end the cooperation with a provider after a day (history kept), or let it go on",
            changes: .naturally("sets the end of the cooperation")
        ) { commands, request, state, _ in
            let provider = try await commands.tenant(request, 0, state, name: "provider")
            let day =
                try commands.positional(request, 1, name: "last-day") == "continue"
                ? nil : try commands.day(request, 1, name: "last-day")
            try await commands.budget.endCooperation(commands.caller(state), provider, after: day)
            return .ok(
                day.map { "cooperation of \(provider) ends after \($0)" } ?? "cooperation of \(provider) goes on")
        },
    ]

    static let geographyCommands: [AdminCommand] = [
        AdminCommand(
            name: "sozialraum-define", roles: [.county],
            usage: "sozialraum-define <code> <name> <from-date> <municipality-code>:<name> …",
            summary: "define or rename a Sozialraum and (re)group municipalities into it from a date",
            changes: .naturally("the same definition again is DUPLICATE")
        ) { commands, request, state, _ in
            let code = try commands.socialSpace(request, 0)
            let name = try commands.positional(request, 1, name: "name")
            let from = try commands.day(request, 2, name: "from")
            var municipalities: [(code: SocialSpaceCode, name: String)] = []
            for text in request.positional.dropFirst(3) {
                let parts = text.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, let municipality = SocialSpaceCode(String(parts[0])) else {
                    throw ArgumentError(name: "municipality", reason: "<code>:<name>, e.g. \"verden:Verden (Aller)\"")
                }
                municipalities.append((municipality, String(parts[1])))
            }
            try await commands.budget.defineSocialSpace(
                commands.caller(state), code: code, name: name, municipalities: municipalities, validFrom: from)
            return .ok("sozialraum \(code) with \(municipalities.count) municipalities from \(from)")
        },
        AdminCommand(
            name: "sozialraeume", roles: [.county, .auditor, .provider], usage: "sozialraeume",
            summary: "Sozialräume and their municipalities over time", changes: .nothing
        ) { commands, request, state, _ in
            let members = try await commands.budget.socialSpaces(commands.caller(state))
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
            return .ok("\(spaces) sozialraeume", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "assign", roles: [.county], usage: "assign <provider> <sozialraum> lead|member <from> [to=<date>]",
            summary: "assign a provider to a Sozialraum from a date",
            changes: .naturally("the same assignment again is DUPLICATE")
        ) { commands, request, state, _ in
            let provider = try await commands.tenant(request, 0, state, name: "provider")
            let space = try commands.socialSpace(request, 1)
            let role = try commands.positional(request, 2, name: "lead")
            guard role == "lead" || role == "member" else {
                throw ArgumentError(name: "lead", reason: "lead or member")
            }
            let from = try commands.day(request, 3, name: "from")
            let to = try commands.keywordDay(request, "to")
            try await commands.budget.assignProvider(
                commands.caller(state), provider: provider, socialSpace: space, lead: role == "lead", from: from, to: to
            )
            return .ok("\(provider) serves \(space) as \(role) from \(from)" + (to.map { " to \($0)" } ?? ""))
        },
        AdminCommand(
            name: "unassign", roles: [.county], usage: "unassign <provider> <sozialraum> <last-day>",
            summary: "end a provider's assignment to a Sozialraum",
            changes: .naturally("ending an ended assignment is CONFLICT")
        ) { commands, request, state, _ in
            let provider = try await commands.tenant(request, 0, state, name: "provider")
            let space = try commands.socialSpace(request, 1)
            let day = try commands.day(request, 2, name: "last-day")
            try await commands.budget.endAssignment(
                commands.caller(state), provider: provider, socialSpace: space, on: day)
            return .ok("\(provider) serves \(space) until \(day)")
        },
        AdminCommand(
            name: "assignments", roles: [.county, .auditor, .provider], usage: "assignments",
            summary: "which providers serve which Sozialraum (a provider: its own)", changes: .nothing
        ) { commands, request, state, _ in
            let assignments = try await commands.budget.assignments(commands.caller(state))
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
            return .ok("\(assignments.count) assignments", data: table.lines(commands.format(request: request, state)))
        },
    ]

    static let yearCommands: [AdminCommand] = [
        AdminCommand(
            name: "year-open", roles: [.county],
            usage:
                "year-open <year> [policy=warn|refuse] [share=<percent>] [carry-forward=yes|no] [pools=case+milieu,…|none]",
            summary:
                "open a fiscal year with its months, overrun policy, provider share, carry-forward and cover pools",
            changes: .naturally("an open year is DUPLICATE")
        ) { commands, request, state, _ in
            let year = try commands.integer(request, 0, name: "year", range: 2000...2199)
            let policy =
                try request.keywords["policy"].map { text in
                    guard let policy = OverrunPolicy(rawValue: text) else {
                        throw ArgumentError(name: "policy", reason: "warn or refuse")
                    }
                    return policy
                } ?? .warn
            let share = try commands.basisPoints(request.keywords["share"] ?? "0")
            let carryForward = try commands.yesNo(request.keywords["carry-forward"] ?? "yes", name: "carry-forward")
            let pools = try commands.coverPools(request.keywords["pools"] ?? "case+milieu")
            try await commands.budget.openYear(
                commands.caller(state), year: year, overrunPolicy: policy, providerSurplusShare: share,
                coverPools: pools, carryForwardAllowed: carryForward)
            return .ok(
                "year \(year) open: 12 months, policy \(policy.rawValue), provider share \(Self.percent(share)), "
                    + "carry-forward \(carryForward ? "yes" : "no"), pools \(Self.describe(pools))")
        },
        AdminCommand(
            name: "years", roles: [.county, .auditor, .provider], usage: "years",
            summary: "fiscal years with their policies", changes: .nothing
        ) { commands, request, state, _ in
            let years = try await commands.budget.fiscalYears(commands.caller(state))
            let table = ResultTable(
                columns: ["year", "overrun_policy", "provider_share", "carry_forward", "cover_pools", "closed_months"],
                rows: years.map { year in
                    [
                        .integer(Int64(year.year)), .text(year.overrunPolicy.rawValue),
                        .text(Self.percent(year.providerSurplusShare)), .text(year.carryForwardAllowed ? "yes" : "no"),
                        .text(Self.describe(year.coverPools)), .integer(Int64(year.closedMonths)),
                    ]
                })
            return .ok("\(years.count) years", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "appropriation-import", roles: [.county], usage: "appropriation-import <year> <<",
            summary: "set a year's appropriations from a CSV block (sozialraum,component,amount); all or nothing",
            changes: .naturally(
                "lines already set to their amount are unchanged; a change waits for its second signature"),
            takesUpload: true
        ) { commands, request, state, upload in
            let year = try commands.integer(request, 0, name: "year", range: 2000...2199)
            let upload = try commands.upload(upload)
            let outcome = try await commands.budget.setAppropriations(
                commands.caller(state), year: year, csv: try await upload.text())
            return .ok("appropriations \(year): \(outcome.lines) lines, total \(outcome.total)")
        },
        AdminCommand(
            name: "carry-forward", roles: [.county],
            usage: "carry-forward <sozialraum> <year> <component> <amount> reason=<text>",
            summary: "set a manual carry-forward (Haushaltsrest) into a year, with its reason",
            changes: .naturally("sets the carry-forward of the line")
        ) { commands, request, state, _ in
            let line = BudgetLine(
                year: try commands.integer(request, 1, name: "year", range: 2000...2199),
                socialSpace: try commands.socialSpace(request, 0), component: try commands.component(request, 2))
            guard let reason = request.keywords["reason"] else {
                throw ArgumentError(name: "reason", reason: "a carry-forward needs reason=<text>")
            }
            let amount = try commands.amount(request, 3)
            try await commands.budget.carryForward(commands.caller(state), into: line, amount: amount, reason: reason)
            return .ok("carry-forward \(line) \(amount)")
        },
    ]

    // MARK: Arguments of the register

    /// A percentage with at most two decimals (`25`, `12.5`, `12,5`) as basis points.
    func basisPoints(_ text: String) throws -> Int {
        guard let value = try? Money(parsing: text, decimalComma: text.contains(",")),
            (0...10_000).contains(value.cents)
        else { throw ArgumentError(name: "share", reason: "a percentage 0 to 100 with at most two decimals") }
        return Int(value.cents)
    }

    func yesNo(_ text: String, name: String) throws -> Bool {
        switch text {
        case "yes": return true
        case "no": return false
        default: throw ArgumentError(name: name, reason: "yes or no")
        }
    }

    /// `case+milieu` (the default), `case+milieu,structure` (a structure alone is the same), `none`.
    func coverPools(_ text: String) throws -> CoverPools {
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
