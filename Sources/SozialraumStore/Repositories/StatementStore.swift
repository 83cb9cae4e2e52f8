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
    // The items are derived by `statement_items_as_of` (sql/0024): one derivation for drafts, issuing and
    // the benchmark's baseline. Items are shown by provider, kind, case key and id (a total order: the same
    // bytes every time).

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
                "SELECT first_month, last_month, ledger_position, change_position FROM reconciliation_run WHERE id = \(runID)"
            ).first
        else { return nil }
        return RunPositions(
            first: try row.day("first_month").yearMonth, last: try row.day("last_month").yearMonth,
            position: try row.decode("ledger_position", as: Int64.self),
            changePosition: try row.decode("change_position", as: Int64?.self))
    }

    /// The draft items of a run (all providers the caller sees, or one), derived at the run's positions.
    public static func draftItems(
        _ tx: TenantTransaction, runID: Int64, provider: TenantID?
    ) async throws -> [StatementItem] {
        guard let run = try await positions(tx, runID: runID) else { return [] }
        let rows: PostgresRows
        if let changePosition = run.changePosition {
            try await tx.turnOffJIT()
            rows = try await tx.query(
                """
                SELECT t.name, i.item, i.item_id, coalesce(i.case_key, '') AS case_key, coalesce(i.help_type, '') AS help_type,
                       coalesce(i.unit, '') AS unit, coalesce(i.social_space, '') AS social_space, i.granted, i.delivered,
                       i.payable, i.cost
                FROM statement_items_as_of(\(run.first), \(run.last), \(run.position), \(changePosition), \(provider?.uuid)) i JOIN tenant t ON t.id = i.tenant_id
                ORDER BY t.name, i.item, i.case_key, i.item_id
                """)
        } else {
            // A run before sql/0022: the items it stored.
            rows = try await tx.query(
                """
                SELECT t.name, i.item, i.item_id, coalesce(i.case_key, '') AS case_key, coalesce(i.help_type, '') AS help_type,
                       coalesce(i.unit, '') AS unit, coalesce(i.social_space, '') AS social_space, i.granted, i.delivered,
                       i.payable, i.cost
                FROM legacy_statement_item i JOIN tenant t ON t.id = i.tenant_id
                WHERE i.run_id = \(runID) AND (\(provider?.uuid)::uuid IS NULL OR i.tenant_id = \(provider?.uuid))
                ORDER BY t.name, i.item, i.case_key, i.item_id
                """)
        }
        return try rows.map(item)
    }

    static func item(_ row: PostgresRow) throws -> StatementItem {
        StatementItem(
            providerName: try row.decode("name", as: String.self), item: try row.decode("item", as: String.self),
            id: try row.decode("item_id", as: UUID.self),
            caseKey: try row.decode("case_key", as: String.self),
            helpType: try row.decode("help_type", as: String.self),
            unit: try row.decode("unit", as: String.self), socialSpace: try row.decode("social_space", as: String.self),
            granted: try row.decode("granted", as: Int64?.self).map(Quantity.init(hundredths:)),
            delivered: try row.decode("delivered", as: Int64?.self).map(Quantity.init(hundredths:)),
            payable: try row.decode("payable", as: Int64?.self).map(Quantity.init(hundredths:)),
            cost: Money(cents: try row.decode("cost", as: Int64.self)))
    }

    // MARK: Issued statements

    /// Whether the run has statement figures for the provider (a provider without cost or payments in the
    /// scope has none).
    public static func hasFigures(_ tx: TenantTransaction, runID: Int64, provider: TenantID) async throws -> Bool {
        try await tx.query("SELECT 1 FROM statement WHERE run_id = \(runID) AND tenant_id = \(provider.uuid)")
            .count > 0
    }

    /// Issues the provider's statement of a run: its items, derived at the run's positions, are stored
    /// once, then the document, which the database counts and hashes (sql/0022). Returns its id; nil when
    /// the caller sees no such run.
    public static func issue(
        _ tx: TenantTransaction, runID: Int64, provider: TenantID, issuedBy: String
    ) async throws -> Int64? {
        guard let run = try await positions(tx, runID: runID) else { return nil }
        let id = try await tx.query("SELECT nextval(pg_get_serial_sequence('statement_document', 'id'))")
            .single().decode("nextval", as: Int64.self)
        if let changePosition = run.changePosition {
            try await tx.turnOffJIT()
            try await tx.execute(
                "INSERT INTO statement_document_item SELECT \(id), i.* FROM statement_items_as_of(\(run.first), \(run.last), \(run.position), \(changePosition), \(provider.uuid)) i"
            )
        } else {
            try await tx.execute(
                """
                INSERT INTO statement_document_item
                SELECT \(id), tenant_id, item, item_id, case_key, help_type, unit, social_space, granted, delivered,
                       payable, cost
                FROM legacy_statement_item WHERE run_id = \(runID) AND tenant_id = \(provider.uuid)
                """)
        }
        try await tx.execute(
            """
            INSERT INTO statement_document (id, tenant_id, run_id, accrued, instalments, settlements, balance, issued_by)
            SELECT \(id), tenant_id, run_id, accrued, instalments, settlements, balance, \(issuedBy)
            FROM statement WHERE run_id = \(runID) AND tenant_id = \(provider.uuid)
            """)
        return id
    }

    static func document(_ row: PostgresRow) throws -> StatementDocument {
        guard let state = StatementState(rawValue: try row.decode("state", as: String.self)) else {
            throw PostgresError(code: .decodingFailed, serverMessage: "statement state unknown", operation: "decode")
        }
        return StatementDocument(
            id: try row.decode("id", as: Int64.self), runID: try row.decode("run_id", as: Int64.self),
            provider: TenantID(try row.decode("tenant_id", as: UUID.self)),
            providerName: try row.decode("provider_name", as: String.self),
            state: state, accrued: Money(cents: try row.decode("accrued", as: Int64.self)),
            instalments: Money(cents: try row.decode("instalments", as: Int64.self)),
            settlements: Money(cents: try row.decode("settlements", as: Int64.self)),
            balance: Money(cents: try row.decode("balance", as: Int64.self)),
            items: try row.decode("items", as: Int.self),
            contentHash: try row.decode("content_hash", as: String.self),
            issuedBy: try row.decode("issued_by", as: String.self),
            issuedAt: try row.decode("issued_at", as: String.self),
            withdrawnBy: try row.decode("withdrawn_by", as: String?.self),
            withdrawnAt: try row.decode("withdrawn_at", as: String?.self),
            withdrawalReason: try row.decode("withdrawal_reason", as: String?.self),
            paymentOrderID: try row.decode("payment_order_id", as: Int64?.self),
            settledAt: try row.decode("settled_at", as: String?.self))
    }

    /// Issued statements the caller sees (of one provider, one run), newest first, at most a thousand.
    public static func documents(
        _ tx: TenantTransaction, provider: TenantID?, runID: Int64?
    ) async throws -> [StatementDocument] {
        try await tx.query(
            """
            SELECT * FROM statement_document_listing
            WHERE (\(provider?.uuid)::uuid IS NULL OR tenant_id = \(provider?.uuid)) AND (\(runID)::bigint IS NULL OR run_id = \(runID))
            ORDER BY id DESC LIMIT 1000
            """
        ).map(document)
    }

    public static func document(_ tx: TenantTransaction, id: Int64) async throws -> StatementDocument? {
        try await tx.query(
            "SELECT * FROM statement_document_listing WHERE id = \(id)"
        ).first.map(document)
    }

    /// The live (issued or settled) statement of a run and provider, if any.
    public static func live(
        _ tx: TenantTransaction, runID: Int64, provider: TenantID
    ) async throws -> StatementDocument? {
        try await tx.query(
            """
            SELECT * FROM statement_document_listing WHERE run_id = \(runID) AND tenant_id = \(provider.uuid) AND state <> 'withdrawn'
            """
        ).first.map(document)
    }

    /// The frozen items of an issued statement, in the order drafts have.
    public static func documentItems(_ tx: TenantTransaction, id: Int64) async throws -> [StatementItem] {
        try await tx.query(
            """
            SELECT t.name, i.item, i.item_id, coalesce(i.case_key, '') AS case_key, coalesce(i.help_type, '') AS help_type,
                   coalesce(i.unit, '') AS unit, coalesce(i.social_space, '') AS social_space, i.granted, i.delivered, i.payable, i.cost,
                   i.item_hash
            FROM statement_document_item_listing i JOIN tenant t ON t.id = i.tenant_id
            WHERE i.statement_id = \(id) ORDER BY t.name, i.item, i.case_key, i.item_id
            """
        ).map { row in
            var frozen = try Self.item(row)
            frozen.itemHash = try row.decode("item_hash", as: String.self)
            return frozen
        }
    }

    /// Withdraws an issued statement; false when it is not (any longer) issued.
    public static func withdraw(
        _ tx: TenantTransaction, id: Int64, by actor: String, reason: String
    ) async throws -> Bool {
        try await tx.execute(
            """
            UPDATE statement_document SET state = 'withdrawn', withdrawn_by = \(actor), withdrawn_at = now(), withdrawal_reason = \(reason)
            WHERE id = \(id) AND state = 'issued'
            """) == 1
    }

    /// Marks the run's issued statement of the provider settled by its approved order.
    public static func markSettled(
        _ tx: TenantTransaction, runID: Int64, provider: TenantID, orderID: Int64
    ) async throws -> Bool {
        try await tx.execute(
            """
            UPDATE statement_document SET state = 'settled', payment_order_id = \(orderID), settled_at = now()
            WHERE run_id = \(runID) AND tenant_id = \(provider.uuid) AND state = 'issued'
            """) == 1
    }

    // MARK: Retention

    /// Prunes nightly runs older than `keepDays` that nothing refers to (sql/0022); returns how many.
    public static func pruneNightlyRuns(_ tx: TenantTransaction, keepDays: Int) async throws -> Int {
        try await tx.query("SELECT prune_nightly_runs(\(keepDays))").single().decode(
            "prune_nightly_runs", as: Int.self)
    }
}
