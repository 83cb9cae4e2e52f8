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
    /// The county's `interface.language`.
    var defaultLanguage: Language = .en
    /// Chosen in this session with `language`.
    var chosenLanguage: Language? = nil

    /// The language of this session's texts: chosen in it, else the account's, else the county's.
    var language: Language { chosenLanguage ?? account?.language ?? defaultLanguage }
}

/// A command of the admin protocol, declared once: who may use it, its typed arguments, whether it changes
/// data and how a retry stays safe, whether it takes an upload. The parser and its errors, the usage line,
/// `help` per caller and the command table of docs/protocol.md (`ProtocolDocsTests`) all come from here.
struct AdminCommand: Sendable {
    let name: String
    /// nil: usable before login.
    let roles: Set<Role>?
    /// A county right the command needs besides its role: `help` lists the command only for accounts
    /// holding it. The use case checks it (with its own words for what was refused) and the database again;
    /// `DeclaredRightsTests` checks that the two agree.
    let right: CountyRight?
    /// What the command does, in English; `summary(_:)` gives it in the session's language.
    let summary: String
    /// Whether it changes data, and how a retried request stays safe (issue 29).
    let changes: Changes
    /// Whether a CSV block may follow the request line (`<<` … `.`).
    let takesUpload: Bool
    let arguments: [ArgumentSyntax]
    let run: @Sendable (AdminCommands, Request, inout SessionState, Upload?) async throws -> Reply

    /// `funds <sozialraum> <year>`, `deliver <grant-id> <month> <quantity> key=<idempotency-key>`.
    var usage: String {
        ([name] + arguments.map(\.usage) + (takesUpload ? ["<<"] : [])).joined(separator: " ")
    }

    /// Whether `account` (nil: not logged in) may run the command: what `help` lists.
    func isAvailable(to account: Account?) -> Bool {
        guard let roles else { return true }
        guard let account, roles.contains(account.role) else { return false }
        return right.map { account.rights.contains($0) } ?? true
    }
}

/// What the handler of a logged-in command receives besides its arguments: the services, the account
/// (never optional), the caller the services check, and the request's upload and output format.
struct Invocation: Sendable {
    let commands: AdminCommands
    let account: Account
    let upload: Upload?
    let format: OutputFormat
    let sessionID: String
    /// The session's language, for the texts a handler writes.
    var language: Language = .en

    /// `text` in the session's language.
    func say(_ text: Text) -> String { text(language) }

    var caller: Caller {
        Caller(
            tenant: account.tenant, role: account.role, name: account.name, requestID: sessionID,
            rights: account.rights)
    }

    /// The request's upload block, or an error saying how to send one.
    func upload(of what: String = "the CSV") throws(ArgumentError) -> Upload {
        guard let upload else {
            throw ArgumentError(name: "upload", reason: "end the request with << and send \(what), then a line '.'")
        }
        return upload
    }

    /// Records in the access log that this reply shows `cases` cases (`caseID` when one): before the reply
    /// leaves, so that no case data is shown without its entry (a failure answers `UNAVAILABLE` instead).
    func showingCases(_ cases: Int, caseID: UUID? = nil, command: String) async throws {
        try await commands.accessLog.record(caller, command: command, cases: cases, caseID: caseID)
    }

    /// The same, counting the distinct cases among the reply's case keys (an empty key names no case).
    func showingCases(keys: some Sequence<String>, command: String) async throws {
        try await showingCases(Set(keys.filter { !$0.isEmpty }).count, command: command)
    }

    /// `table` written in the request's (or the session's) format, as the reply's data lines.
    func lines(_ table: ResultTable) -> [String] { table.lines(format) }
}

/// What the handler of a session command receives besides the session's state and its arguments.
struct SessionCall: Sendable {
    let commands: AdminCommands
    /// The request's (or the session's) output format.
    let format: OutputFormat
}

extension Invocation {
    /// The audit event of an action on the daemon itself.
    func audit(_ action: String, _ kind: String, _ id: String) async throws {
        try await commands.status.recordOperation(caller, action, kind, id)
    }
}

