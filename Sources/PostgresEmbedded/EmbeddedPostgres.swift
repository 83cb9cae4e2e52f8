import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL cluster in a directory of our own, reachable only by a Unix socket there.
///
/// Used by the daemon when no database is configured (trials, demos) and by the test suite.
/// `initdb` and `pg_ctl` are found on `PATH` or under `/usr/lib/postgresql/*/bin`. PostgreSQL
/// refuses to run as root, so when we are root the cluster runs as the `postgres` OS user.
public struct EmbeddedPostgres: Sendable {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Holds `data/` (the cluster), `socket/` and `postgres.log`.
    public let directory: URL
    /// Trade durability for speed (tests, benchmarks): fsync and synchronous commit off.
    public let durable: Bool
    public let binDirectory: URL
    /// The OS user running the server, and the cluster's superuser name.
    public let superuser: String
    private let runAsOtherUser: Bool
    private let logger: Logger

    public var dataDirectory: URL { directory.appendingPathComponent("data") }
    public var socketDirectory: URL { directory.appendingPathComponent("socket") }
    public var logFile: URL { directory.appendingPathComponent("postgres.log") }
    public let port = 5432

    /// The server's `max_connections`: tests open many databases at once.
    public let maxConnections: Int

    public init(directory: URL, durable: Bool = true, maxConnections: Int = 100, logger: Logger) throws {
        self.directory = directory.standardizedFileURL
        self.durable = durable
        self.maxConnections = maxConnections
        self.logger = logger
        self.binDirectory = try Self.locateBinaries()
        if geteuid() == 0 {
            guard getpwnam("postgres") != nil else {
                throw Failure(
                    description: "running as root, but there is no 'postgres' OS user to run the embedded "
                        + "cluster as; install it with: apt-get install -y postgresql")
            }
            superuser = "postgres"
            runAsOtherUser = true
        } else {
            superuser = String(cString: getpwuid(geteuid()).pointee.pw_name)
            runAsOtherUser = false
        }
    }

    /// Where the embedded cluster of a state directory lives: `<state>/postgres`, or, when the cluster's
    /// OS user cannot reach that (root working in a 0700 home directory), a directory of its own under
    /// `/var/tmp` named after the state directory (its last component and a hash of its path), so that the
    /// same state directory finds the same cluster again. `relocated` says which; the caller logs it.
    public static func clusterDirectory(forStateDirectory state: String) -> (url: URL, relocated: Bool) {
        let home = URL(fileURLWithPath: state).standardizedFileURL
        let wanted = home.appendingPathComponent("postgres")
        guard geteuid() == 0, let account = getpwnam("postgres"),
            unreachableParent(of: wanted, uid: account.pointee.pw_uid) != nil
        else {
            return (wanted, false)
        }
        // FNV-1a: stable across runs and builds (Hasher is seeded per process).
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in home.path.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let name = String(
            home.lastPathComponent.unicodeScalars.map { scalar -> Character in
                scalar.properties.isAlphabetic && scalar.isASCII || ("0"..."9").contains(scalar) || scalar == "-"
                    || scalar == "_" ? Character(scalar) : "_"
            }.prefix(40))
        let suffix = String(hash, radix: 16)
        return (URL(fileURLWithPath: "/var/tmp/sozialraum-\(name)-\(suffix)"), true)
    }

    /// The first parent of `url` that the user `uid` cannot search (enter), or nil when every one is.
    static func unreachableParent(of url: URL, uid: uid_t) -> URL? {
        var parent = url.deletingLastPathComponent()
        while parent.path != "/" {
            var info = stat()
            if stat(parent.path, &info) == 0 {
                let searchable = info.st_uid == uid ? info.st_mode & 0o100 != 0 : info.st_mode & 0o001 != 0
                if !searchable { return parent }
            }
            parent = parent.deletingLastPathComponent()
        }
        return nil
    }

