/// A strict, incremental HTTP/1.x request reader: feed it bytes as they arrive, get one complete request or
/// the reason to refuse it.
///
/// A pure value type (no socket, no clock) so every rule is tested byte by byte without a network. Its rules,
/// chosen for an admin port that only scrapers, probes and operators talk to:
/// - Request line `METHOD SP target SP HTTP/1.x`, single spaces, method a token. Targets are origin-form
///   ("/path?query"), absolute-form ("http://host/path", RFC 9112 §3.2.2 says servers must accept it) or "*"
///   for OPTIONS. HTTP/2+ on the request line is a 505; anything else is a 400.
/// - Lines end in CRLF only. A bare LF is refused (400) even though RFC 9112 §2.2 lets a server accept it:
///   every real client sends CRLF, and accepting both is how two parsers come to disagree about where a
///   request ends. A bare CR, obs-fold (a header line starting with whitespace), whitespace before a
///   header's colon and control characters are refused too. Empty lines before the request line are skipped
///   (RFC 9112 §2.2).
/// - Bytes are checked as they arrive, so garbage (a TLS ClientHello, a port scanner) is refused at its first
///   invalid byte instead of waiting for a timeout.
/// - The head (request line and headers, CRLFs included) is bounded by `Limits.maxHeadBytes` (431), the
///   number of header fields by `maxHeaderCount` (431).
/// - Bodies only with `Content-Length`, at most `maxBodyBytes` (413, decided before reading the body).
///   `Transfer-Encoding` is refused: 411 alone, 400 together with `Content-Length` or in HTTP/1.0.
/// - HTTP/1.1 requests must carry exactly one `Host` (RFC 9112 §3.2).
/// - One request per connection: bytes after the first complete request are ignored.
public struct AdminRequestParser: Sendable {
    /// Size bounds; the defaults fit any scraper or probe with room to spare.
    public struct Limits: Sendable, Equatable {
        /// Request line plus headers, including every CRLF.
        public var maxHeadBytes: Int
        public var maxBodyBytes: Int
        public var maxHeaderCount: Int

        public init(maxHeadBytes: Int = 8192, maxBodyBytes: Int = 65536, maxHeaderCount: Int = 100) {
            self.maxHeadBytes = maxHeadBytes
            self.maxBodyBytes = maxBodyBytes
            self.maxHeaderCount = maxHeaderCount
        }
    }

    /// Where the parser stands after the bytes fed so far. `complete` and `failed` are final: feeding more
    /// returns the same outcome.
    public enum Outcome: Sendable, Equatable {
        case needMoreData
        case complete(AdminRequest)
        case failed(AdminRequestError)
    }

    private enum Phase: Sendable {
        case head
        case body(remaining: Int)
        case finished(Outcome)
    }

    private struct RequestLine: Sendable {
        var method: String
        var target: String
        var path: String
        var query: String
        var minorVersion: Int
    }

    public let limits: Limits
    /// Every byte fed so far, including any ignored after the request. Zero means the client sent nothing,
    /// which the server treats as a silent probe rather than a broken request.
    public private(set) var bytesReceived = 0
    /// True once a complete head asked for `Expect: 100-continue` and its body is still to come: the server
    /// then sends the interim "100 Continue" so clients like curl do not wait a second before sending it.
    public private(set) var expectsContinue = false

