/// What a handler answers: status, content type, extra headers and body. The server adds the framing
/// (`Content-Length`, `Date`, `Connection: close`) itself, so no handler can get it wrong.
public struct AdminResponse: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    /// Extra header fields, e.g. `Allow` or `Cache-Control`. Fields the server owns (`Content-Length`,
    /// `Content-Type`, `Connection`, `Date`, `Transfer-Encoding`) and fields whose name is not a token or
    /// whose value holds a control character are dropped when the response is written: a handler can
    /// never split the response or desynchronise its framing.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(
        status: Int, contentType: String = "text/plain; charset=utf-8", headers: [String: String] = [:],
        body: [UInt8] = []
    ) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }

    /// A UTF-8 text response.
    public static func text(_ text: String, status: Int = 200) -> AdminResponse {
        AdminResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
    }

    /// A JSON response from already-encoded JSON text (the module stays free of Foundation; callers that
    /// encode with `JSONEncoder` pass its output through `json(bytes:)`).
    public static func json(_ text: String, status: Int = 200) -> AdminResponse {
        json(bytes: Array(text.utf8), status: status)
    }

    public static func json(bytes: [UInt8], status: Int = 200) -> AdminResponse {
        AdminResponse(status: status, contentType: "application/json", body: bytes)
    }

    public static let notFound = AdminResponse.text("not found\n", status: 404)

    /// 405 with the `Allow` header RFC 9110 §15.5.6 requires, listing `allow` in the given order.
    public static func methodNotAllowed(allow: [String]) -> AdminResponse {
        var response = AdminResponse.text("method not allowed\n", status: 405)
        response.headers["Allow"] = allow.joined(separator: ", ")
        return response
    }

    /// 401 for a request without the admin token, or with another one: with the `WWW-Authenticate`
    /// challenge RFC 9110 §15.5.2 requires, and a body that says what to send (never what was expected).
    public static func unauthorized(tokenPresented: Bool) -> AdminResponse {
        var response = AdminResponse.text(
            tokenPresented ? "unauthorized: wrong token\n" : "unauthorized: send Authorization: Bearer <token>\n",
            status: 401)
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    }

    public static func badRequest(_ reason: String) -> AdminResponse {
        .text("bad request: \(reason)\n", status: 400)
    }

    /// Sent when a client started a request but did not finish it in time.
    static let requestTimeout = AdminResponse.text("request timeout\n", status: 408)

    /// The interim response for `Expect: 100-continue`.
    static let continueBytes: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// The full response on the wire. `includeBody` false is for HEAD: same head (including the
    /// `Content-Length` the body would have), no body. A status outside 200...599 is a handler bug and is
    /// sent as 500 rather than as a malformed or interim response.
    public func serialized(includeBody: Bool, date: String?) -> [UInt8] {
        let status = (200...599).contains(self.status) ? self.status : 500
        // RFC 9110 §8.6 / §15.3.5: 204 and 304 carry neither a body nor a Content-Length.
        let bodyless = status == 204 || status == 304
        var head = "HTTP/1.1 \(status) \(Self.reasonPhrase(for: status))\r\n"
        if let date { head += "Date: \(date)\r\n" }
        if !bodyless {
            let type = Self.isValidValue(contentType) && !contentType.isEmpty ? contentType : "application/octet-stream"
            head += "Content-Type: \(type)\r\nContent-Length: \(body.count)\r\n"
        }
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) where Self.isAllowedExtra(name, value) {
            head += "\(name): \(value)\r\n"
        }
        head += "Connection: close\r\n\r\n"
        var bytes = Array(head.utf8)
        if includeBody && !bodyless {
            bytes += body
        }
        return bytes
    }

    private static let reservedNames: Set<String> = [
        "content-length", "content-type", "connection", "date", "transfer-encoding",
    ]

    private static func isAllowedExtra(_ name: String, _ value: String) -> Bool {
        HTTPSyntax.isToken(name.utf8) && !reservedNames.contains(name.lowercased()) && isValidValue(value)
    }

    private static func isValidValue(_ value: String) -> Bool {
        value.utf8.allSatisfy(HTTPSyntax.isFieldValueCharacter)
    }

    /// The reason phrase for the statuses the admin API uses (RFC 9110 §15); others get a class phrase.
    static func reasonPhrase(for status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        case 200..<300: "Success"
        case 300..<400: "Redirection"
        case 400..<500: "Client Error"
        default: "Server Error"
        }
    }
}
