internal import COpenSSL

/// SHA-256 over a sequence of byte strings, each length-prefixed so that moving bytes from one part to
/// the next changes the digest (certificate "AB" + key "C" differs from "A" + "BC").
///
/// Reloads compare digests of what was read to decide whether a source changed: content decides, not
/// timestamps.
public struct ContentDigest: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(parts: [[UInt8]]) {
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new: out of memory") }
        defer { EVP_MD_CTX_free(context) }
        precondition(EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1, "SHA-256 unavailable")
        for part in parts {
            var length = UInt64(part.count).bigEndian
            withUnsafeBytes(of: &length) { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
            part.withUnsafeBytes { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        }
        var output = [UInt8](repeating: 0, count: 32)
        var written: UInt32 = 0
        precondition(EVP_DigestFinal_ex(context, &output, &written) == 1 && written == 32, "SHA-256 failed")
        bytes = output
    }

    /// Plain SHA-256 of `bytes` (no length prefix), 32 bytes.
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 32)
        var written: UInt32 = 0
        let ok = bytes.withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &output, &written, EVP_sha256(), nil) }
        precondition(ok == 1 && written == 32, "SHA-256 failed")
        return output
    }

    /// Lower-case hex.
    public var hex: String { Self.hex(bytes) }

    /// Lower-case hex of any bytes (fingerprints, digests).
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The first 12 hex digits, enough to tell versions apart in a log line.
    public var description: String { String(hex.prefix(12)) }
}
