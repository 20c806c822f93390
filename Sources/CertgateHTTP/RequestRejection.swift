/// Why a request was refused by the `--forward-headers` parser: the `reason` label of
/// `certgate_http_requests_rejected_total` and the status of the response the client gets.
///
/// Each case is a shape that two HTTP implementations can read differently (request smuggling) or a
/// request certgate cannot rewrite safely. The set is fixed; labels never come from client input.
public enum RequestRejection: String, CaseIterable, Sendable, Equatable {
    /// The request head (request line and header fields) is larger than the limit: 431.
    case headTooLarge = "head_too_large"
    /// A CR not followed by LF, or an LF not preceded by CR, in the head: 400.
    case badLineEnding = "bad_line_ending"
    /// A header line that starts with a space or tab (obsolete line folding): 400.
    case obsFold = "obs_fold"
    /// A field name that is not a token, whitespace before the colon, or a control character: 400.
    case badHeader = "bad_header"
    /// The request line does not parse (method, target, version): 400.
    case badRequestLine = "bad_request_line"
    /// A Content-Length that is not a number, or two of them: 400.
    case badContentLength = "bad_content_length"
    /// Content-Length together with Transfer-Encoding: 400.
    case lengthAndChunked = "length_and_chunked"
    /// A Transfer-Encoding other than exactly `chunked`: 501.
    case unsupportedTransferEncoding = "unsupported_transfer_encoding"
    /// A malformed chunked body: 400.
    case badChunk = "bad_chunk"
    /// No Host field in an HTTP/1.1 request, or more than one: 400.
    case badHost = "bad_host"
    /// An HTTP version other than 1.0 and 1.1: 505.
    case unsupportedVersion = "unsupported_version"

    /// The status code of the response sent for this rejection.
    public var status: Int {
        switch self {
        case .headTooLarge: return 431
        case .unsupportedTransferEncoding: return 501
        case .unsupportedVersion: return 505
        default: return 400
        }
    }

    /// One line for the log and the response body.
    public var explanation: String {
        switch self {
        case .headTooLarge: return "request head too large"
        case .badLineEnding: return "bare CR or LF in the request head"
        case .obsFold: return "obsolete line folding in a header field"
        case .badHeader: return "malformed header field"
        case .badRequestLine: return "malformed request line"
        case .badContentLength: return "invalid or repeated Content-Length"
        case .lengthAndChunked: return "both Content-Length and Transfer-Encoding"
        case .unsupportedTransferEncoding: return "Transfer-Encoding other than chunked"
        case .badChunk: return "malformed chunked body"
        case .badHost: return "missing or repeated Host"
        case .unsupportedVersion: return "HTTP version not supported"
        }
    }
}
