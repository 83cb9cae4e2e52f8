import Foundation
import Logging
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices
import Synchronization
import UUIDText

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
    /// Whether it changes data, and how a retried request stays safe (issue 29).
    let changes: Changes
    /// Whether a CSV block may follow the request line (`<<` … `.`).
    var takesUpload = false
    let run: @Sendable (AdminCommands, Request, inout SessionState, Upload?) async throws -> Reply
}

/// What a command changes, and why sending it twice (a retry after a lost answer) cannot change more.
enum Changes: Sendable, Equatable {
    /// Reads only.
    case nothing
    /// Adds something (a booking, a grant, a decision): takes `key=`; a retry answers the same, the same key
    /// with other content `IDEMPOTENCY_CONFLICT`.
    case withKey
    /// Sets a value or a state: the same request twice leaves the same state and the second answer says so
    /// (the same answer, or `DUPLICATE`/`CONFLICT` naming the state). The text says how.
    case naturally(String)

    var mutates: Bool { self != .nothing }
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
    let grants: GrantService
    let payments: PaymentService
    let reconciliation: ReconciliationService
    let yearEnd: YearEndService
    let accounts: AccountService
    let status: SystemStatusService
    let jobs: JobService
    let migration: MigrationService
    let paymentOrders: PaymentOrderService
    let sessions: SessionRegistry
    let logger: Logger
    let operations: AdminOperations
    /// Commands by result and latency, and the snapshot `stats` and the metrics endpoint show.
    let metrics: DaemonMetrics
    /// Database-outage failures, logged at most every 10 s with a count.
    let outageLog = RateLimitedLog(interval: .seconds(10))
    /// Upload bytes on disk for all sessions together.
    let uploadBudget: UploadBudget
    /// Commands working on an upload in memory (the import), at most `AdminLimits.maximumConcurrentImports`.
    let imports: ConcurrencyLimit

    /// Every command, in the order `help` lists them; each group in its own file.
    static let all: [AdminCommand] =
        session + operations + budgets + register + ledger + reconciliation + statementCommands + paymentOrderCommands
        + scheduling
        + accountCommands

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
        return Caller(
            tenant: account.tenant, role: account.role, name: account.name, requestID: state.id, rights: account.rights)
    }

    /// The request's upload block, or an error saying how to send one.
    func upload(_ upload: Upload?, of what: String = "the CSV") throws -> Upload {
        guard let upload else {
            throw ArgumentError(name: "upload", reason: "end the request with << and send \(what), then a line '.'")
        }
        return upload
    }

    func format(request: Request?, _ state: SessionState) -> OutputFormat {
        request?.keywords["format"].flatMap(OutputFormat.init(rawValue:)) ?? state.format
    }

    func positional(_ request: Request, _ index: Int, name: String) throws -> String {
        guard index < request.positional.count else { throw ArgumentError(name: name, reason: "missing") }
        return request.positional[index]
    }

    /// A record's number (run, statement, order, …): a whole number above zero; `reason` says what it is.
    func number(_ request: Request, _ index: Int, name: String, reason: String) throws -> Int64 {
        guard let id = Int64(try positional(request, index, name: name)), id > 0 else {
            throw ArgumentError(name: name, reason: reason)
        }
        return id
    }

    /// The optional `run=<n>` keyword (a run to read from instead of the latest).
    func runKeyword(_ request: Request) throws -> Int64? {
        guard let text = request.keywords["run"] else { return nil }
        guard let id = Int64(text), id > 0 else { throw ArgumentError(name: "run", reason: "a run number") }
        return id
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

    /// A date given as `name=YYYY-MM-DD`, or nil when the keyword is absent.
    func keywordDay(_ request: Request, _ name: String) throws -> Day? {
        guard let text = request.keywords[name] else { return nil }
        guard let day = Day(iso: text) else { throw ArgumentError(name: name, reason: "a date YYYY-MM-DD") }
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

    /// The audit event of an action on the daemon itself.
    func audit(_ state: SessionState, _ action: String, _ kind: String, _ id: String) async throws {
        try await status.recordOperation(caller(state), action, kind, id)
    }

    func uuid(_ request: Request, _ index: Int, name: String) throws -> UUID {
        guard let id = UUID(hyphenated: Substring(try positional(request, index, name: name))) else {
            throw ArgumentError(name: name, reason: "an id")
        }
        return id
    }

    /// A tenant named by its id, or a provider by its code (`awo-verden`), looked up as the caller sees them.
    func tenant(_ request: Request, _ index: Int, _ state: SessionState, name: String) async throws -> TenantID {
        let text = try positional(request, index, name: name)
        if let id = UUID(hyphenated: Substring(text)) { return TenantID(id) }
        guard ProviderCode(text) != nil else {
            throw ArgumentError(name: name, reason: "a provider code or a tenant id")
        }
        return try await budget.provider(caller(state), idOrCode: text)
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
