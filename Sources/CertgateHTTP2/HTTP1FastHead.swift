/// The head of an upstream response in the shape nearly every one has, parsed in one pass over bytes
/// already in memory, without http-parser's byte-at-a-time state machine (about 4,500 instructions for
/// a 150-byte head, an eighth of all certgate's user-space work per HTTP/2 request, by callgrind).
///
/// It accepts only a strict subset of HTTP/1.1, and says nil for everything else, so that
/// `HTTP1ResponseParser` hands those bytes to http-parser, which decides: the whole head in these bytes
/// (within `limit`), `HTTP/1.1`, a final status (200-999), every line ending in CRLF, field names of
/// token characters directly followed by `:`, values of visible characters, spaces, tabs and obs-text
/// only, no obs-fold, no `Transfer-Encoding`, at most one `Content-Length` (digits only), `Connection`
/// absent or exactly `keep-alive`, and a `Content-Length` unless the response has no body. So
/// everything it accepts is framed by its length and leaves the connection reusable.
///
/// Names go into `fields` lower-cased, without the connection-specific fields (as
/// `HTTP1ResponseParser` does on its slow path).
enum HTTP1FastHead {
    struct Head: Equatable {
        var status: Int
        /// Bytes of the head, the empty line included: the body starts here.
        var length: Int
        /// Body bytes that follow (0 when the response has none).
        var bodyLength: Int
    }

    /// `noBody`: the request was HEAD (the response has no body whatever its fields say).
    static func scan(
        _ bytes: UnsafeRawBufferPointer, limit: Int, noBody: Bool, into fields: inout HTTP2FieldBlock
    ) -> Head? {
        let count = min(bytes.count, limit)
        // "HTTP/1.1 200 \r\n\r\n" is the shortest head there is.
        guard count >= 17, let base = bytes.baseAddress else { return nil }
        let p = base.assumingMemoryBound(to: UInt8.self)
        guard UnsafeRawBufferPointer(start: p, count: 9).equals("HTTP/1.1 "), p[12] == 32 else { return nil }
        let d0 = p[9] &- 48
        let d1 = p[10] &- 48
        let d2 = p[11] &- 48
        guard d0 < 10, d1 < 10, d2 < 10 else { return nil }
        let status = Int(d0) * 100 + Int(d1) * 10 + Int(d2)
        // 1xx (interim) and anything below: http-parser.
        guard status >= 200 else { return nil }
        var i = 13
        while i < count && p[i] != 13 {
            guard isFieldByte(p[i]) else { return nil }
            i += 1
        }
        guard i + 1 < count, p[i + 1] == 10 else { return nil }
        i += 2
        var contentLength: Int?
        fields.removeAll()
        while true {
            guard i + 1 < count else {
                fields.removeAll()
                return nil
            }
            if p[i] == 13 {
                guard p[i + 1] == 10 else { return nil }
                i += 2
                break
            }
            let nameStart = i
            while i < count && HTTP2RequestBuilder.isTokenByte(p[i]) { i += 1 }
            guard i < count, i > nameStart, p[i] == 58 else {
                fields.removeAll()
                return nil
            }
            let name = UnsafeRawBufferPointer(start: p + nameStart, count: i - nameStart)
            i += 1
            while i < count && (p[i] == 32 || p[i] == 9) { i += 1 }
            let valueStart = i
            while i < count && p[i] != 13 {
                guard isFieldByte(p[i]) else {
                    fields.removeAll()
                    return nil
                }
                i += 1
            }
            guard i + 1 < count, p[i + 1] == 10 else {
                fields.removeAll()
                return nil
            }
            var valueEnd = i
            while valueEnd > valueStart && (p[valueEnd - 1] == 32 || p[valueEnd - 1] == 9) { valueEnd -= 1 }
            let value = UnsafeRawBufferPointer(start: p + valueStart, count: valueEnd - valueStart)
            i += 2
            switch classify(name, value, contentLength: &contentLength) {
            case .keep: fields.append(lowercasingName: name, value: value)
            case .drop: break
            case .slowPath:
                fields.removeAll()
                return nil
            }
        }
        let hasBody = !(noBody || status == 204 || status == 304)
        if hasBody && contentLength == nil {
            // Framed by the close: http-parser.
            fields.removeAll()
            return nil
        }
        return Head(status: status, length: i, bodyLength: hasBody ? contentLength! : 0)
    }

    private enum Verdict {
        case keep
        case drop
        case slowPath
    }

    /// What becomes of one field: kept, dropped (connection-specific), or a reason for http-parser.
    private static func classify(
        _ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, contentLength: inout Int?
    ) -> Verdict {
        switch name.count {
        case 10 where name.equalsLowercased("connection"):
            return value.equalsLowercased("keep-alive") ? .drop : .slowPath
        case 17 where name.equalsLowercased("transfer-encoding"):
            return .slowPath
        case 14 where name.equalsLowercased("content-length"):
            guard contentLength == nil, !value.isEmpty, value.count <= 18 else { return .slowPath }
            var length = 0
            for byte in value {
                guard byte &- 48 < 10 else { return .slowPath }
                length = length * 10 + Int(byte &- 48)
            }
            contentLength = length
            return .keep
        default:
            // The other connection-specific fields (keep-alive, proxy-connection, upgrade).
            return HTTP2RequestBuilder.isConnectionSpecific(name, anyCase: true) ? .drop : .keep
        }
    }

    /// A byte a field value or reason phrase may hold: HTAB, SP, visible ASCII, obs-text.
    @inline(__always)
    static func isFieldByte(_ byte: UInt8) -> Bool {
        byte == 9 || (byte >= 32 && byte != 127)
    }
}
