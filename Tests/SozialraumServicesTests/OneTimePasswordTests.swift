import SozialraumServices
import Testing

/// The second factor's codes against RFC 6238's own test values (Appendix B, HMAC-SHA1, the 20-byte secret
/// "12345678901234567890"): the 8-digit values printed there, and the 6 digits authenticator apps show, which
/// are their last six (the same binary value modulo 10^6).
@Suite struct OneTimePasswordTests {
    static let secret = Array("12345678901234567890".utf8)

    @Test(arguments: [
        (Int64(59), "94287082", "287082"), (1_111_111_109, "07081804", "081804"),
        (1_111_111_111, "14050471", "050471"), (1_234_567_890, "89005924", "005924"),
        (2_000_000_000, "69279037", "279037"), (20_000_000_000, "65353130", "353130"),
    ])
    func theCodesAreRFC6238s(unixTime: Int64, eightDigits: String, sixDigits: String) {
        let step = OneTimePassword.step(unixTime: unixTime)
        #expect(OneTimePassword.code(secret: Self.secret, counter: step, digits: 8) == eightDigits)
        #expect(OneTimePassword.code(secret: Self.secret, counter: step) == sixDigits)
    }

    /// Step 37,037,036 (unix time 1,111,111,109) has the code 081804. It is accepted one step either side (a
    /// clock a little off), not two; and not again once its step (or a later one) was used.
    @Test func aCodeIsAcceptedOnceAndOnlyNearItsTime() {
        let step: Int64 = 1_111_111_109 / 30
        #expect(OneTimePassword.acceptedStep(code: "081804", secret: Self.secret, now: step, after: 0) == step)
        #expect(OneTimePassword.acceptedStep(code: "081 804", secret: Self.secret, now: step + 1, after: 0) == step)
        #expect(OneTimePassword.acceptedStep(code: "081804", secret: Self.secret, now: step - 1, after: 0) == step)
        #expect(OneTimePassword.acceptedStep(code: "081804", secret: Self.secret, now: step + 2, after: 0) == nil)
        #expect(OneTimePassword.acceptedStep(code: "081804", secret: Self.secret, now: step, after: step) == nil)
        #expect(OneTimePassword.acceptedStep(code: "081805", secret: Self.secret, now: step, after: 0) == nil)
        #expect(OneTimePassword.acceptedStep(code: "81804", secret: Self.secret, now: step, after: 0) == nil)
    }

    /// RFC 4648's Base32 of the test secret (each 5 bytes "12345" → 8 characters "GEZDGNBV").
    @Test func theSecretIsTypedInBase32() {
        #expect(OneTimePassword.base32(Self.secret) == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        #expect(OneTimePassword.base32(Array("f".utf8)) == "MY")
        let address = OneTimePassword.provisioningAddress(
            secret: Self.secret, account: "alpha-buchhaltung", issuer: "Sozialraumbudget Verden")
        #expect(
            address
                == "otpauth://totp/Sozialraumbudget%20Verden:alpha-buchhaltung?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                + "&issuer=Sozialraumbudget%20Verden&algorithm=SHA1&digits=6&period=30")
    }
}
