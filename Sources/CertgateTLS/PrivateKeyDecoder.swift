internal import COpenSSL
internal import COpenSSLShims

/// Turns PEM private keys into `PrivateKey`s, reusing one OpenSSL decoder context.
///
/// OpenSSL 3.0 searches every provider for suitable decoders on each `PEM_read_bio_PrivateKey` call,
/// which costs about 400 µs per key on this class of machine; with 10,000 certificates that alone is four
/// seconds. Building the decoder context once and reusing it costs about 50 µs per key.
///
/// Not thread-safe (the context is stateful): use one decoder per thread.
public final class PrivateKeyDecoder {
    private let raw: OpaquePointer

    public init() {
        guard let raw = COpenSSLShims_KeyDecoder_new() else {
            fatalError("OpenSSL: cannot create a private-key decoder (out of memory or no default provider)")
        }
        self.raw = raw
    }

    deinit {
        COpenSSLShims_KeyDecoder_free(raw)
    }

    /// Decodes the first `... PRIVATE KEY` block of `pem` (PKCS#8, SEC1 or PKCS#1); other PEM blocks, such
    /// as certificates in a combined file, are skipped. Encrypted keys are refused, never prompted for.
    func decode(pem: [UInt8]) throws(CertificateParseError) -> PrivateKey {
        var der: UnsafeMutablePointer<UInt8>?
        var length = 0
        let found = pem.withUnsafeBytes { bytes in
            COpenSSLShims_find_private_key_der(
                bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, &der, &length)
        }
        switch found {
        case 1:
            break
        case 0:
            OpenSSLError.clearQueue()
            throw .noPrivateKey
        case -1:
            OpenSSLError.clearQueue()
            throw .encryptedPrivateKey
        default:
            throw .invalidPrivateKey(OpenSSLError.drain().reason)
        }
        defer { COpenSSLShims_OPENSSL_free(der) }
        guard let key = COpenSSLShims_KeyDecoder_decode(raw, der, length) else {
            throw .invalidPrivateKey(OpenSSLError.drain().reason)
        }
        return PrivateKey(takingOwnership: key)
    }
}
