import Foundation
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices

/// Social data's lifecycle (issue 31): the access log, erasure orders under four eyes, legal holds. Replies
/// name erasure orders by counts per year and kind, never by case keys; `holds` shows case keys and is
/// recorded in the access log.
extension AdminCommands {
    static let dataProtection: [AdminCommand] = [
        AdminCommand(
            "access-log", roles: [.auditor, .dpo],
            "who was shown case-level data, when, by which command and how many cases (newest first)",
            changes: .nothing, Arg.integerKeyword("limit", "<n>", in: 1...5000).defaulting(to: 100)
        ) { invocation, limit in
            let entries = try await invocation.commands.accessLog.entries(invocation.caller, limit: limit)
            let table = ResultTable(
                columns: ["at", "tenant", "account", "command", "case", "cases"],
                rows: entries.map { entry in
                    [
                        .integer(entry.accessedAt ?? 0), .text(entry.tenant.description), .text(entry.account),
                        .text(entry.command), entry.caseID.map { .text($0.uuidString.lowercased()) } ?? .null,
                        .integer(Int64(entry.cases)),
                    ]
                })
            return .ok(invocation.say(AdminText.counted(entries.count, "entries")), data: invocation.lines(table))
        },
        AdminCommand(
            "erasures", roles: [.county, .auditor, .dpo], "erasure orders, newest first: state, signers, cases erased",
            changes: .nothing
        ) { invocation in
            let orders = try await invocation.commands.erasure.orders(invocation.caller)
            return .ok(
                invocation.say(AdminText.counted(orders.count, "erasure orders")),
                data: invocation.lines(ErasureTables.orders(orders)))
        },
        AdminCommand(
            "erasure", roles: [.county, .auditor, .dpo],
            "an erasure order with what it touches per last year: cases, residences, grants, statement items, texts",
            changes: .nothing, Arg.erasureOrder
        ) { invocation, id in
            let (order, counts) = try await invocation.commands.erasure.details(invocation.caller, id: id)
            return .ok(
                invocation.say(AdminText.erasureOrder(order)), data: invocation.lines(ErasureTables.counts(counts)))
        },
        AdminCommand(
            "erasure-propose", roles: [.county],
            "propose the erasure of every case past its deletion rule (what the weekly job does)",
            changes: .naturally("while an order is on its way, CONFLICT naming it")
        ) { invocation in
            switch try await invocation.commands.erasure.propose(invocation.caller) {
            case .proposed(let order, let counts):
                return .ok(
                    invocation.say(AdminText.erasureOrder(order)), data: invocation.lines(ErasureTables.counts(counts)))
            case .pending(let order):
                return .error(.conflict, AdminText.erasureUndecided(order), invocation.language)
            case .nothingDue:
                return .ok(invocation.say(AdminText.nothingDue))
            }
        },
        AdminCommand(
            "erasure-certify", roles: [.county], right: .erase,
            "certify a proposed erasure order (first signature, right erase)",
            changes: .naturally("a certified order is CONFLICT"), Arg.erasureOrder
        ) { invocation, id in
            let order = try await invocation.commands.erasure.certify(invocation.caller, id: id)
            return .ok(invocation.say(AdminText.erasureOrder(order)))
        },
        AdminCommand(
            "erasure-order", roles: [.county], right: .erase,
            "order a certified erasure (second signature, another account, right erase): carries it out",
            changes: .naturally("an ordered order is CONFLICT"), Arg.erasureOrder
        ) { invocation, id in
            let (order, progress) = try await invocation.commands.erasure.order(invocation.caller, id: id)
            return .ok(invocation.say(AdminText.erasureRun(order, erased: progress.erased, kept: progress.kept)))
        },
        AdminCommand(
            "erasure-reject", roles: [.county], right: .erase,
            "reject a proposed or certified erasure order with a reason (right erase)",
            changes: .naturally("a decided order is CONFLICT"), Arg.erasureOrder, Arg.textKeyword("reason")
        ) { invocation, id, reason in
            let order = try await invocation.commands.erasure.reject(invocation.caller, id: id, reason: reason)
            return .ok(invocation.say(AdminText.erasureOrder(order)))
        },
        AdminCommand(
            "hold", roles: [.county],
            "place a legal hold on a case (a claim, a court case): not erased until lifted (right case or erase)",
            changes: .naturally("a case under a hold is CONFLICT"), Arg.caseKey,
            Arg.textKeyword("reference", missing: "name the file: reference=\"…\"")
        ) { invocation, key, reference in
            try await invocation.commands.erasure.placeHold(invocation.caller, key: key, reference: reference)
            return .ok(invocation.say(AdminText.held(key)))
        },
        AdminCommand(
            "hold-lift", roles: [.county], "lift a case's legal hold (right case or erase)",
            changes: .naturally("a case without a hold is CONFLICT"), Arg.caseKey
        ) { invocation, key in
            try await invocation.commands.erasure.liftHold(invocation.caller, key: key)
            return .ok(invocation.say(AdminText.holdLifted(key)))
        },
        AdminCommand(
            "holds", roles: [.county, .auditor, .dpo], "the open legal holds: case, reference, who placed it and when",
            changes: .nothing
        ) { invocation in
            let holds = try await invocation.commands.erasure.holds(invocation.caller)
            try await invocation.showingCases(keys: holds.map(\.caseKey), command: "holds")
            let table = ResultTable(
                columns: ["case", "reference", "placed_by", "placed_at"],
                rows: holds.map { [.text($0.caseKey), .text($0.reference), .text($0.placedBy), .text($0.placedAt)] })
            return .ok(invocation.say(AdminText.counted(holds.count, "holds")), data: invocation.lines(table))
        },
        AdminCommand(
            "restrict", roles: [.county, .dpo],
            "restrict a case whose billing is over: absent for all but dpo and auditor (dpo, or county with erase)",
            changes: .naturally("a restricted case is CONFLICT"), Arg.caseKey,
            Arg.oneOfKeyword("ground", as: RestrictionGround.self),
            Arg.textKeyword("reference", missing: "name the file: reference=\"…\"")
        ) { invocation, key, ground, reference in
            try await invocation.commands.restriction.restrict(
                invocation.caller, key: key, ground: ground, reference: reference)
            return .ok(invocation.say(AdminText.restricted(key, ground.rawValue)))
        },
        AdminCommand(
            "restriction-lift", roles: [.county, .dpo], "lift a case's restriction (dpo, or county with erase)",
            changes: .naturally("a case not restricted is CONFLICT"), Arg.caseKey
        ) { invocation, key in
            try await invocation.commands.restriction.lift(invocation.caller, key: key)
            return .ok(invocation.say(AdminText.restrictionLifted(key)))
        },
        AdminCommand(
            "restrictions", roles: [.dpo, .auditor],
            "the restrictions in force: case, ground, reference, placed_by, placed_at",
            changes: .nothing
        ) { invocation in
            let restrictions = try await invocation.commands.restriction.restrictions(invocation.caller)
            try await invocation.showingCases(keys: restrictions.map(\.caseKey), command: "restrictions")
            let table = ResultTable(
                columns: ["case", "ground", "reference", "placed_by", "placed_at"],
                rows: restrictions.map {
                    [
                        .text($0.caseKey), .text($0.ground.rawValue), .text($0.reference), .text($0.placedBy),
                        .text($0.placedAt),
                    ]
                })
            return .ok(
                invocation.say(AdminText.counted(restrictions.count, "restrictions")), data: invocation.lines(table))
        },
        AdminCommand(
            "case-export", roles: [.county, .auditor, .dpo],
            "everything stored about one case key as JSON lines, one object per record (Auskunft, Art. 15 GDPR)",
            changes: .nothing, Arg.caseKey
        ) { invocation, key in
            let (caseID, records) = try await invocation.commands.auskunft.export(invocation.caller, key: key)
            try await invocation.showingCases(1, caseID: caseID, command: "case-export")
            return .ok(invocation.say(AdminText.records(records.count, key)), data: records.map(CaseExportJSON.line))
        },
        AdminCommand(
            "case-rekey", roles: [.county], right: .caseWork,
            "correct a wrongly entered case key (Art. 16 GDPR): the case and its grants; issued statements keep theirs",
            changes: .naturally("the old key is unknown afterwards: NOT_FOUND"), Arg.caseKey,
            Arg.text("new-key", "<new-case-key>")
        ) { invocation, key, newKey in
            try await invocation.commands.auskunft.correctKey(invocation.caller, key: key, to: newKey)
            return .ok(invocation.say(AdminText.rekeyed(key, newKey)))
        },
        AdminCommand(
            "residence-correct", roles: [.county], right: .caseWork,
            "correct the Sozialraum of a wrongly entered residence: its deliveries reversed and booked again",
            changes: .naturally("a residence that says so already is CONFLICT"), Arg.caseKey, Arg.day("from"),
            Arg.socialSpace
        ) { invocation, key, day, space in
            let moved = try await invocation.commands.grants.correctResidence(
                invocation.caller, key: key, from: day, to: space)
            return .ok(
                invocation.say(
                    AdminText.residenceCorrected(
                        key, from: "\(day)", "\(space)", deliveries: moved.deliveries, rebooked: "\(moved.rebooked)")))
        },
    ]
}

