import Foundation
import Logging
import PostgresClient
import PostgresEmbedded
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 30 (item 10): two counties on one PostgreSQL cluster (a municipal data centre), each set up by the
/// real `sozialraumd setup` with roles of its own (`database.rolePrefix`). One county's login role can neither
/// connect to the other's database nor, were CONNECT granted by mistake, read its schema; each daemon starts
/// on its own database.
@Suite struct TwoCountiesTests {
    @Test(.timeLimit(.minutes(5))) func oneCountysRolesCannotReachTheOthersDatabase() async throws {
        let cluster = try await TestCluster.shared.running()
        let suffix = UUID().uuidString.prefix(6).lowercased()
        let counties = [("verden\(suffix)", "Landkreis Verden"), ("diepholz\(suffix)", "Landkreis Diepholz")]
        for (prefix, name) in counties {
            var environment = ProcessInfo.processInfo.environment
            environment.removeValue(forKey: "SOZIALRAUM_CONFIG")
            environment["SOZIALRAUM_DATABASE_ROLE_PREFIX"] = prefix
            environment["SOZIALRAUM_COUNTY_NAME"] = name
            let setup = try await Subprocess.run(
                [
                    Subprocess.binary("sozialraumd"), "setup", "--superuser-conninfo",
                    cluster.conninfo(database: "sozialraum_\(prefix)"), "--first-account", "controlling",
                ], environment: environment)
            #expect(setup.status == 0, "\(setup.output)")
        }
        let (verden, diepholz) = (counties[0].0, counties[1].0)
        func login(_ prefix: String, to county: String) -> String {
            cluster.conninfo(database: "sozialraum_\(county)", user: "\(prefix)_app")
        }

        // Each login role reaches its own county's data.
        let own = try await PostgresConnection.connect(
            conninfo: login(verden, to: verden), sessionParameters: DatabaseRoles.sessionParameters)
        _ = try await own.query(PostgresQuery(unsafeSQL: "SELECT count(*) AS n FROM sozialraum.booking"))

        // Verden's login role may not connect to Diepholz's database (no CONNECT: REVOKE from PUBLIC).
        let refused = await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect(conninfo: login(verden, to: diepholz))
        }
        #expect(
            refused?.serverMessage?.contains("permission denied for database") == true, "\(String(describing: refused))"
        )

        // Were CONNECT granted by mistake, Verden's runtime role still has no USAGE on Diepholz's schema.
        let superuser = try await PostgresConnection.connect(
            conninfo: cluster.conninfo(database: "sozialraum_\(diepholz)"))
        try await superuser.runScript(
            unsafeSQL: "GRANT CONNECT ON DATABASE sozialraum_\(diepholz) TO \(verden)_runtime")
        let intruder = try await PostgresConnection.connect(conninfo: login(verden, to: diepholz))
        let unread = await #expect(throws: PostgresError.self) {
            _ = try await intruder.query(PostgresQuery(unsafeSQL: "SELECT count(*) AS n FROM sozialraum.booking"))
        }
        #expect(unread?.sqlState == .insufficientPrivilege)
        let roles = try await superuser.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT string_agg(grantee, ',' ORDER BY grantee) AS roles FROM (
                        SELECT DISTINCT grantee::regrole::text AS grantee
                        FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname = 'sozialraum') g
                    """))
        #expect(
            try roles.single().decode("roles", as: String.self) == "\(diepholz)_owner,\(diepholz)_runtime",
            "only Diepholz's roles on Diepholz's schema")

        // Each county's daemon starts on its own database with its own roles.
        for prefix in [verden, diepholz] {
            let state = TestScratch.path("county-\(prefix)")
            var environment = ProcessInfo.processInfo.environment
            environment.removeValue(forKey: "SOZIALRAUM_CONFIG")
            environment["SOZIALRAUM_DATABASE_CONNINFO"] = login(prefix, to: prefix)
            environment["SOZIALRAUM_DATABASE_ROLE_PREFIX"] = prefix
            environment["SOZIALRAUM_STATE_DIRECTORY"] = state
            let daemon = try Subprocess([Subprocess.binary("sozialraumd"), "serve"], environment: environment)
            var lines = daemon.lines.makeAsyncIterator()
            #expect(await Subprocess.lines(&lines, until: "sozialraumd ready") != nil, "\(prefix)")
            daemon.signal(SIGTERM)
            #expect(await daemon.exitStatus() == 0)
        }
    }
}
