import Foundation
import Logging
import PostgresClient
import SozialraumDomain
import SozialraumStore
import SozialraumTestSupport

/// How to put one row of a tenant table in place, for the RLS matrix. Every table that holds tenant
/// data must have an entry here; the catalogue test fails for a table that has none, so a new table
/// cannot escape the matrix.
struct TenantTableFixture: Sendable {
    /// The column naming the owning tenant.
    var tenantColumn: String
    /// True for `tenant` itself, whose key is the tenant id: rows for a new id use a fresh UUID.
    var identifiesTenant = false
    /// An INSERT for a row owned by `$1`; `$2` is a nonce that keeps keys unique.
    var insert: String

    /// In insertion order: later fixtures refer to rows of earlier ones (looked up by `$1`, so that
    /// an attempt for a tenant whose rows are invisible finds no parent and still meets the policy).
    static let ordered: [(table: String, fixture: TenantTableFixture)] = [
        (
            "tenant",
            TenantTableFixture(
                tenantColumn: "id", identifiesTenant: true,
                insert: "INSERT INTO tenant (id, kind, name) VALUES ($1, 'provider', 'Fixture ' || $2)")
        ),
        (
            "tenant_setting",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: "INSERT INTO tenant_setting (tenant_id, key, value) VALUES ($1, 'fixture.k' || $2, 'v')")
        ),
        (
            "audit_event",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert:
                    "INSERT INTO audit_event (tenant_id, actor, action, result) VALUES ($1, 'test', 'fixture.' || $2, 'ok')"
            )
        ),
        (
            "case_access",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert:
                    "INSERT INTO case_access (tenant_id, account, command, cases) VALUES ($1, 'fixture-' || $2, 'grants', 1)"
            )
        ),
        (
            "provider_assignment",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO provider_assignment (tenant_id, social_space, valid_from)
                    VALUES ($1, 'sr-nord', DATE '2000-01-01' + abs(hashtext($2)) % 9000)
                    """)
        ),
        (
            "rate_agreement",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO rate_agreement (id, tenant_id, help_type, unit, valid_from, amount)
                    VALUES (gen_random_uuid(), $1, '31', 'hour', DATE '2000-01-01' + abs(hashtext($2)) % 9000, 6000)
                    """)
        ),
        (
            "grant_decision",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO grant_decision (id, tenant_id, case_id, case_key, help_type, unit, volume_per_month, starts_on, ends_on)
                    VALUES (gen_random_uuid(), $1, (SELECT id FROM case_file LIMIT 1), 'FIX-' || $2, '31', 'hour', 1000,
                            '2026-01-01', '2026-12-31')
                    """)
        ),
        (
            "grant_amendment",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO grant_amendment (tenant_id, grant_id, effective_on, old_volume, new_volume, old_end, new_end, reason, actor)
                    VALUES ($1, (SELECT id FROM grant_decision WHERE tenant_id = $1 LIMIT 1), '2026-06-01', 1000, 1200,
                            '2026-12-31', '2026-12-31', 'Fortschreibung ' || $2, 'fixture')
                    """)
        ),
        (
            "commitment",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO commitment (tenant_id, grant_id, month, social_space, amount)
                    VALUES ($1, (SELECT id FROM grant_decision WHERE tenant_id = $1 LIMIT 1),
                            (DATE '2026-01-01' + (abs(hashtext($2)) % 12) * interval '1 month')::date, 'sr-nord', 6000)
                    """)
        ),
        // Written only by the commitment triggers: a commitment stands in for a direct insert.
        (
            "commitment_total",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO commitment (tenant_id, grant_id, month, social_space, amount)
                    VALUES ($1, (SELECT id FROM grant_decision WHERE tenant_id = $1 LIMIT 1),
                            (DATE '2026-01-01' + (3 + abs(hashtext($2)) % 9) * interval '1 month')::date, 'sr-sued', 700)
                    """)
        ),
        (
            "delivery",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO delivery (id, tenant_id, grant_id, month, quantity, payable, cost)
                    VALUES (gen_random_uuid(), $1, (SELECT id FROM grant_decision WHERE tenant_id = $1 LIMIT 1),
                            (DATE '2026-01-01' + (abs(hashtext($2)) % 12) * interval '1 month')::date, 100, 100, 6000)
                    """)
        ),
        (
            "finding",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert:
                    "INSERT INTO finding (id, tenant_id, kind, month, quantity) VALUES (gen_random_uuid(), $1, 'missing_delivery', '2026-01-01', length($2::text))"
            )
        ),
        (
            "project",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO project (id, tenant_id, title, social_space, component, starts_on, ends_on, budget)
                    VALUES (gen_random_uuid(), $1, 'Projekt ' || $2, 'sr-nord', 'milieu', '2026-01-01', '2026-12-31', 100000)
                    """)
        ),
        (
            "booking",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO booking (tenant_id, kind, booked_month, service_month, social_space, component, amount, actor)
                    VALUES ($1, 'instalment', '2026-01-01', '2026-01-01', 'sr-nord', 'case', 1000, 'fixture ' || $2)
                    """)
        ),
        // Totals are written only by the ledger's trigger: a booking stands in for a direct insert.
        (
            "ledger_total",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO booking (tenant_id, kind, booked_month, service_month, social_space, component, amount, actor)
                    VALUES ($1, 'settlement', '2026-02-01', '2026-02-01', 'sr-nord', 'milieu', 500, 'fixture ' || $2)
                    """)
        ),
        (
            "statement",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert:
                    "INSERT INTO statement VALUES ((SELECT min(id) FROM reconciliation_run), $1, length($2::text), 0, 0, length($2::text))"
            )
        ),
        (
            "legacy_statement_item",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO legacy_statement_item (run_id, tenant_id, item, item_id, case_key, cost)
                    VALUES ((SELECT min(id) FROM reconciliation_run), $1, 'grant', gen_random_uuid(), 'FIX-' || $2, 6000)
                    """)
        ),
        // An issued statement without items (accrued 0.00); the database counts and hashes them.
        (
            "statement_document",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO statement_document (tenant_id, run_id, accrued, instalments, settlements, balance, issued_by)
                    VALUES ($1, (SELECT min(id) FROM reconciliation_run), 0, 0, 0, 0, 'fixture ' || $2)
                    """)
        ),
        (
            "statement_document_item",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO statement_document_item (statement_id, tenant_id, item, item_id, case_key, cost)
                    VALUES ((SELECT coalesce(max(id), 0) + 1000 FROM statement_document), $1, 'grant',
                            gen_random_uuid(), 'FIX-' || $2, 0)
                    """)
        ),
        (
            "grant_end_change",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO grant_end_change (grant_id, tenant_id, change_position, old_ends_on)
                    SELECT id, $1, nextval('change_position') + 0 * length($2::text), ends_on
                    FROM grant_decision WHERE tenant_id = $1 LIMIT 1
                    """)
        ),
        (
            "surplus_share",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: "INSERT INTO surplus_share VALUES (2026, 'sr-nord', $1, 100 + length($2::text))")
        ),
        (
            "account_change",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO account_change (tenant_id, account_name, rights, requested_by, expires_on)
                    VALUES ($1, 'fx-certifier', '{certify}', 'fx-administrator', current_date + length($2::text))
                    """)
        ),
        (
            "surplus_share_line",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO surplus_share_line (year, social_space, component, tenant_id, amount)
                    VALUES (2026, 'sr-nord', 'case', $1, 100 + length($2::text))
                    """)
        ),
        (
            "account",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO account (name, tenant_id, role, secret_hash, salt, scrypt_n)
                    VALUES ('fx-' || substr(md5($2 || CAST($1 AS uuid)::text), 1, 12), $1, 'provider', '\\x00', '\\x00', 1024)
                    """)
        ),
        (
            "second_factor",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    WITH holder AS (
                        INSERT INTO account (name, tenant_id, role, secret_hash, salt, scrypt_n)
                        VALUES ('sf-' || substr(md5($2 || CAST($1 AS uuid)::text), 1, 12), $1, 'provider', '\\x00', '\\x00', 1024)
                        RETURNING name, tenant_id)
                    INSERT INTO second_factor (account_name, tenant_id, secret, last_step)
                    SELECT name, tenant_id, decode(repeat('00', 20), 'hex'), 0 FROM holder
                    """)
        ),
        (
            "payment_batch",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO payment_batch (tenant_id, created_by, encoding, orders, total, sha256, content)
                    VALUES ($1, 'fixture ' || $2, 'utf-8', 1, 100, repeat('0', 64), '\\x00')
                    """)
        ),
        (
            "payment_order",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO payment_order (tenant_id, kind, social_space, component, month, amount, certified_by, expires_on)
                    VALUES ($1, 'instalment', 'sr-nord', 'case', '2026-01-01', 100 + length($2::text), 'fx-certifier', '2026-12-31')
                    """)
        ),
        (
            "payment_order_line",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    WITH b AS (INSERT INTO booking (tenant_id, kind, booked_month, service_month, social_space, component, amount, actor)
                               VALUES ($1, 'carry_forward', '2026-03-01', '2026-03-01', 'sr-nord', 'case', 100, 'fixture ' || $2)
                               RETURNING id)
                    INSERT INTO payment_order_line (tenant_id, order_id, booking_id, year, social_space, component, amount,
                                                    product, account, cost_centre)
                    SELECT $1, (SELECT min(id) FROM payment_order WHERE tenant_id = $1), b.id, 2026, 'sr-nord', 'case', 100,
                           '36300', '53310000', 'SR1' FROM b
                    """)
        ),
        (
            "payment_receipt",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO payment_receipt (tenant_id, source, line, kassenzeichen, amount, value_date, actor)
                    VALUES ($1, md5($2) || md5($2), 2 + abs(hashtext($2 || CAST($1 AS uuid)::text)) % 1000000, 'KZ-FIX', 100,
                            '2026-05-04', 'fixture')
                    """)
        ),
        (
            "overrun_decision",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO overrun_decision (tenant_id, year, social_space, component, kind, amount, reason, decided_by)
                    VALUES ($1, 2026, 'sr-nord', 'case', 'over_plan', 100 + length($2::text), 'fixture', 'fixture')
                    """)
        ),
        (
            "idempotency",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert:
                    "INSERT INTO idempotency (tenant_id, key, fingerprint, result) VALUES ($1, 'fixture-key-' || $2, '\\x00', 'ok')"
            )
        ),
        (
            "erasure_order",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO erasure_order (tenant_id, years, due_on, cases)
                    VALUES ($1, 10, '2026-01-05', 1 + length($2::text))
                    """)
        ),
        (
            "statistics_mapping",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO statistics_mapping (tenant_id, year, key, position, title)
                    VALUES ($1, 2000 + length($2::text), '31', 'HzE-31', 'Fixture')
                    """)
        ),
        (
            "portal_certificate",
            TenantTableFixture(
                tenantColumn: "tenant_id",
                insert: """
                    INSERT INTO portal_certificate (tenant_id, sha256, label, added_by)
                    VALUES ($1, encode(sha256(convert_to($2 || CAST($1 AS uuid)::text, 'UTF8')), 'hex'), 'PC', 'fixture')
                    """)
        ),
    ]

    static let all = Dictionary(uniqueKeysWithValues: ordered.map { ($0.table, $0.fixture) })
}

/// How a reference table (county data, written by the county only) is seen by providers.
struct ReferenceTableFixture: Sendable {
    enum ProviderView: Sendable { case everything, nothing, servedSocialSpaces, casesWithOwnGrant }
    var providerView: ProviderView
    /// An INSERT of a new row; `$1` is a nonce.
    var insert: String

    static let all: [String: ReferenceTableFixture] = [
        "municipality": .init(
            providerView: .everything, insert: "INSERT INTO municipality VALUES ('m-' || abs(hashtext($1)), 'M')"),
        "social_space": .init(
            providerView: .everything, insert: "INSERT INTO social_space VALUES ('s-' || abs(hashtext($1)), 'S')"),
        "social_space_member": .init(
            providerView: .everything,
            insert:
                "INSERT INTO social_space_member VALUES ('sr-nord', 'achim', DATE '2001-01-01' + abs(hashtext($1)) % 9000, NULL)"
        ),
        "fiscal_year": .init(
            providerView: .everything, insert: "INSERT INTO fiscal_year (year) VALUES (2100 + abs(hashtext($1)) % 99)"),
        "cover_pool_member": .init(
            providerView: .everything,
            insert: "INSERT INTO cover_pool_member VALUES (2026, 'structure', 1 + abs(hashtext($1)) % 3)"),
        "period": .init(
            providerView: .everything,
            insert:
                "INSERT INTO period (month) VALUES ((DATE '2027-01-01' + (abs(hashtext($1)) % 12) * interval '1 month')::date)"
        ),
        "appropriation": .init(
            providerView: .servedSocialSpaces,
            insert: "INSERT INTO appropriation VALUES (2026, 'sr-nord', 'structure', abs(hashtext($1)))"),
        "carry_forward": .init(
            providerView: .servedSocialSpaces,
            insert: "INSERT INTO carry_forward VALUES (2026, 'sr-nord', 'milieu', abs(hashtext($1)), 'r')"),
        "help_type": .init(
            providerView: .everything,
            insert: "INSERT INTO help_type VALUES ('9' || (abs(hashtext($1)) % 10), 'T', 'ambulant', false)"),
        "case_file": .init(
            providerView: .nothing,
            insert: "INSERT INTO case_file (id, case_key) VALUES (gen_random_uuid(), 'K-' || abs(hashtext($1)))"),
        "reconciliation_run": .init(
            providerView: .everything,
            insert: """
                INSERT INTO reconciliation_run (year, scope, first_month, last_month, ledger_position, run_day, digest, requested_by, started_at)
                VALUES (2026, 'month', '2026-02-01', '2026-02-01', abs(hashtext($1)), '2026-11-25', '\\x01', 'fixture', now())
                """),
        "reconciliation_line": .init(
            providerView: .servedSocialSpaces,
            insert: """
                INSERT INTO reconciliation_line SELECT min(id), 2026, 'sr-nord', 'x' || abs(hashtext($1)), 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0
                FROM reconciliation_run
                """),
        "reconciliation_month": .init(
            providerView: .servedSocialSpaces,
            insert: """
                INSERT INTO reconciliation_month SELECT min(id), 2026, 'sr-nord', 'structure',
                    (DATE '2026-01-01' + (abs(hashtext($1)) % 12) * interval '1 month')::date, 0, 0, 0, 0, 0
                FROM reconciliation_run
                """),
        "reconciliation_transfer": .init(
            providerView: .servedSocialSpaces,
            insert: """
                INSERT INTO reconciliation_transfer SELECT min(id), 2026, 'sr-nord', 2 + abs(hashtext($1)) % 1000000, 'case', 'milieu', 1
                FROM reconciliation_run
                """),
        "population": .init(
            providerView: .everything,
            insert: "INSERT INTO population VALUES (2100 + abs(hashtext($1)) % 99, 'sr-nord', 5)"),
        "year_end": .init(
            providerView: .everything,
            insert: """
                INSERT INTO year_end (year, run_id, confirmed_by) SELECT 2027, min(id), 'fixture ' || $1 FROM reconciliation_run
                """),
        "finance_mapping": .init(
            providerView: .everything,
            insert: """
                INSERT INTO finance_mapping VALUES (2000 + abs(hashtext($1)) % 199, 'sr-nord', 'case', 'instalment', '36300',
                    '53310000', 'SR1')
                """),
        // Legal holds and the cases an erasure order names (sql/0034): the county's alone.
        "case_hold": .init(
            providerView: .nothing,
            insert: """
                WITH c AS (INSERT INTO case_file (id, case_key) VALUES (gen_random_uuid(), 'H-' || abs(hashtext($1))) RETURNING id)
                INSERT INTO case_hold (case_id, reference, placed_by) SELECT id, 'Az ' || $1, 'fixture' FROM c
                """),
        "case_restriction": .init(
            providerView: .nothing,
            insert: """
                WITH c AS (INSERT INTO case_file (id, case_key) VALUES (gen_random_uuid(), 'R-' || abs(hashtext($1))) RETURNING id)
                INSERT INTO case_restriction (case_id, ground, reference, placed_by) SELECT id, 'claims', 'Az ' || $1, 'fixture' FROM c
                """),
        // Corrections of residences are written by the owner's function only (sql/0037): the county's insert
        // is the function's.
        "residence_correction": .init(
            providerView: .nothing,
            insert: """
                SELECT 1 FROM (SELECT correct_residence((SELECT id FROM case_file WHERE case_key = 'FIX-0001'), '2000-01-01',
                                                        'sr-sued', 'fx-caseworker') AS done) x WHERE done AND $1 <> ''
                """),
        "erasure_order_case": .init(
            providerView: .nothing,
            insert: """
                WITH c AS (INSERT INTO case_file (id, case_key) VALUES (gen_random_uuid(), 'E-' || abs(hashtext($1))) RETURNING id)
                INSERT INTO erasure_order_case (order_id, case_id, last_year)
                SELECT (SELECT max(id) FROM erasure_order WHERE state = 'proposed'), id, 2015 FROM c
                """),
        "residence": .init(
            providerView: .casesWithOwnGrant,
            insert:
                "INSERT INTO residence VALUES ((SELECT id FROM case_file LIMIT 1), DATE '2001-01-01' + abs(hashtext($1)) % 9000, 'sr-sued')"
        ),
    ]

    /// Reference rows every world has: two Sozialräume (providers serve `sr-nord` only), the year 2026
    /// with open months, one help type, one case.
    static let seed = """
        INSERT INTO municipality VALUES ('achim', 'Achim');
        INSERT INTO social_space VALUES ('sr-nord', 'Nord'), ('sr-sued', 'Süd');
        INSERT INTO social_space_member VALUES ('sr-nord', 'achim', '2000-01-01', NULL);
        INSERT INTO fiscal_year (year) VALUES (2026), (2027);
        INSERT INTO cover_pool_member VALUES (2026, 'case', 1), (2026, 'milieu', 1);
        INSERT INTO period (month) SELECT generate_series(DATE '2026-01-01', DATE '2026-12-01', interval '1 month')::date;
        INSERT INTO appropriation VALUES (2026, 'sr-nord', 'case', 100000), (2026, 'sr-sued', 'case', 200000);
        INSERT INTO carry_forward VALUES (2026, 'sr-nord', 'case', 100, 'Rest 2025'), (2026, 'sr-sued', 'case', 200, 'Rest 2025');
        INSERT INTO help_type VALUES ('31', 'Sozialpädagogische Familienhilfe', 'ambulant', false);
        INSERT INTO case_file (id, case_key) VALUES (gen_random_uuid(), 'FIX-0001');
        INSERT INTO residence SELECT id, '2000-01-01', 'sr-nord' FROM case_file;
        INSERT INTO case_hold (case_id, reference, placed_by) SELECT id, 'Az 1/26', 'seed' FROM case_file;
        INSERT INTO residence_correction (case_id, valid_from, old_social_space, new_social_space, change_position, corrected_by)
            SELECT id, '2000-01-01', 'sr-sued', 'sr-nord', 0, 'seed' FROM case_file WHERE case_key = 'FIX-0001';
        WITH c AS (INSERT INTO case_file (id, case_key) VALUES (gen_random_uuid(), 'SEED-R1') RETURNING id)
            INSERT INTO case_restriction (case_id, ground, reference, placed_by) SELECT id, 'retention', 'Az 2/26', 'seed' FROM c;
        INSERT INTO erasure_order (tenant_id, years, due_on, cases) SELECT id, 10, '2026-01-05', 1 FROM tenant WHERE kind = 'county';
        INSERT INTO erasure_order_case (order_id, case_id, last_year) SELECT o.id, c.id, 2015 FROM erasure_order o, case_file c;
        INSERT INTO reconciliation_run (year, scope, first_month, last_month, ledger_position, run_day, digest, requested_by, started_at)
            VALUES (2026, 'year', '2026-01-01', '2026-12-01', 0, '2026-11-25', '\\x00', 'seed', now());
        INSERT INTO reconciliation_line SELECT r.id, 2026, s, 'case', 1, 0, 0, 0, 1, 0, 1, 1, 1, 0
            FROM reconciliation_run r, unnest(ARRAY['sr-nord', 'sr-sued']) s;
        INSERT INTO reconciliation_month SELECT r.id, 2026, s, 'case', '2026-01-01', 1, 0, 0, 1, 0
            FROM reconciliation_run r, unnest(ARRAY['sr-nord', 'sr-sued']) s;
        INSERT INTO reconciliation_transfer SELECT r.id, 2026, s, 1, 'milieu', 'case', 5
            FROM reconciliation_run r, unnest(ARRAY['sr-nord', 'sr-sued']) s;
        INSERT INTO population VALUES (2026, 'sr-nord', 1000), (2026, 'sr-sued', 2000);
        INSERT INTO year_end (year, run_id, confirmed_by) SELECT 2026, id, 'seed' FROM reconciliation_run;
        INSERT INTO finance_mapping VALUES (2026, 'sr-nord', 'case', 'instalment', '36300', '53310000', 'SR1');
        INSERT INTO account (name, tenant_id, role, secret_hash, salt, scrypt_n, rights)
            SELECT s.name, t.id, 'county', '\\x00', '\\x00', 1024, ARRAY[s.right_held]
            FROM tenant t, (VALUES ('fx-certifier', 'certify'), ('fx-orderer', 'order'), ('fx-administrator', 'accounts'),
                                ('fx-caseworker', 'case'))
                s (name, right_held)
            WHERE t.kind = 'county';
        """
}

/// A fresh database with the county, two providers and one fixture row per provider in every
/// tenant table (inserted as the superuser, which RLS does not restrict).
struct TenancyWorld: Sendable {
    let database: TestDatabase
    /// As the superuser, which RLS does not restrict; one connection per world.
    let admin: PostgresConnection
    let county: TenantID
    let alpha: TenantID
    let beta: TenantID

    static func make() async throws -> TenancyWorld {
        let database = try await TestCluster.shared.freshDatabase(prefix: "rls")
        let county = try await TenantRegistry.ensureCounty(
            name: "Landkreis Verden", ownerConninfo: database.superuserConninfo)
        let store = database.runtimeStore()
        let alpha = try await store.registerProvider(name: "Träger Alpha", by: county)
        let beta = try await store.registerProvider(name: "Träger Beta", by: county)
        let admin = try await database.superuserConnection()
        try await admin.runScript(unsafeSQL: ReferenceTableFixture.seed)
        for (_, fixture) in TenantTableFixture.ordered where !fixture.identifiesTenant {
            for tenant in [alpha, beta] {
                try await admin.query(PostgresQuery(unsafeSQL: fixture.insert, [tenant.uuid, "seed"]))
            }
        }
        return TenancyWorld(database: database, admin: admin, county: county, alpha: alpha, beta: beta)
    }

    /// Rows of `tenant` in `table`, counted as the superuser (not subject to RLS).
    func trueCount(_ table: String) async throws -> Int {
        try await admin.query(PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM \(table)")).single().decode(
            0, as: Int.self)
    }

    func trueCount(_ table: String, tenant: TenantID) async throws -> Int {
        let fixture = TenantTableFixture.all[table]!
        return try await admin.query(
            PostgresQuery(
                unsafeSQL: "SELECT count(*)::int FROM \(table) WHERE \(fixture.tenantColumn) = $1", [tenant.uuid])
        ).single().decode(0, as: Int.self)
    }
}