    /// Finds a directory holding both `initdb` and `pg_ctl`.
    public static func locateBinaries() throws -> URL {
        let fileManager = FileManager.default
        var candidates: [URL] = []
        for entry in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            candidates.append(URL(fileURLWithPath: String(entry)))
        }
        let debianRoot = "/usr/lib/postgresql"
        let versions = ((try? fileManager.contentsOfDirectory(atPath: debianRoot)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        candidates += versions.map { URL(fileURLWithPath: "\(debianRoot)/\($0)/bin") }
        for candidate in candidates {
            let initdb = candidate.appendingPathComponent("initdb").path
            let pgctl = candidate.appendingPathComponent("pg_ctl").path
            if fileManager.isExecutableFile(atPath: initdb), fileManager.isExecutableFile(atPath: pgctl) {
                return URL(fileURLWithPath: initdb).resolvingSymlinksInPath().deletingLastPathComponent()
            }
        }
        throw Failure(
            description: "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or under "
                + "/usr/lib/postgresql/*/bin; install them with: apt-get install -y postgresql")
    }

    /// libpq conninfo for a database of this cluster.
    public func conninfo(database: String, user: String? = nil) -> String {
        "host='\(socketDirectory.path)' port=\(port) dbname='\(database)' user='\(user ?? superuser)'"
    }

    /// True when `pg_ctl status` sees a server running on the data directory.
    public var isRunning: Bool {
        (try? run(tool: "pg_ctl", ["status", "-D", dataDirectory.path], quiet: true)) != nil
    }

    /// Creates the cluster if needed and starts it; returns once it accepts connections.
    public func start() throws {
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
        try prepareDirectory(directory, mode: 0o700)
        if !fileManager.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) {
            logger.info("creating embedded PostgreSQL cluster", metadata: ["directory": "\(dataDirectory.path)"])
            try run(
                tool: "initdb",
                [
                    "-D", dataDirectory.path, "-U", superuser, "--auth=trust", "--encoding=UTF8", "--no-locale",
                    "--no-instructions",
                ])
        }
        try fileManager.createDirectory(at: socketDirectory, withIntermediateDirectories: true)
        try prepareDirectory(socketDirectory, mode: 0o700)
        if isRunning {
            logger.info("embedded PostgreSQL already running; reusing it")
            return
        }
        var options = [
            "-c listen_addresses=''", "-k '\(socketDirectory.path)'", "-p \(port)",
            "-c max_connections=\(maxConnections)", "-c shared_buffers=256MB", "-c unix_socket_permissions=0700",
        ]
        if !durable { options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"] }
        try run(
            tool: "pg_ctl",
            [
                "start", "-D", dataDirectory.path, "-l", logFile.path, "-w", "-t", "120", "-s",
                "-o", options.joined(separator: " "),
            ])
        logger.info("embedded PostgreSQL started")
    }

    /// Stops the cluster. `immediate` skips the shutdown checkpoint (tests; a crash-safe stop).
    public func stop(immediate: Bool = false) throws {
        guard isRunning else { return }
        try run(tool: "pg_ctl", ["stop", "-D", dataDirectory.path, "-m", immediate ? "immediate" : "fast", "-w", "-s"])
        logger.info("embedded PostgreSQL stopped")
    }

    /// Restarts the running cluster (used by tests that show clients survive a server restart).
    public func restart() throws {
        try stop()
        try start()
    }

    private func prepareDirectory(_ url: URL, mode: Int) throws {
        var attributes: [FileAttributeKey: Any] = [.posixPermissions: mode]
        if runAsOtherUser { attributes[.ownerAccountName] = superuser }
        try FileManager.default.setAttributes(attributes, ofItemAtPath: url.path)
        if runAsOtherUser, url == directory, let account = getpwnam(superuser),
            let parent = Self.unreachableParent(of: url, uid: account.pointee.pw_uid)
        {
            // The postgres user must be able to reach the directory through every parent.
            throw Failure(
                description: "the 'postgres' user cannot reach \(url.path) because \(parent.path) "
                    + "is not searchable by others; choose a state directory outside it")
        }
    }

    @discardableResult
    private func run(tool: String, _ arguments: [String], quiet: Bool = false) throws -> String {
        let executable = binDirectory.appendingPathComponent(tool).path
        let argv =
            runAsOtherUser
            ? ["/usr/sbin/runuser", "-u", superuser, "--", executable] + arguments : [executable] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        environment.removeValue(forKey: "PGDATA")
        let outputPath = directory.appendingPathComponent(".\(tool).out").path
        defer { unlink(outputPath) }
        let status = try ChildProcess.run(argv, environment: environment, outputPath: outputPath)
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            if !quiet {
                logger.error("\(tool) failed", metadata: ["status": "\(status)", "output": "\(text)"])
            }
            throw Failure(description: "\(tool) failed with status \(status): \(text)")
        }
        return text
    }
}

