public import CertgateHTTP

extension HTTP2Request {
    /// Whether the HTTP/1.1 request carries its body in chunked encoding: the client may send DATA and
    /// declared no length.
    public var sendsChunked: Bool { !endsStream && contentLength == nil }

    /// The HTTP/1.1 request head for the upstream, under the `--forward-headers` rules: the request line
    /// from `:method` and `:path`, `Host` from the authority, the client's fields except those certgate
    /// manages (`ForwardedHeaders.isManaged`: X-Forwarded-For/-Proto/-Port and X-Forwarded-Client-Cert,
    /// whatever the client sent are removed) and `te` (hop-by-hop), `cookie` fields joined into one (RFC
    /// 9113 §8.2.3), then
    /// `Transfer-Encoding: chunked` when the body's length is unknown, certgate's own forwarded fields,
    /// and the empty line.
    public func http1Head(forwarded: ForwardedHeaders) -> [UInt8] {
        var out: [UInt8] = []
        appendHTTP1Head(to: &out, forwarded: forwarded)
        return out
    }

    /// `http1Head`, appended to `out` (no buffer of its own).
    public func appendHTTP1Head(to out: inout [UInt8], forwarded: ForwardedHeaders) {
        out.reserveCapacity(out.count + 128 + block.byteCount + 4 * block.count + forwarded.block.count)
        block.withValue(methodIndex) { out.append(contentsOf: $0) }
        out.append(UInt8(ascii: " "))
        block.withValue(pathIndex) { out.append(contentsOf: $0) }
        out.append(" HTTP/1.1\r\nHost: ")
        block.withValue(authorityIndex) { out.append(contentsOf: $0) }
        out.append("\r\n")
        var cookies = 0
        for index in firstRegular..<block.count where index != hostIndex {
            block.withField(index) { name, value in
                // `te: trailers` is hop-by-hop (and only means something with HTTP/2's trailers): not passed on.
                if ForwardedHeaders.isManaged(name) || name.equals("te") { return }
                if name.equals("cookie") {
                    cookies += 1
                    return
                }
                out.append(contentsOf: name)
                out.append(": ")
                out.append(contentsOf: value)
                out.append("\r\n")
            }
        }
        if cookies > 0 {
            out.append("cookie: ")
            var first = true
            for index in firstRegular..<block.count where index != hostIndex {
                block.withField(index) { name, value in
                    guard name.equals("cookie") else { return }
                    if !first { out.append("; ") }
                    first = false
                    out.append(contentsOf: value)
                }
            }
            out.append("\r\n")
        }
        if sendsChunked { out.append("Transfer-Encoding: chunked\r\n") }
        out += forwarded.block
        out.append("\r\n")
    }
}
