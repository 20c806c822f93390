internal import CHTTPParser

/// What `HTTP1ResponseParser` finds in the upstream's bytes.
public protocol HTTP1ResponseSink: AnyObject {
    /// A final response's status and fields (names lower case, connection-specific fields left out).
    func responseHead(status: Int, fields: [HTTP2Request.Field])
    /// Decoded body bytes (chunked framing removed).
    func responseBody(_ bytes: UnsafeRawBufferPointer)
    /// The response is complete; `keepAlive`: the connection may carry another request.
    func responseComplete(keepAlive: Bool)
}

/// Parses one upstream HTTP/1.1 response after another with http-parser (response mode), for the HTTP/2
/// side: the head becomes a HEADERS frame (so its field names are lower-cased and the fields that mean
/// nothing in HTTP/2, `connection`, `keep-alive`, `proxy-connection`, `transfer-encoding`, `upgrade`,
/// are dropped), the body is de-chunked into DATA. Interim 1xx responses are skipped; a response to
/// HEAD has no body whatever its fields say.
public final class HTTP1ResponseParser {
    /// Unowned: the sink owns its parser and is the only one to drive it (a `weak` reference would give
    /// every sink a side table and slow all its reference counting).
    public unowned(unsafe) var sink: HTTP1ResponseSink?
    private let parser: UnsafeMutablePointer<http_parser>
    private var fields: [HTTP2Request.Field] = []
    private var name: [UInt8] = []
    private var value: [UInt8] = []
    private var inValue = false
    private var interim = false
    /// The request this response answers was HEAD.
    public var answersHead = false
    /// Bytes of field names and values so far, against `headLimit`.
    private var headBytes = 0
    private let headLimit: Int
    /// A final head has been delivered for the response being parsed.
    public private(set) var sawHead = false

    public init(headLimit: Int = 64 * 1024) {
        self.headLimit = headLimit
        parser = .allocate(capacity: 1)
        http_parser_init(parser, HTTP_RESPONSE)
        parser.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        parser.deallocate()
    }

    /// Gets ready for the response to the next request (on a kept-alive connection).
    public func expectResponse(toHead: Bool) {
        answersHead = toHead
        sawHead = false
        interim = false
    }

    /// Parses bytes from the upstream; false when they are not a valid response (the connection is
    /// unusable from then on).
    public func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !bytes.isEmpty else { return true }
        let parsed = bytes.withMemoryRebound(to: CChar.self) {
            http_parser_execute(parser, &HTTP1ResponseCallbacks.settings, $0.baseAddress, $0.count)
        }
        return http_errno(parser.pointee.http_errno) == HPE_OK && parsed == bytes.count
    }

    /// The upstream closed: a response framed by the close completes now. False when a response was
    /// cut short.
    public func finish() -> Bool {
        http_parser_execute(parser, &HTTP1ResponseCallbacks.settings, nil, 0)
        return http_errno(parser.pointee.http_errno) == HPE_OK
    }

    static let dropped: [[UInt8]] = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]
        .map { Array($0.utf8) }

    // MARK: Parser callbacks

    func onHeaderField(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        if inValue { endField() }
        headBytes += bytes.count
        name += bytes.lazy.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }
        return headBytes > headLimit ? 1 : 0
    }

    func onHeaderValue(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        inValue = true
        headBytes += bytes.count
        value += bytes
        return headBytes > headLimit ? 1 : 0
    }

    private func endField() {
        if !Self.dropped.contains(name) { fields.append(HTTP2Request.Field(name, value)) }
        name = []
        value = []
        inValue = false
    }

    /// 1: no body, whatever the fields say.
    func onHeadersComplete() -> Int32 {
        if inValue { endField() }
        let status = Int(parser.pointee.status_code)
        let head = fields
        fields = []
        headBytes = 0
        interim = (100..<200).contains(status)
        if interim { return 1 }
        sawHead = true
        sink?.responseHead(status: status, fields: head)
        return answersHead || status == 204 || status == 304 ? 1 : 0
    }

    func onBody(_ bytes: UnsafeRawBufferPointer) {
        sink?.responseBody(bytes)
    }

    func onMessageComplete() -> Int32 {
        // Trailer fields of a chunked body arrive like header fields: dropped, not left for the next head.
        fields = []
        name = []
        value = []
        inValue = false
        headBytes = 0
        guard !interim else { return 0 }
        let keepAlive = http_should_keep_alive(parser) != 0
        sink?.responseComplete(keepAlive: keepAlive)
        return 0
    }
}

/// The http-parser callback table of `HTTP1ResponseParser`.
enum HTTP1ResponseCallbacks {
    nonisolated(unsafe) static var settings: http_parser_settings = {
        var settings = http_parser_settings()
        http_parser_settings_init(&settings)
        settings.on_header_field = { parser, at, length in
            owner(parser).onHeaderField(UnsafeRawBufferPointer(start: at, count: length))
        }
        settings.on_header_value = { parser, at, length in
            owner(parser).onHeaderValue(UnsafeRawBufferPointer(start: at, count: length))
        }
        settings.on_headers_complete = { parser in
            owner(parser).onHeadersComplete()
        }
        settings.on_body = { parser, at, length in
            owner(parser).onBody(UnsafeRawBufferPointer(start: at, count: length))
            return 0
        }
        settings.on_message_complete = { parser in
            owner(parser).onMessageComplete()
        }
        return settings
    }()

    @inline(__always)
    private static func owner(_ parser: UnsafeMutablePointer<http_parser>?) -> HTTP1ResponseParser {
        Unmanaged<HTTP1ResponseParser>.fromOpaque(parser!.pointee.data).takeUnretainedValue()
    }
}
