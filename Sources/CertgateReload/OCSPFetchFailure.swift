/// Why fetching an OCSP response failed; the `result` label of `certgate_ocsp_fetches_total`.
public enum OCSPFetchFailure: Error, Equatable, Sendable, CustomStringConvertible {
    case unsupportedURL(String)
    case noURL
    case resolve(String)
    case connect(String)
    case timeout
    case http(String)
    case invalid(String)
    case write(String)

    public var metricResult: String {
        switch self {
        case .unsupportedURL, .noURL: return "unsupported"
        case .resolve, .connect, .timeout, .http: return "error"
        case .invalid: return "invalid"
        case .write: return "error"
        }
    }

    public var description: String {
        switch self {
        case .unsupportedURL(let reason): return "unsupported responder URL \(reason)"
        case .noURL: return "the certificate has no OCSP responder URL (AIA) or no issuer after the leaf"
        case .resolve(let reason): return "resolving the responder failed (\(reason))"
        case .connect(let reason): return "connecting failed (\(reason))"
        case .timeout: return "the responder did not answer in time"
        case .http(let reason): return "bad HTTP response (\(reason))"
        case .invalid(let reason): return "the response was refused: \(reason)"
        case .write(let reason): return "writing the response file failed (\(reason))"
        }
    }
}
