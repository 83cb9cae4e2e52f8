import SozialraumDomain
import SozialraumStore

/// Client certificates for the portal (issue 32, item 5): the county pins a provider's certificates (or its
/// own); from then on that tenant's accounts log in to the portal only with one of them. Pinning and unpinning
/// need the right `accounts`, like every other change to who may log in, and are audited.
extension AccountService {
    /// The pins: the county's view of every tenant's (or `tenant`'s); an auditor reads them too.
    public func portalCertificates(_ caller: Caller, tenant: TenantID?) async throws -> [PortalCertificate] {
        try caller.require(.county, .auditor, for: "reading portal certificates")
        return try await store.withTenant(caller.tenant, readOnly: true) { tx in
            try await PortalCertificateStore.pins(tx, tenant: tenant)
        }
    }

    /// Pins the certificate with `fingerprint` (SHA-256, as openssl prints it) to `tenant`.
    public func pinPortalCertificate(
        _ caller: Caller, tenant: TenantID, fingerprint: String, label: String
    ) async throws {
        try caller.require(.county, for: "pinning portal certificates")
        try caller.require(.accounts, for: "pinning portal certificates")
        let sha256 = try Self.sha256(fingerprint)
        guard (1...100).contains(label.count) else {
            throw ServiceError.invalid(field: "label", reason: "1 to 100 characters")
        }
        try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                guard
                    try await PortalCertificateStore.pin(
                        tx, tenant: tenant, sha256: sha256, label: label, by: caller.name)
                else { throw ServiceError.duplicate("certificate pinned to this tenant") }
                try await tx.audit(caller, "portal.certificate_pin", "tenant", tenant.description)
            }
        }
    }

    /// Removes a pin; the tenant's accounts log in without a certificate once it has none left.
    public func unpinPortalCertificate(_ caller: Caller, tenant: TenantID, fingerprint: String) async throws {
        try caller.require(.county, for: "unpinning portal certificates")
        try caller.require(.accounts, for: "unpinning portal certificates")
        let sha256 = try Self.sha256(fingerprint)
        try await ServiceError.translating {
            try await store.withTenant(caller.tenant) { tx in
                guard try await PortalCertificateStore.unpin(tx, tenant: tenant, sha256: sha256) else {
                    throw ServiceError.notFound("pinned certificate")
                }
                try await tx.audit(caller, "portal.certificate_unpin", "tenant", tenant.description)
            }
        }
    }

    /// A fingerprint as typed (openssl's `AB:CD:…` or plain hex), in the stored form.
    static func sha256(_ fingerprint: String) throws(ServiceError) -> String {
        guard let sha256 = PortalCertificate.fingerprint(fingerprint) else {
            throw .invalid(field: "fingerprint", reason: "64 hexadecimal digits (SHA-256), colons allowed")
        }
        return sha256
    }
}
