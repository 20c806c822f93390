@testable import CertgateHTTP2

/// What an `HTTP1ResponseParser` reported, for the parser's tests.
final class ResponseRecorder: HTTP1ResponseSink {
    var heads: [(Int, [HTTP2Request.Field])] = []
    var body: [UInt8] = []
    var completions: [Bool] = []

    func responseHead(status: Int, fields: HTTP2FieldBlock) { heads.append((status, fields.fields)) }
    func responseBody(_ bytes: UnsafeRawBufferPointer) { body += bytes }
    func responseComplete(keepAlive: Bool) { completions.append(keepAlive) }

    /// Everything it saw, comparable.
    var summary: String {
        let heads = heads.map { status, fields in
            "\(status) "
                + fields.map {
                    String(decoding: $0.name, as: UTF8.self) + "=" + String(decoding: $0.value, as: UTF8.self)
                }
                .joined(separator: ";")
        }
        return "\(heads) body=\(body) done=\(completions)"
    }

    /// Feeds `text` to a new parser in pieces of `piece` bytes (0: all at once), stopping at the first
    /// refusal; `head`: the request was HEAD; `finish`: then the upstream closes. Returns the recorder and
    /// whether every call succeeded.
    static func parse(_ text: String, piece: Int = 0, head: Bool = false, finish: Bool = false) -> (
        ResponseRecorder, Bool
    ) {
        let parser = HTTP1ResponseParser()
        let recorder = ResponseRecorder()
        parser.sink = recorder
        parser.expectResponse(toHead: head)
        let bytes = Array(text.utf8)
        var ok = true
        var start = 0
        while start < bytes.count && ok {
            let end = piece == 0 ? bytes.count : min(bytes.count, start + piece)
            ok = bytes[start..<end].withUnsafeBytes { parser.feed($0) }
            start = end
        }
        if finish && ok { ok = parser.finish() }
        return (recorder, ok)
    }
}
