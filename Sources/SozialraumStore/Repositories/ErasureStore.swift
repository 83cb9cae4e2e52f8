import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Erasure orders and legal holds (sql/0034), in the county's context. The database decides which cases
/// are due and carries the erasure out (`erase_ordered_cases`); these are its questions and answers.
public enum ErasureStore {
    /// Proposes an order of every case due under `years` on `day`; nil when none is due.
    public static func propose(
        _ tx: TenantTransaction, years: Int, on day: Day
    ) async throws -> (id: Int64, cases: Int)? {
        try await tx.turnOffJIT()
        try await tx.execute(
            """
            CREATE TEMPORARY TABLE due_case ON COMMIT DROP AS SELECT case_id, last_year FROM cases_due(\(years), \(day))
            """)
        guard
            let row = try await tx.query(
                """
                INSERT INTO erasure_order (tenant_id, years, due_on, cases)
                SELECT \(tx.tenant.uuid), \(years), \(day), count(*) FROM due_case HAVING count(*) > 0
                RETURNING id, cases
                """
            ).first
        else { return nil }
        let id = try row.decode("id", as: Int64.self)
        try await tx.execute(
            "INSERT INTO erasure_order_case (order_id, case_id, last_year) SELECT \(id), case_id, last_year FROM due_case"
        )
        return (id, try row.decode("cases", as: Int.self))
    }

    /// The order on its way (proposed, certified or ordered), if any.
    public static func openOrder(_ tx: TenantTransaction) async throws -> ErasureOrder? {
        try await tx.query(
            "SELECT * FROM erasure_order_listing WHERE state IN ('proposed', 'certified', 'ordered')"
        ).first.map(order)
    }

    public static func orders(_ tx: TenantTransaction, limit: Int) async throws -> [ErasureOrder] {
        try await tx.query("SELECT * FROM erasure_order_listing ORDER BY id DESC LIMIT \(limit)").map(order)
    }

    public static func order(_ tx: TenantTransaction, id: Int64) async throws -> ErasureOrder? {
        try await tx.query("SELECT * FROM erasure_order_listing WHERE id = \(id)").first.map(order)
    }

    /// The ordered orders not yet done (to carry out, or to resume after a crash).
    public static func orderedIDs(_ tx: TenantTransaction) async throws -> [Int64] {
        try await tx.query("SELECT id FROM erasure_order WHERE state = 'ordered' ORDER BY id").map {
            try $0.decode("id", as: Int64.self)
        }
    }

    /// What an order touches (still due cases, or erased ones), per last year: counts only.
    public static func counts(_ tx: TenantTransaction, orderID: Int64) async throws -> [ErasureCount] {
        try await tx.turnOffJIT()
        return try await tx.query(
            """
            WITH named AS (SELECT case_id, last_year FROM erasure_order_case WHERE order_id = \(orderID)),
            grants AS (SELECT n.last_year, g.id, g.out_of_area_reason IS NOT NULL AS reason
                       FROM named n JOIN grant_decision g ON g.case_id = n.case_id)
            SELECT n.last_year, count(*)::int AS cases,
                   (SELECT count(*) FROM residence r JOIN named m ON m.case_id = r.case_id
                    WHERE m.last_year = n.last_year)::int AS residences,
                   (SELECT count(*) FROM grants g WHERE g.last_year = n.last_year)::int AS grants,
                   (SELECT count(*) FROM statement_document_item i JOIN grants g ON g.id = i.item_id
                    WHERE g.last_year = n.last_year AND i.item = 'grant' AND i.case_key IS NOT NULL)::int AS statement_items,
                   ((SELECT count(*) FROM grants g WHERE g.last_year = n.last_year AND g.reason)
                    + (SELECT count(*) FROM grant_amendment a JOIN grants g ON g.id = a.grant_id
                       WHERE g.last_year = n.last_year AND a.reason <> '(gelöscht)')
                    + (SELECT count(*) FROM finding f JOIN grants g ON g.id = f.grant_id
                       WHERE g.last_year = n.last_year AND f.resolution IS NOT NULL AND f.resolution <> '(gelöscht)'))::int AS texts
            FROM named n GROUP BY n.last_year ORDER BY n.last_year
            """
        ).map { row in
            ErasureCount(
                lastYear: try row.decode("last_year", as: Int.self), cases: try row.decode("cases", as: Int.self),
                residences: try row.decode("residences", as: Int.self), grants: try row.decode("grants", as: Int.self),
                statementItems: try row.decode("statement_items", as: Int.self),
                texts: try row.decode("texts", as: Int.self))
        }
    }

