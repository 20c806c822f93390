internal import COpenSSL
internal import COpenSSLShims

/// One parsed X.509 certificate (owns an `X509*`) and the facts certgate needs about it, read once.
///
/// `@unchecked Sendable`: immutable after init. OpenSSL's `X509` objects are reference counted and safe to
/// share between threads for reading, which is all any handshake does with them.
public final class Certificate: @unchecked Sendable {
    let raw: OpaquePointer
    /// DNS subjectAltName entries, as written in the certificate.
    public let dnsNames: [String]
    /// The subject's commonName, when present.
    public let commonName: String?
    /// RFC 2253 subject, for logs.
    public let subject: String
    /// Serial number in upper-case hex, for logs.
    public let serialNumber: String
    /// Validity bounds, seconds since the epoch.
    public let notBefore: Int64
    public let notAfter: Int64
    /// SHA-256 of the DER encoding (the certificate's fingerprint): what root pools, CRL issuers and
    /// session contexts identify a certificate by, so it is computed up front and a certificate without
    /// one does not exist.
    public let sha256Fingerprint: [UInt8]

    /// Wraps `raw`, taking over the caller's reference: it is freed in `deinit`, or at once when the
    /// fingerprint cannot be computed (out of memory, a certificate that does not encode).
    init(takingOwnership raw: OpaquePointer) throws(OpenSSLError) {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard X509_digest(raw, EVP_sha256(), &digest, &length) == 1, length == 32 else {
            X509_free(raw)
            throw OpenSSLError.drain()
        }
        self.raw = raw
        self.sha256Fingerprint = digest
        self.dnsNames = Self.sanNames(of: raw, type: GEN_DNS)
        self.commonName = Self.commonName(of: raw)

        var buffer = [CChar](repeating: 0, count: 1024)
        let subjectLength = COpenSSLShims_X509_subject_line(raw, &buffer, Int32(buffer.count))
        self.subject = subjectLength >= 0 ? String(nulTerminated: buffer) : "<unprintable subject>"

        if let hex = COpenSSLShims_X509_serial_hex(raw) {
            self.serialNumber = String(cString: hex)
            COpenSSLShims_OPENSSL_free(hex)
        } else {
            self.serialNumber = "?"
        }
        var seconds: Int64 = 0
        self.notBefore = COpenSSLShims_X509_not_before(raw, &seconds) == 1 ? seconds : Int64.min
        self.notAfter = COpenSSLShims_X509_not_after(raw, &seconds) == 1 ? seconds : Int64.min
    }

    deinit {
        X509_free(raw)
    }

    /// URI subjectAltName entries (e.g. SPIFFE IDs), read on demand.
    public var uriNames: [String] { Self.sanNames(of: raw, type: GEN_URI) }

    /// The subjectAltName entries of `type` (`GEN_DNS`, `GEN_URI`) of a certificate certgate does not own
    /// (a peer's, inside a verify callback): read without building a `Certificate`.
    static func sanNames(of raw: OpaquePointer, type: Int32) -> [String] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = COpenSSLShims_X509_san_names(raw, type, &names)
        defer { COpenSSLShims_free_strings(names, count) }
        return (0..<Int(max(count, 0))).compactMap { names?[$0].map { String(cString: $0) } }
    }

    /// The subject's commonName of `raw`, when present.
    static func commonName(of raw: OpaquePointer) -> String? {
        var buffer = [CChar](repeating: 0, count: 1024)
        return COpenSSLShims_X509_common_name(raw, &buffer, Int32(buffer.count)) >= 0
            ? String(nulTerminated: buffer) : nil
    }

    /// The names a client may ask for with SNI: the DNS SANs, or the commonName when there are none
    /// (the rule browsers dropped but many internal certificates still rely on).
    public var serverNames: [String] {
        if !dnsNames.isEmpty { return dnsNames }
        return commonName.map { [$0] } ?? []
    }
}
