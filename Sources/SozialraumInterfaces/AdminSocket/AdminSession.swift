import Foundation
import Logging
import NIOCore
import SozialraumDomain
import SozialraumProtocol
import SozialraumServices

/// One connection: reads requests in order, answers each in order (so pipelining is safe), reads
/// upload blocks, enforces the limits. Hostile input is answered and logged once per session, never
/// with its payload.
struct AdminSession {
    var state: SessionState
    let commands: AdminCommands
    let limits: AdminLimits
    let logger: Logger
    /// Kinds of bad input already logged in this session (each is logged once).
    private var logged: Set<String> = []
    /// The account the peer's uid maps to, while the database could not be asked for it (an outage):
    /// looked up again before each request; meanwhile `status` and `ping` answer, the rest `UNAVAILABLE`.
    var pendingPeerAccount: String?
    /// Bytes of the current upload taken from the daemon's budget, until its command has run.
    private var heldUploadBytes = 0

    init(state: SessionState, commands: AdminCommands, limits: AdminLimits, logger: Logger) {
        self.state = state
        self.commands = commands
        self.limits = limits
        self.logger = logger
    }

    mutating func authenticate(_ account: Account, channel: any Channel) async {
        guard
            await commands.sessions.authenticated(
                state.id, account: account.name, perAccountLimit: limits.maximumSessionsPerAccount)
        else {
            return
        }
        state.account = account
        channel.pipeline.fireUserInboundEventTriggered(RequestTimeoutHandler.Authenticated())
    }

    /// Logs in the peer whose account could not be looked up at connect, if the database answers now.
    mutating func retryPendingPeerAccount(channel: any Channel) async {
        guard state.account == nil, let name = pendingPeerAccount else { return }
        guard let account = try? await commands.accounts.account(named: name) else { return }
        pendingPeerAccount = nil
        await authenticate(account, channel: channel)
    }

    private mutating func note(_ kind: String) {
        guard logged.insert(kind).inserted else { return }
        logger.notice("admin session: bad input", metadata: ["session": "\(state.id)", "kind": "\(kind)"])
    }

