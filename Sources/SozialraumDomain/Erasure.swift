/// An erasure order (Löschanordnung, issue 31): the cases whose link to a person is due under the county's
/// deletion rule, proposed by the scheduled job, certified by one holder of the right `erase` and ordered by
/// a second (four eyes), then carried out in batches by the database (sql/0034).
public struct ErasureOrder: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        case proposed, certified, ordered, rejected, done
    }

    public var id: Int64
    /// The deletion rule applied (`retention.caseLinkYears`) and the day it was applied on.
    public var years: Int
    public var dueOn: Day
    /// Cases named when proposed; erased and kept (no longer due when carried out) so far.
    public var cases: Int
    public var state: State
    public var proposedAt: String
    public var certifiedBy: String?
    public var decidedBy: String?
    public var decisionReason: String?
    public var erased: Int
    public var kept: Int
    public var finishedAt: String?

    public init(
        id: Int64, years: Int, dueOn: Day, cases: Int, state: State, proposedAt: String, certifiedBy: String?,
        decidedBy: String?, decisionReason: String?, erased: Int, kept: Int, finishedAt: String?
    ) {
        self.id = id
        self.years = years
        self.dueOn = dueOn
        self.cases = cases
        self.state = state
        self.proposedAt = proposedAt
        self.certifiedBy = certifiedBy
        self.decidedBy = decidedBy
        self.decisionReason = decisionReason
        self.erased = erased
        self.kept = kept
        self.finishedAt = finishedAt
    }
}

/// What an erasure order touches, per last year of its cases and kind of data: counts only, never a key
/// (what the signers certify and what the job reports and logs).
public struct ErasureCount: Sendable, Equatable {
    /// The cases' last year (of their bookings, grants' ends, first residence).
    public var lastYear: Int
    public var cases: Int
    public var residences: Int
    public var grants: Int
    /// Items of issued statements whose case key is redacted.
    public var statementItems: Int
    /// Free texts replaced: out-of-area reasons, amendment reasons, findings' resolutions.
    public var texts: Int

    public init(lastYear: Int, cases: Int, residences: Int, grants: Int, statementItems: Int, texts: Int) {
        self.lastYear = lastYear
        self.cases = cases
        self.residences = residences
        self.grants = grants
        self.statementItems = statementItems
        self.texts = texts
    }
}

/// What carrying out (a batch of) an erasure order did.
public struct ErasureProgress: Sendable, Equatable {
    public var erased: Int
    /// No longer due when carried out (a legal hold placed, a booking since): kept, not erased.
    public var kept: Int
    /// Cases of the order still to carry out.
    public var remaining: Int

    public init(erased: Int, kept: Int, remaining: Int) {
        self.erased = erased
        self.kept = kept
        self.remaining = remaining
    }
}

/// A legal hold (Löschsperre wegen eines Rechtsstreits oder Anspruchs): while open, the case is not erased.
public struct LegalHold: Sendable, Equatable {
    public var caseKey: String
    /// A file reference (Aktenzeichen), one line.
    public var reference: String
    public var placedBy: String
    public var placedAt: String

    public init(caseKey: String, reference: String, placedBy: String, placedAt: String) {
        self.caseKey = caseKey
        self.reference = reference
        self.placedBy = placedBy
        self.placedAt = placedAt
    }
}

/// Why a case is restricted (Einschränkung der Verarbeitung, Art. 18 (1) GDPR; § 84 (3) SGB X).
public enum RestrictionGround: String, Sendable, CaseIterable {
    /// a) its accuracy is contested, until checked.
    case contested
    /// b) processed unlawfully, but the person asks to keep it instead of erasing it.
    case unlawful
    /// c) no longer needed, but kept for legal claims.
    case claims
    /// d) an objection (Art. 21) pending.
    case objection
    /// Kept for a retention duty only (§ 84 (3) SGB X: erasure impossible or disproportionate).
    case retention
}

/// A restriction in force: the case is absent for everyone but the data-protection officer and the auditor.
public struct CaseRestriction: Sendable, Equatable {
    public var caseKey: String
    public var ground: RestrictionGround
    /// A file reference (Aktenzeichen), one line.
    public var reference: String
    public var placedBy: String
    public var placedAt: String

    public init(caseKey: String, ground: RestrictionGround, reference: String, placedBy: String, placedAt: String) {
        self.caseKey = caseKey
        self.ground = ground
        self.reference = reference
        self.placedBy = placedBy
        self.placedAt = placedAt
    }
}

/// One record of an Auskunft (Art. 15 GDPR, § 83 SGB X): everything stored about one case, kind by kind,
/// each as named text fields in a fixed order (amounts and volumes as exact decimals).
public struct CaseExportRecord: Sendable, Equatable {
    /// case, residence, grant, amendment, delivery, booking, finding, statement_item, hold, restriction, access.
    public var kind: String
    public var fields: [Field]

    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String?
        public init(_ name: String, _ value: String?) {
            self.name = name
            self.value = value
        }
    }

    public init(kind: String, fields: [Field]) {
        self.kind = kind
        self.fields = fields
    }
}
