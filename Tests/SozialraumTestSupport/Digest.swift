import PostgresClient

extension PostgresConnection {
    /// sha256 of `text` (UTF-8) in lower-case hex, as docs/statements.md's recipe computes it, by the server
    /// the test runs against (the same function any provider's tool would call).
    public func sha256Hex(_ text: String) async throws -> String {
        try await query(PostgresQuery(unsafeSQL: "SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')", [text]))
            .single().decode(0, as: String.self)
    }
}