    private var phase = Phase.head
    private var headBytes = 0
    private var line: [UInt8] = []
    private var sawCR = false
    private var sawMethodEnd = false
    private var requestLine: RequestLine?
    private var headerCount = 0
    private var headers: [String: String] = [:]
    private var body: [UInt8] = []

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Consumes `bytes` (any chunking: one byte at a time works the same as all at once).
    public mutating func feed<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Outcome {
        if case .finished(let outcome) = phase { return outcome }
        bytesReceived += bytes.count
        var index = bytes.startIndex
        while index != bytes.endIndex {
            switch phase {
            case .head:
                let byte = bytes[index]
                bytes.formIndex(after: &index)
                if let error = consumeHeadByte(byte) {
                    return finish(.failed(error))
                }
            case .body(let remaining):
                let end = bytes.index(index, offsetBy: remaining, limitedBy: bytes.endIndex) ?? bytes.endIndex
                let taken = bytes.distance(from: index, to: end)
                body.append(contentsOf: bytes[index..<end])
                index = end
                if taken == remaining {
                    return finish(.complete(makeRequest()))
                }
                phase = .body(remaining: remaining - taken)
            case .finished(let outcome):
                return outcome
            }
        }
        if case .finished(let outcome) = phase { return outcome }
        return .needMoreData
    }

    /// The client closed its sending side: a request still in progress can never complete.
    public mutating func finishAtEndOfInput() -> Outcome {
        if case .finished(let outcome) = phase { return outcome }
        return finish(.failed(.incomplete))
    }

    private mutating func finish(_ outcome: Outcome) -> Outcome {
        phase = .finished(outcome)
        expectsContinue = false
        // Drop what the outcome no longer needs; the request itself carries its own copies.
        line = []
        headers = [:]
        body = []
        return outcome
    }

    // MARK: Head

    private mutating func consumeHeadByte(_ byte: UInt8) -> AdminRequestError? {
        headBytes += 1
        if headBytes > limits.maxHeadBytes { return .headTooLarge }
        if sawCR {
            sawCR = false
            guard byte == HTTPSyntax.lf else { return .malformed("bare CR") }
            return endLine()
        }
        switch byte {
        case HTTPSyntax.cr:
            sawCR = true
            return nil
        case HTTPSyntax.lf:
            return .malformed("bare LF (lines must end in CRLF)")
        default:
            break
        }
        if requestLine == nil {
            guard byte == HTTPSyntax.space || HTTPSyntax.isVisible(byte) else {
                return .malformed("invalid character in request line")
            }
            if !sawMethodEnd {
                if byte == HTTPSyntax.space {
                    sawMethodEnd = true
                } else if !HTTPSyntax.isTokenCharacter(byte) {
                    return .malformed("invalid method")
                }
            }
        } else if !HTTPSyntax.isFieldValueCharacter(byte) {
            return .malformed("invalid character in header field")
        }
        line.append(byte)
        return nil
    }

    private mutating func endLine() -> AdminRequestError? {
        defer { line.removeAll(keepingCapacity: true) }
        if requestLine == nil {
            if line.isEmpty { return nil }
            switch Self.parseRequestLine(line) {
            case .success(let parsed):
                requestLine = parsed
                return nil
            case .failure(let error):
                return error
            }
        }
        if line.isEmpty { return finishHead() }
        return addHeader()
    }

    private static func parseRequestLine(_ line: [UInt8]) -> Result<RequestLine, AdminRequestError> {
        let parts = line.split(separator: HTTPSyntax.space, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            return .failure(.malformed("request line must be 'METHOD target HTTP/1.x'"))
        }
        let version = Array(parts[2])
        guard version.count == 8, version.starts(with: Array("HTTP/".utf8)), version[6] == UInt8(ascii: "."),
            let major = Self.digit(version[5]), let minor = Self.digit(version[7])
        else {
            return .failure(.malformed("invalid HTTP version"))
        }
        guard major == 1 else { return .failure(.versionNotSupported) }
        let method = String(decoding: parts[0], as: UTF8.self)
        let target = String(decoding: parts[1], as: UTF8.self)
        guard !parts[1].contains(HTTPSyntax.hash) else {
            return .failure(.malformed("fragment in request target"))
        }
        guard let (path, query) = Self.splitTarget(target, method: method) else {
            return .failure(.malformed("unsupported request target"))
        }
        return .success(
            RequestLine(
                method: method, target: target, path: path, query: query,
                minorVersion: min(minor, 1)))
    }

    private static func digit(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : nil
    }

