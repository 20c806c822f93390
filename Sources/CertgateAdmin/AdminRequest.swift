/// One HTTP request received on the admin listener, fully read (head and body) before any handler sees it.
///
/// A plain value: handlers get everything they may look at, already validated by `AdminRequestParser`, and
/// cannot reach the socket. Header names are lowercased so lookups never depend on the client's spelling;
/// repeated fields are joined with ", " (RFC 9110 §5.3), except `Host` and `Content-Length`, which the
/// parser refuses to see twice with different values.
public struct AdminRequest: Sendable, Equatable {
    /// The method token exactly as sent (methods are case-sensitive: "get" is not "GET").
    public var method: String
    /// The request target as sent on the request line, e.g. "/metrics?name=x".
    public var target: String
    /// The path part of the target, without the query, not percent-decoded. For an absolute-form target
    /// ("http://host/metrics") the scheme and authority are removed, so routing only ever sees "/metrics".
    public var path: String
    /// The text after the first "?" of the target, not decoded; empty when there is none.
    public var query: String
    /// The minor version of HTTP/1.x (0 or 1; later minor versions are treated as 1).
    public var minorVersion: Int
    /// Header fields, keyed by lowercased name. Values are trimmed of surrounding whitespace; bytes outside
    /// ASCII are kept one-for-one as Latin-1 characters, so nothing a client sends is silently replaced.
    public var headers: [String: String]
    /// The body, exactly `Content-Length` bytes (empty when there is none).
    public var body: [UInt8]

    public init(
        method: String,
        path: String,
        query: String = "",
        headers: [String: String] = [:],
        body: [UInt8] = [],
        minorVersion: Int = 1,
        target: String? = nil
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
        self.body = body
        self.minorVersion = minorVersion
        self.target = target ?? (query.isEmpty ? path : "\(path)?\(query)")
    }

    /// The value of header `name`, looked up case-insensitively.
    public func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }

    /// The body as UTF-8 text (invalid sequences replaced), for handlers that take small text commands.
    public var bodyText: String {
        String(decoding: body, as: UTF8.self)
    }
}
