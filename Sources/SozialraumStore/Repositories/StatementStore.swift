import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Provider statements (Abrechnung): drafts derived from a run at its positions, and issued statements,
/// frozen with their items (sql/0022). Every read runs in the caller's tenant context: a provider sees its
/// own.
public enum StatementStore {
    /// The payment advice of a run as of its positions: one item per grant (pseudonymous case key) or
    /// project. `$1`/`$2` the scope's months, `$3` the run's ledger position (bookings, reversals), `$4` its
    /// change position (grants, their ends, residences, deliveries), `$5` one provider or NULL.
    /// The same run gives the same items, whatever was booked or changed since.
    static let derivedItems = """
        WITH costs AS (
            SELECT b.tenant_id, b.grant_id, b.project_id, sum(b.amount)::bigint AS cost
            FROM booking b
            WHERE b.service_month BETWEEN $1 AND $2 AND b.id <= $3 AND ($5::uuid IS NULL OR b.tenant_id = $5)
              AND (b.grant_id IS NOT NULL OR b.project_id IS NOT NULL)
              AND b.kind IN ('delivery', 'project_expense', 'reversal')
            GROUP BY b.tenant_id, b.grant_id, b.project_id
        ),
        -- A grant's end as the run read it: the end before the first move after the run, if one moved.
        moved AS (
            SELECT DISTINCT ON (c.grant_id) c.grant_id, c.old_ends_on, c.old_ended_on
            FROM grant_end_change c WHERE c.change_position > $4 AND ($5::uuid IS NULL OR c.tenant_id = $5)
            ORDER BY c.grant_id, c.change_position
        ),
        grants AS (
            SELECT g.id, g.tenant_id, g.case_id, g.case_key, g.help_type, g.unit, g.volume_per_month, g.starts_on,
                   coalesce(m.old_ends_on, g.ends_on) AS ends_on,
                   CASE WHEN m.grant_id IS NULL THEN g.ended_on ELSE m.old_ended_on END AS ended_on
            FROM grant_decision g LEFT JOIN moved m ON m.grant_id = g.id
            WHERE g.change_position <= $4 AND ($5::uuid IS NULL OR g.tenant_id = $5)
        ),
        delivered AS (
            SELECT d.grant_id, sum(d.quantity)::bigint AS delivered, sum(d.payable)::bigint AS payable
            FROM delivery d
            WHERE d.month BETWEEN $1 AND $2 AND d.change_position <= $4 AND ($5::uuid IS NULL OR d.tenant_id = $5)
              AND NOT EXISTS (SELECT 1 FROM booking r WHERE r.kind = 'reversal' AND r.delivery_id = d.id AND r.id <= $3)
            GROUP BY d.grant_id
        ),
        -- Granted volume in the scope: full months count whole; only the first and the last month of
        -- grant ∩ scope can be partial (covered days / days of the month, rounded down, as the domain's
        -- GrantTerms.grantedVolume does month by month).
        spans AS (
            SELECT g.id, g.volume_per_month AS volume,
                   greatest(g.starts_on, $1::date) AS first_day,
                   least(g.ends_on, coalesce(g.ended_on, g.ends_on), ($2::date + interval '1 month - 1 day')::date) AS last_day
            FROM grants g
            WHERE g.starts_on <= ($2::date + interval '1 month - 1 day')::date
              AND g.ends_on >= $1::date AND least(g.ends_on, coalesce(g.ended_on, g.ends_on)) >= $1::date
        ),
        months AS (
            SELECT id, volume, first_day, last_day,
                   date_trunc('month', first_day)::date AS first_month, date_trunc('month', last_day)::date AS last_month
            FROM spans WHERE first_day <= last_day
        ),
        granted AS (
            SELECT id,
                   CASE WHEN first_month = last_month THEN
                       volume * (last_day - first_day + 1) / ((first_month + interval '1 month')::date - first_month)
                   ELSE
                       volume * ((first_month + interval '1 month')::date - first_day) / ((first_month + interval '1 month')::date - first_month)
                       + volume * (last_day - last_month + 1) / ((last_month + interval '1 month')::date - last_month)
                       + volume * ((extract(year FROM last_month)::int * 12 + extract(month FROM last_month)::int)
                                   - (extract(year FROM first_month)::int * 12 + extract(month FROM first_month)::int) - 1)
                   END AS granted
            FROM months
        ),
        -- A grant's Sozialraum is where its case lived (as the run read it) on the last day the grant covers
        -- in the scope (rule 9); before the first residence, the first one.
        homes AS (
            SELECT DISTINCT ON (g.id) g.id, r.social_space
            FROM grants g
            JOIN residence r ON r.case_id = g.case_id AND r.change_position <= $4
            CROSS JOIN LATERAL (
                SELECT least(g.ends_on, coalesce(g.ended_on, g.ends_on), ($2::date + interval '1 month - 1 day')::date) AS day
            ) d
            ORDER BY g.id, (r.valid_from <= d.day) DESC,
                     CASE WHEN r.valid_from <= d.day THEN d.day - r.valid_from ELSE r.valid_from - d.day END
        )
        SELECT g.tenant_id, 'grant'::text AS item, g.id AS item_id, g.case_key, g.help_type, g.unit,
               h.social_space::text AS social_space,
               coalesce(gr.granted, 0)::bigint AS granted, coalesce(d.delivered, 0) AS delivered,
               coalesce(d.payable, 0) AS payable, coalesce(c.cost, 0) AS cost
        FROM grants g
        LEFT JOIN granted gr ON gr.id = g.id
        LEFT JOIN homes h ON h.id = g.id
        LEFT JOIN delivered d ON d.grant_id = g.id
        LEFT JOIN costs c ON c.grant_id = g.id
        WHERE gr.id IS NOT NULL OR d.grant_id IS NOT NULL OR c.grant_id IS NOT NULL
        UNION ALL
        SELECT p.tenant_id, 'project', p.id, NULL, NULL, NULL, p.social_space::text, NULL, NULL, NULL, c.cost
        FROM costs c JOIN project p ON p.id = c.project_id
        WHERE c.grant_id IS NULL
        """

