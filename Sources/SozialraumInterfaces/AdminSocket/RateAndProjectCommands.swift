import Foundation
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices

/// The register's rates, help types, projects, audit trail and the migration (Datenübernahme).
extension AdminCommands {
    static let migrationCommands: [AdminCommand] = [
        AdminCommand(
            name: "migration-import", roles: [.county],
            usage: "migration-import <go-live-date> [dry-run] key=<idempotency-key> <<",
            summary: "move over from the previous system: a bundle of CSV files (#file <kind>), all or nothing",
            changes: .withKey, takesUpload: true
        ) { commands, request, state, upload in
            let goLive = try commands.day(request, 0, name: "go-live")
            let dryRun = request.positional.count > 1
            if dryRun, request.positional[1] != "dry-run" {
                throw ArgumentError(name: "dry-run", reason: "the word dry-run or nothing")
            }
            let upload = try commands.upload(upload, of: "the files")
            let key = try commands.idempotencyKey(request)
            let caller = commands.caller(state)
            let summary = try await commands.imports.run {
                try await commands.migration.migrate(
                    caller, goLive: goLive, bundle: try await upload.text(), dryRun: dryRun, idempotencyKey: key)
            }
            return .ok((dryRun ? "dry run, nothing written: would migrate " : "migrated ") + summary.description)
        }
    ]

