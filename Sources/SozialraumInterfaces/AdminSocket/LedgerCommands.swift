import Foundation
import Logging
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices
import Synchronization

/// Deliveries and money (providers, county), the ledger of a month, periods and findings.
extension AdminCommands {
    static let ledger: [AdminCommand] = [
        AdminCommand(
            "deliver", roles: [.provider], "record a month's delivery (Leistungsnachweis)", changes: .withKey,
            Arg.grantID, Arg.month, Arg.quantity, Arg.key
        ) { invocation, grant, month, quantity, key in
            let outcome = try await invocation.commands.grants.recordDelivery(
                invocation.caller, grantID: grant, month: month, quantity: quantity, idempotencyKey: key)
            return .ok(invocation.say(AdminText.delivered(outcome)))
        },
        AdminCommand(
            "import-deliveries", roles: [.provider], "import a CSV block (grant_id,month,quantity); all or nothing",
            changes: .withKey, upload: true, Arg.key
        ) { invocation, key in
            let upload = try invocation.upload()
            let (commands, caller) = (invocation.commands, invocation.caller)
            let outcome = try await commands.imports.run {
                try await commands.grants.importDeliveries(caller, csv: try await upload.text(), idempotencyKey: key)
            }
            return .ok(invocation.say(AdminText.imported(outcome)))
        },
        AdminCommand(
            "expense", roles: [.provider, .county], "book a project expense (milieu/structure, year's overrun policy)",
            changes: .withKey, Arg.id("project", "<project-id>"), Arg.day("date"), Arg.amount, Arg.key
        ) { invocation, project, day, amount, key in
            let outcome = try await invocation.commands.payments.bookProjectExpense(
                invocation.caller, projectID: project, day: day, amount: amount, idempotencyKey: key)
            return .ok(invocation.say(AdminText.booked(outcome.bookingID, overrun: outcome.overrun)))
        },
        AdminCommand(
            "instalment", roles: [.county], right: .certify,
            "certify an instalment (Abschlag) to a provider: a payment order for a second signature", changes: .withKey,
            Arg.tenant(), Arg.socialSpace, Arg.component, Arg.month, Arg.amount, Arg.key
        ) { invocation, reference, space, component, month, amount, key in
            let certified = try await invocation.commands.payments.certifyInstalment(
                invocation.caller, provider: try await invocation.tenant(reference), socialSpace: space,
                component: component, month: month, amount: amount, idempotencyKey: key)
            return .ok(invocation.say(AdminText.certified(certified)))
        },
        AdminCommand(
            "reverse", roles: [.provider, .county],
            "reverse a booking (into the current open month if its month is closed)",
            changes: .withKey, Arg.number("booking", "<booking-id>", reason: "a booking number"), Arg.key
        ) { invocation, id, key in
            let outcome = try await invocation.commands.payments.reverse(
                invocation.caller, bookingID: id, idempotencyKey: key)
            return .ok(invocation.say(AdminText.reversed(outcome.bookingID)))
        },
        AdminCommand(
            "bookings", roles: [.provider, .county, .auditor], "the ledger of a month you may see", changes: .nothing,
            Arg.month
        ) { invocation, month in
            let rows: [[ResultTable.Cell]] = try await invocation.commands.payments.bookings(
                invocation.caller, bookedIn: month
            )
            .map {
                [
                    .integer($0.id), .text($0.kind.rawValue), .text($0.serviceMonth.description),
                    .text($0.socialSpace.rawValue),
                    .text($0.component.rawValue), .amount($0.amount.cents), .text($0.provider),
                    .text($0.reverses.map(String.init) ?? ""), .text($0.corrects.map(String.init) ?? ""),
                ]
            }
            let table = ResultTable(
                columns: [
                    "booking", "kind", "service_month", "sozialraum", "component", "amount", "provider", "reverses",
                    "corrects",
                ], rows: rows)
            return .ok(invocation.say(AdminText.counted(rows.count, "bookings")), data: invocation.lines(table))
        },
        // Periods and findings (county).
        AdminCommand(
            "close-month", roles: [.county], right: .controller,
            "close a month; refused with open findings unless a reason forces it",
            changes: .naturally("a closed month is DUPLICATE"), Arg.month, Arg.textKeyword("reason").optional
        ) { invocation, month, reason in
            try await invocation.commands.budget.closeMonth(invocation.caller, month: month, forceReason: reason)
            return .ok(invocation.say(AdminText.monthClosed(month)))
        },
        AdminCommand(
            "findings", roles: [.county, .auditor, .provider], "findings you may see", changes: .nothing,
            Arg.choice("which", ["open", "all"]).optional
        ) { invocation, which in
            let rows: [[ResultTable.Cell]] = try await invocation.commands.grants.findings(
                invocation.caller, all: which == "all"
            ).map {
                [
                    .text($0.id.uuidString.lowercased()), .text($0.kind), .text($0.month.description),
                    .text($0.grantID?.uuidString.lowercased() ?? ""),
                    // Volumes in their unit, as everywhere else (hundredths are stored).
                    $0.quantity.map { .amount($0.hundredths) } ?? .null, $0.amount.map { .amount($0.cents) } ?? .null,
                    .text($0.status), .text($0.provider), .text($0.resolution ?? ""), .text($0.line ?? ""),
                ]
            }
            let table = ResultTable(
                columns: [
                    "finding", "kind", "month", "grant", "quantity", "amount", "status", "provider", "resolution",
                    "line",
                ], rows: rows)
            return .ok(invocation.say(AdminText.counted(rows.count, "findings")), data: invocation.lines(table))
        },
        AdminCommand(
            "resolve-finding", roles: [.county], right: .certify,
            "accept or reject a finding (accepting one that pays certifies a payment order)",
            changes: .naturally("a resolved finding, or one whose order is pending, is CONFLICT or DUPLICATE"),
            Arg.id("finding", "<finding-id>"), Arg.choice("decision", ["accept", "reject"]), Arg.textKeyword("reason")
        ) { invocation, finding, decision, reason in
            let certified = try await invocation.commands.grants.resolveFinding(
                invocation.caller, findingID: finding, accept: decision == "accept", reason: reason)
            return .ok(
                invocation.say(
                    certified.map(AdminText.certified) ?? AdminText.findingDecided(accepted: decision == "accept")))
        },
    ]
}