    /// The derivation as text, for the benchmark's bare baseline (psql inserting the same items).
    public static var derivedItemsSQL: String { derivedItems }

    /// What a run before sql/0022 stored, in the same columns (`$1` the run, `$2` one provider or NULL).
    static let legacyItems = """
        SELECT tenant_id, item, item_id, case_key, help_type, unit, social_space::text, granted, delivered, payable, cost
        FROM legacy_statement_item WHERE run_id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)
        """

    /// Items as shown: by provider, kind, case key and id (a total order: the same bytes every time).
    static let itemColumns = """
        t.name, i.item, i.item_id, coalesce(i.case_key, ''), coalesce(i.help_type, ''), coalesce(i.unit, ''),
        coalesce(i.social_space, ''), i.granted, i.delivered, i.payable, i.cost
        """
    static let itemOrder = "ORDER BY t.name, i.item, i.case_key, i.item_id"

    /// What deriving a run's items needs: its months and positions (nil change position: a run before
    /// sql/0022, whose items were stored).
    struct RunPositions {
        var first: YearMonth
        var last: YearMonth
        var position: Int64
        var changePosition: Int64?
    }

    static func positions(_ tx: TenantTransaction, runID: Int64) async throws -> RunPositions? {
        guard
            let row = try await tx.query(
                "SELECT first_month, last_month, ledger_position, change_position FROM reconciliation_run WHERE id = $1",
                [runID]
            ).first
        else { return nil }
        return RunPositions(
            first: try row.day(0).yearMonth, last: try row.day(1).yearMonth,
            position: try row.decode(2, as: Int64.self),
            changePosition: try row.decode(3, as: Int64?.self))
    }

    /// The draft items of a run (all providers the caller sees, or one), derived at the run's positions.
    public static func draftItems(
        _ tx: TenantTransaction, runID: Int64, provider: TenantID?
    ) async throws -> [StatementItem] {
        guard let run = try await positions(tx, runID: runID) else { return [] }
        let rows: PostgresRows
        if let changePosition = run.changePosition {
            rows = try await tx.query(
                "SELECT \(itemColumns) FROM (\(derivedItems)) i JOIN tenant t ON t.id = i.tenant_id \(itemOrder)",
                [run.first, run.last, run.position, changePosition, provider?.uuid])
        } else {
            rows = try await tx.query(
                "SELECT \(itemColumns) FROM (\(legacyItems)) i JOIN tenant t ON t.id = i.tenant_id \(itemOrder)",
                [runID, provider?.uuid])
        }
        return try rows.map(item)
    }

