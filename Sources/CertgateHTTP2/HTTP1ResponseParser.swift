internal import CHTTPParser

/// What `HTTP1ResponseParser` finds in the upstream's bytes.
public protocol HTTP1ResponseSink: AnyObject {
    /// A final response's status and fields (names lower case, connection-specific fields left out).
    /// `fields` is the parser's own block, emptied for the next head after the call: copy what must last.
    func responseHead(status: Int, fields: HTTP2FieldBlock)
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
    /// The callback table, copied here once (through the global every `feed` would call `swift_once`).
    private let settings: UnsafeMutablePointer<http_parser_settings>
    /// The head being parsed (its storage is kept from one response to the next).
    private var fields = HTTP2FieldBlock(bytesCapacity: 1024, fieldsCapacity: 16)
    /// A field has been started (its name is arriving), and its value has begun.
    private var inField = false
    /// The length of the name of the field being parsed.
    private var nameLength = 0
    private var inValue = false
    private var interim = false
    /// The request this response answers was HEAD.
    public var answersHead = false
    /// Bytes of field names and values so far, against `headLimit`.
    private var headBytes = 0
    private let headLimit: Int
    /// Body bytes still to come of a response whose head the fast path took (-1: none is).
    private var fastBodyLeft = -1
    /// http-parser is inside a response (from its first byte to its end): the fast path waits.
    private var slowInProgress = false
    /// A final head has been delivered for the response being parsed.
    public private(set) var sawHead = false

    public init(headLimit: Int = 64 * 1024) {
        self.headLimit = headLimit
        parser = .allocate(capacity: 1)
        settings = .allocate(capacity: 1)
        settings.initialize(to: HTTP1ResponseCallbacks.settings)
        http_parser_init(parser, HTTP_RESPONSE)
        parser.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        parser.deallocate()
        settings.deallocate()
    }

    /// Gets ready for the response to the next request (on a kept-alive connection).
    public func expectResponse(toHead: Bool) {
        answersHead = toHead
        sawHead = false
        interim = false
    }

