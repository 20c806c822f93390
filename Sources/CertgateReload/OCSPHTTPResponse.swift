/// Parses the answer of an OCSP responder to an HTTP/1.0 POST (pure): a status line, headers, and the
/// DER body, delimited by Content-Length or by the end of the stream (no chunked encoding in HTTP/1.0).
public enum OCSPHTTPResponse: Equatable, Sendable {
    /// More bytes are needed (the stream has not ended).
    case incomplete
    case body([UInt8])
    case failed(String)

    /// The largest response accepted (responses are a few KiB).
    public static let maximumSize = 256 * 1024

    /// Parses `bytes`, all that was read so far; `ended`: the peer closed the stream.
    public static func parse(_ bytes: [UInt8], ended: Bool) -> OCSPHTTPResponse {
        if bytes.count > maximumSize { return .failed("the response is larger than \(maximumSize) bytes") }
        guard let headEnd = headEnd(in: bytes) else {
            return ended ? .failed("the response ended inside its header") : .incomplete
        }
        let lines = String(decoding: bytes[..<headEnd], as: UTF8.self).split(separator: "\r\n")
        guard let statusLine = lines.first else { return .failed("empty status line") }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            return .failed("not an HTTP response")
        }
        guard status == 200 else { return .failed("HTTP status \(status)") }
        var contentLength: Int?
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { return .failed("malformed header line") }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingSpaces
            if name == "content-length" {
                guard let length = Int(value), length >= 0 else { return .failed("bad Content-Length") }
                contentLength = length
            } else if name == "transfer-encoding" {
                return .failed("unsupported Transfer-Encoding \(value)")
            }
        }
        let body = bytes[(headEnd + 4)...]
        if let contentLength {
            if body.count >= contentLength { return .body(Array(body.prefix(contentLength))) }
            return ended ? .failed("the response ended before its Content-Length") : .incomplete
        }
        return ended ? .body(Array(body)) : .incomplete
    }

    private static func headEnd(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
