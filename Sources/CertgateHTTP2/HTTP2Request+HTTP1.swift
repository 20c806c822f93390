public import CertgateHTTP

extension HTTP2Request {
    /// Whether the HTTP/1.1 request carries its body in chunked encoding: the client may send DATA and
    /// declared no length.
    public var sendsChunked: Bool { !endsStream && contentLength == nil }

    /// The HTTP/1.1 request head for the upstream, under the `--forward-headers` rules: the request line
    /// from `:method` and `:path`, `Host` from the authority, the client's fields except those certgate
    /// manages (`ForwardedHeaders.isManaged`: X-Forwarded-For/-Proto/-Port and X-Forwarded-Client-Cert,
    /// whatever the client sent are removed), `cookie` fields joined into one (RFC 9113 §8.2.3), then
    /// `Transfer-Encoding: chunked` when the body's length is unknown, certgate's own forwarded fields,
    /// and the empty line.
    public func http1Head(forwarded: ForwardedHeaders) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + fields.reduce(0) { $0 + $1.name.count + $1.value.count + 4 })
        out += method
        out.append(UInt8(ascii: " "))
        out += path
        out += Self.versionAndHost
        out += authority
        out += Self.crlf
        var cookies: [[UInt8]] = []
        for field in fields {
            let managed = field.name.withUnsafeBytes { ForwardedHeaders.isManaged($0) }
            if managed { continue }
            if field.name == Self.cookie {
                cookies.append(field.value)
                continue
            }
            out += field.name
            out += Self.colonSpace
            out += field.value
            out += Self.crlf
        }
        if !cookies.isEmpty {
            out += Self.cookie + Self.colonSpace
            out += Array(cookies.joined(separator: Self.cookieSeparator))
            out += Self.crlf
        }
        if sendsChunked { out += Self.chunked }
        out += forwarded.block
        out += Self.crlf
        return out
    }

    static let crlf: [UInt8] = [13, 10]
    static let cookie = Array("cookie".utf8)
    static let colonSpace = Array(": ".utf8)
    static let cookieSeparator = Array("; ".utf8)
    static let versionAndHost = Array(" HTTP/1.1\r\nHost: ".utf8)
    static let chunked = Array("Transfer-Encoding: chunked\r\n".utf8)
}
