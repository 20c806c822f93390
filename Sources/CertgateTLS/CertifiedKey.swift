internal import COpenSSL
internal import COpenSSLShims

/// A leaf certificate, its chain and the matching private key: what a handshake presents for one name.
///
/// Built by `CertifiedKey.parse`, which checks that the key belongs to the certificate. The chain is
/// also kept as a ready `STACK_OF(X509)` so the per-handshake `SSL_use_cert_and_key` does no allocation
/// beyond OpenSSL's own reference bumps.
///
/// `@unchecked Sendable`: immutable after init (see `Certificate`, `PrivateKey`); the chain stack is
/// never modified after construction and OpenSSL only reads it (it copies the stack per connection).
public final class CertifiedKey: @unchecked Sendable {
    public let leaf: Certificate
    /// Intermediates in the order they appeared after the leaf (not including the leaf).
    public let chain: [Certificate]
    public let privateKey: PrivateKey
    /// RSA, ECDSA (with its curve) or other: read once, for choosing between two certificates of a name.
    public let keyType: CertificateKeyType
    /// The name of the certificate's source (`NAME` of `NAME.pem`), for log lines; empty when not given.
    public let name: String
    let chainStack: OpaquePointer

    /// - Throws: `.openSSL` when OpenSSL cannot build the chain stack (out of memory).
    private init(leaf: Certificate, chain: [Certificate], privateKey: PrivateKey, name: String)
        throws(CertificateParseError)
    {
        guard let stack = COpenSSLShims_sk_X509_new_null() else { throw .openSSL(OpenSSLError.drain().reason) }
        for certificate in chain {
            X509_up_ref(certificate.raw)
            guard COpenSSLShims_sk_X509_push(stack, certificate.raw) == 1 else {
                // The stack did not take the reference: drop it here, then the stack with what it holds.
                X509_free(certificate.raw)
                COpenSSLShims_sk_X509_pop_free(stack)
                throw .openSSL(OpenSSLError.drain().reason)
            }
        }
        self.leaf = leaf
        self.chain = chain
        self.privateKey = privateKey
        self.keyType = CertificateKeyType.of(privateKey)
        self.name = name
        self.chainStack = stack
    }

    deinit {
        COpenSSLShims_sk_X509_pop_free(chainStack)
    }

    /// Parses PEM bytes: every `CERTIFICATE` block of `certificatePEM` (leaf first, then intermediates) and
    /// the first private key of `privateKeyPEM`. Both may be the same bytes (a combined `.pem` file); other
    /// PEM blocks are skipped. Encrypted keys are refused (certgate never prompts for a passphrase).
    ///
    /// - Parameter decoder: reuse one per thread when parsing many keys (see `PrivateKeyDecoder`).
    public static func parse(
        certificatePEM: [UInt8],
        privateKeyPEM: [UInt8],
        decoder: PrivateKeyDecoder? = nil,
        name: String = ""
    ) throws(CertificateParseError) -> CertifiedKey {
        OpenSSLError.clearQueue()
        defer { OpenSSLError.clearQueue() }
        let certificates = try readCertificates(certificatePEM)
        if isBlank(privateKeyPEM) { throw .empty }
        let key = try (decoder ?? PrivateKeyDecoder()).decode(pem: privateKeyPEM)
        guard X509_check_private_key(certificates[0].raw, key.raw) == 1 else {
            throw .keyMismatch
        }
        return try CertifiedKey(
            leaf: certificates[0], chain: Array(certificates.dropFirst()), privateKey: key, name: name)
    }

    /// Every `CERTIFICATE` block of `pem` (a CA bundle), other blocks skipped.
    public static func certificates(inPEM pem: [UInt8]) throws(CertificateParseError) -> [Certificate] {
        OpenSSLError.clearQueue()
        defer { OpenSSLError.clearQueue() }
        return try readCertificates(pem)
    }

    private static func readCertificates(_ pem: [UInt8]) throws(CertificateParseError) -> [Certificate] {
        if isBlank(pem) {
            throw .empty
        }
        var certificates: [Certificate] = []
        let failure: OpenSSLError? = pem.withUnsafeBytes { bytes in
            let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count))
            defer { BIO_free(bio) }
            guard let bio else { return OpenSSLError.drain() }
            while let raw = PEM_read_bio_X509(bio, nil, nil, nil) {
                do throws(OpenSSLError) {
                    certificates.append(try Certificate(takingOwnership: raw))
                } catch {
                    return error
                }
            }
            let last = ERR_peek_last_error()
            if last != 0 && COpenSSLShims_ERR_is_pem_no_start_line(last) == 0 {
                return OpenSSLError.drain()
            }
            OpenSSLError.clearQueue()
            return nil
        }
        if let failure {
            throw .invalidCertificate(failure.reason)
        }
        guard !certificates.isEmpty else { throw .noCertificate }
        return certificates
    }

    private static func isBlank(_ bytes: [UInt8]) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
    }
}

/// Why PEM material could not be turned into a `CertifiedKey`. Descriptions are the second half of a
/// one-line error; the loader prefixes the file name.
public enum CertificateParseError: Error, Equatable, CustomStringConvertible {
    case empty
    case noCertificate
    case invalidCertificate(String)
    case noPrivateKey
    case invalidPrivateKey(String)
    case encryptedPrivateKey
    case keyMismatch
    /// OpenSSL failed where only resources can fail (out of memory): the reason it gave.
    case openSSL(String)

    public var description: String {
        switch self {
        case .empty:
            return "file is empty"
        case .noCertificate:
            return "no certificate found (expected a PEM 'BEGIN CERTIFICATE' block)"
        case .invalidCertificate(let reason):
            return "bad PEM certificate data (\(reason))"
        case .noPrivateKey:
            return "no private key found (expected a PEM 'BEGIN PRIVATE KEY' block)"
        case .invalidPrivateKey(let reason):
            return "bad PEM private key data (\(reason))"
        case .encryptedPrivateKey:
            return "private key is encrypted; certgate needs an unencrypted key"
        case .keyMismatch:
            return "private key does not match the certificate"
        case .openSSL(let reason):
            return "OpenSSL failed (\(reason))"
        }
    }
}
