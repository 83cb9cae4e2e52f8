import ArgumentParser
import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import SozialraumStore

/// `sozialraumd restore`: a backup (`pg_dump -Fc`) into a new database, with what a dump does not hold:
/// the roles (cluster-wide) and the database's own privileges. All or nothing: `pg_restore` runs in one
/// transaction and stops at the first error (docs/operations.md, "Backup and restore").
struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore a backup (pg_dump -Fc) into a database that does not exist yet.",
        discussion:
            "Run as the postgres OS user (or with any superuser conninfo). Creates the roles and the database with its privileges as setup does, restores the dump in one transaction, and clears the scheduler instances the dump may carry. Then: sozialraumd migrate (a dump of an older release), and start the service."
    )

    @Option(help: "Conninfo of a superuser for the database to create (its dbname must not exist yet).")
    var superuserConninfo: String

    @Option(
        help:
            "The login role the daemon will use (created when missing, as by setup; default <database.rolePrefix>_app)."
    )
    var loginRole: String?

    @OptionGroup var options: CommonOptions

    @Argument(help: "The dump file (pg_dump -Fc).")
    var dump: String

    func run() async throws {
        guard FileManager.default.isReadableFile(atPath: dump) else {
            throw ValidationError("cannot read the dump \(dump)")
        }
        guard var settings = PostgresConnInfo.parse(superuserConninfo), let database = settings["dbname"],
            database != "postgres"
        else { throw ValidationError("--superuser-conninfo must name the database to restore into (dbname=…)") }
        settings["dbname"] = "postgres"
        let maintenance: PostgresConnection
        do { maintenance = try await PostgresConnection.connect(conninfo: PostgresConnInfo.format(settings)) } catch {
            throw ValidationError("cannot connect with --superuser-conninfo: \(error)")
        }
        guard try await !DatabaseRoles.databaseExists(database, on: maintenance) else {
            throw ValidationError(
                "database \(database) exists; restore into a new one (dbname=…), or drop it first if it is to be replaced"
            )
        }
        try await DatabaseRoles.createDatabaseIfMissing(database, on: maintenance)
        let target = try await PostgresConnection.connect(conninfo: superuserConninfo)
        let roles = try await options.settings().databaseRoles
        try await DatabaseRoles.prepare(
            on: target, loginRole: loginRole ?? roles.defaultLogin, schema: false, roles: roles)
        print("database \(database) created with the roles and privileges of setup")

        let outputPath = NSTemporaryDirectory() + "sozialraum-restore-\(getpid()).out"
        defer { unlink(outputPath) }
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        let status = try await ChildProcess.finished(
            [
                try Self.pgRestore(), "--exit-on-error", "--single-transaction", "--no-password", "--dbname",
                superuserConninfo, dump,
            ],
            environment: environment, outputPath: outputPath)
        guard status == 0 else {
            let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw ValidationError(
                "pg_restore failed (status \(status)); nothing was restored into \(database), drop it before trying "
                    + "again:\n\(output)")
        }
        try await DatabaseRoles.forgetSchedulerInstances(on: target)
        print(
            "restored \(dump) into \(database); next: sozialraumd migrate (when the dump is of an older release), "
                + "then start the service")
    }

    /// `pg_restore` on PATH, else next to the server binaries (`/usr/lib/postgresql/<n>/bin`).
    static func pgRestore() throws -> String {
        for entry in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(entry)/pg_restore"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        do { return try EmbeddedPostgres.locateBinaries().appendingPathComponent("pg_restore").path } catch {
            throw ValidationError("pg_restore not found; install it with: apt-get install -y postgresql-client")
        }
    }
}
