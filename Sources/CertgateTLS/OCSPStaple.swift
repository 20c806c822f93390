internal import COpenSSL
internal import COpenSSLShims

/// A checked OCSP response for one certificate, as stapled to handshakes whose client asks for it
/// (status_request): its DER bytes and the validity window it states.
///
/// Made only by `validate`, which checks it against the certificate and its issuer. Immutable; the
/// status callback copies the bytes into an OpenSSL buffer per handshake.
public final class OCSPStaple: Sendable {
    public let der: [UInt8]
    /// thisUpdate and nextUpdate, seconds since the epoch.
    public let thisUpdate: Int64
    public let nextUpdate: Int64

    /// How far in the future thisUpdate may be (responder and proxy clocks differ), in seconds.
    public static let clockSkew: Int64 = 300

    private init(der: [UInt8], thisUpdate: Int64, nextUpdate: Int64) {
        self.der = der
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
    }

    /// Checks `der` for `key`'s leaf: the issuer is the first certificate of the chain after the leaf.
    /// The response must parse, be for this certificate and issuer, be signed by the issuer or its
    /// delegated responder, say good, and be current at `now` (thisUpdate not in the future, nextUpdate
    /// not passed).
    public static func validate(der: [UInt8], for key: CertifiedKey, now: Int64) throws(OCSPStapleError) -> OCSPStaple {
        guard !der.isEmpty else { throw .unparsable }
        guard let issuer = key.chain.first else { throw .noIssuer }
        var thisUpdate: Int64 = 0
        var nextUpdate: Int64 = 0
        OpenSSLError.clearQueue()
        let result = der.withUnsafeBufferPointer {
            COpenSSLShims_OCSP_check($0.baseAddress, $0.count, key.leaf.raw, issuer.raw, &thisUpdate, &nextUpdate)
        }
        let reason = OpenSSLError.drain().reason
        switch result {
        case COPENSSL_SHIMS_OCSP_GOOD: break
        case COPENSSL_SHIMS_OCSP_UNPARSABLE: throw .unparsable
        case COPENSSL_SHIMS_OCSP_NOT_SUCCESSFUL: throw .notSuccessful
        case COPENSSL_SHIMS_OCSP_NOT_FOR_CERTIFICATE: throw .notForCertificate
        case COPENSSL_SHIMS_OCSP_BAD_SIGNATURE: throw .badSignature(reason)
        case COPENSSL_SHIMS_OCSP_NO_NEXT_UPDATE: throw .noNextUpdate
        case COPENSSL_SHIMS_OCSP_REVOKED: throw .revoked
        case COPENSSL_SHIMS_OCSP_UNKNOWN_STATUS: throw .unknownStatus
        default: throw .openSSL(reason)
        }
        if thisUpdate > now + clockSkew { throw .notYetValid(thisUpdate: thisUpdate) }
        if nextUpdate <= now { throw .expired(nextUpdate: nextUpdate) }
        return OCSPStaple(der: der, thisUpdate: thisUpdate, nextUpdate: nextUpdate)
    }

    /// Whether it may still be stapled at `now` (before nextUpdate).
    public func isCurrent(at now: Int64) -> Bool { now < nextUpdate }
}

/// Why an OCSP response is not stapled. Descriptions are the second half of a log line naming the file.
public enum OCSPStapleError: Error, Equatable, CustomStringConvertible {
    case unparsable
    case notSuccessful
    case noIssuer
    case notForCertificate
    case badSignature(String)
    case noNextUpdate
    case revoked
    case unknownStatus
    case notYetValid(thisUpdate: Int64)
    case expired(nextUpdate: Int64)
    case openSSL(String)

    /// The `result` label of `certgate_ocsp_responses_total`.
    public var metricResult: String {
        switch self {
        case .expired, .notYetValid: return "expired"
        case .revoked: return "revoked"
        default: return "invalid"
        }
    }

    public var description: String {
        switch self {
        case .unparsable: return "not a DER OCSP response"
        case .notSuccessful: return "the responder did not answer successfully (no certificate status in it)"
        case .noIssuer:
            return "the certificate file has no issuer certificate after the leaf (needed to check the response)"
        case .notForCertificate: return "the response is not for this certificate and its issuer"
        case .badSignature(let reason):
            return "not signed by the certificate's issuer or its delegated OCSP responder (\(reason))"
        case .noNextUpdate: return "the response has no nextUpdate, so its expiry is unknown"
        case .revoked: return "the response says the certificate is revoked"
        case .unknownStatus: return "the response says the certificate's status is unknown"
        case .notYetValid(let thisUpdate): return "thisUpdate (\(thisUpdate)) is in the future"
        case .expired(let nextUpdate): return "the response expired (nextUpdate \(nextUpdate) has passed)"
        case .openSSL(let reason): return "OpenSSL failed (\(reason))"
        }
    }
}
