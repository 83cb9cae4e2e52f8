import PostgresClient
import SozialraumDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The Kasse side of payment orders: export batches and the Kasse's confirmations (IST).
extension PaymentOrderStore {
    // MARK: Export batches

    /// The lines of every ordered order not yet exported, in order and booking order, locked against a
    /// concurrent export.
    public static func unexportedLines(_ tx: TenantTransaction) async throws -> [PaymentFile.Line] {
        _ = try await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('sozialraum.payment_export', 0))")
        return try await tx.query(
            """
            SELECT o.id, l.booking_id, o.kassenzeichen, l.year, l.product, l.account, l.cost_centre,
                   coalesce(t.creditor_number, '') AS creditor, t.name, l.amount, o.due_on, o.kind, o.month::text, o.run_id,
                   l.social_space, l.component
            FROM payment_order o JOIN payment_order_line l ON l.order_id = o.id JOIN tenant t ON t.id = o.tenant_id
            WHERE o.state = 'approved' AND o.batch_id IS NULL
            ORDER BY o.id, l.booking_id
            """
        ).map { row in
            PaymentFile.Line(
                order: try row.decode("id", as: Int64.self), booking: try row.decode("booking_id", as: Int64.self),
                kassenzeichen: try row.decode("kassenzeichen", as: String.self),
                year: try row.decode("year", as: Int.self),
                product: try row.decode("product", as: String.self),
                account: try row.decode("account", as: String.self),
                costCentre: try row.decode("cost_centre", as: String.self),
                creditor: try row.decode("creditor", as: String.self),
                payee: try row.decode("name", as: String.self),
                amount: Money(cents: try row.decode("amount", as: Int64.self)),
                due: try row.day("due_on"),
                purpose: PaymentPurpose.text(
                    kind: try row.decode("kind", as: PaymentOrderKind.self),
                    month: try row.decode("month", as: String?.self), run: try row.decode("run_id", as: Int64?.self),
                    socialSpace: try row.decode("social_space", as: String.self),
                    component: try row.decode("component", as: String.self),
                    kassenzeichen: try row.decode("kassenzeichen", as: String.self)))
        }
    }

    public static func nextBatchID(_ tx: TenantTransaction) async throws -> Int64 {
        try await tx.query("SELECT nextval('payment_batch_id_seq')").single().decode("nextval", as: Int64.self)
    }

    /// Stores a batch file under its id and marks its orders exported; a trigger refuses an order in a
    /// second batch.
    public static func insertBatch(
        _ tx: TenantTransaction, county: TenantID, batch: PaymentBatch, orders: [Int64]
    ) async throws {
        _ = try await tx.execute(
            """
            INSERT INTO payment_batch (id, tenant_id, created_by, encoding, orders, total, sha256, content, signature)
            VALUES (\(batch.id), \(county.uuid), \(batch.createdBy), \(batch.encoding.rawValue), \(batch.orders), \(batch.total.cents), \(batch.sha256), \(PostgresBytes(batch.content)), \(batch.signature.map(PostgresBytes.init)))
            """)
        for order in orders {
            _ = try await tx.execute("UPDATE payment_order SET batch_id = \(batch.id) WHERE id = \(order)")
        }
    }

    /// A stored batch file, byte for byte.
    public static func batch(_ tx: TenantTransaction, id: Int64) async throws -> PaymentBatch? {
        try await tx.query(
            """
            SELECT id, local_time(created_at) AS created, created_by, encoding, orders, total, sha256, content, signature
            FROM payment_batch WHERE id = \(id)
            """
        ).first.map { row in
            var batch = PaymentBatch(
                id: try row.decode("id", as: Int64.self), created: try row.decode("created", as: String.self),
                createdBy: try row.decode("created_by", as: String.self),
                encoding: try row.decode("encoding", as: PaymentFile.Encoding.self),
                orders: try row.decode("orders", as: Int.self),
                total: Money(cents: try row.decode("total", as: Int64.self)),
                sha256: try row.decode("sha256", as: String.self),
                content: try row.decode("content", as: PostgresBytes.self).bytes)
            batch.signature = try row.decode("signature", as: PostgresBytes?.self)?.bytes
            return batch
        }
    }

    public static func batches(_ tx: TenantTransaction) async throws -> [PaymentBatch] {
        try await tx.query(
            "SELECT id, local_time(created_at) AS created, created_by, encoding, orders, total, sha256 FROM payment_batch ORDER BY id DESC"
        ).map { row in
            PaymentBatch(
                id: try row.decode("id", as: Int64.self), created: try row.decode("created", as: String.self),
                createdBy: try row.decode("created_by", as: String.self),
                encoding: try row.decode("encoding", as: PaymentFile.Encoding.self),
                orders: try row.decode("orders", as: Int.self),
                total: Money(cents: try row.decode("total", as: Int64.self)),
                sha256: try row.decode("sha256", as: String.self),
                content: [])
        }
    }

    // MARK: The Kasse's confirmations (IST)

    /// An ordered order by its Kassenzeichen: id and amount.
    /// The ordered order of a Kassenzeichen: its id, amount and whether it went to the Kasse in a batch.
    public static func orderedOrder(
        _ tx: TenantTransaction, kassenzeichen: String
    ) async throws -> (id: Int64, amount: Money, exported: Bool)? {
        try await tx.query(
            "SELECT id, amount, batch_id IS NOT NULL AS exported FROM payment_order WHERE kassenzeichen = \(kassenzeichen) AND state = 'approved'"
        ).first.map {
            (
                try $0.decode("id", as: Int64.self), Money(cents: try $0.decode("amount", as: Int64.self)),
                try $0.decode("exported", as: Bool.self)
            )
        }
    }

    /// Serialises imports of one confirmation file (its identity) until the transaction ends: a second,
    /// simultaneous import then sees the first one's lines and is a duplicate.
    public static func lockConfirmationSource(_ tx: TenantTransaction, source: String) async throws {
        _ = try await tx.query("SELECT pg_advisory_xact_lock(hashtextextended(\("confirmations:" + source), 29))")
    }

    /// Whether a confirmation file with one of these SHA-256 (hex) identities was imported.
    public static func confirmationsImported(_ tx: TenantTransaction, sources: [String]) async throws -> Bool {
        try await tx.query(
            "SELECT EXISTS (SELECT 1 FROM payment_receipt WHERE source = ANY (string_to_array(\(sources.joined(separator: ",")), ',')))"
        ).single().value(as: Bool.self)
    }

    public static func insertReceipt(
        _ tx: TenantTransaction, county: TenantID, source: String, line: Int, kassenzeichen: String, order: Int64?,
        amount: Money, valueDate: Day, actor: String
    ) async throws -> Int64 {
        try await tx.query(
            """
            INSERT INTO payment_receipt (tenant_id, source, line, kassenzeichen, order_id, amount, value_date, actor)
            VALUES (\(county.uuid), \(source), \(line), \(kassenzeichen), \(order), \(amount.cents), \(valueDate), \(actor)) RETURNING id
            """
        ).single().decode("id", as: Int64.self)
    }

    /// What the Kasse confirmed for an order so far: the sum and the number of confirmations.
    public static func confirmed(_ tx: TenantTransaction, order: Int64) async throws -> (Money, Int) {
        let row = try await tx.query(
            "SELECT coalesce(sum(amount), 0)::bigint AS paid, count(*)::int AS confirmations FROM payment_receipt WHERE order_id = \(order)"
        ).single()
        return (Money(cents: try row.decode("paid", as: Int64.self)), try row.decode("confirmations", as: Int.self))
    }

    /// A difference between ordered and paid, or an unknown Kassenzeichen, as a finding of the county's.
    public static func recordFinding(
        _ tx: TenantTransaction, county: TenantID, kind: FindingKind, month: YearMonth, amount: Money, receipt: Int64
    ) async throws {
        _ = try await tx.execute(
            """
            INSERT INTO finding (id, tenant_id, kind, month, amount, receipt_id)
            VALUES (gen_random_uuid(), \(county.uuid), \(kind.rawValue), \(month), \(amount.cents), \(receipt))
            """)
    }
}