    mutating func run(
        inbound: NIOAsyncChannelInboundStream<InboundLine>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        channel: any Channel
    ) async throws {
        // On shutdown the server closes the input of every session (AdminServer): the loop ends after
        // the current request.
        var lines = inbound.makeAsyncIterator()
        while let next = try await lines.next() {
            let text: String
            switch next {
            case .line(let line): text = line
            case .tooLong:
                note("line too long")
                try await outbound.write(
                    ByteBuffer(
                        string: Reply.error(.tooLong, AdminText.lineTooLong(limits.maximumLineBytes), state.language)
                            .encoded))
                continue
            case .invalidUTF8:
                note("invalid UTF-8")
                try await outbound.write(
                    ByteBuffer(string: Reply.error(.badRequest, AdminText.notUTF8, state.language).encoded))
                continue
            case .timedOut(let beforeLogin):
                // The login timer fired while a login was being verified, and the login succeeded.
                if beforeLogin, state.account != nil { continue }
                note(state.account == nil ? "login timeout" : "idle timeout")
                try await outbound.write(
                    ByteBuffer(string: Reply.error(.unavailable, AdminText.timeout, state.language).encoded))
                return
            }
            if text.allSatisfy(\.isWhitespace) { continue }
            var reply: Reply
            var request: Request?
            do {
                request = try Request.parse(text[...])
            } catch {
                note("malformed request")
                reply = .error(.badRequest, AdminText.malformed(error.description), state.language)
                try await outbound.write(ByteBuffer(string: reply.encoded))
                continue
            }
            await retryPendingPeerAccount(channel: channel)
            var upload: Upload?
            if request!.expectsUpload, let refusal = uploadRefusal(request!) {
                // Nothing of a stranger's (or a wrong command's) upload is read into memory: the block
                // that follows cannot be told from requests, so the connection ends here.
                note("upload refused before reading")
                var refused = refusal
                refused.tag = request!.tag
                try await outbound.write(ByteBuffer(string: refused.encoded))
                return
            }
            if request!.expectsUpload {
                switch try await readUpload(&lines) {
                case .spooled(let block):
                    upload = block
                    heldUploadBytes = block.byteCount
                case .tooLarge:
                    note("upload too large")
                    var refused = Reply.error(
                        .tooLarge, AdminText.uploadTooLarge(limits.maximumUploadBytes), state.language)
                    refused.tag = request!.tag
                    try await outbound.write(ByteBuffer(string: refused.encoded))
                    continue
                case .overBudget:
                    note("upload budget exhausted")
                    var refused = Reply.error(.busy, AdminText.uploadsFull, state.language)
                    refused.tag = request!.tag
                    try await outbound.write(ByteBuffer(string: refused.encoded))
                    continue
                case .spoolFailed:
                    var refused = Reply.error(
                        .unavailable, AdminText.uploadNotStored(state.id), state.language)
                    refused.tag = request!.tag
                    try await outbound.write(ByteBuffer(string: refused.encoded))
                    continue
                case .ended:
                    return
                }
            }
            let previousAccount = state.account?.name
            reply = await execute(request!, upload: upload)
            upload = nil
            commands.uploadBudget.giveBack(heldUploadBytes)
            heldUploadBytes = 0
            // A login (also a second one in the session, e.g. after peer credentials) counts against the
            // new account's session limit, and `sessions` names the account now logged in: registered
            // before the reply goes out, so that a client that has its answer finds the session counted.
            if let account = state.account, account.name != previousAccount {
                if await commands.sessions.authenticated(
                    state.id, account: account.name, perAccountLimit: limits.maximumSessionsPerAccount)
                {
                    channel.pipeline.fireUserInboundEventTriggered(RequestTimeoutHandler.Authenticated())
                } else {
                    state.account = nil
                    await commands.sessions.loggedOut(state.id)
                    reply = Reply.error(.busy, AdminText.tooManySessionsOfAccount, state.language)
                }
            }
            reply.tag = request!.tag
            if Task.isCancelled {
                // Stopping: the cancelled task's writer may refuse, the channel still takes the last line.
                try? await channel.writeAndFlush(ByteBuffer(string: reply.encoded)).get()
                return
            }
            try await outbound.write(ByteBuffer(string: reply.encoded))
            if request!.command == "quit" { return }
        }
    }

    enum UploadResult {
        /// The block on disk; its bytes are taken from the daemon's upload budget (give them back after use).
        case spooled(Upload)
        case tooLarge
        /// All sessions' uploads together would pass the daemon's budget: the block was read and dropped.
        case overBudget
        /// The upload directory refused a write (full, gone): the block was read and dropped.
        case spoolFailed
        case ended
    }