extension AdminCommand {
    /// A command for logged-in accounts of `roles` (and `right`): `run` gets the invocation and the
    /// arguments' typed values, in the order declared.
    init<each Value: Sendable>(
        _ name: String, roles: Set<Role>, right: CountyRight? = nil, _ summary: String, changes: Changes,
        upload: Bool = false, _ arguments: repeat Argument<each Value>,
        run: @escaping @Sendable (Invocation, repeat each Value) async throws -> Reply
    ) {
        var syntax: [ArgumentSyntax] = []
        for argument in repeat each arguments { syntax.append(argument.syntax) }
        let declared = syntax
        self.init(
            name: name, roles: roles, right: right, summary: summary, changes: changes, takesUpload: upload,
            arguments: declared
        ) { commands, request, state, upload in
            guard let account = state.account else { return .error(.notLoggedIn, AdminText.logInFirst, state.language) }
            let matched = try MatchedArguments(request, declared)
            let invocation = Invocation(
                commands: commands, account: account, upload: upload,
                format: commands.format(request: request, state), sessionID: state.id, language: state.language)
            return try await run(invocation, repeat try (each arguments).convert(matched))
        }
    }

    /// A command of the session itself (most need no login): it may change the session's state.
    static func session<each Value: Sendable>(
        _ name: String, roles: Set<Role>? = nil, _ summary: String, _ arguments: repeat Argument<each Value>,
        run: @escaping @Sendable (SessionCall, inout SessionState, repeat each Value) async throws -> Reply
    ) -> AdminCommand {
        var syntax: [ArgumentSyntax] = []
        for argument in repeat each arguments { syntax.append(argument.syntax) }
        let declared = syntax
        return AdminCommand(
            name: name, roles: roles, right: nil, summary: summary, changes: .nothing, takesUpload: false,
            arguments: declared
        ) { commands, request, state, _ in
            let matched = try MatchedArguments(request, declared)
            let call = SessionCall(commands: commands, format: commands.format(request: request, state))
            return try await run(call, &state, repeat try (each arguments).convert(matched))
        }
    }
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
    /// Records every reply that shows case-level data (issue 31).
    let accessLog: AccessLogService
    /// Erasure orders and legal holds (issue 31).
    let erasure: ErasureService
    /// Restrictions of processing (issue 31).
    let restriction: RestrictionService
    /// Auskunft and correction (issue 31).
    let auskunft: AuskunftService
    let sessions: SessionRegistry
    /// `reports.minimumGroupSize`.
    var reportMinimumGroup = 3
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
        session + operations + budgets + register + ledger + reconciliation + reportCommands + statementCommands
        + paymentOrderCommands + scheduling
        + accountCommands + dataProtection

    static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    // MARK: Session commands

    /// The commands `state`'s account may run (role and right), or one of them with its usage.
    func help(command name: String?, _ state: SessionState) -> Reply {
        let visible = Self.all.filter { $0.isAvailable(to: state.account) }
        if let name {
            guard let command = visible.first(where: { $0.name == name.lowercased() }) else {
                return .error(.unknownCommand, AdminText.noCommandForYou(name), state.language)
            }
            return .ok(command.summary(state.language), data: [command.usage])
        }
        return .ok(
            AdminText.commands(visible.count)(state.language),
            data: visible.map { "\($0.usage)  -- \($0.summary(state.language))" })
    }

    func login(name: String, secret: String, _ state: inout SessionState) async throws -> Reply {
        do {
            let account = try await accounts.login(name: name, secret: secret, source: state.source)
            state.account = account
            return .ok(AdminText.loggedIn(account.name, account.role)(state.language))
        } catch AccountService.LoginError.locked {
            return .error(.locked, AdminText.locked, state.language)
        } catch AccountService.LoginError.failed {
            return .error(.loginFailed, AdminText.loginFailed, state.language)
        }
    }

    // MARK: Output

    func format(request: Request?, _ state: SessionState) -> OutputFormat {
        request?.keywords["format"].flatMap(OutputFormat.init(rawValue:)) ?? state.format
    }
}
