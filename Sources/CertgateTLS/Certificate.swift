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

    /// Wraps `raw`, taking over the caller's reference (it is freed in `deinit`).
    init(takingOwnership raw: OpaquePointer) {
        self.raw = raw
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = COpenSSLShims_X509_dns_names(raw, &names)
        var collected: [String] = []
        collected.reserveCapacity(Int(max(count, 0)))
        for index in 0..<Int(max(count, 0)) {
            if let name = names?[index] { collected.append(String(cString: name)) }
        }
        COpenSSLShims_free_strings(names, count)
        self.dnsNames = collected

        var buffer = [CChar](repeating: 0, count: 1024)
        let cnLength = COpenSSLShims_X509_common_name(raw, &buffer, Int32(buffer.count))
        self.commonName = cnLength >= 0 ? String(nulTerminated: buffer) : nil
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
    public var uriNames: [String] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = COpenSSLShims_X509_san_names(raw, GEN_URI, &names)
        defer { COpenSSLShims_free_strings(names, count) }
        return (0..<Int(max(count, 0))).compactMap { names?[$0].map { String(cString: $0) } }
    }

    /// SHA-256 of the DER encoding (the certificate's fingerprint).
    public var sha256Fingerprint: [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard X509_digest(raw, EVP_sha256(), &digest, &length) == 1, length == 32 else { return [] }
        return digest
    }

    /// The names a client may ask for with SNI: the DNS SANs, or the commonName when there are none
    /// (the rule browsers dropped but many internal certificates still rely on).
    public var serverNames: [String] {
        if !dnsNames.isEmpty { return dnsNames }
        return commonName.map { [$0] } ?? []
    }
}
