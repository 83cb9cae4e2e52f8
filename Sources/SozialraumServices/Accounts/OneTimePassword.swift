import Crypto

/// Time-based one-time passwords (TOTP, RFC 6238, on HOTP, RFC 4226): HMAC-SHA1, 6 digits, 30-second steps,
/// as every authenticator app reads them from an `otpauth://` address. The portal's second factor (issue 32).
public enum OneTimePassword {
    public static let stepSeconds: Int64 = 30
    public static let digits = 6
    /// 160 bits, as RFC 4226 recommends for HMAC-SHA1.
    public static let secretLength = 20

    /// A new random secret.
    public static func newSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<secretLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// The time step of a moment in seconds since 1970 (RFC 6238: T = floor(unix time / 30)).
    public static func step(unixTime: Int64) -> Int64 { unixTime / stepSeconds }

    /// The HOTP value of `counter` with `digits` digits, zero-padded (RFC 4226 section 5.3).
    public static func code(secret: [UInt8], counter: Int64, digits: Int = digits) -> String {
        let message = (0..<8).reversed().map { UInt8(truncatingIfNeeded: UInt64(counter) >> (UInt64($0) * 8)) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let binary =
            UInt32(mac[offset] & 0x7f) << 24 | UInt32(mac[offset + 1]) << 16 | UInt32(mac[offset + 2]) << 8
            | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    /// The step whose code `code` is, among the step of `now` and one either side (a clock a little off, a code
    /// typed at the turn), if it is after `lastUsed`: a code is accepted once. Compared in constant time.
    public static func acceptedStep(code: String, secret: [UInt8], now: Int64, after lastUsed: Int64) -> Int64? {
        let typed = Array(code.filter { $0 != " " }.utf8)
        guard typed.count == digits else { return nil }
        var accepted: Int64?
        for step in (now - 1)...(now + 1) where step > lastUsed {
            if AccountService.constantTimeEqual(Array(Self.code(secret: secret, counter: step).utf8), typed) {
                accepted = max(accepted ?? step, step)
            }
        }
        return accepted
    }

    /// RFC 4648 Base32 without padding, as authenticator apps take a secret typed in.
    public static func base32(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var text = ""
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                text.append(alphabet[Int(buffer >> UInt32(bits - 5) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { text.append(alphabet[Int(buffer << UInt32(5 - bits) & 31)]) }
        return text
    }

    /// The `otpauth://` address an authenticator app reads (Key Uri Format): issuer and account label, secret.
    public static func provisioningAddress(secret: [UInt8], account: String, issuer: String) -> String {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
        func encode(_ text: String) -> String {
            text.utf8.map { allowed.contains($0) ? String(UnicodeScalar($0)) : "%" + hex($0) }.joined()
        }
        func hex(_ byte: UInt8) -> String {
            let digits = Array("0123456789ABCDEF")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
        }
        return "otpauth://totp/\(encode(issuer)):\(encode(account))?secret=\(base32(secret))&issuer=\(encode(issuer))"
            + "&algorithm=SHA1&digits=\(digits)&period=\(stepSeconds)"
    }
}
