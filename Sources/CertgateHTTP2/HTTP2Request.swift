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

    public var method: [UInt8]
    public var scheme: [UInt8]
    public var path: [UInt8]
    /// `:authority`, or the `host` field when the client sent no `:authority`.
    public var authority: [UInt8]
    /// The regular fields in order, without `host` (the authority becomes HTTP/1.1's `Host`).
    public var fields: [Field]
    /// The HEADERS frame ended the stream: the request has no body.
    public var endsStream: Bool
    /// The `content-length` the client declared (every copy equal), if any.
    public var contentLength: Int?

    /// The method, for logs.
    public var methodText: String { String(decoding: method, as: UTF8.self) }
    /// `:path` up to its `?` or `#`, for the access log (queries often carry tokens): `/search`, not
    /// `/search?token=...`.
    public var pathText: String {
        let end = path.firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? path.endIndex
        return String(decoding: path[..<end], as: UTF8.self)
    }
    public var isHead: Bool { method == Self.head }
    static let head = Array("HEAD".utf8)

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