/// An Auskunft record as one JSON object: `kind` first, then its fields in order (null for none). Hand-written
/// so that the order is the documented one (JSONSerialization sorts or shuffles keys).
enum CaseExportJSON {
    static func line(_ record: CaseExportRecord) -> String {
        let fields = [("kind", record.kind as String?)] + record.fields.map { ($0.name, $0.value) }
        return "{"
            + fields.map { "\(ResultTable.jsonString($0.0)):\($0.1.map(ResultTable.jsonString) ?? "null")" }
            .joined(separator: ",") + "}"
    }
}

extension Arg {
    static var erasureOrder: Argument<Int64> { number("order", "<id>", reason: "an erasure order number") }
}

/// Erasure orders as tables.
enum ErasureTables {
    static func orders(_ orders: [ErasureOrder]) -> ResultTable {
        ResultTable(
            columns: [
                "order", "state", "years", "due_on", "cases", "proposed_at", "certified_by", "decided_by", "reason",
                "erased", "kept", "finished_at",
            ],
            rows: orders.map { order in
                [
                    .integer(order.id), .text(order.state.rawValue), .integer(Int64(order.years)),
                    .text(order.dueOn.description), .integer(Int64(order.cases)), .text(order.proposedAt),
                    order.certifiedBy.map { .text($0) } ?? .null, order.decidedBy.map { .text($0) } ?? .null,
                    order.decisionReason.map { .text($0) } ?? .null, .integer(Int64(order.erased)),
                    .integer(Int64(order.kept)), order.finishedAt.map { .text($0) } ?? .null,
                ]
            })
    }

    static func counts(_ counts: [ErasureCount]) -> ResultTable {
        ResultTable(
            columns: ["last_year", "cases", "residences", "grants", "statement_items", "texts"],
            rows: counts.map { count in
                [
                    .integer(Int64(count.lastYear)), .integer(Int64(count.cases)), .integer(Int64(count.residences)),
                    .integer(Int64(count.grants)), .integer(Int64(count.statementItems)), .integer(Int64(count.texts)),
                ]
            })
    }
}
