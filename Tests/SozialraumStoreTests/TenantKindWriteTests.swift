import Foundation
import PostgresClient
import SozialraumDomain
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 17: what a kind of tenant may write is enforced by PostgreSQL, not only by the daemon. Each
/// attack is made in SQL as the runtime role with a provider's context (as a bug in the daemon could),
/// and each is refused; the superuser's view afterwards shows nothing changed.
@Suite struct TenantKindWriteTests {
    /// The refusal of `body`: a database error with SQLSTATE 42501 (insufficient privilege).
    func refused<T>(_ body: () async throws -> T) async -> Bool {
        do {
            _ = try await body()
            return false
        } catch let error as PostgresError {
            return error.sqlState == .insufficientPrivilege
        } catch {
            return false
        }
    }

    @Test func aProviderCannotPayItselfNorUndoTheCountysPayments() async throws {
        let world = try await TenancyWorld.make()
        let store = world.database.runtimeStore()
        let before = try await world.trueCount("booking")
        for kind in ["instalment", "settlement", "carry_forward"] {
            #expect(
                await refused {
                    try await store.withTenant(world.alpha) { tx in
                        try await tx.execute(
                            unsafeSQL: """
                                INSERT INTO booking (tenant_id, kind, booked_month, service_month, social_space, component, amount, actor)
                                VALUES ($1, $2, '2026-01-01', '2026-01-01', 'sr-nord', 'case', 100000000, 'attacker')
                                """, [world.alpha.uuid, kind])
                    }
                }, "\(kind)")
        }
        // Its own instalment (booked by the county in the fixtures) cannot be reversed by the provider.
        let instalment = try await world.admin.query(
            PostgresQuery(
                unsafeSQL: "SELECT id FROM booking WHERE tenant_id = $1 AND kind = 'instalment' LIMIT 1",
                [world.alpha.uuid])
        ).first?.decode(0, as: Int64.self)
        let id = try #require(instalment)
        #expect(
            await refused {
                try await store.withTenant(world.alpha) { tx in
                    try await tx.execute(
                        unsafeSQL: """
                            INSERT INTO booking (tenant_id, kind, booked_month, service_month, social_space, component, amount, actor, reverses)
                            SELECT tenant_id, 'reversal', booked_month, service_month, social_space, component, -amount, 'attacker', id
                            FROM booking WHERE id = $1
                            """, [id])
                }
            })
        #expect(try await world.trueCount("booking") == before)
        // The county's own payment path: only under a payment order signed by two people (next test).
    }

    /// Four eyes in the database (sql/0020), as the runtime role in the county's context, past every
    /// check of the daemon: an instalment without an order, under a pending order, an order approved by
    /// its certifier, by an account without the right, or certified by one without it — all refused;
    /// certified by `fx-certifier` and ordered by `fx-orderer`, it is booked.
    @Test func aPaymentNeedsTwoDifferentSignersWithTheirRightsInTheDatabase() async throws {
        let world = try await TenancyWorld.make()
        let store = world.database.runtimeStore()
        func book(order: Int64?) async throws -> Int {
            try await store.withTenant(world.county) { tx in
                try await tx.execute(
                    unsafeSQL: """
                        INSERT INTO booking (tenant_id, kind, booked_month, service_month, social_space, component, amount,
                                             actor, payment_order_id)
                        VALUES ($1, 'instalment', '2026-01-01', '2026-01-01', 'sr-nord', 'case', 100, 'kasse', $2)
                        """, [world.alpha.uuid, order])
            }
        }
        func certify(by signer: String) async throws -> Int64 {
            try await store.withTenant(world.county) { tx in
                try await tx.query(
                    unsafeSQL: """
                        INSERT INTO payment_order (tenant_id, kind, social_space, component, month, amount, certified_by, expires_on)
                        VALUES ($1, 'instalment', 'sr-nord', 'case', '2026-01-01', 100, $2, '2026-12-31') RETURNING id
                        """, [world.alpha.uuid, signer]
                ).single().decode(0, as: Int64.self)
            }
        }
        func approve(_ order: Int64, by signer: String) async throws {
            _ = try await store.withTenant(world.county) { tx in
                try await tx.execute(
                    unsafeSQL: """
                        UPDATE payment_order SET state = 'approved', decided_by = $2, decided_at = now(),
                               kassenzeichen = 'SR2026' || id, due_on = '2026-02-01'
                        WHERE id = $1
                        """, [order, signer])
            }
        }
        let before = try await world.trueCount("booking")
        #expect(await refused { _ = try await book(order: nil) }, "no order")
        #expect(await refused { _ = try await certify(by: "fx-orderer") }, "certified without the right")
        let order = try await certify(by: "fx-certifier")
        #expect(await refused { _ = try await book(order: order) }, "pending")
        await #expect(throws: PostgresError.self, "ordered by its certifier") {
            try await approve(order, by: "fx-certifier")
        }
        #expect(await refused { try await approve(order, by: "kaemmerei-unbekannt") }, "ordered without the right")
        #expect(try await world.trueCount("booking") == before)
        try await approve(order, by: "fx-orderer")
        #expect(try await book(order: order) == 1)
        // What the order pays never changes once certified.
        await #expect(throws: PostgresError.self) {
            _ = try await store.withTenant(world.county) { tx in
                try await tx.execute(unsafeSQL: "UPDATE payment_order SET amount = 100000 WHERE id = $1", [order])
            }
        }
    }

    @Test func aProviderCannotTouchItsCommitmentsBeyondMarkingAMonthDelivered() async throws {
        let world = try await TenancyWorld.make()
        let store = world.database.runtimeStore()
        let open = try await world.admin.query(
            PostgresQuery(
                unsafeSQL: "SELECT sum(amount)::bigint FROM commitment WHERE tenant_id = $1", [world.alpha.uuid])
        ).single().decode(0, as: Int64?.self)
        // Deleting, inserting a commitment with an amount, changing an amount: refused or no effect.
        let deleted = try await store.withTenant(world.alpha) { tx in
            try await tx.execute(unsafeSQL: "DELETE FROM commitment")
        }
        #expect(deleted == 0)
        #expect(
            await refused {
                try await store.withTenant(world.alpha) { tx in
                    try await tx.execute(
                        unsafeSQL: """
                            INSERT INTO commitment (tenant_id, grant_id, month, social_space, amount)
                            SELECT tenant_id, grant_id, '2027-01-01', social_space, 99999 FROM commitment LIMIT 1
                            """)
                }
            })
        #expect(
            await refused {
                try await store.withTenant(world.alpha) { tx in
                    try await tx.execute(unsafeSQL: "UPDATE commitment SET amount = 0")
                }
            })
        #expect(
            try await world.admin.query(
                PostgresQuery(
                    unsafeSQL: "SELECT sum(amount)::bigint FROM commitment WHERE tenant_id = $1", [world.alpha.uuid])
            ).single().decode(0, as: Int64?.self) == open)
        // Marking delivered and committing again is what a provider's delivery and reversal do.
        let released = try await store.withTenant(world.alpha) { tx in
            try await tx.execute(unsafeSQL: "UPDATE commitment SET released = NOT released")
        }
        #expect(released > 0)
    }

    @Test func aProviderCannotRenameItselfNorCreateAccounts() async throws {
        let world = try await TenancyWorld.make()
        let store = world.database.runtimeStore()
        let renamed = try await store.withTenant(world.alpha) { tx in
            try await tx.execute(
                unsafeSQL: "UPDATE tenant SET name = 'Landkreis Verden' WHERE id = $1", [world.alpha.uuid])
        }
        #expect(renamed == 0)
        #expect(
            await refused {
                try await store.withTenant(world.alpha) { tx in
                    try await tx.execute(
                        unsafeSQL: """
                            INSERT INTO account (name, tenant_id, role, secret_hash, salt, scrypt_n)
                            VALUES ('alpha-second', $1, 'provider', '\\x00', '\\x00', 1024)
                            """, [world.alpha.uuid])
                }
            })
        // Accounts are tenant data: a provider sees its own, nobody sees any without a context, and a
        // login finds exactly one enabled account by name through the owner's function.
        let (own, others) = try await store.withTenant(world.alpha, readOnly: true) { tx in
            (
                try await tx.query(
                    unsafeSQL: "SELECT count(*)::int FROM account WHERE tenant_id = $1", [world.alpha.uuid]
                )
                .single().decode(0, as: Int.self),
                try await tx.query(
                    unsafeSQL: "SELECT count(*)::int FROM account WHERE tenant_id <> $1", [world.alpha.uuid]
                )
                .single().decode(0, as: Int.self)
            )
        }
        #expect(own > 0)
        #expect(others == 0)
        let anonymous = try await store.withoutTenant(readOnly: true) { tx in
            try await tx.query(unsafeSQL: "SELECT count(*)::int FROM account").single().decode(0, as: Int.self)
        }
        #expect(anonymous == 0)
        let name = try await world.admin.query(
            PostgresQuery(unsafeSQL: "SELECT name FROM account WHERE tenant_id = $1 LIMIT 1", [world.beta.uuid])
        ).single().decode(0, as: String.self)
        let found = try await store.withoutTenant(readOnly: true) { tx in
            try await tx.query(unsafeSQL: "SELECT tenant_id FROM account_for_login($1)", [name]).map {
                try $0.decode(0, as: UUID.self)
            }
        }
        #expect(found == [world.beta.uuid])
    }

    @Test func theCountyDoesNotReportDeliveries() async throws {
        let world = try await TenancyWorld.make()
        let store = world.database.runtimeStore()
        #expect(
            await refused {
                try await store.withTenant(world.county) { tx in
                    try await tx.execute(
                        unsafeSQL: TenantTableFixture.all["delivery"]!.insert, [world.alpha.uuid, "county"])
                }
            })
        let own = try await store.withTenant(world.alpha) { tx in
            try await tx.execute(unsafeSQL: TenantTableFixture.all["delivery"]!.insert, [world.alpha.uuid, "own"])
        }
        #expect(own == 1)
    }

    /// sql/0013: a reference to another tenant's row fails exactly like one to no row at all (no
    /// existence oracle), and no row points across tenants.
    @Test func referencesStayWithinTheTenantAndTellNothingAboutOthers() async throws {
        let world = try await TenancyWorld.make()
        let store = world.database.runtimeStore()
        let betaGrant = try await world.admin.query(
            PostgresQuery(unsafeSQL: "SELECT id FROM grant_decision WHERE tenant_id = $1 LIMIT 1", [world.beta.uuid])
        ).single().decode(0, as: UUID.self)
        func deliver(for grant: UUID) async -> String? {
            do {
                _ = try await store.withTenant(world.alpha) { tx in
                    try await tx.execute(
                        unsafeSQL: """
                            INSERT INTO delivery (id, tenant_id, grant_id, month, quantity, payable, cost)
                            VALUES (gen_random_uuid(), $1, $2, '2026-05-01', 100, 100, 6000)
                            """, [world.alpha.uuid, grant])
                }
                return "accepted"
            } catch let error as PostgresError {
                return error.sqlState?.rawValue
            } catch {
                return "\(error)"
            }
        }
        let foreign = await deliver(for: betaGrant)
        let missing = await deliver(for: UUID())
        #expect(foreign == "23503")
        #expect(foreign == missing)
        // A correction naming another provider's booking: refused like one naming no booking.
        let betaBooking = try await world.admin.query(
            PostgresQuery(unsafeSQL: "SELECT id FROM booking WHERE tenant_id = $1 LIMIT 1", [world.beta.uuid])
        ).single().decode(0, as: Int64.self)
        func correct(_ id: Int64) async -> String? {
            do {
                _ = try await store.withTenant(world.alpha) { tx in
                    try await tx.execute(
                        unsafeSQL: """
                            INSERT INTO booking (tenant_id, kind, booked_month, service_month, social_space, component, amount, actor, corrects)
                            VALUES ($1, 'project_expense', '2026-01-01', '2026-01-01', 'sr-nord', 'milieu', 100, 'attacker', $2)
                            """, [world.alpha.uuid, id])
                }
                return "accepted"
            } catch let error as PostgresError {
                return error.sqlState?.rawValue
            } catch {
                return "\(error)"
            }
        }
        let foreignCorrection = await correct(betaBooking)
        #expect(foreignCorrection == "42501")
        #expect(await correct(999_999_999) == foreignCorrection)
        // Nothing in the schema points across tenants.
        let crossing = try await world.admin.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT (SELECT count(*) FROM delivery d JOIN grant_decision g ON g.id = d.grant_id WHERE g.tenant_id <> d.tenant_id)
                         + (SELECT count(*) FROM booking b JOIN grant_decision g ON g.id = b.grant_id WHERE g.tenant_id <> b.tenant_id)
                         + (SELECT count(*) FROM booking b JOIN booking r ON r.id = b.reverses WHERE r.tenant_id <> b.tenant_id)
                    """)
        ).single().decode(0, as: Int64.self)
        #expect(crossing == 0)
    }

    @Test func totalsCannotBeWrittenByTheRuntimeRoleAtAll() async throws {
        let world = try await TenancyWorld.make()
        let store = world.database.runtimeStore()
        let before = try await world.admin.query(
            PostgresQuery(unsafeSQL: "SELECT sum(amount)::bigint FROM ledger_total")
        ).single()
            .decode(0, as: Int64.self)
        for (table, statement) in [
            ("ledger_total", "UPDATE ledger_total SET amount = amount + 100000000"),
            (
                "ledger_total",
                "INSERT INTO ledger_total VALUES ($1, 'sr-nord', 'case', '2026-01-01', 'instalment', 100000000, 1)"
            ),
            ("commitment_total", "DELETE FROM commitment_total"),
        ] {
            #expect(
                await refused {
                    try await store.withTenant(world.county) { tx in
                        if statement.contains("$1") {
                            try await tx.execute(unsafeSQL: statement, [world.alpha.uuid])
                        } else {
                            try await tx.execute(unsafeSQL: statement)
                        }
                    }
                }, "\(table): \(statement)")
        }
        // The trigger on a temporary table trick: a trigger of the runtime role's own writing the totals.
        #expect(
            await refused {
                try await store.withTenant(world.alpha) { tx in
                    try await tx.execute(unsafeSQL: "CREATE TEMPORARY TABLE decoy (x int)")
                    try await tx.execute(
                        unsafeSQL: """
                            CREATE FUNCTION pg_temp.fake() RETURNS trigger LANGUAGE plpgsql AS $$
                            BEGIN
                                UPDATE sozialraum.ledger_total SET amount = amount + 100000000;
                                RETURN NEW;
                            END $$
                            """)
                    try await tx.execute(
                        unsafeSQL:
                            "CREATE TRIGGER decoy_fake AFTER INSERT ON decoy FOR EACH ROW EXECUTE FUNCTION pg_temp.fake()"
                    )
                    return try await tx.execute(unsafeSQL: "INSERT INTO decoy VALUES (1)")
                }
            })
        #expect(
            try await world.admin.query(PostgresQuery(unsafeSQL: "SELECT sum(amount)::bigint FROM ledger_total"))
                .single()
                .decode(0, as: Int64.self) == before)
    }
}
