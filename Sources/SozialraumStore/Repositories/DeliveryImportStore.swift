import PostgresClient
import SozialraumDomain
import UUIDText

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension DeliveryStore {
    /// A checked and priced delivery of an import, ready to store.
    public struct Imported: Sendable {
        public var id: UUID
        public var grantID: UUID
        public var month: YearMonth
        public var quantity: Quantity
        public var payable: Quantity
        public var cost: Money
        /// Earlier (reversed) deliveries of the grant and month: 0 for the first.
        public var generation: Int
        /// The month the bookings go into: the delivery's own, or for the correction of a closed month
        /// the current open month (rule 11), then with the original booking it corrects.
        public var bookedMonth: YearMonth
        public var corrects: Int64?
        /// The ledger entries of the cost (never empty: a delivery of nothing has one zero entry).
        public var parts: [CostShare]
        public var excess: Quantity
        public var excessCost: Money

        public init(
            id: UUID, grantID: UUID, month: YearMonth, quantity: Quantity, payable: Quantity, cost: Money,
            generation: Int,
            bookedMonth: YearMonth, corrects: Int64?, parts: [CostShare], excess: Quantity, excessCost: Money
        ) {
            self.id = id
            self.grantID = grantID
            self.month = month
            self.quantity = quantity
            self.payable = payable
            self.cost = cost
            self.generation = generation
            self.bookedMonth = bookedMonth
            self.corrects = corrects
            self.parts = parts
            self.excess = excess
            self.excessCost = excessCost
        }
    }

    /// Stores an import's deliveries, their bookings (in file order), the release of their months'
    /// commitments and the findings of their excess, all set-based: PostgreSQL refuses `COPY FROM` into
    /// tables with row-level security, so rows go with COPY into a temporary table (private to this
    /// session, dropped at commit) and from there with `INSERT … SELECT`, which the policies check.
    /// `mark` names each phase for the caller's timing log.
    public static func importDeliveries(
        _ tx: TenantTransaction, _ deliveries: [Imported], provider: TenantID, actor: String, requestID: String?,
        mark: (String) -> Void
    ) async throws -> (bookings: Int, findings: Int, total: Money) {
        var monthText: [YearMonth: String] = [:]
        for item in deliveries {
            for month in [item.month, item.bookedMonth] where monthText[month] == nil {
                monthText[month] = month.firstDay.description
            }
        }
        let tenant = provider.description
        let tenantText = Array(tenant.utf8)
        // COPY is not allowed into tables with row-level security: rows go through a temporary table
        // (private to this session, dropped at commit) and then INSERT ... SELECT, which the policies
        // check. One row per delivery carries its bookings too: the Sozialraum parts of its cost
        // (rule 9), in order (`ordinal`), so that booking numbers follow the file.
        try await tx.execute(
            """
            CREATE TEMPORARY TABLE import_delivery (ordinal int, id uuid, tenant_id uuid, grant_id uuid, month date, quantity bigint,
                payable bigint, cost bigint, generation int, booked_month date, corrects bigint, part_spaces text[],
                part_amounts bigint[]) ON COMMIT DROP
            """)
        var bookings = 0
        var total = Money.zero
        try await tx.copyIn(
            """
            COPY import_delivery (ordinal, id, tenant_id, grant_id, month, quantity, payable, cost, generation, booked_month,
                                  corrects, part_spaces, part_amounts)
            FROM STDIN
            """
        ) { writer in
            // Built as bytes: string interpolation of 100,000 lines cost more than the server's COPY.
            var line: [UInt8] = []
            line.reserveCapacity(256)
            for (ordinal, item) in deliveries.enumerated() {
                let parts = item.parts
                bookings += parts.count
                line.removeAll(keepingCapacity: true)
                line.appendCopyField(ordinal)
                line.appendCopyField(item.id)
                line.appendCopyField(tenantText)
                line.appendCopyField(item.grantID)
                line.appendCopyField(monthText[item.month]!)
                line.appendCopyField(item.quantity.hundredths)
                line.appendCopyField(item.payable.hundredths)
                line.appendCopyField(item.cost.cents)
                line.appendCopyField(item.generation)
                line.appendCopyField(monthText[item.bookedMonth]!)
                if let corrects = item.corrects { line.appendCopyField(corrects) } else { line.appendCopyField("\\N") }
                // Sozialraum codes are [a-z0-9-] (sozialraum.code): safe in array text unquoted.
                line.append(UInt8(ascii: "{"))
                for (index, part) in parts.enumerated() {
                    if index > 0 { line.append(UInt8(ascii: ",")) }
                    line.append(contentsOf: part.socialSpace.rawValue.utf8)
                }
                line.append(contentsOf: "}\t{".utf8)
                for (index, part) in parts.enumerated() {
                    if index > 0 { line.append(UInt8(ascii: ",")) }
                    line.append(contentsOf: String(part.amount.cents).utf8)
                    total = try total + part.amount
                }
                line.append(contentsOf: "}\n".utf8)
                try await writer.write(line)
            }
        }
        mark("copy")
        // Temporary tables have no statistics until analysed; the joins below need them.
        try await tx.execute("ANALYZE import_delivery")
        try await tx.execute(
            """
            INSERT INTO delivery (id, tenant_id, grant_id, month, quantity, payable, cost, generation)
            SELECT id, tenant_id, grant_id, month, quantity, payable, cost, generation FROM import_delivery
            """)
        mark("insert delivery")
        try await tx.query(
            """
            INSERT INTO booking (tenant_id, kind, booked_month, service_month, social_space, component, amount, grant_id,
                                 delivery_id, corrects, actor, request_id)
            SELECT d.tenant_id, 'delivery', d.booked_month, d.month, p.social_space, 'case', p.amount, d.grant_id, d.id, d.corrects, \(actor), \(requestID)
            FROM import_delivery d CROSS JOIN LATERAL unnest(d.part_spaces, d.part_amounts) WITH ORDINALITY AS p(social_space, amount, part)
            ORDER BY d.ordinal, p.part
            """)
        mark("insert booking")
        // Rule 7: release the delivered months' commitments (and mark months that had none).
        try await tx.execute(
            "UPDATE commitment c SET released = true FROM import_delivery d WHERE c.grant_id = d.grant_id AND c.month = d.month AND NOT c.released"
        )
        try await tx.execute(
            """
            INSERT INTO commitment (tenant_id, grant_id, month, social_space, amount, released)
            SELECT g.tenant_id, d.grant_id, d.month, (SELECT r.social_space FROM residence r WHERE r.case_id = g.case_id
                                                       ORDER BY r.valid_from LIMIT 1), 0, true
            FROM import_delivery d JOIN grant_decision g ON g.id = d.grant_id
            WHERE NOT EXISTS (SELECT 1 FROM commitment c WHERE c.grant_id = d.grant_id AND c.month = d.month)
            """)
        mark("commitments")
        let excessive = deliveries.filter { $0.excess.hundredths > 0 }
        if !excessive.isEmpty {
            try await tx.execute(
                """
                CREATE TEMPORARY TABLE import_finding (id uuid, tenant_id uuid, kind text, month date, grant_id uuid,
                    delivery_id uuid, quantity bigint, amount bigint) ON COMMIT DROP
                """)
            try await tx.copyIn("COPY import_finding FROM STDIN") { writer in
                for item in excessive {
                    try await writer.write(
                        "\(UUID())\t\(tenant)\tdelivery_over_grant\t\(item.month.firstDay)\t\(item.grantID)\t\(item.id)\t\(item.excess.hundredths)\t\(item.excessCost.cents)\n"
                    )
                }
            }
            try await tx.execute(
                "INSERT INTO finding (id, tenant_id, kind, month, grant_id, delivery_id, quantity, amount) SELECT * FROM import_finding"
            )
        }
        return (bookings, excessive.count, total)
    }
}

/// Fields of a line in COPY's text format, each followed by a tab. Only values that need no
/// escaping (numbers, UUIDs, dates, codes) are written this way.
extension [UInt8] {
    mutating func appendCopyField(_ bytes: [UInt8]) {
        append(contentsOf: bytes)
        append(UInt8(ascii: "\t"))
    }

    mutating func appendCopyField(_ text: String) {
        append(contentsOf: text.utf8)
        append(UInt8(ascii: "\t"))
    }

    mutating func appendCopyField(_ number: some BinaryInteger) {
        append(contentsOf: String(number).utf8)
        append(UInt8(ascii: "\t"))
    }

    mutating func appendCopyField(_ id: UUID) {
        appendHyphenated(id)
        append(UInt8(ascii: "\t"))
    }
}
