import Foundation
import SozialraumDomain
import SozialraumServices
import SozialraumTestSupport
import Testing

/// Pinning the portal's client certificates over the socket (issue 32, item 5): a county holder of `accounts`
/// pins and unpins, audited; a retry is DUPLICATE or NOT_FOUND and changes nothing; an account without the right
/// and a provider are refused; a malformed fingerprint is INVALID; the auditor reads the pins, a provider
/// reads none of another's.
@Suite struct PortalCertificateSocketTests {
    @Test(.timeLimit(.minutes(2))) func theCountyPinsAndUnpinsAProvidersCertificate() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let it = try await admin.client(countyAccount: "kontenpflege", rights: [.accounts])
        let clerk = try await admin.client(loggedInAs: "anordnung")
        let auditor = try await admin.client(loggedInAs: "pruefer")
        let alpha = try await admin.client(loggedInAs: "alpha")
        // As `openssl x509 -fingerprint -sha256` prints it: upper case, colons.
        let printed = (0..<32).map { String(format: "%02X", $0 * 7 % 256) }.joined(separator: ":")
        let stored = printed.lowercased().replacingOccurrences(of: ":", with: "")
        let alphaID = admin.world.alpha.tenant.description

        #expect(
            await clerk.request("portal-certificate-pin \(alphaID) \(printed) label=PC")?.status
                == "ERR FORBIDDEN not allowed: pinning portal certificates needs the right accounts")
        #expect(
            await alpha.request("portal-certificate-pin \(alphaID) \(printed) label=PC")?.status.hasPrefix("ERR")
                == true)
        #expect(
            await it.request("portal-certificate-pin \(alphaID) AB:CD label=PC")?.status
                == "ERR INVALID invalid fingerprint: 64 hexadecimal digits (SHA-256), colons allowed")
        let pin = "portal-certificate-pin \(alphaID) \(printed) label=\"Buchhaltung PC 1\""
        #expect(
            await it.request(pin)?.status
                == "OK certificate Buchhaltung PC 1 pinned: portal logins only with a pinned one from now on")
        #expect(
            await it.request(pin)?.status == "ERR DUPLICATE already recorded: certificate pinned to this tenant")

        let listed = await auditor.request("portal-certificates \(alphaID) format=csv")
        #expect(listed?.status == "OK 1 certificates")
        #expect(
            listed?.data.dropFirst().first?.hasPrefix("\(alphaID),\(stored),Buchhaltung PC 1,kontenpflege,") == true)
        #expect(
            await auditor.request("portal-certificates \(admin.world.beta.tenant.description)")?.status
                == "OK 0 certificates")
        #expect(await alpha.request("portal-certificates")?.status.hasPrefix("ERR") == true)

        #expect(await it.request("portal-certificate-unpin \(alphaID) \(stored)")?.status == "OK certificate unpinned")
        #expect(
            await it.request("portal-certificate-unpin \(alphaID) \(stored)")?.status
                == "ERR NOT_FOUND unknown pinned certificate")
        #expect(await auditor.request("portal-certificates")?.status == "OK 0 certificates")
        let audit = await auditor.request("audit format=csv")?.data ?? []
        #expect(audit.filter { $0.contains("portal.certificate_pin") }.count == 1)
        #expect(audit.filter { $0.contains("portal.certificate_unpin") }.count == 1)
    }
}