    static let rateAndProjectCommands: [AdminCommand] = [
        AdminCommand(
            name: "help-types", roles: [.county, .auditor, .provider], usage: "help-types",
            summary: "the SGB VIII help types with setting and direct access", changes: .nothing
        ) { commands, request, state, _ in
            let types = try await commands.budget.helpTypes(commands.caller(state))
            let table = ResultTable(
                columns: ["code", "title", "setting", "usual_unit", "direct_access"],
                rows: types.map {
                    [
                        .text($0.code), .text($0.title), .text($0.setting.rawValue), .text($0.usualUnit.rawValue),
                        .text($0.directAccess ? "yes" : "no"),
                    ]
                })
            return .ok("\(types.count) help types", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "rate-add", roles: [.county],
            usage: "rate-add <provider> <help-type> <hour|day|flat_month> <from-date> <amount>",
            summary: "add a price of a rate agreement (Entgeltvereinbarung) from a day",
            changes: .naturally("the same rate again is DUPLICATE")
        ) { commands, request, state, _ in
            let provider = try await commands.tenant(request, 0, state, name: "provider")
            let helpType = try commands.positional(request, 1, name: "help-type")
            guard let unit = RateUnit(rawValue: try commands.positional(request, 2, name: "unit")) else {
                throw ArgumentError(name: "unit", reason: "hour, day or flat_month")
            }
            let from = try commands.day(request, 3, name: "from")
            let amount = try commands.amount(request, 4)
            try await commands.budget.addRate(
                commands.caller(state), provider: provider, helpType: helpType, unit: unit, validFrom: from,
                amount: amount)
            return .ok("rate \(helpType) \(unit.rawValue) \(amount) from \(from)")
        },
        AdminCommand(
            name: "rates", roles: [.county, .auditor, .provider], usage: "rates <provider> [on=<date>]",
            summary: "a provider's rates; with on= the price valid that day", changes: .nothing
        ) { commands, request, state, _ in
            let provider = try await commands.tenant(request, 0, state, name: "provider")
            let day = try commands.keywordDay(request, "on")
            let rates = try await commands.budget.rates(commands.caller(state), provider: provider, on: day)
            let table = ResultTable(
                columns: ["help_type", "unit", "from", "amount"],
                rows: rates.map {
                    [
                        .text($0.helpType), .text($0.unit.rawValue), .text($0.validFrom.description),
                        .amount($0.amount.cents),
                    ]
                })
            return .ok("\(rates.count) rates", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "project-create", roles: [.county],
            usage:
                "project-create <provider> <sozialraum> <milieu|structure> <start> <end> <budget> title=<text> [volunteers=<n>] [professionals=<n>] key=<idempotency-key>",
            summary: "create a milieu or structure project of a provider", changes: .withKey
        ) { commands, request, state, _ in
            let provider = try await commands.tenant(request, 0, state, name: "provider")
            guard let title = request.keywords["title"] else { throw ArgumentError(name: "title", reason: "missing") }
            func count(_ name: String) throws -> Int {
                guard let text = request.keywords[name] else { return 0 }
                guard let value = Int(text), (0...100_000).contains(value) else {
                    throw ArgumentError(name: name, reason: "a whole number 0...100000")
                }
                return value
            }
            let id = try await commands.payments.createProject(
                commands.caller(state), provider: provider, title: title,
                socialSpace: try commands.socialSpace(request, 1),
                component: try commands.component(request, 2), startsOn: try commands.day(request, 3, name: "start"),
                endsOn: try commands.day(request, 4, name: "end"), budget: try commands.amount(request, 5),
                volunteers: try count("volunteers"), professionals: try count("professionals"),
                idempotencyKey: try commands.idempotencyKey(request))
            return .ok("project \(id.uuidString.lowercased())")
        },
        AdminCommand(
            name: "project-end", roles: [.county], usage: "project-end <project-id> <last-day>",
            summary: "end a project early", changes: .naturally("ending a project on its end day changes nothing")
        ) { commands, request, state, _ in
            let id = try commands.uuid(request, 0, name: "project")
            let day = try commands.day(request, 1, name: "last-day")
            try await commands.budget.endProject(commands.caller(state), id, on: day)
            return .ok("project \(id.uuidString.lowercased()) ends \(day)")
        },
        AdminCommand(
            name: "projects", roles: [.county, .auditor, .provider], usage: "projects [year]",
            summary: "projects with budget and spending (a provider: its own)", changes: .nothing
        ) { commands, request, state, _ in
            let year =
                request.positional.isEmpty ? nil : try commands.integer(request, 0, name: "year", range: 2000...2199)
            let projects = try await commands.budget.projects(commands.caller(state), year: year)
            let table = ResultTable(
                columns: [
                    "project", "provider", "title", "sozialraum", "component", "from", "to", "budget", "spent",
                    "volunteers", "professionals",
                ],
                rows: projects.map { project in
                    [
                        .text(project.id.uuidString.lowercased()), .text(project.providerName),
                        .text(project.title),
                        .text(project.socialSpace.rawValue), .text(project.component.rawValue),
                        .text(project.period.start.description),
                        project.period.end.map { .text($0.description) } ?? .null,
                        .amount(project.budget.cents), .amount(project.spent.cents),
                        .integer(Int64(project.volunteers)), .integer(Int64(project.professionals)),
                    ]
                })
            return .ok("\(projects.count) projects", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "audit", roles: [.county, .auditor],
            usage: "audit [since=<date>] [until=<date>] [account=<name>] [action=<kind>] [object=<id>] [limit=<n>]",
            summary: "the audit trail: who did what when, newest first", changes: .nothing
        ) { commands, request, state, _ in
            var filter = AuditFilter(
                since: try commands.keywordDay(request, "since"), until: try commands.keywordDay(request, "until"),
                actor: request.keywords["account"],
                action: request.keywords["action"], objectID: request.keywords["object"])
            if let text = request.keywords["limit"] {
                guard let limit = Int(text), (1...5000).contains(limit) else {
                    throw ArgumentError(name: "limit", reason: "a whole number 1...5000")
                }
                filter.limit = limit
            }
            let events = try await commands.budget.auditTrail(commands.caller(state), filter)
            let table = ResultTable(
                columns: [
                    "event", "at", "tenant", "account", "action", "object_kind", "object", "result", "request",
                    "detail",
                ],
                rows: events.map { event in
                    [
                        .integer(event.id), .text(event.at), .text(event.tenant.description), .text(event.actor),
                        .text(event.action), event.objectKind.map { .text($0) } ?? .null,
                        event.objectID.map { .text($0) } ?? .null, .text(event.result),
                        event.requestID.map { .text($0) } ?? .null, event.detail.map { .text($0) } ?? .null,
                    ]
                })
            return .ok("\(events.count) events", data: table.lines(commands.format(request: request, state)))
        },
    ]
}