    static func item(_ row: PostgresRow) throws -> StatementItem {
        StatementItem(
            providerName: try row.decode(0, as: String.self), item: try row.decode(1, as: String.self),
            id: try row.decode(2, as: UUID.self),
            caseKey: try row.decode(3, as: String.self), helpType: try row.decode(4, as: String.self),
            unit: try row.decode(5, as: String.self), socialSpace: try row.decode(6, as: String.self),
            granted: try row.decode(7, as: Int64?.self).map(Quantity.init(hundredths:)),
            delivered: try row.decode(8, as: Int64?.self).map(Quantity.init(hundredths:)),
            payable: try row.decode(9, as: Int64?.self).map(Quantity.init(hundredths:)),
            cost: Money(cents: try row.decode(10, as: Int64.self)))
    }

    // MARK: Issued statements

    /// Whether the run has statement figures for the provider (a provider without cost or payments in the
    /// scope has none).
    public static func hasFigures(_ tx: TenantTransaction, runID: Int64, provider: TenantID) async throws -> Bool {
        try await tx.query("SELECT 1 FROM statement WHERE run_id = $1 AND tenant_id = $2", [runID, provider.uuid])
            .count > 0
    }

    /// Issues the provider's statement of a run: its items, derived at the run's positions, are stored
    /// once, then the document, which the database counts and hashes (sql/0022). Returns its id.
    public static func issue(
        _ tx: TenantTransaction, runID: Int64, provider: TenantID, issuedBy: String
    ) async throws -> Int64 {
        guard let run = try await positions(tx, runID: runID) else {
            throw PostgresError(code: .decodingFailed, serverMessage: "run unknown", operation: "issue")
        }
        let id = try await tx.query("SELECT nextval(pg_get_serial_sequence('statement_document', 'id'))")
            .single().decode(0, as: Int64.self)
        if let changePosition = run.changePosition {
            try await tx.execute(
                "INSERT INTO statement_document_item SELECT $6, i.* FROM (\(derivedItems)) i",
                [run.first, run.last, run.position, changePosition, provider.uuid, id])
        } else {
            try await tx.execute(
                "INSERT INTO statement_document_item SELECT $3, i.* FROM (\(legacyItems)) i",
                [runID, provider.uuid, id])
        }
        try await tx.execute(
            """
            INSERT INTO statement_document (id, tenant_id, run_id, accrued, instalments, settlements, balance, issued_by)
            SELECT $1, tenant_id, run_id, accrued, instalments, settlements, balance, $4
            FROM statement WHERE run_id = $2 AND tenant_id = $3
            """, [id, runID, provider.uuid, issuedBy])
        return id
    }

    static let documentColumns = """
        d.id, d.run_id, d.tenant_id, t.name, d.state, d.accrued, d.instalments, d.settlements, d.balance, d.items,
        encode(d.content_hash, 'hex'), d.issued_by, to_char(d.issued_at AT TIME ZONE 'Europe/Berlin', 'YYYY-MM-DD HH24:MI:SS'),
        d.withdrawn_by, to_char(d.withdrawn_at AT TIME ZONE 'Europe/Berlin', 'YYYY-MM-DD HH24:MI:SS'), d.withdrawal_reason,
        d.payment_order_id, to_char(d.settled_at AT TIME ZONE 'Europe/Berlin', 'YYYY-MM-DD HH24:MI:SS')
        """