/// The one way this package starts a process: posix_spawn with a clean signal mask, and waitpid.
/// Foundation's `Process` was seen to never return from `waitUntilExit` after `pg_ctl start`, whose
/// server keeps running as a grandchild, and it cannot clear the signal mask the child inherits;
/// swift-subprocess would need both worked around the same way, so the package keeps this small helper
/// (the embedded cluster, the benchmarks' `psql` and the tests' binaries all use it).
public enum ChildProcess {
    /// Where the child's standard output and error (merged) go.
    public enum Output {
        /// A file, created or truncated.
        case file(String)
        /// A descriptor of the parent (e.g. a pipe's write end).
        case descriptor(Int32)
    }

    /// Starts `argv` with standard input from /dev/null. `descriptors`: child descriptor → parent
    /// descriptor to pass on (e.g. a listening socket as 3); `closing`: parent descriptors the child must
    /// not keep. Returns the child's pid.
    public static func spawn(
        _ argv: [String], environment: [String: String], output: Output, descriptors: [Int32: Int32] = [:],
        closing: [Int32] = []
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        switch output {
        case .file(let path):
            posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        case .descriptor(let parent):
            posix_spawn_file_actions_adddup2(&actions, parent, 1)
            posix_spawn_file_actions_adddup2(&actions, parent, 2)
        }
        for parent in closing { posix_spawn_file_actions_addclose(&actions, parent) }
        for (child, parent) in descriptors { posix_spawn_file_actions_adddup2(&actions, parent, child) }
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for argument in cArguments { free(argument) }
            for variable in cEnvironment { free(variable) }
        }
        var pid: pid_t = 0
        let spawned = withCleanSignalAttributes { posix_spawn(&pid, argv[0], &actions, $0, cArguments, cEnvironment) }
        guard spawned == 0 else {
            throw EmbeddedPostgres.Failure(description: "cannot start \(argv[0]): error \(spawned)")
        }
        return pid
    }

    /// Waits for the child to end (blocking: call it on a thread of its own). Returns its exit status,
    /// 128 + the signal number when a signal ended it.
    public static func wait(_ pid: pid_t) throws -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw EmbeddedPostgres.Failure(description: "waitpid failed: \(errno)") }
        }
        // WIFEXITED / WEXITSTATUS, which Swift does not import as macros.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Runs `argv` to its end with its output in `outputPath`; returns its exit status.
    /// `run` on a thread of its own, for async callers (a child process is waited for, blocking).
    public static func finished(
        _ argv: [String], environment: [String: String], outputPath: String
    ) async throws -> Int32 {
        try await EmbeddedPostgres.offThePool { try run(argv, environment: environment, outputPath: outputPath) }
    }

    public static func run(_ argv: [String], environment: [String: String], outputPath: String) throws -> Int32 {
        try wait(try spawn(argv, environment: environment, output: .file(outputPath)))
    }

    /// Spawn attributes giving the child an empty signal mask and default handlers. Our threads
    /// (Dispatch workers) block signals, and a child inherits the mask: `pgbench -T`, whose timer is
    /// SIGALRM, then never ends, and a server could not be stopped by signal.
    public static func withCleanSignalAttributes<T>(_ body: (UnsafePointer<posix_spawnattr_t>) -> T) -> T {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var all = sigset_t()
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        return body(&attributes)
    }
}

extension EmbeddedPostgres {
    /// `start()` on a thread of its own: initdb and `pg_ctl start` take seconds and wait in `waitpid`,
    /// which must not hold a thread of the cooperative pool.
    public func started() async throws { try await Self.offThePool { try start() } }

    /// `stop()` on a thread of its own (`pg_ctl stop -w` waits for the shutdown checkpoint).
    public func stopped(immediate: Bool = false) async throws {
        try await Self.offThePool { try stop(immediate: immediate) }
    }

    /// `isRunning` on a thread of its own (`pg_ctl status` is a child process the caller waits for).
    public func running() async -> Bool {
        (try? await Self.offThePool { isRunning }) ?? false
    }

    /// Runs blocking process work on a new thread and resumes the caller when it is done.
    static func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.name = "sozialraum.embedded-postgres"
            thread.start()
        }
    }
}
