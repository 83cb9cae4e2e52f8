import Foundation
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices

/// The register's rates, help types, projects, audit trail and the migration (Datenübernahme).
extension AdminCommands {
    static let migrationCommands: [AdminCommand] = [
        AdminCommand(
            "migration-import", roles: [.county], right: .caseWork,
            "move over from the previous system: a bundle of CSV files (#file <kind>), all or nothing",
            changes: .withKey, upload: true, Arg.day("go-live", "<go-live-date>"),
            Argument.word("dry-run", ["dry-run"]),
            Arg.key
        ) { invocation, goLive, dryRun, key in
            let upload = try invocation.upload(of: "the files")
            let (commands, caller) = (invocation.commands, invocation.caller)
            let summary = try await commands.imports.run {
                try await commands.migration.migrate(
                    caller, goLive: goLive, bundle: try await upload.text(), dryRun: dryRun != nil,
                    idempotencyKey: key)
            }
            return .ok(invocation.say(AdminText.migrated(summary, dryRun: dryRun != nil)))
        }
    ]

    static let rateAndProjectCommands: [AdminCommand] = [
        AdminCommand(
            "help-types", roles: [.county, .auditor, .provider],
            "the SGB VIII help types with setting and direct access",
            changes: .nothing
        ) { invocation in
            let types = try await invocation.commands.budget.helpTypes(invocation.caller)
            let table = ResultTable(
                columns: ["code", "title", "setting", "usual_unit", "direct_access"],
                rows: types.map {
                    [
                        .text($0.code), .text($0.title), .text($0.setting.rawValue), .text($0.usualUnit.rawValue),
                        .text($0.directAccess ? "yes" : "no"),
                    ]
                })
            return .ok(invocation.say(AdminText.counted(types.count, "help types")), data: invocation.lines(table))
        },
        AdminCommand(
            "rate-add", roles: [.county], right: .caseWork,
            "add a price of a rate agreement (Entgeltvereinbarung) from a day",
            changes: .naturally("the same rate again is DUPLICATE"), Arg.tenant(), Arg.text("help-type"),
            Arg.oneOf("unit", as: RateUnit.self), Arg.day("from", "<from-date>"), Arg.amount
        ) { invocation, reference, helpType, unit, from, amount in
            try await invocation.commands.budget.addRate(
                invocation.caller, provider: try await invocation.tenant(reference), helpType: helpType, unit: unit,
                validFrom: from, amount: amount)
            return .ok(invocation.say(AdminText.rateAdded(helpType, unit.rawValue, amount, from: "\(from)")))
        },
        AdminCommand(
            "rates", roles: [.county, .auditor, .provider], "a provider's rates; with on= the price valid that day",
            changes: .nothing, Arg.tenant(), Arg.dayKeyword("on").optional
        ) { invocation, reference, day in
            let rates = try await invocation.commands.budget.rates(
                invocation.caller, provider: try await invocation.tenant(reference), on: day)
            let table = ResultTable(
                columns: ["help_type", "unit", "from", "amount"],
                rows: rates.map {
                    [
                        .text($0.helpType), .text($0.unit.rawValue), .text($0.validFrom.description),
                        .amount($0.amount.cents),
                    ]
                })
            return .ok(invocation.say(AdminText.counted(rates.count, "rates")), data: invocation.lines(table))
        },
        AdminCommand(
            "project-create", roles: [.county], right: .caseWork, "create a milieu or structure project of a provider",
            changes: .withKey, Arg.tenant(), Arg.socialSpace, Arg.component.named("component", "<milieu|structure>"),
            Arg.day("start"), Arg.day("end"), Arg.amount.named("budget"), Arg.textKeyword("title", missing: "missing"),
            Arg.integerKeyword("volunteers", "<n>", in: 0...100_000).defaulting(to: 0),
            Arg.integerKeyword("professionals", "<n>", in: 0...100_000).defaulting(to: 0), Arg.key
        ) { invocation, reference, space, component, start, end, budget, title, volunteers, professionals, key in
            let id = try await invocation.commands.payments.createProject(
                invocation.caller, provider: try await invocation.tenant(reference), title: title, socialSpace: space,
                component: component, startsOn: start, endsOn: end, budget: budget, volunteers: volunteers,
                professionals: professionals, idempotencyKey: key)
            return .ok(invocation.say(AdminText.projectCreated(id.uuidString.lowercased())))
        },
        AdminCommand(
            "project-end", roles: [.county], right: .caseWork, "end a project early",
            changes: .naturally("ending a project on its end day changes nothing"), Arg.id("project", "<project-id>"),
            Arg.day("last-day")
        ) { invocation, id, day in
            try await invocation.commands.budget.endProject(invocation.caller, id, on: day)
            return .ok(invocation.say(AdminText.projectEnds(id.uuidString.lowercased(), "\(day)")))
        },
        AdminCommand(
            "projects", roles: [.county, .auditor, .provider],
            "projects with budget and spending (a provider: its own)",
            changes: .nothing, Arg.year.optional
        ) { invocation, year in
            let projects = try await invocation.commands.budget.projects(invocation.caller, year: year)
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
            return .ok(invocation.say(AdminText.counted(projects.count, "projects")), data: invocation.lines(table))
        },
        AdminCommand(
            "audit", roles: [.county, .auditor], "the audit trail: who did what when, newest first", changes: .nothing,
            Arg.dayKeyword("since").optional, Arg.dayKeyword("until").optional,
            Arg.textKeyword("account", "<name>").optional, Arg.textKeyword("action", "<kind>").optional,
            Arg.textKeyword("object", "<id>").optional,
            Arg.integerKeyword("limit", "<n>", in: 1...5000).optional
        ) { invocation, since, until, account, action, object, limit in
            var filter = AuditFilter(since: since, until: until, actor: account, action: action, objectID: object)
            if let limit { filter.limit = limit }
            let events = try await invocation.commands.budget.auditTrail(invocation.caller, filter)
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
            return .ok(invocation.say(AdminText.counted(events.count, "events")), data: invocation.lines(table))
        },
    ]
}
