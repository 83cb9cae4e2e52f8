import Crypto

/// Lower-case hexadecimal digits of `bytes` (digests, fingerprints).
func hexString(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef")
    return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] })
}

/// The SHA-256 of `text`'s UTF-8 bytes in hexadecimal, read in place (an upload may be large).
func sha256Hex(_ text: String) -> String {
    var text = text
    return hexString(text.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) })
}
