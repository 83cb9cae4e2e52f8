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
            name: "deliver", roles: [.provider], usage: "deliver <grant-id> <month> <quantity> key=<idempotency-key>",
            summary: "record a month's delivery (Leistungsnachweis)", changes: .withKey
        ) { commands, request, state, _ in
            let outcome = try await commands.grants.recordDelivery(
                commands.caller(state), grantID: try commands.uuid(request, 0, name: "grant"),
                month: try commands.month(request, 1),
                quantity: try commands.quantity(request, 2), idempotencyKey: try commands.idempotencyKey(request))
            return .ok(
                "delivery \(outcome.deliveryID) cost \(outcome.cost)"
                    + (outcome.excess.hundredths > 0 ? " held back \(outcome.excess) (finding)" : ""))
        },
        AdminCommand(
            name: "import-deliveries", roles: [.provider], usage: "import-deliveries key=<idempotency-key> <<",
            summary: "import a CSV block (grant_id,month,quantity); all or nothing", changes: .withKey,
            takesUpload: true
        ) { commands, request, state, upload in
            let upload = try commands.upload(upload)
            let caller = commands.caller(state)
            let key = try commands.idempotencyKey(request)
            let outcome = try await commands.imports.run {
                try await commands.grants.importDeliveries(caller, csv: try await upload.text(), idempotencyKey: key)
            }
            return .ok(
                "imported \(outcome.deliveries) deliveries, \(outcome.bookings) bookings, \(outcome.findings) findings, total \(outcome.total)"
            )
        },
        AdminCommand(
            name: "expense", roles: [.provider, .county],
            usage: "expense <project-id> <date> <amount> key=<idempotency-key>",
            summary: "book a project expense (milieu/structure, year's overrun policy)", changes: .withKey
        ) { commands, request, state, _ in
            let outcome = try await commands.payments.bookProjectExpense(
                commands.caller(state), projectID: try commands.uuid(request, 0, name: "project"),
                day: try commands.day(request, 1, name: "date"),
                amount: try commands.amount(request, 2), idempotencyKey: try commands.idempotencyKey(request))
            return .ok("booking \(outcome.bookingID)" + (outcome.overrun.map { " OVERRUN \($0)" } ?? ""))
        },
        AdminCommand(
            name: "instalment", roles: [.county],
            usage: "instalment <provider> <sozialraum> <component> <month> <amount> key=<idempotency-key>",
            summary: "certify an instalment (Abschlag) to a provider: a payment order for a second signature",
            changes: .withKey
        ) { commands, request, state, _ in
            let certified = try await commands.payments.certifyInstalment(
                commands.caller(state), provider: try await commands.tenant(request, 0, state, name: "provider"),
                socialSpace: try commands.socialSpace(request, 1),
                component: try commands.component(request, 2), month: try commands.month(request, 3),
                amount: try commands.amount(request, 4),
                idempotencyKey: try commands.idempotencyKey(request))
            return .ok(certified.replyText)
        },
        AdminCommand(
            name: "reverse", roles: [.provider, .county], usage: "reverse <booking-id> key=<idempotency-key>",
            summary: "reverse a booking (into the current open month if its month is closed)", changes: .withKey
        ) { commands, request, state, _ in
            let id = try commands.number(request, 0, name: "booking", reason: "a booking number")
            let outcome = try await commands.payments.reverse(
                commands.caller(state), bookingID: id, idempotencyKey: try commands.idempotencyKey(request))
            return .ok("reversal \(outcome.bookingID)")
        },
        AdminCommand(
            name: "bookings", roles: [.provider, .county, .auditor], usage: "bookings <month>",
            summary: "the ledger of a month you may see", changes: .nothing
        ) {
            commands, request, state, _ in
            let month = try commands.month(request, 0)
            let rows: [[ResultTable.Cell]] = try await commands.payments.bookings(
                commands.caller(state), bookedIn: month
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
            return .ok("\(rows.count) bookings", data: table.lines(commands.format(request: request, state)))
        },
        // Periods and findings (county).
        AdminCommand(
            name: "close-month", roles: [.county], usage: "close-month <month> [reason=...]",
            summary: "close a month; refused with open findings unless a reason forces it",
            changes: .naturally("a closed month is DUPLICATE")
        ) { commands, request, state, _ in
            let month = try commands.month(request, 0)
            try await commands.budget.closeMonth(
                commands.caller(state), month: month, forceReason: request.keywords["reason"])
            return .ok("period \(month) closed")
        },
        AdminCommand(
            name: "findings", roles: [.county, .auditor, .provider], usage: "findings [open|all]",
            summary: "findings you may see", changes: .nothing
        ) {
            commands, request, state, _ in
            let all = request.positional.first == "all"
            let rows: [[ResultTable.Cell]] = try await commands.grants.findings(commands.caller(state), all: all).map {
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
            return .ok("\(rows.count) findings", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "resolve-finding", roles: [.county], usage: "resolve-finding <finding-id> accept|reject reason=...",
            summary: "accept or reject a finding (accepting one that pays certifies a payment order)",
            changes: .naturally("a resolved finding, or one whose order is pending, is CONFLICT or DUPLICATE")
        ) { commands, request, state, _ in
            let decision = try commands.positional(request, 1, name: "decision")
            guard decision == "accept" || decision == "reject" else {
                throw ArgumentError(name: "decision", reason: "accept or reject")
            }
            guard let reason = request.keywords["reason"] else {
                throw ArgumentError(name: "reason", reason: "required")
            }
            let certified = try await commands.grants.resolveFinding(
                commands.caller(state), findingID: try commands.uuid(request, 0, name: "finding"),
                accept: decision == "accept", reason: reason)
            return .ok(certified?.replyText ?? "finding \(decision)ed")
        },
    ]
}