    /// Parses bytes from the upstream; false when they are not a valid response (the connection is
    /// unusable from then on), or when bytes follow a complete response in the same call: the parser
    /// stops after each final response (http-parser paused), so whatever the upstream sent beyond the
    /// response it was asked for is never taken as the answer to the next request on the connection.
    ///
    /// A response whose whole head is in `bytes` and has the common shape (`HTTP1FastHead`) is parsed
    /// without http-parser; every other one goes through http-parser from its first byte.
    public func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !bytes.isEmpty else { return true }
        if fastBodyLeft >= 0 { return fastBody(bytes) }
        if !slowInProgress, let head = HTTP1FastHead.scan(bytes, limit: headLimit, noBody: answersHead, into: &fields) {
            sawHead = true
            sink?.responseHead(status: head.status, fields: fields)
            fields.removeAll()
            fastBodyLeft = head.bodyLength
            return fastBody(UnsafeRawBufferPointer(rebasing: bytes[head.length...]))
        }
        slowInProgress = true
        resume()
        let parsed = bytes.withMemoryRebound(to: CChar.self) {
            http_parser_execute(parser, settings, $0.baseAddress, $0.count)
        }
        let errno = http_errno(parser.pointee.http_errno)
        return (errno == HPE_OK || errno == HPE_PAUSED) && parsed == bytes.count
    }

    /// The upstream closed: a response framed by the close completes now. False when a response was
    /// cut short.
    public func finish() -> Bool {
        // A fast-path response is framed by its length: an end before that cuts it short.
        if fastBodyLeft >= 0 { return false }
        resume()
        http_parser_execute(parser, settings, nil, 0)
        let errno = http_errno(parser.pointee.http_errno)
        return errno == HPE_OK || errno == HPE_PAUSED
    }

    /// Body bytes of a response whose head the fast path took; the last one completes it (keep-alive:
    /// the fast path takes no other kind). False when bytes follow the response, as on the slow path.
    private func fastBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let n = min(fastBodyLeft, bytes.count)
        if n > 0 { sink?.responseBody(UnsafeRawBufferPointer(rebasing: bytes[..<n])) }
        fastBodyLeft -= n
        guard fastBodyLeft == 0 else { return true }
        fastBodyLeft = -1
        sink?.responseComplete(keepAlive: true)
        return n == bytes.count
    }

    /// Undoes the pause that ends every final response.
    private func resume() {
        if http_errno(parser.pointee.http_errno) == HPE_PAUSED { http_parser_pause(parser, 0) }
    }

    // MARK: Parser callbacks

    func onHeaderField(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        if inValue { endField() }
        if !inField {
            fields.startField()
            inField = true
            nameLength = 0
        }
        nameLength += bytes.count
        headBytes += bytes.count
        fields.extendName(bytes, lowercased: true)
        return headBytes > headLimit ? 1 : 0
    }

    func onHeaderValue(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        inValue = true
        headBytes += bytes.count
        fields.extendValue(bytes)
        return headBytes > headLimit ? 1 : 0
    }

    private func endField() {
        // The fields that mean nothing in HTTP/2: the same list a request may not carry.
        if HTTP2RequestBuilder.mayBeConnectionSpecific(length: nameLength),
            fields.lastName({ HTTP2RequestBuilder.isConnectionSpecific($0) })
        {
            fields.removeLast()
        }
        inField = false
        inValue = false
    }

    /// 1: no body, whatever the fields say.
    func onHeadersComplete() -> Int32 {
        if inField { endField() }
        let status = Int(parser.pointee.status_code)
        headBytes = 0
        interim = (100..<200).contains(status)
        if interim {
            fields.removeAll()
            return 1
        }
        sawHead = true
        sink?.responseHead(status: status, fields: fields)
        fields.removeAll()
        return answersHead || status == 204 || status == 304 ? 1 : 0
    }

    func onBody(_ bytes: UnsafeRawBufferPointer) {
        sink?.responseBody(bytes)
    }

    func onMessageComplete() -> Int32 {
        // Trailer fields of a chunked body arrive like header fields: dropped, not left for the next head.
        fields.removeAll()
        inField = false
        inValue = false
        headBytes = 0
        guard !interim else { return 0 }
        slowInProgress = false
        let keepAlive = http_should_keep_alive(parser) != 0
        http_parser_pause(parser, 1)
        sink?.responseComplete(keepAlive: keepAlive)
        return 0
    }
}

/// The http-parser callback table of `HTTP1ResponseParser`.
enum HTTP1ResponseCallbacks {
    static let settings: http_parser_settings = {
        var settings = http_parser_settings()
        http_parser_settings_init(&settings)
        settings.on_header_field = { parser, at, length in
            owner(parser) { $0.onHeaderField(UnsafeRawBufferPointer(start: at, count: length)) }
        }
        settings.on_header_value = { parser, at, length in
            owner(parser) { $0.onHeaderValue(UnsafeRawBufferPointer(start: at, count: length)) }
        }
        settings.on_headers_complete = { parser in
            owner(parser) { $0.onHeadersComplete() }
        }
        settings.on_body = { parser, at, length in
            owner(parser) { $0.onBody(UnsafeRawBufferPointer(start: at, count: length)) }
            return 0
        }
        settings.on_message_complete = { parser in
            owner(parser) { $0.onMessageComplete() }
        }
        return settings
    }()

    /// Runs `body` with the parser behind `parser->data`, without retaining it (it is alive: it called).
    @inline(__always)
    private static func owner<R>(
        _ parser: UnsafeMutablePointer<http_parser>?, _ body: (HTTP1ResponseParser) -> R
    ) -> R {
        Unmanaged<HTTP1ResponseParser>.fromOpaque(parser!.pointee.data)._withUnsafeGuaranteedRef(body)
    }
}
