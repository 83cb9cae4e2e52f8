import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Ed25519 signatures of the Kasse's batch files (issue 35): the checksum line inside a file detects damage,
/// the detached signature an edit. Keys in OpenSSL's PEM forms, so that the Kasse verifies without our
/// software: `openssl pkeyutl -verify -pubin -inkey sozialraum-kasse.pub.pem -rawin -in batch.csv -sigfile batch.sig`.
public enum BatchSignature {
    /// PKCS#8 and SubjectPublicKeyInfo prefixes of Ed25519 keys (RFC 8410): fixed, so no ASN.1 parser is needed.
    static let privateKeyPrefix: [UInt8] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]
    static let publicKeyPrefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]

    public struct KeyError: Error, CustomStringConvertible {
        public var description: String {
            "an Ed25519 private key in PEM (openssl genpkey -algorithm ed25519 -out key.pem)"
        }
    }

    /// The 32-byte private key of `openssl genpkey -algorithm ed25519` output (PEM, PKCS#8).
    public static func privateKey(pem: String) throws(KeyError) -> [UInt8] {
        let body = pem.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
        guard let der = Data(base64Encoded: body).map(Array.init), der.count == 48,
            Array(der.prefix(16)) == privateKeyPrefix
        else { throw KeyError() }
        return Array(der.suffix(32))
    }

    /// The signature of `file` (64 bytes).
    public static func sign(_ file: [UInt8], key: [UInt8]) throws -> [UInt8] {
        Array(try Curve25519.Signing.PrivateKey(rawRepresentation: key).signature(for: file))
    }

    /// The public key to hand to the Kasse, in PEM (SubjectPublicKeyInfo).
    public static func publicKeyPEM(key: [UInt8]) throws -> String {
        let raw = Array(try Curve25519.Signing.PrivateKey(rawRepresentation: key).publicKey.rawRepresentation)
        let base64 = Data(publicKeyPrefix + raw).base64EncodedString()
        return "-----BEGIN PUBLIC KEY-----\n\(base64)\n-----END PUBLIC KEY-----\n"
    }

    /// Whether `signature` is the county key's signature of exactly `file`.
    public static func verify(_ file: [UInt8], signature: [UInt8], key: [UInt8]) throws -> Bool {
        try Curve25519.Signing.PrivateKey(rawRepresentation: key).publicKey.isValidSignature(signature, for: file)
    }
}
