internal import COpenSSL
internal import COpenSSLShims

/// One parsed certificate revocation list (owns an `X509_CRL*`) and the facts certgate reports about it,
/// read once.
///
/// `@unchecked Sendable`: immutable after init; OpenSSL's `X509_CRL` objects are reference counted and
/// safe to share for verification.
public final class RevocationList: @unchecked Sendable {
    let raw: OpaquePointer
    /// RFC 2253 issuer name, for logs.
    public let issuer: String
    /// thisUpdate, seconds since the epoch (`Int64.min` when unreadable).
    public let lastUpdate: Int64
    /// nextUpdate, seconds since the epoch; `nil` when the CRL has none (it then never expires).
    public let nextUpdate: Int64?
    /// How many certificates it revokes.
    public let revokedCount: Int
    /// SHA-256 of the DER encoding (part of the session contexts of the trusts that use it).
    public let sha256Fingerprint: [UInt8]

    /// Wraps `raw`, taking over the caller's reference: it is freed in `deinit`, or at once when the
    /// fingerprint cannot be computed.
    init(takingOwnership raw: OpaquePointer) throws(OpenSSLError) {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard X509_CRL_digest(raw, EVP_sha256(), &digest, &length) == 1, length == 32 else {
            X509_CRL_free(raw)
            throw OpenSSLError.drain()
        }
        self.raw = raw
        self.sha256Fingerprint = digest
        var buffer = [CChar](repeating: 0, count: 1024)
        self.issuer =
            COpenSSLShims_X509_CRL_issuer_line(raw, &buffer, Int32(buffer.count)) >= 0
            ? String(nulTerminated: buffer) : "<unprintable issuer>"
        var seconds: Int64 = 0
        self.lastUpdate = COpenSSLShims_X509_CRL_last_update(raw, &seconds) == 1 ? seconds : Int64.min
        self.nextUpdate = COpenSSLShims_X509_CRL_next_update(raw, &seconds) == 1 ? seconds : nil
        self.revokedCount = Int(COpenSSLShims_X509_CRL_revoked_count(raw))
    }

    deinit {
        X509_CRL_free(raw)
    }

    /// Whether `certificate` issued this CRL: its subject is the CRL's issuer and its key verifies the
    /// CRL's signature (`.signed`), and whether its keyUsage allows signing CRLs at all.
    public func issuance(by certificate: Certificate) -> Issuance {
        switch COpenSSLShims_X509_CRL_signed_by(raw, certificate.raw) {
        case 1: return .signed
        case -1: return .signedWithoutCRLSignUsage
        default: return .notSigned
        }
    }

    public enum Issuance: Sendable, Equatable {
        case signed
        /// Signed by the CA's key, but its keyUsage lacks cRLSign: OpenSSL would not use the CRL.
        case signedWithoutCRLSignUsage
        case notSigned
    }

    /// Whether the CRL is outside its validity window at `now` (seconds since the epoch): not yet valid
    /// (thisUpdate in the future) or expired (nextUpdate in the past). OpenSSL refuses to use it then.
    public func validityProblem(now: Int64) -> String? {
        if lastUpdate > now { return "not valid yet (thisUpdate is in the future)" }
        if let nextUpdate, nextUpdate < now { return "expired (nextUpdate has passed)" }
        return nil
    }

    /// Every CRL in a PEM file, in file order.
    ///
    /// - Throws: `.empty` for an empty (or blank) file, `.noCRL` when it holds no `BEGIN X509 CRL` block,
    ///   `.invalid` when a block does not parse.
    public static func revocationLists(inPEM pem: [UInt8]) throws(RevocationListParseError) -> [RevocationList] {
        OpenSSLError.clearQueue()
        defer { OpenSSLError.clearQueue() }
        if pem.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) { throw .empty }
        var lists: [RevocationList] = []
        let failure: OpenSSLError? = pem.withUnsafeBytes { bytes in
            let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count))
            defer { BIO_free(bio) }
            guard let bio else { return OpenSSLError.drain() }
            while let raw = PEM_read_bio_X509_CRL(bio, nil, nil, nil) {
                do throws(OpenSSLError) {
                    lists.append(try RevocationList(takingOwnership: raw))
                } catch {
                    return error
                }
            }
            let last = ERR_peek_last_error()
            if last != 0 && COpenSSLShims_ERR_is_pem_no_start_line(last) == 0 {
                return OpenSSLError.drain()
            }
            return nil
        }
        if let failure { throw .invalid(failure.reason) }
        guard !lists.isEmpty else { throw .noCRL }
        return lists
    }
}

/// Why a CRL file did not parse.
public enum RevocationListParseError: Error, Equatable, CustomStringConvertible {
    case empty
    case noCRL
    case invalid(String)

    public var description: String {
        switch self {
        case .empty: return "file is empty"
        case .noCRL: return "no CRL found (expected a PEM 'BEGIN X509 CRL' block)"
        case .invalid(let reason): return "bad PEM CRL data (\(reason))"
        }
    }
}