    /// Reads an upload block up to a line `.` into a spooled file (a data line starting with `.` arrives
    /// with one more). Every byte written is taken from the daemon-wide upload budget first; past it, or
    /// past the per-upload limit, the rest of the block is read and dropped. Memory holds one chunk.
    private func readUpload(
        _ lines: inout NIOAsyncChannelInboundStream<InboundLine>.AsyncIterator
    ) async throws -> UploadResult {
        var writer: UploadWriter?
        var bytes = 0
        var refusal: UploadResult?
        let budget = commands.uploadBudget
        func drop(_ reason: UploadResult) {
            guard refusal == nil else { return }
            refusal = reason
            budget.giveBack(bytes)
            writer = nil
        }
        func failed(_ error: any Error) {
            logger.error("admin upload cannot be stored", metadata: ["session": "\(state.id)", "error": "\(error)"])
            drop(.spoolFailed)
        }
        do { writer = UploadWriter(file: try await SpooledFile.create(in: limits.uploadDirectory)) } catch {
            failed(error)
        }
        func write(_ line: Substring) async {
            do { try await writer?.append(line: line) } catch { failed(error) }
        }
        while true {
            let received: InboundLine?
            do { received = try await lines.next() } catch {
                // A connection that breaks off mid-upload gives its bytes back.
                if refusal == nil { budget.giveBack(bytes) }
                throw error
            }
            guard let next = received else { break }
            switch next {
            case .line(let line):
                if line == "." {
                    do {
                        if refusal == nil, let upload = try await writer?.finish() { return .spooled(upload) }
                    } catch {
                        failed(error)
                    }
                    return refusal ?? .spoolFailed
                }
                guard refusal == nil else { continue }
                let size = line.utf8.count + 1
                if bytes + size > limits.maximumUploadBytes {
                    drop(.tooLarge)
                } else if !budget.take(size) {
                    drop(.overBudget)
                } else {
                    bytes += size
                    await write(line.hasPrefix(".") ? line.dropFirst() : line[...])
                }
            case .tooLong, .invalidUTF8:
                // Kept as a line the import refuses, so that its row error names the line number.
                guard refusal == nil else { continue }
                let replacement = "\u{FFFD}"
                let size = replacement.utf8.count + 1
                if budget.take(size) {
                    bytes += size
                    await write(replacement[...])
                } else {
                    drop(.overBudget)
                }
            case .timedOut:
                if refusal == nil { budget.giveBack(bytes) }
                return .ended
            }
        }
        if refusal == nil { budget.giveBack(bytes) }
        return .ended
    }

    enum Admission {
        case admitted(AdminCommand)
        case refused(Reply)
    }

    /// Whether `request` may run in this session: a known command, a role it allows, and an upload only
    /// where the command takes one. The one check, made before an upload is read (`withUpload`) and
    /// again before the command runs.
    func admission(_ request: Request, withUpload: Bool) -> Admission {
        if withUpload, state.account == nil {
            return .refused(.error(.notLoggedIn, AdminText.logInBeforeUploading, state.language))
        }
        guard let command = AdminCommands.byName[request.command] else {
            // Before an upload the connection ends: no point in pointing to `help`.
            return .refused(
                .error(
                    .unknownCommand, AdminText.unknownCommand(request.command, hint: !withUpload), state.language))
        }
        if let roles = command.roles {
            guard let account = state.account else {
                if pendingPeerAccount != nil {
                    // Health needs no account: county IT can diagnose the outage it is looking at.
                    if command.name == "status", !withUpload { return .admitted(command) }
                    return .refused(
                        .error(.unavailable, AdminText.accountNotLookedUp, state.language))
                }
                return .refused(.error(.notLoggedIn, AdminText.logInFirst, state.language))
            }
            guard roles.contains(account.role) else {
                return .refused(.error(.forbidden, AdminText.notForRole(command.name, account.role), state.language))
            }
        }
        if withUpload, !command.takesUpload {
            return .refused(.error(.badRequest, AdminText.takesNoUpload(command.name), state.language))
        }
        return .admitted(command)
    }

    /// Why an announced upload is refused before a byte of it is read, if it is: the connection then ends.
    func uploadRefusal(_ request: Request) -> Reply? {
        guard case .refused(let refusal) = admission(request, withUpload: true) else { return nil }
        return .error(refusal.error ?? .badRequest, refusal.message + AdminText.closing(state.language))
    }

    mutating func execute(_ request: Request, upload: Upload?) async -> Reply {
        let started = ContinuousClock.now
        let reply = await dispatch(request, upload: upload)
        let elapsed = ContinuousClock.now - started
        commands.metrics.commandFinished(
            command: AdminCommands.byName[request.command] == nil ? "unknown" : request.command,
            result: reply.error?.rawValue ?? "ok", duration: elapsed)
        return reply
    }

