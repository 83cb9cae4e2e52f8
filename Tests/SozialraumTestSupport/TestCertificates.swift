import Foundation

/// A self-signed certificate for `localhost` and 127.0.0.1, made by openssl for the test (as the Kasse or
/// county IT would make a test certificate), valid one day.
public enum TestCertificates {
    public static func make(
        in directory: String = TestScratch.path("tls")
    ) async throws -> (certificate: String, key: String) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let certificate = directory + "/cert.pem", key = directory + "/key.pem"
        let openssl = try Subprocess([
            "/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", "1",
            "-keyout", key, "-out", certificate,
        ])
        var output: [String] = []
        for await line in openssl.lines { output.append(line) }
        guard await openssl.exitStatus() == 0 else {
            throw ScenarioError(description: "openssl failed: \(output.joined(separator: " "))")
        }
        return (certificate, key)
    }

    /// A certificate authority of the county's (as county IT would run one for the providers' client
    /// certificates) and client certificates it signs, by openssl, valid one day.
    public struct Authority: Sendable {
        public let directory: String
        public let certificate: String
        let key: String

        public static func make(in directory: String) async throws -> Authority {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let authority = Authority(
                directory: directory, certificate: directory + "/ca.pem", key: directory + "/ca.key")
            try await openssl([
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj",
                "/CN=Landkreis Test-CA", "-days", "1", "-keyout", authority.key, "-out", authority.certificate,
            ])
            return authority
        }

        /// A client certificate for `name` signed by this authority: its PEM file, its key, and its SHA-256
        /// fingerprint as `openssl x509 -fingerprint -sha256` prints it (`AB:CD:…`).
        public func client(_ name: String) async throws -> (certificate: String, key: String, fingerprint: String) {
            let base = directory + "/" + name
            try await openssl([
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=\(name)",
                "-keyout", base + ".key", "-out", base + ".csr",
            ])
            try await openssl([
                "x509", "-req", "-in", base + ".csr", "-CA", certificate, "-CAkey", key, "-CAcreateserial", "-days",
                "1",
                "-out", base + ".pem",
            ])
            let printed = try await openssl(["x509", "-in", base + ".pem", "-noout", "-fingerprint", "-sha256"])
            guard let line = printed.first(where: { $0.contains("Fingerprint=") }),
                let equals = line.firstIndex(of: "=")
            else {
                throw ScenarioError(description: "openssl printed no fingerprint")
            }
            return (base + ".pem", base + ".key", String(line[line.index(after: equals)...]))
        }
    }

    @discardableResult
    static func openssl(_ arguments: [String]) async throws -> [String] {
        let process = try Subprocess(["/usr/bin/openssl"] + arguments)
        var output: [String] = []
        for await line in process.lines { output.append(line) }
        guard await process.exitStatus() == 0 else {
            throw ScenarioError(description: "openssl failed: \(output.joined(separator: " "))")
        }
        return output
    }
}
