/// A client certificate pinned to a tenant for the Trägerportal (Client-Zertifikat, issue 32, item 5): once a
/// tenant has one, its accounts log in to the portal only with one of its certificates. Named by the SHA-256
/// of the certificate's DER form.
public struct PortalCertificate: Sendable, Equatable {
    public var tenant: TenantID
    /// Lower-case hexadecimal, 64 digits.
    public var sha256: String
    /// What the county calls it (`Buchhaltung PC 2`).
    public var label: String
    public var addedBy: String
    public var addedAt: String

    public init(tenant: TenantID, sha256: String, label: String, addedBy: String, addedAt: String) {
        self.tenant = tenant
        self.sha256 = sha256
        self.label = label
        self.addedBy = addedBy
        self.addedAt = addedAt
    }

    /// A fingerprint as openssl prints it (`AB:CD:…`, any case) or as 64 plain hexadecimal digits, in the
    /// stored form; nil when it is neither.
    public static func fingerprint(_ text: String) -> String? {
        let digits = text.lowercased().filter { $0 != ":" }
        guard digits.count == 64, digits.allSatisfy({ $0.isHexDigit }) else { return nil }
        return digits
    }
}
