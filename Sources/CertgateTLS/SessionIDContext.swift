internal import COpenSSL

/// SHA-256, fetched once: `EVP_sha256()` would make OpenSSL 3 look the implementation up on every digest.
/// `nonisolated(unsafe)`: written once by Swift's thread-safe global initialisation, then only read; an
/// `EVP_MD` may be used from any number of threads.
nonisolated(unsafe) private let sha256 = EVP_MD_fetch(nil, "SHA256", nil)

/// The TLS session id context of one handshake: a digest of the client policy's context and of the server
/// name the client sent.
///
/// OpenSSL resumes a session (a TLS 1.2 session id or ticket, a TLS 1.3 ticket) only when its context
/// equals the handshake's, so binding the name in means a session is never resumed under another name
/// than the one it was made for (RFC 6066 §3: the server MUST NOT resume a session made for a different
/// name), not even one served by the same certificate, and never across client policies (the policy
/// part, `ClientTrust.sessionContext`). A session made without SNI only resumes without SNI.
///
/// Names are compared as matching compares them: ASCII case and one trailing dot do not count.
/// Computed in the ClientHello callback for every handshake, on the stack: no allocation of its own
/// (OpenSSL's digest context aside).
enum SessionIDContext {
    /// Bytes in a context (SHA-256), within OpenSSL's `SSL_MAX_SID_CTX_LENGTH` (32).
    static let length = 32

    /// Writes the context for `policy` (the client policy's context) and `serverName` (a name that passed
    /// `ClientHelloServerName`'s checks, `nil` without SNI) to `output`, which has room for `length` bytes.
    /// `false` when the digest failed or the name is longer than any valid name: the handshake must fail.
    static func derive(policy: [UInt8], serverName: String?, into output: UnsafeMutablePointer<UInt8>) -> Bool {
        let nameLength = serverName?.utf8.count ?? 0
        guard policy.count <= 255, nameLength <= ClientHelloServerName.maximumLength, let sha256 else { return false }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 + policy.count + nameLength) { input in
            // policy length, policy, 0 (no name) or 1 and the normalized name.
            input[0] = UInt8(policy.count)
            var count = 1
            for byte in policy {
                input[count] = byte
                count += 1
            }
            input[count] = serverName == nil ? 0 : 1
            count += 1
            if let serverName {
                var utf8 = serverName.utf8[...]
                if utf8.last == UInt8(ascii: ".") { utf8 = utf8.dropLast() }
                for byte in utf8 {
                    input[count] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
                    count += 1
                }
            }
            var written: UInt32 = 0
            let ok = EVP_Digest(input.baseAddress, count, output, &written, sha256, nil)
            return ok == 1 && written == UInt32(length)
        }
    }

    /// `derive` into a new array, for tests and logs; `nil` when it failed.
    static func derive(policy: [UInt8], serverName: String?) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: length)
        let ok = output.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map { derive(policy: policy, serverName: serverName, into: $0) } ?? false
        }
        return ok ? output : nil
    }
}
