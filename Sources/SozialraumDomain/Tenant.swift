#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Identifies a tenant: the county (öffentlicher Träger) or one freier Träger.
public struct TenantID: Hashable, Sendable, CustomStringConvertible {
    public let uuid: UUID
    public init(_ uuid: UUID) { self.uuid = uuid }
    public init?(_ text: String) {
        guard let uuid = UUID(uuidString: text) else { return nil }
        self.uuid = uuid
    }
    public var description: String { uuid.uuidString.lowercased() }
}

/// What kind of tenant: the county sees everything; a provider only its own rows.
public enum TenantKind: String, Sendable, CaseIterable {
    /// Landkreis (Jugendamt, ASD, finance).
    case county
    /// Freier Träger (independent provider).
    case provider
}

/// The language of the texts people read at the admin socket and in the client (issue 32): German, the
/// county's default, or English. Codes, status words and machine formats are the same in both.
public enum Language: String, Sendable, CaseIterable {
    case de
    case en
}

/// What a person at the admin socket may do.
public enum Role: String, Sendable, CaseIterable {
    /// County IT: operations, no budget data.
    case `operator`
    /// County accountant or controller: sets budgets, grants, closes periods.
    case county
    /// A Träger's accountant: its own deliveries, expenses and statements.
    case provider
    /// Read-only, county-wide.
    case auditor
    /// Datenschutzbeauftragte (the data-protection officer): reads the access log, erasure orders, legal holds
    /// and restricted cases; restricts and lifts restrictions. No budget data.
    case dpo

    /// Whether a person of this role may act for a tenant of `kind`: a provider's accountant for a
    /// provider, everyone else for the county.
    public func fits(_ kind: TenantKind) -> Bool { (self == .provider) == (kind == .provider) }
}

/// A tenant as stored: the county or a freier Träger, with its display name.
public struct TenantRecord: Sendable, Equatable {
    public var id: TenantID
    public var kind: TenantKind
    public var name: String

    public init(id: TenantID, kind: TenantKind, name: String) {
        self.id = id
        self.kind = kind
        self.name = name
    }
}

/// What a provider sees of a Sozialraum it shares with other providers (Sicht der Träger), chosen by the
/// county for all commands alike.
public enum ProviderView: String, Sendable, CaseIterable {
    /// The Sozialraum's totals (funds, reconciliation results, chart), never another provider's own rows.
    case sozialraumTotals = "totals"
    /// Its own spending only; the Sozialraum's reconciliation results are not shown.
    case ownFigures = "own"
}
