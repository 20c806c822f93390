/// One HTTP/2 request head as the client sent it, validated: what `HTTP2RequestBuilder` accepted from a
/// HEADERS frame (and its CONTINUATIONs). Bytes stay bytes: nothing is decoded or re-encoded on the way
/// to the HTTP/1.1 upstream.
public struct HTTP2Request: Equatable, Sendable {
    public struct Field: Equatable, Sendable {
        /// Lower case (HTTP/2 forbids upper case in names).
        public var name: [UInt8]
        public var value: [UInt8]

        public init(_ name: [UInt8], _ value: [UInt8]) {
            self.name = name
            self.value = value
        }
    }

    /// Every field of the header block as the client sent it, pseudo-header fields first: one flat block
    /// (two allocations per request, whatever the number of fields).
    public private(set) var block: HTTP2FieldBlock
    /// Where `:method`, `:scheme`, `:path` and the authority (`:authority`, else `host`) are in `block`.
    private(set) var methodIndex: Int
    private(set) var schemeIndex: Int
    private(set) var pathIndex: Int
    private(set) var authorityIndex: Int
    /// The `host` field (-1: none): HTTP/1.1's `Host` comes from the authority, so it is not copied.
    private(set) var hostIndex: Int
    /// The first regular (not pseudo-header) field of `block`.
    private(set) var firstRegular: Int
    /// The HEADERS frame ended the stream: the request has no body.
    public var endsStream: Bool
    /// The `content-length` the client declared (every copy equal), if any.
    public var contentLength: Int?

    init(
        block: HTTP2FieldBlock, method: Int, scheme: Int, path: Int, authority: Int, host: Int, firstRegular: Int,
        endsStream: Bool, contentLength: Int?
    ) {
        self.block = block
        methodIndex = method
        schemeIndex = scheme
        pathIndex = path
        authorityIndex = authority
        hostIndex = host
        self.firstRegular = firstRegular
        self.endsStream = endsStream
        self.contentLength = contentLength
    }

    /// Becomes a copy of `other` in this request's own block storage: a request kept from stream to
    /// stream allocates nothing (`other`, the session's builder's, is left unshared for the next head).
    public mutating func assign(_ other: HTTP2Request) {
        block.assign(other.block)
        methodIndex = other.methodIndex
        schemeIndex = other.schemeIndex
        pathIndex = other.pathIndex
        authorityIndex = other.authorityIndex
        hostIndex = other.hostIndex
        firstRegular = other.firstRegular
        endsStream = other.endsStream
        contentLength = other.contentLength
    }

    public var method: [UInt8] { block.field(methodIndex).value }
    public var scheme: [UInt8] { block.field(schemeIndex).value }
    public var path: [UInt8] { block.field(pathIndex).value }
    /// `:authority`, or the `host` field when the client sent no `:authority`.
    public var authority: [UInt8] { block.field(authorityIndex).value }
    /// The regular fields in order, without `host` (the authority becomes HTTP/1.1's `Host`); copies,
    /// for tests and logs.
    public var fields: [Field] {
        (firstRegular..<block.count).filter { $0 != hostIndex }.map(block.field)
    }

    /// The method, for logs.
    public var methodText: String { block.withValue(methodIndex) { String(decoding: $0, as: UTF8.self) } }
    /// `:path` up to its `?` or `#`, for the access log (queries often carry tokens): `/search`, not
    /// `/search?token=...`.
    public var pathText: String {
        block.withValue(pathIndex) { path in
            let end = path.firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? path.endIndex
            return String(decoding: path[..<end], as: UTF8.self)
        }
    }
    public var isHead: Bool { block.withValue(methodIndex) { $0.equals("HEAD") } }

    /// Whether `received` body bytes agree with the declared `content-length` (`ended`: the stream has
    /// ended, so no more will come). Always true without a content-length.
    public func bodyAgrees(received: Int, ended: Bool) -> Bool {
        guard let contentLength else { return !(endsStream && received > 0) }
        return ended ? received == contentLength : received <= contentLength
    }
}

/// Why a request head was refused; the stream is reset with PROTOCOL_ERROR (RFC 9113 §8.1.1: a
/// malformed request). The raw values are the `reason` label values of the refusal metric.
public enum HTTP2RequestError: String, Error, Sendable, CaseIterable {
    case missingPseudoHeader = "missing_pseudo_header"
    case badPseudoHeader = "bad_pseudo_header"
    case connectionSpecificField = "connection_specific_field"
    case badTE = "bad_te"
    case badCharacter = "bad_character"
    case badContentLength = "bad_content_length"
    case unsupportedMethod = "unsupported_method"
    case headerListTooLarge = "header_list_too_large"
    case contentLengthMismatch = "content_length_mismatch"
}
