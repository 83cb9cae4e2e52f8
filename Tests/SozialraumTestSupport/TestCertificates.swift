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
}
