import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices
import SozialraumStore
import Synchronization

/// The state of one admin session that commands may read and change.
struct SessionState: Sendable {
    var account: Account?
    var format: OutputFormat = .table
    let id: String
    /// The peer, for throttling and logs: `uid:1000` or an address.
    let source: String
}

/// A command of the admin protocol: who may use it, how it is called, what it does.
struct AdminCommand: Sendable {
    let name: String
    /// nil: usable before login.
    let roles: Set<Role>?
    let usage: String
    let summary: String
    let mutates: Bool
    let run: @Sendable (AdminCommands, Request, inout SessionState, [String]?) async throws -> Reply
}

/// A wrong argument, reported as INVALID naming it.
struct ArgumentError: Error {
    let name: String
    let reason: String
}

/// Maps requests to the services. Every command checks the role here and runs in the caller's tenant
/// context in the services (RLS has the last word).
struct AdminCommands: Sendable {
    let budget: BudgetService
    let reconciliation: ReconciliationService
    let accounts: AccountService
    let status: SystemStatusService
    let sessions: SessionRegistry
    let store: Store
    let logger: Logger
    let operations: AdminOperations
    let metrics = AdminMetrics()

    static let all: [AdminCommand] = [
        AdminCommand(
            name: "help", roles: nil, usage: "help [command]", summary: "the commands you may use", mutates: false
        ) { commands, request, state, _ in
            commands.help(request, state)
        },
        AdminCommand(name: "ping", roles: nil, usage: "ping", summary: "check the connection", mutates: false) {
            _, _, _, _ in .ok("pong")
        },
        AdminCommand(
            name: "login", roles: nil, usage: "login <name> <secret>", summary: "log in with a password or token",
            mutates: false
        ) {
            commands, request, state, _ in try await commands.login(request, &state)
        },
        AdminCommand(
            name: "logout", roles: nil, usage: "logout", summary: "end the login, keep the connection", mutates: false
        ) { _, _, state, _ in
            state.account = nil
            return .ok("logged out")
        },
        AdminCommand(
            name: "whoami", roles: Set(Role.allCases), usage: "whoami",
            summary: "account, tenant and role of this session", mutates: false
        ) {
            _, _, state, _ in
            let account = state.account!
            return .ok("\(account.name)@\(account.tenant) role=\(account.role.rawValue)")
        },
        AdminCommand(
            name: "format", roles: nil, usage: "format table|csv|csv-de|jsonl",
            summary: "how results are written in this session", mutates: false
        ) {
            _, request, state, _ in
            guard let name = request.positional.first, let format = OutputFormat(rawValue: name) else {
                throw ArgumentError(name: "format", reason: "one of table, csv, csv-de, jsonl")
            }
            state.format = format
            return .ok("format \(format.rawValue)")
        },
        AdminCommand(name: "quit", roles: nil, usage: "quit", summary: "close the connection", mutates: false) {
            _, _, _, _ in .ok("bye")
        },
        // Operations (county IT).
        AdminCommand(
            name: "status", roles: [.operator, .county, .auditor], usage: "status",
            summary: "daemon and database health", mutates: false
        ) {
            commands, request, state, _ in
            let status = await commands.status.status()
            let sessions = await commands.sessions.count
            let table = ResultTable(
                columns: ["database", "pool_open", "pool_idle", "pool_waiting", "sessions"],
                rows: [
                    [
                        .text(status.databaseReachable ? "reachable" : "unreachable"),
                        .integer(Int64(status.pool.open)),
                        .integer(Int64(status.pool.idle)), .integer(Int64(status.pool.waiting)),
                        .integer(Int64(sessions)),
                    ]
                ])
            return .ok("status", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "stats", roles: [.operator, .county, .auditor], usage: "stats",
            summary: "metrics: sessions, commands by result, latency, pool, jobs, last reconciliation", mutates: false
        ) {
            commands, request, state, _ in
            let table = try await commands.stats(tenant: state.account!.tenant)
            return .ok("\(table.rows.count) metrics", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "reload", roles: [.operator], usage: "reload",
            summary: "read the configuration again, as on SIGHUP (the outcome is in the log and the status)",
            mutates: true
        ) {
            commands, _, state, _ in
            commands.operations.reload()
            try await commands.audit(state, "daemon.reload", "daemon", "-")
            return .ok("reload requested")
        },
        AdminCommand(
            name: "log-level", roles: [.operator], usage: "log-level trace|debug|info|notice|warning|error|critical",
            summary: "change the log threshold until the next reload or restart", mutates: true
        ) { commands, request, state, _ in
            guard let level = Logger.Level(rawValue: try commands.positional(request, 0, name: "level")) else {
                throw ArgumentError(
                    name: "level", reason: Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))
            }
            commands.operations.setLogLevel(level)
            try await commands.audit(state, "daemon.log_level", "daemon", level.rawValue)
            return .ok("log level \(level.rawValue) until the next reload or restart")
        },
        AdminCommand(
            name: "sessions", roles: [.operator], usage: "sessions", summary: "open admin sessions (no payloads)",
            mutates: false
        ) {
            commands, request, state, _ in
            let list = await commands.sessions.list()
            let table = ResultTable(
                columns: ["session", "account", "source", "since"],
                rows: list.map { [.text($0.id), .text($0.account ?? "-"), .text($0.source), .text($0.since)] })
            return .ok("\(list.count) sessions", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "providers", roles: [.county, .auditor, .provider], usage: "providers",
            summary: "the tenants you may see", mutates: false
        ) {
            commands, request, state, _ in
            let tenants = try await commands.store.visibleTenants(as: state.account!.tenant)
            let table = ResultTable(
                columns: ["tenant", "kind", "name"],
                rows: tenants.map { [.text($0.id.description), .text($0.kind.rawValue), .text($0.name)] })
            return .ok("\(tenants.count) tenants", data: table.lines(commands.format(request: request, state)))
        },
        // Budgets.
        AdminCommand(
            name: "funds", roles: [.county, .auditor, .provider], usage: "funds <sozialraum> <year>",
            summary: "available funds by line and cover pool, with cover transfers", mutates: false
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
            let overrun = report.pools.map(\.overrun).reduce(0) { $0 + $1.cents }
            return .ok(
                overrun > 0 ? "OVERRUN \(Money(cents: overrun)) (überplanmäßig)" : "\(space) \(year)",
                data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "appropriation", roles: [.county], usage: "appropriation <sozialraum> <year> <component> <amount>",
            summary: "set the Ansatz of a budget line", mutates: true
        ) { commands, request, state, _ in
            let line = BudgetLine(
                year: try commands.integer(request, 1, name: "year", range: 2000...2199),
                socialSpace: try commands.socialSpace(request, 0),
                component: try commands.component(request, 2))
            try await commands.budget.setAppropriation(
                commands.caller(state), line: line, amount: try commands.amount(request, 3))
            return .ok("appropriation \(line) set")
        },
        // Cases and grants (county).
        AdminCommand(
            name: "open-case", roles: [.county], usage: "open-case <case-key> <sozialraum> <from-date>",
            summary: "open a case under its pseudonymous key", mutates: true
        ) { commands, request, state, _ in
            let id = try await commands.budget.openCase(
                commands.caller(state), key: try commands.positional(request, 0, name: "case"),
                socialSpace: try commands.socialSpace(request, 1),
                from: try commands.day(request, 2, name: "from"))
            return .ok("case \(id)")
        },
        AdminCommand(
            name: "move", roles: [.county], usage: "move <case-key> <sozialraum> <date>",
            summary: "record a move of a case (rule 9)", mutates: true
        ) {
            commands, request, state, _ in
            try await commands.budget.recordMove(
                commands.caller(state), key: try commands.positional(request, 0, name: "case"),
                to: try commands.socialSpace(request, 1),
                on: try commands.day(request, 2, name: "date"))
            return .ok("moved")
        },
        AdminCommand(
            name: "grant", roles: [.county],
            usage:
                "grant <case-key> <provider> <help-type> <hour|day|flat_month> <volume> <start> <end> [reason=...] key=<idempotency-key>",
            summary: "grant a help; never refused for money, overruns are flagged", mutates: true
        ) { commands, request, state, _ in
            guard let unit = RateUnit(rawValue: try commands.positional(request, 3, name: "unit")) else {
                throw ArgumentError(name: "unit", reason: "hour, day or flat_month")
            }
            let outcome = try await commands.budget.grant(
                commands.caller(state),
                .init(
                    caseKey: try commands.positional(request, 0, name: "case"),
                    provider: try commands.tenant(request, 1, name: "provider"),
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
            summary: "end a grant early; releases the rest", mutates: true
        ) {
            commands, request, state, _ in
            try await commands.budget.endGrant(
                commands.caller(state), grantID: try commands.uuid(request, 0, name: "grant"),
                on: try commands.day(request, 1, name: "date"))
            return .ok("grant ended")
        },
        // Deliveries and money (providers, county).
        AdminCommand(
            name: "deliver", roles: [.provider], usage: "deliver <grant-id> <month> <quantity> key=<idempotency-key>",
            summary: "record a month's delivery (Leistungsnachweis)", mutates: true
        ) { commands, request, state, _ in
            let outcome = try await commands.budget.recordDelivery(
                commands.caller(state), grantID: try commands.uuid(request, 0, name: "grant"),
                month: try commands.month(request, 1),
                quantity: try commands.quantity(request, 2), idempotencyKey: try commands.idempotencyKey(request))
            return .ok(
                "delivery \(outcome.deliveryID) cost \(outcome.cost)"
                    + (outcome.excess.hundredths > 0 ? " held back \(outcome.excess) (finding)" : ""))
        },
        AdminCommand(
            name: "import-deliveries", roles: [.provider], usage: "import-deliveries key=<idempotency-key> <<",
            summary: "import a CSV block (grant_id,month,quantity); all or nothing", mutates: true
        ) { commands, request, state, upload in
            guard let upload else {
                throw ArgumentError(name: "upload", reason: "end the request with << and send the CSV, then a line '.'")
            }
            let outcome = try await commands.budget.importDeliveries(
                commands.caller(state), csv: upload.joined(separator: "\n"),
                idempotencyKey: try commands.idempotencyKey(request))
            return .ok(
                "imported \(outcome.deliveries) deliveries, \(outcome.bookings) bookings, \(outcome.findings) findings, total \(outcome.total)"
            )
        },
        AdminCommand(
            name: "expense", roles: [.provider, .county],
            usage: "expense <project-id> <date> <amount> key=<idempotency-key>",
            summary: "book a project expense (milieu/structure, year's overrun policy)", mutates: true
        ) { commands, request, state, _ in
            let outcome = try await commands.budget.bookProjectExpense(
                commands.caller(state), projectID: try commands.uuid(request, 0, name: "project"),
                day: try commands.day(request, 1, name: "date"),
                amount: try commands.amount(request, 2), idempotencyKey: try commands.idempotencyKey(request))
            return .ok("booking \(outcome.bookingID)" + (outcome.overrun.map { " OVERRUN \($0)" } ?? ""))
        },
        AdminCommand(
            name: "instalment", roles: [.county],
            usage: "instalment <provider> <sozialraum> <component> <month> <amount> key=<idempotency-key>",
            summary: "book an instalment (Abschlag) paid to a provider", mutates: true
        ) { commands, request, state, _ in
            let outcome = try await commands.budget.payInstalment(
                commands.caller(state), provider: try commands.tenant(request, 0, name: "provider"),
                socialSpace: try commands.socialSpace(request, 1),
                component: try commands.component(request, 2), month: try commands.month(request, 3),
                amount: try commands.amount(request, 4),
                idempotencyKey: try commands.idempotencyKey(request))
            return .ok("booking \(outcome.bookingID)")
        },
        AdminCommand(
            name: "reverse", roles: [.provider, .county], usage: "reverse <booking-id> key=<idempotency-key>",
            summary: "reverse a booking (into the current open month if its month is closed)", mutates: true
        ) { commands, request, state, _ in
            guard let id = Int64(try commands.positional(request, 0, name: "booking")), id > 0 else {
                throw ArgumentError(name: "booking", reason: "a booking number")
            }
            let outcome = try await commands.budget.reverse(
                commands.caller(state), bookingID: id, idempotencyKey: try commands.idempotencyKey(request))
            return .ok("reversal \(outcome.bookingID)")
        },
        AdminCommand(
            name: "bookings", roles: [.provider, .county, .auditor], usage: "bookings <month>",
            summary: "the ledger of a month you may see", mutates: false
        ) {
            commands, request, state, _ in
            let month = try commands.month(request, 0)
            let rows: [[ResultTable.Cell]] = try await commands.budget.bookings(commands.caller(state), bookedIn: month)
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
            summary: "close a month; refused with open findings unless a reason forces it", mutates: true
        ) { commands, request, state, _ in
            let month = try commands.month(request, 0)
            try await commands.budget.closeMonth(
                commands.caller(state), month: month, forceReason: request.keywords["reason"])
            return .ok("period \(month) closed")
        },
        AdminCommand(
            name: "findings", roles: [.county, .auditor, .provider], usage: "findings [open|all]",
            summary: "findings you may see", mutates: false
        ) {
            commands, request, state, _ in
            let all = request.positional.first == "all"
            let rows: [[ResultTable.Cell]] = try await commands.budget.findings(commands.caller(state), all: all).map {
                [
                    .text($0.id.uuidString.lowercased()), .text($0.kind), .text($0.month.description),
                    .text($0.grantID?.uuidString.lowercased() ?? ""),
                    // Volumes in their unit, as everywhere else (hundredths are stored).
                    $0.quantity.map { .text($0.description) } ?? .null, $0.amount.map { .amount($0.cents) } ?? .null,
                    .text($0.status), .text($0.provider), .text($0.resolution ?? ""),
                ]
            }
            let table = ResultTable(
                columns: [
                    "finding", "kind", "month", "grant", "quantity", "amount", "status", "provider", "resolution",
                ], rows: rows)
            return .ok("\(rows.count) findings", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "resolve-finding", roles: [.county], usage: "resolve-finding <finding-id> accept|reject reason=...",
            summary: "accept (pay) or reject a finding", mutates: true
        ) { commands, request, state, _ in
            let decision = try commands.positional(request, 1, name: "decision")
            guard decision == "accept" || decision == "reject" else {
                throw ArgumentError(name: "decision", reason: "accept or reject")
            }
            guard let reason = request.keywords["reason"] else {
                throw ArgumentError(name: "reason", reason: "required")
            }
            try await commands.budget.resolveFinding(
                commands.caller(state), findingID: try commands.uuid(request, 0, name: "finding"),
                accept: decision == "accept", reason: reason)
            return .ok("finding \(decision)ed")
        },
        // Reconciliation, statements, year end, reports.
        AdminCommand(
            name: "reconcile", roles: [.county], usage: "reconcile <YYYY-MM|YYYY-Qn|YYYY|YYYY..YYYY-MM> [sozialraum]",
            summary: "run a reconciliation over the ledger as it stands; results are stored", mutates: true
        ) { commands, request, state, _ in
            let scope = try commands.scope(request, 0)
            let space = request.positional.count > 1 ? try commands.socialSpace(request, 1) : nil
            let run = try await commands.reconciliation.run(commands.caller(state), scope: scope, socialSpace: space)
            let overruns = run.overruns.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            return .ok(
                "run \(run.runID) \(run.scope) position \(run.ledgerPosition) digest \(run.digest.prefix(16)) findings \(run.newFindings)"
                    + (run.sameAs.map { " same as run \($0)" } ?? "")
                    + (overruns.isEmpty ? "" : " OVERRUN \(overruns.joined(separator: ", "))"))
        },
        AdminCommand(
            name: "runs", roles: [.county, .auditor, .provider], usage: "runs [year]",
            summary: "stored reconciliation runs", mutates: false
        ) {
            commands, request, state, _ in
            let year =
                request.positional.isEmpty ? nil : try commands.integer(request, 0, name: "year", range: 2000...2199)
            let table = try await commands.reconciliation.runs(commands.caller(state), year: year)
            return .ok("\(table.rows.count) runs", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "run", roles: [.county, .auditor, .provider],
            usage: "run <run> [lines|months|transfers] [sozialraum]",
            summary: "a run's results (lines and pools, months, cover transfers)", mutates: false
        ) { commands, request, state, _ in
            let id = try commands.runID(request, 0)
            let part =
                request.positional.count > 1 ? ReconciliationService.RunPart(rawValue: request.positional[1]) : .lines
            guard let part else { throw ArgumentError(name: "part", reason: "lines, months or transfers") }
            let space = request.positional.count > 2 ? try commands.socialSpace(request, 2) : nil
            let table = try await commands.reconciliation.runResult(
                commands.caller(state), runID: id, part: part, socialSpace: space)
            return .ok("run \(id) \(part.rawValue)", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "run-diff", roles: [.county, .auditor, .provider], usage: "run-diff <earlier-run> <later-run>",
            summary: "what changed between two runs", mutates: false
        ) { commands, request, state, _ in
            let table = try await commands.reconciliation.diff(
                commands.caller(state), from: try commands.runID(request, 0), to: try commands.runID(request, 1))
            return .ok("\(table.rows.count) changes", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "statement", roles: [.county, .auditor, .provider], usage: "statement <run> [items] [provider]",
            summary: "statements (Abrechnung) of a run; with items the payment advice", mutates: false
        ) { commands, request, state, _ in
            let id = try commands.runID(request, 0)
            let table: ResultTable
            if request.positional.count > 1 {
                guard request.positional[1] == "items" else {
                    throw ArgumentError(name: "items", reason: "the word items or nothing")
                }
                let provider = request.positional.count > 2 ? try commands.tenant(request, 2, name: "provider") : nil
                table = try await commands.reconciliation.statementItems(
                    commands.caller(state), runID: id, provider: provider)
            } else {
                table = try await commands.reconciliation.statements(commands.caller(state), runID: id)
            }
            return .ok(
                "run \(id) \(table.rows.count) rows", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "settle", roles: [.county], usage: "settle <run> <provider> key=<idempotency-key>",
            summary: "book a statement's balance as settlement (once; the statement must still match the ledger)",
            mutates: true
        ) {
            commands, request, state, _ in
            let settlement = try await commands.reconciliation.settle(
                commands.caller(state), runID: try commands.runID(request, 0),
                provider: try commands.tenant(request, 1, name: "provider"),
                idempotencyKey: try commands.idempotencyKey(request))
            let due =
                settlement.amount.cents > 0
                ? "county pays" : settlement.amount.cents < 0 ? "provider repays" : "nothing due"
            let bookings =
                settlement.bookingIDs.isEmpty
                ? "no bookings" : "bookings " + settlement.bookingIDs.map(String.init).joined(separator: ",")
            return .ok("settlement \(settlement.amount) (\(due)) \(bookings)")
        },
        AdminCommand(
            name: "year-end", roles: [.county], usage: "year-end <year>",
            summary: "preview the year end: surplus, deficit, carry-forward, provider share (applies nothing)",
            mutates: true
        ) {
            commands, request, state, _ in
            let year = try commands.integer(request, 0, name: "year", range: 2000...2199)
            let preview = try await commands.reconciliation.previewYearEnd(commands.caller(state), year: year)
            return .ok(
                "run \(preview.runID); apply with: year-end-confirm \(year) \(preview.runID)",
                data: preview.table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "year-end-confirm", roles: [.county], usage: "year-end-confirm <year> <run>",
            summary: "apply a previewed year end once (all months closed, ledger unchanged)", mutates: true
        ) { commands, request, state, _ in
            let year = try commands.integer(request, 0, name: "year", range: 2000...2199)
            let table = try await commands.reconciliation.confirmYearEnd(
                commands.caller(state), year: year, runID: try commands.runID(request, 1))
            return .ok("year end \(year) applied", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "population", roles: [.county], usage: "population <year> <sozialraum> <young-inhabitants>",
            summary: "inhabitants under 21 of a Sozialraum, for figures per 1,000", mutates: true
        ) { commands, request, state, _ in
            let year = try commands.integer(request, 0, name: "year", range: 2000...2199)
            let space = try commands.socialSpace(request, 1)
            let count = try commands.integer(request, 2, name: "young-inhabitants", range: 0...10_000_000)
            try await commands.reconciliation.setPopulation(
                commands.caller(state), year: year, socialSpace: space, youngInhabitants: count)
            return .ok("population \(year) \(space) \(count)")
        },
        AdminCommand(
            name: "cost-report", roles: [.county, .auditor], usage: "cost-report <from-year> [to-year] [by=help-type]",
            summary: "cost development per Sozialraum over the years", mutates: false
        ) { commands, request, state, _ in
            let from = try commands.integer(request, 0, name: "from-year", range: 2000...2199)
            let to =
                request.positional.count > 1
                ? try commands.integer(request, 1, name: "to-year", range: from...2199) : from
            guard to - from < 30 else { throw ArgumentError(name: "to-year", reason: "at most 30 years") }
            let byHelpType: Bool
            switch request.keywords["by"] {
            case nil, "sozialraum": byHelpType = false
            case "help-type": byHelpType = true
            default: throw ArgumentError(name: "by", reason: "sozialraum or help-type")
            }
            let table = try await commands.reconciliation.costDevelopment(
                commands.caller(state), years: from...to, byHelpType: byHelpType)
            return .ok("\(table.rows.count) rows", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "cross-area", roles: [.county, .auditor, .provider], usage: "cross-area <year> [sozialraum]",
            summary: "grants served outside the case's Sozialraum, with their reasons (rule 9)", mutates: false
        ) {
            commands, request, state, _ in
            let year = try commands.integer(request, 0, name: "year", range: 2000...2199)
            let space = request.positional.count > 1 ? try commands.socialSpace(request, 1) : nil
            let table = try await commands.reconciliation.crossAreaGrants(
                commands.caller(state), year: year, socialSpace: space)
            return .ok(
                "\(table.rows.count) cross-area grants", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "chart", roles: [.county, .auditor, .provider], usage: "chart <sozialraum> <year> [run=<run>]",
            summary: "budget burn as SVG (appropriation vs actual + committed by month)", mutates: false
        ) { commands, request, state, _ in
            let space = try commands.socialSpace(request, 0)
            let year = try commands.integer(request, 1, name: "year", range: 2000...2199)
            var run: Int64?
            if let text = request.keywords["run"] {
                guard let id = Int64(text), id > 0 else { throw ArgumentError(name: "run", reason: "a run number") }
                run = id
            }
            let svg = try await commands.reconciliation.burnChart(
                commands.caller(state), socialSpace: space, year: year, runID: run)
            return .ok(
                "chart \(space) \(year) (SVG)",
                data: svg.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init))
        },
        // Scheduler (county IT, county).
        AdminCommand(
            name: "schedules", roles: [.operator, .county, .auditor], usage: "schedules",
            summary: "schedules with their next slot (Europe/Berlin)", mutates: false
        ) { commands, request, state, _ in
            let now = commands.now()
            let schedules = try await commands.store.withoutTenant(readOnly: true) { tx in
                try await JobStore.schedules(tx)
            }
            let table = ResultTable(
                columns: [
                    "schedule", "cron", "zone", "job", "parameters", "missed", "timeout_s", "attempts", "state", "next",
                ],
                rows: schedules.map { schedule in
                    let next = (try? CronSchedule(parsing: schedule.cron)).flatMap { cron in
                        ZoneRules(identifier: schedule.timeZone).flatMap {
                            cron.nextFire(after: max(now, schedule.plannedThrough ?? now), in: $0)
                        }
                    }
                    return [
                        .text(schedule.name), .text(schedule.cron), .text(schedule.timeZone), .text(schedule.job),
                        .text(schedule.parameters),
                        .text(schedule.missedPolicy.rawValue), .integer(Int64(schedule.timeoutSeconds)),
                        .integer(Int64(schedule.maxAttempts)),
                        .text(schedule.paused ? "paused" : "active"),
                        next.map { .text(ZoneRules.europeBerlin.local($0).description) } ?? .null,
                    ]
                })
            return .ok("\(schedules.count) schedules", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "schedule-set", roles: [.operator, .county],
            usage:
                "schedule-set <name> \"<cron>\" <job> [parameters=…] [missed=all|latest|skip] [timeout=<s>] [attempts=<n>] [backoff=<s>] [zone=Europe/Berlin|UTC]",
            summary: "create or change a schedule (plans from now on)", mutates: true
        ) { commands, request, state, _ in
            let schedule = try commands.scheduleRecord(request)
            try await commands.store.withoutTenant { tx in
                try await JobStore.setSchedule(tx, schedule, now: commands.now())
            }
            try await commands.audit(state, "schedule.set", "schedule", schedule.name)
            return .ok("schedule \(schedule.name) set")
        },
        AdminCommand(
            name: "pause", roles: [.operator, .county], usage: "pause <schedule>",
            summary: "stop planning a schedule's slots", mutates: true
        ) {
            commands, request, state, _ in try await commands.setPaused(request, state, paused: true)
        },
        AdminCommand(
            name: "resume", roles: [.operator, .county], usage: "resume <schedule>",
            summary: "plan a schedule again from now (paused slots are not made up)", mutates: true
        ) { commands, request, state, _ in
            try await commands.setPaused(request, state, paused: false)
        },
        AdminCommand(
            name: "run-now", roles: [.operator, .county], usage: "run-now <schedule> key=<idempotency-key>",
            summary: "queue a schedule's job now (wakes a scheduler at once)", mutates: true
        ) { commands, request, state, _ in
            let name = try commands.positional(request, 0, name: "schedule")
            let key = try commands.idempotencyKey(request)
            let id = try await commands.store.withoutTenant { tx in
                guard let schedule = try await JobStore.schedules(tx).first(where: { $0.name == name }) else {
                    throw ServiceError.notFound("schedule")
                }
                return try await JobStore.enqueue(
                    tx, job: schedule.job, parameters: schedule.parameters, schedule: schedule.name,
                    requestKey: "\(state.account!.tenant):\(key.rawValue)",
                    now: commands.now(), requestedBy: state.account!.name, timeoutSeconds: schedule.timeoutSeconds,
                    maxAttempts: schedule.maxAttempts,
                    backoffSeconds: schedule.backoffSeconds)
            }
            try await commands.audit(state, "job.run_now", "job_run", String(id))
            return .ok("job \(id) queued")
        },
        AdminCommand(
            name: "jobs", roles: [.operator, .county, .auditor], usage: "jobs [schedule] [limit=<n>]",
            summary: "run history: state, attempts, times, result or error", mutates: false
        ) { commands, request, state, _ in
            let limit =
                try request.keywords["limit"].map { text in
                    guard let value = Int(text), (1...10_000).contains(value) else {
                        throw ArgumentError(name: "limit", reason: "1...10000")
                    }
                    return value
                } ?? 50
            let runs = try await commands.store.withoutTenant(readOnly: true) { tx in
                try await JobStore.history(tx, schedule: request.positional.first, limit: limit)
            }
            let local = { (instant: Instant?) -> ResultTable.Cell in
                instant.map { .text(ZoneRules.europeBerlin.local($0).description) } ?? .null
            }
            let table = ResultTable(
                columns: [
                    "job", "schedule", "slot", "job_kind", "state", "attempts", "started", "finished", "result",
                    "error", "instance",
                ],
                rows: runs.map { run in
                    [
                        .integer(run.id), .text(run.schedule ?? "-"), local(run.slot), .text(run.job), .text(run.state),
                        .integer(Int64(run.attempts)),
                        local(run.startedAt), local(run.finishedAt), run.result.map { .text($0) } ?? .null,
                        run.error.map { .text($0) } ?? .null,
                        run.claimedBy.map { .text($0) } ?? .null,
                    ]
                })
            return .ok("\(runs.count) jobs", data: table.lines(commands.format(request: request, state)))
        },
        AdminCommand(
            name: "job-cancel", roles: [.operator, .county], usage: "job-cancel <job>",
            summary: "cancel a queued job, or ask the running instance to stop it", mutates: true
        ) { commands, request, state, _ in
            guard let id = Int64(try commands.positional(request, 0, name: "job")), id > 0 else {
                throw ArgumentError(name: "job", reason: "a job number")
            }
            let after = try await commands.store.withoutTenant { tx in
                try await JobStore.cancel(tx, id: id, now: commands.now())
            }
            guard let after else { throw ServiceError.notFound("running or queued job") }
            try await commands.audit(state, "job.cancel", "job_run", String(id))
            return .ok(after == "cancelled" ? "job \(id) cancelled" : "job \(id) asked to stop")
        },
        // Accounts (county).
        AdminCommand(
            name: "account-set", roles: [.county], usage: "account-set <name> <tenant> <role>",
            summary: "create an account or rotate its secret; prints a new token once", mutates: true
        ) { commands, request, state, _ in
            guard let role = Role(rawValue: try commands.positional(request, 2, name: "role")) else {
                throw ArgumentError(name: "role", reason: "operator, county, provider or auditor")
            }
            let token = AccountService.generateToken()
            try await commands.accounts.setAccount(
                name: try commands.positional(request, 0, name: "name"),
                tenant: try commands.tenant(request, 1, name: "tenant"), role: role,
                secret: token, actingAs: state.account!.tenant)
            return .ok("token \(token)")
        },
    ]

    static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    // MARK: Session commands

    func help(_ request: Request, _ state: SessionState) -> Reply {
        let role = state.account?.role
        let visible = Self.all.filter { command in
            command.roles == nil || (role.map { command.roles!.contains($0) } ?? false)
        }
        if let name = request.positional.first {
            guard let command = visible.first(where: { $0.name == name.lowercased() }) else {
                return .error(.unknownCommand, "no command \(name) for you")
            }
            return .ok(command.summary, data: [command.usage])
        }
        return .ok("\(visible.count) commands", data: visible.map { "\($0.usage)  -- \($0.summary)" })
    }

    func login(_ request: Request, _ state: inout SessionState) async throws -> Reply {
        let name = try positional(request, 0, name: "name")
        let secret = try positional(request, 1, name: "secret")
        do {
            let account = try await accounts.login(name: name, secret: secret, source: state.source)
            state.account = account
            return .ok("logged in as \(account.name) role=\(account.role.rawValue)")
        } catch AccountService.LoginError.locked {
            return .error(.locked, "too many failed logins; try again later")
        } catch AccountService.LoginError.failed {
            return .error(.loginFailed, "wrong name or secret")
        }
    }

    // MARK: Arguments

    func caller(_ state: SessionState) -> Caller {
        let account = state.account!
        return Caller(tenant: account.tenant, role: account.role, name: account.name, requestID: state.id)
    }

    func format(request: Request?, _ state: SessionState) -> OutputFormat {
        request?.keywords["format"].flatMap(OutputFormat.init(rawValue:)) ?? state.format
    }

    func positional(_ request: Request, _ index: Int, name: String) throws -> String {
        guard index < request.positional.count else { throw ArgumentError(name: name, reason: "missing") }
        return request.positional[index]
    }

    func integer(_ request: Request, _ index: Int, name: String, range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(try positional(request, index, name: name)), range.contains(value) else {
            throw ArgumentError(name: name, reason: "a whole number \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func socialSpace(_ request: Request, _ index: Int) throws -> SocialSpaceCode {
        guard let code = SocialSpaceCode(try positional(request, index, name: "sozialraum")) else {
            throw ArgumentError(name: "sozialraum", reason: "a Sozialraum code (a-z, 0-9, '-')")
        }
        return code
    }

    func component(_ request: Request, _ index: Int) throws -> BudgetComponent {
        guard let component = BudgetComponent(rawValue: try positional(request, index, name: "component")) else {
            throw ArgumentError(name: "component", reason: "case, milieu or structure")
        }
        return component
    }

    func day(_ request: Request, _ index: Int, name: String) throws -> Day {
        guard let day = Day(iso: try positional(request, index, name: name)) else {
            throw ArgumentError(name: name, reason: "a date YYYY-MM-DD")
        }
        return day
    }

    func month(_ request: Request, _ index: Int) throws -> YearMonth {
        guard let month = YearMonth(iso: try positional(request, index, name: "month")) else {
            throw ArgumentError(name: "month", reason: "a month YYYY-MM")
        }
        return month
    }

    func amount(_ request: Request, _ index: Int) throws -> Money {
        let text = try positional(request, index, name: "amount")
        do { return try Money(parsing: text, decimalComma: text.contains(",")) } catch {
            throw ArgumentError(name: "amount", reason: error.description)
        }
    }

    func quantity(_ request: Request, _ index: Int) throws -> Quantity {
        let text = try positional(request, index, name: "quantity")
        do { return try Quantity(parsing: text, decimalComma: text.contains(",")) } catch {
            throw ArgumentError(name: "quantity", reason: error.description)
        }
    }

    /// Prometheus-style names with labels in one column: `metric, labels, value`.
    func stats(tenant: TenantID) async throws -> ResultTable {
        var rows: [[ResultTable.Cell]] = []
        func add(_ name: String, _ labels: String, _ value: Int64) {
            rows.append([.text(name), .text(labels), .integer(value)])
        }
        add("sozialraum_admin_sessions", "", Int64(await sessions.count))
        let snapshot = metrics.state.withLock { $0 }
        for (key, count) in snapshot.commands.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "|")
            add("sozialraum_admin_commands_total", "command=\"\(parts[0])\",result=\"\(parts[1])\"", Int64(count))
        }
        var cumulative = 0
        for (index, count) in snapshot.latency.enumerated() {
            cumulative += count
            let bound = index < AdminMetrics.buckets.count ? String(Int(AdminMetrics.buckets[index])) : "+Inf"
            add("sozialraum_admin_command_duration_ms_bucket", "le=\"\(bound)\"", Int64(cumulative))
        }
        add("sozialraum_admin_command_duration_ms_sum", "", Int64(snapshot.latencySum.rounded()))
        let pool = await store.pool.statistics
        add("sozialraum_pool_connections", "state=\"open\"", Int64(pool.open))
        add("sozialraum_pool_connections", "state=\"idle\"", Int64(pool.idle))
        add("sozialraum_pool_waiting", "", Int64(pool.waiting))
        let jobs = try await store.withoutTenant(readOnly: true) { tx in try await JobStore.countsByState(tx) }
        for (job, state, count) in jobs { add("sozialraum_job_runs_total", "job=\"\(job)\",state=\"\(state)\"", count) }
        // Per Sozialraum, the end of its last reconciliation run (seconds since 1970; 0: never), as the
        // caller's tenant sees the runs.
        let last = try await store.withTenant(tenant, readOnly: true) { tx in try await BudgetSQL.lastReconciliation(tx)
        }
        for (space, seconds) in last {
            add("sozialraum_last_reconciliation_seconds", "sozialraum=\"\(space)\"", seconds)
        }
        return ResultTable(columns: ["metric", "labels", "value"], rows: rows)
    }

    func now() -> Instant { Instant(seconds: Int64(Date().timeIntervalSince1970)) }

    func audit(_ state: SessionState, _ action: String, _ kind: String, _ id: String) async throws {
        try await store.withTenant(state.account!.tenant) { tx in try await tx.audit(caller(state), action, kind, id) }
    }

    func setPaused(_ request: Request, _ state: SessionState, paused: Bool) async throws -> Reply {
        let name = try positional(request, 0, name: "schedule")
        let changed = try await store.withoutTenant { tx in
            try await JobStore.setPaused(tx, name: name, paused: paused, now: now())
        }
        guard changed else { throw ServiceError.notFound("schedule") }
        try await audit(state, paused ? "schedule.pause" : "schedule.resume", "schedule", name)
        return .ok("schedule \(name) \(paused ? "paused" : "resumed")")
    }

    /// A schedule from `schedule-set`, checked before it is stored.
    func scheduleRecord(_ request: Request) throws -> ScheduleRecord {
        let name = try positional(request, 0, name: "name")
        guard name.range(of: "^[a-z][a-z0-9-]{1,39}$", options: .regularExpression) != nil else {
            throw ArgumentError(name: "name", reason: "2 to 40 of a-z 0-9 -, starting with a letter")
        }
        let cronText = try positional(request, 1, name: "cron")
        do { _ = try CronSchedule(parsing: cronText) } catch {
            throw ArgumentError(name: "cron", reason: error.description)
        }
        let job = try positional(request, 2, name: "job")
        guard StandardJobs.kinds.contains(job) else {
            throw ArgumentError(name: "job", reason: StandardJobs.kinds.joined(separator: " or "))
        }
        let parameters = request.keywords["parameters"] ?? (job == "reconcile" ? "month-to-date" : "")
        guard TextLimit.scheduleParameters.allows(parameters) else {
            throw ArgumentError(name: "parameters", reason: TextLimit.scheduleParameters.description)
        }
        if job == "reconcile", !StandardJobs.reconcileScopes.contains(parameters) {
            throw ArgumentError(name: "parameters", reason: StandardJobs.reconcileScopes.joined(separator: ", "))
        }
        guard let policy = MissedRunPolicy(rawValue: request.keywords["missed"] ?? "latest") else {
            throw ArgumentError(name: "missed", reason: "all, latest or skip")
        }
        let zone = request.keywords["zone"] ?? "Europe/Berlin"
        guard ZoneRules(identifier: zone) != nil else {
            throw ArgumentError(name: "zone", reason: "Europe/Berlin or UTC")
        }
        func number(_ key: String, _ range: ClosedRange<Int>, _ fallback: Int) throws -> Int {
            guard let text = request.keywords[key] else { return fallback }
            guard let value = Int(text), range.contains(value) else {
                throw ArgumentError(name: key, reason: "\(range.lowerBound)...\(range.upperBound)")
            }
            return value
        }
        return ScheduleRecord(
            name: name, cron: cronText, timeZone: zone, job: job, parameters: parameters, missedPolicy: policy,
            timeoutSeconds: try number("timeout", 1...86_400, 3600), maxAttempts: try number("attempts", 1...20, 3),
            backoffSeconds: try number("backoff", 1...3600, 60))
    }

    func scope(_ request: Request, _ index: Int) throws -> ReconciliationScope {
        guard let scope = ReconciliationScope(parsing: try positional(request, index, name: "scope")) else {
            throw ArgumentError(name: "scope", reason: "YYYY-MM, YYYY-Qn, YYYY or YYYY..YYYY-MM")
        }
        return scope
    }

    func runID(_ request: Request, _ index: Int) throws -> Int64 {
        guard let id = Int64(try positional(request, index, name: "run")), id > 0 else {
            throw ArgumentError(name: "run", reason: "a run number")
        }
        return id
    }

    func uuid(_ request: Request, _ index: Int, name: String) throws -> UUID {
        guard let id = UUID(hyphenated: Substring(try positional(request, index, name: name))) else {
            throw ArgumentError(name: name, reason: "an id")
        }
        return id
    }

    func tenant(_ request: Request, _ index: Int, name: String) throws -> TenantID {
        guard let id = UUID(hyphenated: Substring(try positional(request, index, name: name))) else {
            throw ArgumentError(name: name, reason: "a tenant id")
        }
        return TenantID(id)
    }

    func idempotencyKey(_ request: Request) throws -> IdempotencyKey {
        guard let text = request.keywords["key"] else {
            throw ArgumentError(name: "key", reason: "every change needs key=<idempotency-key>")
        }
        guard let key = IdempotencyKey(text) else {
            throw ArgumentError(name: "key", reason: "8 to 64 of A-Z a-z 0-9 . _ : -")
        }
        return key
    }
}
