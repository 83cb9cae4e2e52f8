import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumStore
import SozialraumTestSupport
import Testing

/// The schema itself is checked: every table either is on the short list of non-tenant tables or
/// has forced RLS, a policy with USING and WITH CHECK, an immutable tenant column, and a matrix entry.
@Suite struct SchemaCatalogueTests {
    /// Tables that hold no tenant data, with the reason.
    static let nonTenantTables: Set<String> = [
        "schema_migration",  // migration bookkeeping
        "county",  // which tenant is the county; read by every policy
        "schedule",  // job schedules: names, cron expressions, policies; no budget data
        "job_run",  // one row per slot: times, states, attempts, generic errors; no budget data
        "scheduler_instance",  // the live scheduler instances: names, tokens, heartbeats; no budget data
    ]

    /// Tenant tables whose row-level security is enabled but not forced on the owner role, with the reason.
    static let notForced: [String: String] = [
        "account": "the owner's account_for_login finds an account by name before any tenant is known",
        "second_factor": "the owner's reset_second_factor removes a row the own-account policy hides",
        "ledger_total": "written only by the owner's trigger function, for rows that passed the policies",
        "commitment_total": "written only by the owner's trigger function, for rows that passed the policies",
    ]

    @Test func everyTableIsClassifiedAndProtectedByForcedRowLevelSecurity() async throws {
        let database = try await TestCluster.shared.freshDatabase(prefix: "catalogue")
        let admin = try await database.superuserConnection()
        let tables = try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                           EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polcmd = '*'
                                   AND p.polname = 'tenant_isolation'
                                   AND p.polqual IS NOT NULL AND p.polwithcheck IS NOT NULL),
                           EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'tenant_immutable'),
                           EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polcmd = '*'
                                   AND p.polname = 'county_writes'
                                   AND pg_get_expr(p.polqual, p.polrelid) LIKE '%current_tenant_is_county()%'
                                   AND pg_get_expr(p.polwithcheck, p.polrelid) LIKE '%current_tenant_is_county()%')
                    FROM pg_class c
                    WHERE c.relnamespace = $1::regnamespace AND c.relkind IN ('r', 'p')
                    ORDER BY c.relname
                    """, [DatabaseRoles.schema]))
        #expect(tables.count >= 20, "the catalogue query found too few tables to be looking at the schema")
        var tenantTables: [String] = []
        var referenceTables: [String] = []
        for row in tables {
            let name = try row.decode(0, as: String.self)
            if Self.nonTenantTables.contains(name) { continue }
            #expect(try row.decode(1, as: Bool.self), "\(name): row-level security not enabled")
            #expect(
                try row.decode(2, as: Bool.self) == (Self.notForced[name] == nil),
                "\(name): row-level security not forced (or forced where it may not be)")
            if ReferenceTableFixture.all[name] != nil {
                referenceTables.append(name)
                #expect(try row.decode(5, as: Bool.self), "\(name): reference table not written by the county only")
                continue
            }
            tenantTables.append(name)
            #expect(try row.decode(3, as: Bool.self), "\(name): no tenant_isolation policy with USING and WITH CHECK")
            #expect(try row.decode(4, as: Bool.self), "\(name): tenant column can be changed")
            #expect(TenantTableFixture.all[name] != nil, "\(name): missing from the RLS test matrix")
        }
        #expect(Set(tenantTables) == Set(TenantTableFixture.all.keys))
        #expect(Set(referenceTables) == Set(ReferenceTableFixture.all.keys))
    }

    /// Who may insert into each tenant table, by kind of tenant (sql/0002, 0012): the restrictive INSERT
    /// policies a table has beyond `tenant_isolation`. Empty: any tenant for its own rows. A new tenant
    /// table fails here until it says who writes it.
    static let insertRules: [String: Set<String>] = [
        "tenant": ["county_inserts"],  // the county registers providers (the county itself at setup)
        "account": ["county_inserts"],  // the county creates accounts, for any tenant
        "provider_assignment": ["county_inserts"], "rate_agreement": ["county_inserts"],
        "grant_decision": ["county_inserts"], "grant_amendment": ["county_inserts"], "project": ["county_inserts"],
        "statement": ["county_inserts"],
        "legacy_statement_item": ["county_inserts"], "surplus_share": ["county_inserts"],
        "surplus_share_line": ["county_inserts"],
        "account_change": ["county_inserts"],
        // Issued statements and their frozen items (sql/0022); the end history of grants is written by the
        // owner's trigger only (no INSERT privilege for the runtime role).
        "statement_document": ["county_inserts"], "statement_document_item": ["county_inserts"],
        "grant_end_change": ["county_inserts"],
        // providers: deliveries, expenses, their reversals; the county: all, payments only under an order
        // signed by two people (sql/0020)
        "booking": ["kind_fits_tenant", "paid_under_two_signatures"],
        "payment_order": ["county_inserts"], "payment_order_line": ["county_inserts"],
        "payment_batch": ["county_inserts"], "payment_receipt": ["county_inserts"],
        "overrun_decision": ["county_inserts"],
        "delivery": ["providers_deliver"],  // providers only
        "commitment": ["county_commits"],  // the county; providers a released 0.00 marker only
        "ledger_total": [], "commitment_total": [],  // no INSERT privilege for the runtime role at all
        "tenant_setting": [], "audit_event": [], "finding": [], "idempotency": [],
        "case_access": [],  // each tenant logs its own reads; only the county reads the log (sql/0032)
        "erasure_order": ["county_inserts"],  // proposed by the county (its job), signed by two (sql/0034)
        "second_factor": [],  // each account its own: a restrictive policy on every command (sql/0038)
        "portal_certificate": ["county_inserts"],  // the county pins a tenant's certificates (sql/0040)
        "statistics_mapping": ["county_inserts"],  // the county's mapping to the KJH-Statistik (sql/0041)
    ]

    @Test func everyTenantTableSaysWhichKindsMayInsert() async throws {
        let database = try await TestCluster.shared.freshDatabase(prefix: "catalogue")
        let admin = try await database.superuserConnection()
        let rows = try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT c.relname, p.polname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
                    WHERE c.relnamespace = $1::regnamespace AND NOT p.polpermissive AND p.polcmd = 'a'
                    """, [DatabaseRoles.schema]))
        var restrictive: [String: Set<String>] = [:]
        for row in rows {
            restrictive[try row.decode(0, as: String.self), default: []].insert(try row.decode(1, as: String.self))
        }
        for table in TenantTableFixture.all.keys.sorted() {
            #expect(Self.insertRules[table] != nil, "\(table): who may insert is not stated")
            #expect(restrictive[table, default: []] == Self.insertRules[table] ?? [], "\(table)")
        }
        // The runtime role writes no total.
        let writable = try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT count(*)::int FROM unnest(ARRAY['ledger_total', 'commitment_total']) t
                    WHERE has_table_privilege('sozialraum_runtime', 'sozialraum.' || t, 'INSERT')
                       OR has_table_privilege('sozialraum_runtime', 'sozialraum.' || t, 'UPDATE')
                       OR has_table_privilege('sozialraum_runtime', 'sozialraum.' || t, 'DELETE')
                    """))
        #expect(try writable.single().decode(0, as: Int.self) == 0)
    }

    /// The functions that run with their owner's rights, each with the reason it must. Any other one
    /// fails this test: a definer function sidesteps the caller's row-level security.
    static let securityDefiners: [String: String] = [
        // Rule 4: whether spending on a provider's project overruns its line or pool depends on every
        // provider's spending, which the provider may not see. It reads the project in the caller's
        // context (so a provider asks only about its own projects), the pool in the county's, and
        // returns one number: the shortfall.
        "spending_shortfall": "the overrun decision rests on the whole pool, whoever asks",
        // The own-account policy hides a second factor from everyone but its account; a county holder of
        // `accounts` (checked inside, as the transaction's account) removes a lost one.
        "reset_second_factor": "a lost second factor is removed by the county's account administration",
        // A login happens before any tenant is known: it finds one enabled account by name.
        "account_for_login": "a login finds its account before any tenant is known",
        // The totals are written by these trigger functions only: the runtime role has no write
        // privilege on them, so a bug (or a trigger on a temporary table) cannot fake a total.
        "add_to_ledger_total": "the ledger totals are written by the owner's trigger only",
        "apply_commitment_change": "the commitment totals are written by the owner's trigger only",
        // What a provider sees of a shared Sozialraum (sql/0014): the Sozialraum's sum or its own, one
        // number per component, never another provider's rows.
        "social_space_spending": "the Sozialraum's spending as one sum, whoever's it is",
        // Four eyes (sql/0020): whether a signer holds the right to certify or order is read from the
        // account in whatever context the order is written.
        "holds_right": "a signature's right is read from the signer's account",
        // Account administration under four eyes (sql/0029): whether two people administer accounts is
        // counted over every county account, in whatever context an account is written.
        "account_administrators": "the holders of accounts are counted over all county accounts",
        // Anordnungsbefugnis (sql/0029): an orderer's limit and Sozialräume are read from its account in
        // whatever context the order is approved.
        "may_order": "an orderer's limit is read from its account",
        // Runs as positions (sql/0022): a grant's earlier end is recorded by the owner's trigger, so the
        // runtime role cannot write or fake the history a run's items are derived from.
        "keep_grant_end": "the end history of grants is written by the owner's trigger only",
        // Runs are immutable to the runtime role; pruning is the one way a nightly run goes, and the
        // function decides which (nothing refers to it, older than the kept days, not the newest).
        "prune_nightly_runs": "the one way a run is deleted, and it decides which",
        "apply_case_restriction":
            "a restriction flags the case and its residences and masks its grants' key, which the runtime role cannot",
        "correct_residence":
            "a wrongly entered residence is corrected and recorded with its position, for a holder of case only",
        "correct_case_key": "a wrongly entered key is corrected on the case and its grants, for a holder of case only",
        "erase_ordered_cases":
            "the one way a case's link to a person ends: only cases still due, of an order signed by two holders of erase",
        "erase_expired_access_log":
            "the one way an access-log entry is deleted: only what its deletion rule says, never under a year",
    ]

    /// docs/architecture.md names every security definer function (a doc that disagrees with the code is a bug).
    @Test func theArchitectureNamesEverySecurityDefiner() throws {
        let page = try String(
            contentsOf: LayeringTests.root.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        #expect(Self.securityDefiners.keys.filter { !page.contains("`\($0)`") }.sorted() == [])
    }

    @Test func viewsRunWithTheCallersRightsAndOnlyListedFunctionsAreSecurityDefiners() async throws {
        let database = try await TestCluster.shared.freshDatabase(prefix: "catalogue")
        let admin = try await database.superuserConnection()
        let unsafeViews = try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT c.relname FROM pg_class c
                    WHERE c.relnamespace = $1::regnamespace AND c.relkind IN ('v', 'm')
                      AND NOT coalesce('security_invoker=true' = ANY (c.reloptions)
                                       OR 'security_invoker=on' = ANY (c.reloptions), false)
                    """, [DatabaseRoles.schema]))
        #expect(try unsafeViews.map { try $0.decode(0, as: String.self) } == [])
        let definers = try await admin.query(
            PostgresQuery(
                unsafeSQL: "SELECT proname FROM pg_proc WHERE pronamespace = $1::regnamespace AND prosecdef",
                [DatabaseRoles.schema]))
        #expect(try Set(definers.map { try $0.decode(0, as: String.self) }) == Set(Self.securityDefiners.keys))
        // Only the runtime role may call them, and each fixes its search path.
        let loose = try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT p.proname FROM pg_proc p
                    WHERE p.pronamespace = $1::regnamespace AND p.prosecdef
                      AND (has_function_privilege('public', p.oid, 'EXECUTE')
                           OR NOT coalesce(p.proconfig::text LIKE '%search_path=%', false))
                    """, [DatabaseRoles.schema]))
        #expect(try loose.map { try $0.decode(0, as: String.self) } == [])
    }
}

/// Connects as the runtime role and tries, for every tenant table, to get at another tenant's
/// rows. Everything must fail closed; the superuser's count afterwards proves nothing changed.
@Suite struct RowLevelSecurityMatrixTests {
    static var tables: [String] { TenantTableFixture.all.keys.filter { accountOwned[$0] == nil }.sorted() }

    /// Tables whose rows only their own account sees (not its tenant, not the county), with the suite that
    /// shows it in this matrix's place.
    static let accountOwned: [String: String] = [
        "second_factor": "SecondFactorPolicyTests (sql/0038)"
    ]

    /// Tables a provider writes but may not read back (a restrictive SELECT policy), with the reason.
    static let providerWriteOnly: [String: String] = [
        "case_access": "the access log is the county's to read (sql/0032)"
    ]

    @Test(arguments: tables)
    func providerCannotReachAnotherProvidersRows(table: String) async throws {
        let world = try await TenancyWorld.make()
        let fixture = TenantTableFixture.all[table]!
        let store = world.database.runtimeStore()
        let column = fixture.tenantColumn
        let before = (
            alpha: try await world.trueCount(table, tenant: world.alpha),
            beta: try await world.trueCount(table, tenant: world.beta)
        )
        #expect(before.alpha > 0 && before.beta > 0)

        // Read: own rows visible (so the policy is not simply denying everything), others' not.
        let seen = try await store.withTenant(world.alpha, readOnly: true) { tx in
            (
                own: try await tx.query(
                    unsafeSQL: "SELECT count(*)::int FROM \(table) WHERE \(column) = $1", [world.alpha.uuid]
                )
                .single().decode(0, as: Int.self),
                other: try await tx.query(
                    unsafeSQL: "SELECT count(*)::int FROM \(table) WHERE \(column) = $1", [world.beta.uuid]
                )
                .single().decode(0, as: Int.self),
                all: try await tx.query(unsafeSQL: "SELECT count(*)::int FROM \(table)").single().decode(
                    0, as: Int.self)
            )
        }
        let readable = Self.providerWriteOnly[table] == nil ? before.alpha : 0
        #expect(seen.own == readable)
        #expect(seen.other == 0)
        #expect(seen.all == readable)

        // Update and delete another tenant's rows.
        #expect(
            await refusedOrNoEffect {
                try await store.withTenant(world.alpha) { tx in
                    try await tx.execute(
                        unsafeSQL:
                            "UPDATE \(table) SET \(column) = \(column) WHERE \(column) = $1", [world.beta.uuid])
                }
            })
        #expect(
            await refusedOrNoEffect {
                try await store.withTenant(world.alpha) { tx in
                    try await tx.execute(unsafeSQL: "DELETE FROM \(table) WHERE \(column) = $1", [world.beta.uuid])
                }
            })

        // Insert a row carrying another tenant's id.
        let foreign = fixture.identifiesTenant ? UUID() : world.beta.uuid
        let insertError = await #expect(throws: PostgresError.self) {
            try await store.withTenant(world.alpha) { tx in
                try await tx.execute(unsafeSQL: fixture.insert, [foreign, "foreign"])
            }
        }
        #expect(insertError?.sqlState == .insufficientPrivilege)

        // Move an own row to another tenant: refused, or (where only the county writes) not even
        // an own row is updatable.
        #expect(
            await refusedOrNoEffect {
                try await store.withTenant(world.alpha) { tx in
                    try await tx.execute(
                        unsafeSQL:
                            "UPDATE \(table) SET \(column) = $2 WHERE \(column) = $1",
                        [world.alpha.uuid, world.beta.uuid])
                }
            })

        // Even the county cannot move a row between tenants.
        let countyMoveError = await #expect(throws: PostgresError.self) {
            try await store.withTenant(world.county) { tx in
                try await tx.execute(
                    unsafeSQL:
                        "UPDATE \(table) SET \(column) = $2 WHERE \(column) = $1", [world.alpha.uuid, world.beta.uuid])
            }
        }
        #expect(countyMoveError?.sqlState == .insufficientPrivilege)

        #expect(try await world.trueCount(table, tenant: world.alpha) == before.alpha)
        #expect(try await world.trueCount(table, tenant: world.beta) == before.beta)
    }

    @Test(arguments: tables)
    func missingEmptyOrMalformedContextShowsNothing(table: String) async throws {
        let world = try await TenancyWorld.make()
        let fixture = TenantTableFixture.all[table]!
        let store = world.database.runtimeStore()
        let total = try await world.trueCount(table, tenant: world.alpha) + world.trueCount(table, tenant: world.beta)
        #expect(total > 0)

        let withoutContext = try await store.withoutTenant(readOnly: true) { tx in
            try await tx.query(unsafeSQL: "SELECT count(*)::int FROM \(table)").single().decode(0, as: Int.self)
        }
        #expect(withoutContext == 0)
        let insertError = await #expect(throws: PostgresError.self) {
            try await store.withoutTenant { tx in
                try await tx.execute(
                    unsafeSQL:
                        fixture.insert, [fixture.identifiesTenant ? UUID() : world.alpha.uuid, "nocontext"])
            }
        }
        #expect(insertError?.sqlState == .insufficientPrivilege)

        let withEmptyContext = try await store.withoutTenant(readOnly: true) { tx in
            try await tx.query(unsafeSQL: "SELECT set_config('sozialraum.tenant_id', '', true)")
            return try await tx.query(unsafeSQL: "SELECT count(*)::int FROM \(table)").single().decode(0, as: Int.self)
        }
        #expect(withEmptyContext == 0)

        let malformed = await #expect(throws: PostgresError.self) {
            try await store.withoutTenant(readOnly: true) { tx in
                try await tx.query(unsafeSQL: "SELECT set_config('sozialraum.tenant_id', 'county', true)")
                return try await tx.query(unsafeSQL: "SELECT count(*)::int FROM \(table)").single().decode(
                    0, as: Int.self)
            }
        }
        #expect(malformed?.sqlState == .invalidTextRepresentation)
    }

    @Test(arguments: tables)
    func contextDoesNotOutliveItsTransactionOnAPooledConnection(table: String) async throws {
        let world = try await TenancyWorld.make()
        let store = world.database.runtimeStore(maxConnections: 1)
        // A table providers cannot read back is read in the county's context.
        let reader = Self.providerWriteOnly[table] == nil ? world.alpha : world.county
        let pids = try await store.withTenant(reader) { tx in
            (
                try await tx.query(unsafeSQL: "SELECT pg_backend_pid()").single().decode(0, as: Int32.self),
                try await tx.query(unsafeSQL: "SELECT count(*)::int FROM \(table)").single().decode(0, as: Int.self)
            )
        }
        #expect(pids.1 > 0)
        let after = try await store.withoutTenant(readOnly: true) { tx in
            (
                try await tx.query(unsafeSQL: "SELECT pg_backend_pid()").single().decode(0, as: Int32.self),
                try await tx.query(unsafeSQL: "SELECT count(*)::int FROM \(table)").single().decode(0, as: Int.self)
            )
        }
        #expect(after.0 == pids.0, "the test must reuse the same connection to mean anything")
        #expect(after.1 == 0)
    }

    @Test(arguments: tables)
    func countySeesEveryTenantsRows(table: String) async throws {
        let world = try await TenancyWorld.make()
        let fixture = TenantTableFixture.all[table]!
        let store = world.database.runtimeStore()
        let seen = try await store.withTenant(world.county, readOnly: true) { tx in
            try await tx.query(
                unsafeSQL:
                    "SELECT count(*)::int FROM \(table) WHERE \(fixture.tenantColumn) IN ($1, $2)",
                [world.alpha.uuid, world.beta.uuid]
            ).single().decode(0, as: Int.self)
        }
        #expect(
            seen == (try await world.trueCount(table, tenant: world.alpha))
                + (try await world.trueCount(table, tenant: world.beta)))
    }

    @Test(arguments: tables)
    func runtimeRoleCannotSwitchPoliciesOff(table: String) async throws {
        let world = try await TenancyWorld.make()
        let runtime = try await PostgresConnection.connect(
            conninfo: world.database.runtimeConninfo, sessionParameters: DatabaseRoles.sessionParameters)
        let attempts = [
            "TRUNCATE \(table)",
            "ALTER TABLE \(table) DISABLE ROW LEVEL SECURITY",
            "ALTER TABLE \(table) NO FORCE ROW LEVEL SECURITY",
            "DROP POLICY tenant_isolation ON \(table)",
            "SET ROLE \(DatabaseRoles.owner)",
            "SET row_security = off; SELECT * FROM \(table)",
        ]
        for sql in attempts {
            let error = await #expect(throws: PostgresError.self, "\(sql)") {
                try await runtime.runScript(unsafeSQL: sql)
            }
            #expect(error?.sqlState == .insufficientPrivilege, "\(sql)")
        }
        #expect(try await world.trueCount(table, tenant: world.alpha) > 0)
    }

    @Test func providersSeeOnlyThemselvesInTheTenantList() async throws {
        let world = try await TenancyWorld.make()
        let store = world.database.runtimeStore()
        #expect(try await store.visibleTenants(as: world.alpha).map(\.id) == [world.alpha])
        #expect(
            Set(try await store.visibleTenants(as: world.county).map(\.id)) == [world.county, world.alpha, world.beta])
        await #expect(throws: PostgresError.self) {
            _ = try await store.registerProvider(name: "Selbsternannt", by: world.alpha)
        }
    }
}

/// Reference tables hold the county's data: providers read (some of) it and never write it.
@Suite struct ReferenceTableMatrixTests {
    static var tables: [String] { ReferenceTableFixture.all.keys.sorted() }

    @Test(arguments: tables)
    func providersNeverWriteAndSeeOnlyWhatTheyMay(table: String) async throws {
        let world = try await TenancyWorld.make()
        let fixture = ReferenceTableFixture.all[table]!
        let store = world.database.runtimeStore()
        let total = try await world.trueCount(table)
        #expect(total > 0)

        let seenByProvider = try await store.withTenant(world.alpha, readOnly: true) { tx in
            try await tx.query(unsafeSQL: "SELECT count(*)::int FROM \(table)").single().decode(0, as: Int.self)
        }
        switch fixture.providerView {
        case .everything: #expect(seenByProvider == total)
        case .nothing: #expect(seenByProvider == 0)
        case .servedSocialSpaces:
            let served = try await store.withTenant(world.alpha, readOnly: true) { tx in
                try await tx.query(unsafeSQL: "SELECT DISTINCT social_space FROM \(table) ORDER BY 1").map {
                    try $0.decode(0, as: String.self)
                }
            }
            #expect(served == ["sr-nord"], "alpha serves sr-nord only")
        case .casesWithOwnGrant:
            let expected = try await world.admin.query(
                PostgresQuery(
                    unsafeSQL:
                        "SELECT count(*)::int FROM residence r WHERE EXISTS (SELECT 1 FROM grant_decision g WHERE g.case_id = r.case_id AND g.tenant_id = $1)",
                    [world.alpha.uuid])
            ).single().decode(0, as: Int.self)
            #expect(seenByProvider == expected)
            #expect(expected > 0)
            // A case without a grant of alpha stays invisible.
            try await world.admin.query(
                PostgresQuery(
                    unsafeSQL: "INSERT INTO case_file (id, case_key) VALUES (gen_random_uuid(), 'OTHER-1')"))
            try await world.admin.query(
                PostgresQuery(
                    unsafeSQL:
                        "INSERT INTO residence SELECT id, '2020-01-01', 'sr-sued' FROM case_file WHERE case_key = 'OTHER-1'"
                ))
            let after = try await store.withTenant(world.alpha, readOnly: true) { tx in
                try await tx.query(unsafeSQL: "SELECT count(*)::int FROM residence").single().decode(0, as: Int.self)
            }
            #expect(after == expected)
            // Looked up by case (the policy's per-row form, sql/0025): the own case's stays, none of another.
            let otherCase = try await world.admin.query(
                PostgresQuery(unsafeSQL: "SELECT id FROM case_file WHERE case_key = 'OTHER-1'")
            ).single().decode(0, as: UUID.self)
            let (own, other) = try await store.withTenant(world.alpha, readOnly: true) { tx in
                let ownCase = try await tx.query(
                    unsafeSQL: "SELECT case_id FROM grant_decision WHERE tenant_id = $1 LIMIT 1", [world.alpha.uuid]
                ).single().decode(0, as: UUID.self)
                let count = "SELECT count(*)::int FROM residence WHERE case_id = $1"
                return (
                    try await tx.query(unsafeSQL: count, [ownCase]).single().decode(0, as: Int.self),
                    try await tx.query(unsafeSQL: count, [otherCase]).single().decode(0, as: Int.self)
                )
            }
            #expect(own > 0)
            #expect(other == 0)
        }
        // The county's whole view: restricted cases included (sql/0035; who sees them is not this test's subject).
        let seenByCounty = try await store.withTenant(world.county, readOnly: true, seesRestricted: true) { tx in
            try await tx.query(unsafeSQL: "SELECT count(*)::int FROM \(table)").single().decode(0, as: Int.self)
        }
        #expect(seenByCounty == (try await world.trueCount(table)))
        let withoutContext = try await store.withoutTenant(readOnly: true) { tx in
            try await tx.query(unsafeSQL: "SELECT count(*)::int FROM \(table)").single().decode(0, as: Int.self)
        }
        #expect(withoutContext == 0)

        let insertError = await #expect(throws: PostgresError.self) {
            try await store.withTenant(world.alpha) { tx in
                try await tx.execute(unsafeSQL: fixture.insert, ["provider"])
            }
        }
        #expect(insertError?.sqlState == .insufficientPrivilege)
        let noContextError = await #expect(throws: PostgresError.self) {
            try await store.withoutTenant { tx in try await tx.execute(unsafeSQL: fixture.insert, ["nocontext"]) }
        }
        #expect(noContextError?.sqlState == .insufficientPrivilege)
        #expect(
            await refusedOrNoEffect {
                try await store.withTenant(world.alpha) { tx in try await tx.execute(unsafeSQL: "DELETE FROM \(table)")
                }
            })
        // Every reference table has a text or code column to touch; an UPDATE of all rows must do nothing.
        #expect(
            await refusedOrNoEffect {
                try await store.withTenant(world.alpha) { tx in
                    try await tx.execute(
                        unsafeSQL: "UPDATE \(table) SET \(Self.someColumn[table]!) = \(Self.someColumn[table]!)")
                }
            })
        #expect(try await world.trueCount(table) >= total)

        // The county writes.
        let countyInsert = try await store.withTenant(world.county) { tx in
            try await tx.execute(unsafeSQL: fixture.insert, ["county"])
        }
        #expect(countyInsert == 1)
    }

    static let someColumn: [String: String] = [
        "municipality": "name", "social_space": "name", "social_space_member": "valid_to",
        "fiscal_year": "overrun_policy",
        "cover_pool_member": "pool", "period": "closed_by", "appropriation": "amount", "carry_forward": "reason",
        "help_type": "title", "case_file": "case_key", "residence": "social_space",
        "case_hold": "reference", "erasure_order_case": "state", "case_restriction": "reference",
        "residence_correction": "corrected_by",
        "reconciliation_run": "requested_by", "reconciliation_line": "line", "reconciliation_month": "plan",
        "reconciliation_transfer": "amount", "population": "young_inhabitants", "year_end": "confirmed_by",
        "finance_mapping": "product",
    ]
}

/// Runs `body` and accepts either a refusal by the database or zero affected rows.
func refusedOrNoEffect(_ body: () async throws -> Int) async -> Bool {
    do {
        return try await body() == 0
    } catch let error as PostgresError {
        return error.sqlState == .insufficientPrivilege
    } catch {
        return false
    }
}