    static func document(_ row: PostgresRow) throws -> StatementDocument {
        guard let state = StatementState(rawValue: try row.decode(4, as: String.self)) else {
            throw PostgresError(code: .decodingFailed, serverMessage: "statement state unknown", operation: "decode")
        }
        return StatementDocument(
            id: try row.decode(0, as: Int64.self), runID: try row.decode(1, as: Int64.self),
            provider: TenantID(try row.decode(2, as: UUID.self)), providerName: try row.decode(3, as: String.self),
            state: state, accrued: Money(cents: try row.decode(5, as: Int64.self)),
            instalments: Money(cents: try row.decode(6, as: Int64.self)),
            settlements: Money(cents: try row.decode(7, as: Int64.self)),
            balance: Money(cents: try row.decode(8, as: Int64.self)), items: try row.decode(9, as: Int.self),
            contentHash: try row.decode(10, as: String.self), issuedBy: try row.decode(11, as: String.self),
            issuedAt: try row.decode(12, as: String.self), withdrawnBy: try row.decode(13, as: String?.self),
            withdrawnAt: try row.decode(14, as: String?.self), withdrawalReason: try row.decode(15, as: String?.self),
            paymentOrderID: try row.decode(16, as: Int64?.self), settledAt: try row.decode(17, as: String?.self))
    }

    /// Issued statements the caller sees (of one provider, one run), newest first, at most a thousand.
    public static func documents(
        _ tx: TenantTransaction, provider: TenantID?, runID: Int64?
    ) async throws -> [StatementDocument] {
        try await tx.query(
            """
            SELECT \(documentColumns) FROM statement_document d JOIN tenant t ON t.id = d.tenant_id
            WHERE ($1::uuid IS NULL OR d.tenant_id = $1) AND ($2::bigint IS NULL OR d.run_id = $2)
            ORDER BY d.id DESC LIMIT 1000
            """, [provider?.uuid, runID]
        ).map(document)
    }

    public static func document(_ tx: TenantTransaction, id: Int64) async throws -> StatementDocument? {
        try await tx.query(
            "SELECT \(documentColumns) FROM statement_document d JOIN tenant t ON t.id = d.tenant_id WHERE d.id = $1",
            [id]
        ).first.map(document)
    }

    /// The live (issued or settled) statement of a run and provider, if any.
    public static func live(
        _ tx: TenantTransaction, runID: Int64, provider: TenantID
    ) async throws -> StatementDocument? {
        try await tx.query(
            """
            SELECT \(documentColumns) FROM statement_document d JOIN tenant t ON t.id = d.tenant_id
            WHERE d.run_id = $1 AND d.tenant_id = $2 AND d.state <> 'withdrawn'
            """, [runID, provider.uuid]
        ).first.map(document)
    }

    /// The frozen items of an issued statement, in the order drafts have.
    public static func documentItems(_ tx: TenantTransaction, id: Int64) async throws -> [StatementItem] {
        try await tx.query(
            """
            SELECT \(itemColumns) FROM statement_document_item i JOIN tenant t ON t.id = i.tenant_id
            WHERE i.statement_id = $1 \(itemOrder)
            """, [id]
        ).map(item)
    }

    /// Withdraws an issued statement; false when it is not (any longer) issued.
    public static func withdraw(
        _ tx: TenantTransaction, id: Int64, by actor: String, reason: String
    ) async throws -> Bool {
        try await tx.execute(
            """
            UPDATE statement_document SET state = 'withdrawn', withdrawn_by = $2, withdrawn_at = now(), withdrawal_reason = $3
            WHERE id = $1 AND state = 'issued'
            """, [id, actor, reason]) == 1
    }

    /// Marks the run's issued statement of the provider settled by its approved order.
    public static func markSettled(
        _ tx: TenantTransaction, runID: Int64, provider: TenantID, orderID: Int64
    ) async throws -> Bool {
        try await tx.execute(
            """
            UPDATE statement_document SET state = 'settled', payment_order_id = $3, settled_at = now()
            WHERE run_id = $1 AND tenant_id = $2 AND state = 'issued'
            """, [runID, provider.uuid, orderID]) == 1
    }

    // MARK: Retention

    /// Prunes nightly runs older than `keepDays` that nothing refers to (sql/0022); returns how many.
    public static func pruneNightlyRuns(_ tx: TenantTransaction, keepDays: Int) async throws -> Int {
        try await tx.query("SELECT prune_nightly_runs($1)", [keepDays]).single().decode(0, as: Int.self)
    }
}
