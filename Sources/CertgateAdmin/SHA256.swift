import CertgateTLS

/// Token digests for the admin listener: SHA-256 from OpenSSL (`ContentDigest`), compared without an
/// early exit.
enum SHA256 {
    static let digestSize = 32

    /// SHA-256 of `message` (plain, not length-prefixed).
    static func digest<Bytes: Collection<UInt8>>(_ message: Bytes) -> [UInt8] {
        ContentDigest.sha256(Array(message))
    }

    /// Whether two digests are equal, looking at every byte whatever the first difference (no early exit),
    /// so the time taken says nothing about how much of a guessed token was right.
    static func equalInConstantTime(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == digestSize, rhs.count == digestSize else { return false }
        var difference: UInt8 = 0
        for index in 0..<digestSize {
            difference |= lhs[index] ^ rhs[index]
        }
        return difference == 0
    }
}
