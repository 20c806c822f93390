/// Why `AdminRequestParser` refused a request, and the status the server answers with before closing.
///
/// Every case maps to one 4xx/5xx response with a short plain-text reason, so a person poking the admin port
/// with `curl` or `nc` sees what was wrong instead of a silent close.
public enum AdminRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes are not an HTTP/1.x request (bad request line, bad header, bare CR/LF, obs-fold, ...): 400.
    case malformed(String)
    /// The request line and headers exceed the head limit (or the header count limit): 431.
    case headTooLarge
    /// `Content-Length` announces more than the body limit: 413. Refused before any body byte is read.
    case bodyTooLarge
    /// A `Transfer-Encoding` (chunked) body without `Content-Length`: 411. The admin API takes small bodies
    /// of known length only; refusing chunked framing removes a whole class of request-smuggling parsers.
    case lengthRequired
    /// An HTTP major version other than 1 (e.g. "HTTP/2.0" sent as text): 505.
    case versionNotSupported
    /// The client ended its side of the connection in the middle of a request: 400.
    case incomplete

    /// The HTTP status code answered for this error.
    public var status: Int {
        switch self {
        case .malformed, .incomplete: 400
        case .headTooLarge: 431
        case .bodyTooLarge: 413
        case .lengthRequired: 411
        case .versionNotSupported: 505
        }
    }

    public var description: String {
        switch self {
        case .malformed(let reason): "bad request: \(reason)"
        case .headTooLarge: "request head too large"
        case .bodyTooLarge: "request body too large"
        case .lengthRequired: "Content-Length required (chunked request bodies are not accepted)"
        case .versionNotSupported: "HTTP version not supported"
        case .incomplete: "bad request: connection closed before the request was complete"
        }
    }

    /// The response sent for this error: the status with the description as a one-line text body.
    public var response: AdminResponse {
        .text("\(description)\n", status: status)
    }
}
