import CertgateTLS

/// What loading a certificate's OCSP response file gave.
public enum OCSPLoad: Sendable, Equatable {
    /// The file was checked and is stapled.
    case loaded
    /// The file at `path` is not stapled, for `error`. `keptPrevious`: the previous response of the same
    /// certificate is still current and stays stapled.
    case rejected(path: String, error: OCSPStapleError, keptPrevious: Bool)

    /// The `result` label of `certgate_ocsp_responses_total`: `loaded`, `invalid`, `expired`, `revoked`.
    public var metricResult: String {
        switch self {
        case .loaded: return "loaded"
        case .rejected(_, let error, _): return error.metricResult
        }
    }

    /// Every `result` label value, for creating the counters at 0.
    public static let metricResults = ["loaded", "invalid", "expired", "revoked"]

    /// Checks the OCSP bytes read for `key` (from `path`). A bad response keeps `previous`'s staple when
    /// `previous` is the same certificate and its staple is still current at `now`.
    static func staple(
        _ bytes: [UInt8]?, path: String, for key: CertifiedKey, previous: LoadedCertificate?, now: Int64
    ) -> (staple: OCSPStaple?, load: OCSPLoad?) {
        guard let bytes else { return (nil, nil) }
        do {
            return (try OCSPStaple.validate(der: bytes, for: key, now: now), .loaded)
        } catch {
            let kept = previous.flatMap { previous -> OCSPStaple? in
                guard previous.certifiedKey.leaf.sha256Fingerprint == key.leaf.sha256Fingerprint,
                    let staple = previous.ocspStaple, staple.isCurrent(at: now)
                else { return nil }
                return staple
            }
            return (kept, .rejected(path: path, error: error, keptPrevious: kept != nil))
        }
    }
}
