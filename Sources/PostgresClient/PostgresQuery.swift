/// A statement with `$n` parameters and the values bound to them.
///
/// Written as a string literal, each interpolated value becomes the next parameter: `"… WHERE id = \(id)"`
/// is `… WHERE id = $1` with `id` bound, so a statement binds exactly what it says and no placeholder is
/// counted by hand. Values never become SQL text; there is no way to interpolate text into the statement.
public struct PostgresQuery: Sendable, CustomStringConvertible, ExpressibleByStringInterpolation {
    public var sql: String
    public var binds: [any PostgresEncodable]

    /// A statement whose `$n` placeholders were generated (a multi-row VALUES list) or that is kept as
    /// text for another client too (the benchmark's pgbench script).
    public init(unsafeSQL sql: String, _ binds: [any PostgresEncodable] = []) {
        self.sql = sql
        self.binds = binds
    }

    public init(stringLiteral sql: String) {
        self.init(unsafeSQL: sql)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.init(unsafeSQL: stringInterpolation.sql, stringInterpolation.binds)
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var binds: [any PostgresEncodable] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + 3 * interpolationCount)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) { sql += literal }

        /// The value as the next parameter.
        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            binds.append(value)
            sql += "$\(binds.count)"
        }

        /// An optional value as the next parameter: NULL when nil.
        public mutating func appendInterpolation<Wrapped: PostgresEncodable>(_ value: Wrapped?) {
            binds.append(value)
            sql += "$\(binds.count)"
        }
    }

    /// The statement text only; bound values are never printed.
    public var description: String { sql }
}

/// One row of a result. Values are read on demand from the result it belongs to.
public struct PostgresRow: Sendable {
    let result: PostgresResult
    let index: Int32

    /// Decodes column `column` (0-based) as `T`.
    public func decode<T: PostgresDecodable>(_ column: Int, as type: T.Type = T.self) throws(PostgresError) -> T {
        guard column >= 0, column < result.columnCount else {
            throw PostgresError(code: .decodingFailed, serverMessage: "no column \(column)", operation: "decode")
        }
        let columnType = result.types[column]
        do {
            guard let text = result.text(row: index, column: Int32(column)) else { return try T.decodeNull() }
            return try T.decode(text, type: columnType)
        } catch {
            throw PostgresError(
                code: .decodingFailed, columnName: result.names[column],
                serverMessage: "cannot decode \(columnType) as \(T.self): \(error)", operation: "decode")
        }
    }

    /// Decodes a column holding the raw value of `T` (an enum, a checked code). A value `T` refuses is a
    /// decoding error of that one request, never a crash of the daemon for every tenant.
    public func decode<T: RawRepresentable>(_ column: Int, as type: T.Type = T.self) throws(PostgresError) -> T
    where T.RawValue: PostgresDecodable {
        let raw = try decode(column, as: T.RawValue.self)
        guard let value = T(rawValue: raw) else {
            throw PostgresError(
                code: .decodingFailed, columnName: result.names[column], serverMessage: "not a value of \(T.self)",
                operation: "decode")
        }
        return value
    }

    /// The index of the column named `name`; a name the result has twice (two `id`s of a join, two
    /// unnamed `coalesce`s) is an error, never the first of them: the statement must alias its columns.
    public func column(_ name: String) throws(PostgresError) -> Int {
        guard let column = result.names.firstIndex(of: name) else {
            throw PostgresError(
                code: .decodingFailed, columnName: name, serverMessage: "no such column", operation: "decode")
        }
        guard result.names.lastIndex(of: name) == column else {
            throw PostgresError(
                code: .decodingFailed, columnName: name, serverMessage: "column name not unique", operation: "decode")
        }
        return column
    }

    /// Decodes the column named `name` as `T`.
    public func decode<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws(PostgresError) -> T {
        try decode(column(name), as: type)
    }

    /// Decodes the column named `name` holding the raw value of `T`.
    public func decode<T: RawRepresentable>(_ name: String, as type: T.Type = T.self) throws(PostgresError) -> T
    where T.RawValue: PostgresDecodable {
        try decode(column(name), as: type)
    }

    /// Decodes the only column of a one-column result (`SELECT count(*)`, a function's value).
    public func value<T: PostgresDecodable>(as type: T.Type = T.self) throws(PostgresError) -> T {
        guard result.columnCount == 1 else {
            throw PostgresError(
                code: .decodingFailed, serverMessage: "expected 1 column, got \(result.columnCount)",
                operation: "decode")
        }
        return try decode(0, as: type)
    }

    /// True when the column named `name` holds SQL NULL.
    public func isNull(_ name: String) throws(PostgresError) -> Bool { isNull(try column(name)) }

    /// True when the column holds SQL NULL.
    public func isNull(_ column: Int) -> Bool { result.text(row: index, column: Int32(column)) == nil }
}

/// The rows of a completed statement.
public struct PostgresRows: Sendable, RandomAccessCollection {
    let result: PostgresResult

    public var startIndex: Int { 0 }
    public var endIndex: Int { Int(result.rowCount) }
    public subscript(position: Int) -> PostgresRow { PostgresRow(result: result, index: Int32(position)) }

    /// Column names in order.
    public var columns: [String] { result.names }
    /// Rows affected by INSERT/UPDATE/DELETE/COPY (0 for others).
    public var affectedRows: Int { result.affectedRows }

    /// The only row; throws when there is none or more than one.
    public func single() throws(PostgresError) -> PostgresRow {
        guard count == 1 else {
            throw PostgresError(
                code: .protocolViolation, serverMessage: "expected 1 row, got \(count)",
                operation: "single")
        }
        return self[0]
    }
}