    /// The first signature; false when the order is not (any longer) proposed.
    public static func certify(_ tx: TenantTransaction, id: Int64, by account: String) async throws -> Bool {
        try await tx.execute(
            "UPDATE erasure_order SET state = 'certified', certified_by = \(account) WHERE id = \(id) AND state = 'proposed'"
        ) == 1
    }

    /// The second signature; false when the order is not (any longer) certified.
    public static func order(_ tx: TenantTransaction, id: Int64, by account: String) async throws -> Bool {
        try await tx.execute(
            "UPDATE erasure_order SET state = 'ordered', decided_by = \(account) WHERE id = \(id) AND state = 'certified'"
        ) == 1
    }

    /// Rejects a proposed or certified order; false when it is decided already.
    public static func reject(
        _ tx: TenantTransaction, id: Int64, by account: String, reason: String
    ) async throws -> Bool {
        try await tx.execute(
            """
            UPDATE erasure_order SET state = 'rejected', decided_by = \(account), decision_reason = \(reason)
            WHERE id = \(id) AND state IN ('proposed', 'certified')
            """) == 1
    }

    /// Carries out up to `batch` cases of an ordered order (the database's function, in this transaction).
    public static func eraseBatch(_ tx: TenantTransaction, orderID: Int64, batch: Int) async throws -> ErasureProgress {
        let row = try await tx.query("SELECT erased, kept, remaining FROM erase_ordered_cases(\(orderID), \(batch))")
            .single()
        return ErasureProgress(
            erased: try row.decode("erased", as: Int.self), kept: try row.decode("kept", as: Int.self),
            remaining: try row.decode("remaining", as: Int.self))
    }

    // MARK: Legal holds

    /// Places a hold; false when the case has an open one.
    public static func placeHold(
        _ tx: TenantTransaction, caseID: UUID, reference: String, by account: String
    ) async throws -> Bool {
        try await tx.execute(
            """
            INSERT INTO case_hold (case_id, reference, placed_by) VALUES (\(caseID), \(reference), \(account))
            ON CONFLICT (case_id) WHERE lifted_at IS NULL DO NOTHING
            """) == 1
    }

    /// Lifts the case's open hold; false when it has none.
    public static func liftHold(_ tx: TenantTransaction, caseID: UUID, by account: String) async throws -> Bool {
        try await tx.execute(
            "UPDATE case_hold SET lifted_by = \(account), lifted_at = now() WHERE case_id = \(caseID) AND lifted_at IS NULL"
        ) == 1
    }

    /// The open holds, by case key.
    public static func openHolds(_ tx: TenantTransaction) async throws -> [LegalHold] {
        try await tx.query(
            """
            SELECT c.case_key, h.reference, h.placed_by, local_time(h.placed_at) AS placed_at
            FROM case_hold h JOIN case_file c ON c.id = h.case_id WHERE h.lifted_at IS NULL ORDER BY c.case_key
            """
        ).map { row in
            LegalHold(
                caseKey: try row.decode("case_key", as: String.self),
                reference: try row.decode("reference", as: String.self),
                placedBy: try row.decode("placed_by", as: String.self),
                placedAt: try row.decode("placed_at", as: String.self))
        }
    }

    private static func order(_ row: PostgresRow) throws -> ErasureOrder {
        guard let state = ErasureOrder.State(rawValue: try row.decode("state", as: String.self)) else {
            throw PostgresError(
                code: .decodingFailed, serverMessage: "erasure order state unknown", operation: "decode")
        }
        return ErasureOrder(
            id: try row.decode("id", as: Int64.self), years: try row.decode("years", as: Int.self),
            dueOn: try row.day("due_on"), cases: try row.decode("cases", as: Int.self), state: state,
            proposedAt: try row.decode("proposed_at", as: String.self),
            certifiedBy: try row.decode("certified_by", as: String?.self),
            decidedBy: try row.decode("decided_by", as: String?.self),
            decisionReason: try row.decode("decision_reason", as: String?.self),
            erased: try row.decode("erased", as: Int.self), kept: try row.decode("kept", as: Int.self),
            finishedAt: try row.decode("finished_at", as: String?.self))
    }
}