    /// Path and query of an origin-form, absolute-form or asterisk-form target; nil for anything else
    /// (authority-form is only meaningful for CONNECT, which an admin port never serves).
    private static func splitTarget(_ target: String, method: String) -> (String, String)? {
        if target == "*" {
            return method == "OPTIONS" ? ("*", "") : nil
        }
        var rest = Substring(target)
        if !rest.hasPrefix("/") {
            let lowered = rest.lowercased()
            let schemeLength = lowered.hasPrefix("http://") ? 7 : lowered.hasPrefix("https://") ? 8 : 0
            guard schemeLength > 0 else { return nil }
            rest = rest.dropFirst(schemeLength)
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
            guard authorityEnd != rest.startIndex else { return nil }
            rest = rest[authorityEnd...]
        }
        guard let mark = rest.firstIndex(of: "?") else {
            return (rest.isEmpty ? "/" : String(rest), "")
        }
        let path = rest[..<mark]
        return (path.isEmpty ? "/" : String(path), String(rest[rest.index(after: mark)...]))
    }

    private mutating func addHeader() -> AdminRequestError? {
        headerCount += 1
        if headerCount > limits.maxHeaderCount { return .headTooLarge }
        if line[0] == HTTPSyntax.space || line[0] == HTTPSyntax.tab {
            return .malformed("obsolete line folding in header")
        }
        guard let colon = line.firstIndex(of: HTTPSyntax.colon) else {
            return .malformed("header field without ':'")
        }
        let nameBytes = line[..<colon]
        guard HTTPSyntax.isToken(nameBytes) else {
            return .malformed("invalid header field name")
        }
        var value = line[(colon + 1)...]
        while let first = value.first, first == HTTPSyntax.space || first == HTTPSyntax.tab { value.removeFirst() }
        while let last = value.last, last == HTTPSyntax.space || last == HTTPSyntax.tab { value.removeLast() }
        let name = String(decoding: nameBytes, as: UTF8.self).lowercased()
        let text = HTTPSyntax.latin1String(value)
        guard let existing = headers[name] else {
            headers[name] = text
            return nil
        }
        switch name {
        case "host":
            return .malformed("more than one Host header")
        case "content-length":
            // Identical repeats are harmless (RFC 9112 §6.3); differing ones are a smuggling attempt.
            return existing == text ? nil : .malformed("conflicting Content-Length headers")
        default:
            headers[name] = "\(existing), \(text)"
            return nil
        }
    }

    private mutating func finishHead() -> AdminRequestError? {
        guard let request = requestLine else { return .malformed("missing request line") }
        if request.minorVersion >= 1 && headers["host"] == nil {
            return .malformed("missing Host header")
        }
        let contentLength = headers["content-length"]
        if headers["transfer-encoding"] != nil {
            if contentLength != nil { return .malformed("both Transfer-Encoding and Content-Length") }
            if request.minorVersion == 0 { return .malformed("Transfer-Encoding in an HTTP/1.0 request") }
            return .lengthRequired
        }
        var length = 0
        if let contentLength {
            guard !contentLength.isEmpty, contentLength.utf8.count <= 18,
                contentLength.utf8.allSatisfy({ Self.digit($0) != nil }), let parsed = Int(contentLength)
            else {
                return .malformed("invalid Content-Length")
            }
            length = parsed
        }
        if length > limits.maxBodyBytes { return .bodyTooLarge }
        if length == 0 {
            _ = finish(.complete(makeRequest()))
        } else {
            body.reserveCapacity(length)
            phase = .body(remaining: length)
            expectsContinue = request.minorVersion >= 1 && headers["expect"]?.lowercased() == "100-continue"
        }
        return nil
    }

    private func makeRequest() -> AdminRequest {
        let request = requestLine!
        var made = AdminRequest(
            method: request.method, path: request.path, query: request.query, body: body,
            minorVersion: request.minorVersion, target: request.target)
        made.headers = headers
        return made
    }
}