    /// Rights end at once (issue 35): the account is read again for each command that needs a login; a
    /// disabled account or a rotated token ends the session, and the command runs with today's rights.
    private mutating func refreshAccount() async -> Reply? {
        guard let account = state.account else { return nil }
        do {
            guard let now = try await commands.accounts.current(account) else {
                state.account = nil
                await commands.sessions.loggedOut(state.id)
                logger.notice(
                    "admin session ended: account disabled or token rotated", metadata: ["session": "\(state.id)"])
                return .error(.notLoggedIn, AdminText.sessionEnded, state.language)
            }
            state.account = now
            return nil
        } catch {
            return .error(.unavailable, AdminText.accountNotChecked, state.language)
        }
    }

    private mutating func dispatch(_ request: Request, upload: Upload?) async -> Reply {
        let needsAccount = state.account != nil && AdminCommands.byName[request.command]?.roles != nil
        let changes = AdminCommands.byName[request.command]?.changes ?? .nothing
        // A change is checked before it runs (one pipelined read); a read is checked inside the transactions
        // it opens anyway (the hot path pays no extra round trip), or after it when it opened none.
        if needsAccount, changes.mutates, let ended = await refreshAccount() { return ended }
        let command: AdminCommand
        switch admission(request, withUpload: upload != nil) {
        case .admitted(let admitted): command = admitted
        case .refused(let refusal):
            if refusal.error == .unknownCommand { note("unknown command") }
            return refusal
        }
        guard needsAccount, !changes.mutates else {
            do { return try await run(command, request, upload: upload) } catch {
                return await refreshAccount() ?? .error(.unavailable, AdminText.accountChanged, state.language)
            }
        }
        for _ in 1...2 {
            guard let account = state.account else { break }
            do {
                let (reply, checked) = try await AccountService.checkingEachTransaction(for: account) {
                    try await self.run(command, request, upload: upload)
                }
                if !checked, let ended = await refreshAccount() { return ended }
                return reply
            } catch {
                // The account changed under the command (its transaction rolled back): read it again; a read
                // runs once more with today's rights.
                if let ended = await refreshAccount() { return ended }
            }
        }
        return .error(.unavailable, AdminText.accountChangedWhileRunning(state.id), state.language)
    }

    /// The command's reply; throws only when its account changed under it (a transaction found it so).
    private mutating func run(
        _ command: AdminCommand, _ request: Request, upload: Upload?
    ) async throws(AccountChangedUnderCommand) -> Reply {
        do {
            return try await command.run(commands, request, &state, upload)
        } catch let error as ArgumentError {
            return .error(.invalid, AdminText.invalidArgument(error.name, error.reason), state.language)
        } catch let error as ServiceError {
            return Self.reply(for: error, state.language)
        } catch let error as Money.Overflow {
            // A sum of valid amounts left the range of cents: the input is too large, the daemon lives on.
            return .error(.invalid, AdminText.invalidAmount("\(error)"), state.language)
        } catch {
            if AccountService.isAccountChange(error) { throw AccountChangedUnderCommand() }
            if Task.isCancelled {
                // The daemon is stopping and its grace time is over: the command's statement was cancelled.
                logger.notice(
                    "admin command cancelled at shutdown",
                    metadata: ["session": "\(state.id)", "command": "\(command.name)"])
                return .error(.unavailable, AdminText.stopping(state.id), state.language)
            }
            if ServiceError.isDatabaseUnavailable(error) {
                // An outage fails every request: one warning now and then, with the count, not one each.
                if let leftOut = commands.outageLog.admit() {
                    logger.warning(
                        "admin commands fail: database unavailable",
                        metadata: [
                            "session": "\(state.id)", "command": "\(command.name)", "since_last_line": "\(leftOut)",
                        ])
                }
                return .error(.unavailable, AdminText.databaseUnavailable(state.id), state.language)
            }
            // Detail to the log only; the client gets a reference to find it.
            logger.error(
                "admin command failed",
                metadata: [
                    "session": "\(state.id)", "command": "\(command.name)", "error": "\(String(reflecting: error))",
                ])
            return .error(.internal, AdminText.internalError(state.id), state.language)
        }
    }
}

/// A transaction of the command found its account changed since the session read it (issue 35).
struct AccountChangedUnderCommand: Error {}
