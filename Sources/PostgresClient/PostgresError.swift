/// An error from the database layer.
///
/// Its `description` is deliberately generic ("database error: unique violation"), so that it can be
/// shown to a client without leaking server text, table contents or another tenant's values.
/// `String(reflecting:)` gives what logs may carry (SQLSTATE, constraint, the server's message without
/// row values); the server's detail stays in `serverDetail` and is never logged.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is, independent of the server's wording.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case connectionFailed = "connection failed"
            case connectionLost = "connection lost"
            case serverError = "server error"
            case decodingFailed = "decoding failed"
            case poolTimeout = "connection pool timeout"
            case poolClosed = "connection pool closed"
            case copyFailed = "copy failed"
            case protocolViolation = "unexpected reply"
            case invalidUsage = "invalid use of the database client"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The server could not be reached or refused the login.
        public static let connectionFailed = Code(.connectionFailed)
        /// The connection broke while in use (server restart, network).
        public static let connectionLost = Code(.connectionLost)
        /// The server rejected a statement; see `sqlState`.
        public static let serverError = Code(.serverError)
        /// A value could not be decoded into the requested Swift type.
        public static let decodingFailed = Code(.decodingFailed)
        /// No pooled connection became free in time.
        public static let poolTimeout = Code(.poolTimeout)
        /// The pool has been shut down.
        public static let poolClosed = Code(.poolClosed)
        /// A `COPY` stream failed.
        public static let copyFailed = Code(.copyFailed)
        /// libpq returned something the client did not expect.
        public static let protocolViolation = Code(.protocolViolation)
        /// The API was used in a way it does not allow (e.g. tenant context outside a transaction).
        public static let invalidUsage = Code(.invalidUsage)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// The five-character SQLSTATE, when the server sent one.
    public var sqlState: SQLState?
    /// The violated constraint, when the server named one.
    public var constraintName: String?
    /// The table, column and schema named by the server, if any.
    public var tableName: String?
    public var columnName: String?
    /// Server message, detail and hint. Never shown to clients: it may quote row values.
    public var serverMessage: String?
    public var serverDetail: String?
    public var serverHint: String?
    /// What the client was doing, e.g. "query", "connect", "copy", "begin".
    public var operation: String

    public init(
        code: Code, sqlState: SQLState? = nil, constraintName: String? = nil, tableName: String? = nil,
        columnName: String? = nil, serverMessage: String? = nil, serverDetail: String? = nil,
        serverHint: String? = nil, operation: String
    ) {
        self.code = code
        self.sqlState = sqlState
        self.constraintName = constraintName
        self.tableName = tableName
        self.columnName = columnName
        self.serverMessage = serverMessage
        self.serverDetail = serverDetail
        self.serverHint = serverHint
        self.operation = operation
    }

    /// Generic text, safe for clients.
    public var description: String {
        if let sqlState { return "database error: \(sqlState.generalDescription)" }
        return "database error: \(code)"
    }

    /// What the logs get: where it failed and which rule, never a value of a row. The server's detail
    /// ("Failing row contains (…)", "Key (case_key)=(…) already exists") quotes row values and is left
    /// out; so is the message of a data exception (class 22, e.g. "invalid input syntax …: "<value>"").
    /// Never send this to a client either: it names tables and constraints.
    public var debugDescription: String {
        var parts = ["PostgresError(\(code)", "operation: \(operation)"]
        if let sqlState { parts.append("sqlState: \(sqlState.rawValue)") }
        if let constraintName { parts.append("constraint: \(constraintName)") }
        if let tableName { parts.append("table: \(tableName)") }
        if let columnName { parts.append("column: \(columnName)") }
        if let serverMessage, !(sqlState?.rawValue.hasPrefix("22") ?? false) {
            parts.append("message: \(serverMessage)")
        }
        if let serverHint { parts.append("hint: \(serverHint)") }
        return parts.joined(separator: ", ") + ")"
    }

    /// True when the whole transaction may be retried as is (serialization failure, deadlock).
    public var isTransient: Bool {
        sqlState == .serializationFailure || sqlState == .deadlockDetected
    }

    /// True when the connection is unusable afterwards.
    public var isConnectionLevel: Bool {
        code == .connectionLost || code == .connectionFailed
            || (sqlState.map { $0.rawValue.hasPrefix("08") || $0.rawValue.hasPrefix("57P") } ?? false)
    }
}

/// A SQLSTATE code (PostgreSQL Appendix A). Compare against the named constants.
public struct SQLState: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let uniqueViolation = SQLState(rawValue: "23505")
    public static let foreignKeyViolation = SQLState(rawValue: "23503")
    public static let notNullViolation = SQLState(rawValue: "23502")
    public static let checkViolation = SQLState(rawValue: "23514")
    public static let exclusionViolation = SQLState(rawValue: "23P01")
    public static let insufficientPrivilege = SQLState(rawValue: "42501")
    public static let serializationFailure = SQLState(rawValue: "40001")
    public static let deadlockDetected = SQLState(rawValue: "40P01")
    public static let raiseException = SQLState(rawValue: "P0001")
    public static let invalidTextRepresentation = SQLState(rawValue: "22P02")
    public static let numericValueOutOfRange = SQLState(rawValue: "22003")
    public static let invalidDatetimeFormat = SQLState(rawValue: "22007")
    public static let datetimeFieldOverflow = SQLState(rawValue: "22008")
    public static let badCopyFileFormat = SQLState(rawValue: "22P04")
    public static let queryCanceled = SQLState(rawValue: "57014")
    public static let adminShutdown = SQLState(rawValue: "57P01")
    public static let undefinedTable = SQLState(rawValue: "42P01")
    public static let lockNotAvailable = SQLState(rawValue: "55P03")

    public var description: String { rawValue }

    /// A wording by class, free of server text.
    public var generalDescription: String {
        switch self {
        case .uniqueViolation: return "unique violation"
        case .foreignKeyViolation: return "reference violation"
        case .notNullViolation: return "missing value"
        case .checkViolation: return "check violation"
        case .insufficientPrivilege: return "not permitted"
        case .serializationFailure: return "serialization failure"
        case .deadlockDetected: return "deadlock"
        case .queryCanceled: return "statement canceled"
        default: break
        }
        switch rawValue.prefix(2) {
        case "08": return "connection problem"
        case "22": return "invalid data"
        case "23": return "integrity violation"
        case "25", "40": return "transaction problem"
        case "42": return "invalid statement"
        case "53", "54": return "server resources exhausted"
        case "57": return "server unavailable"
        case "P0": return "rejected by a rule"
        default: return "SQLSTATE \(rawValue)"
        }
    }
}
