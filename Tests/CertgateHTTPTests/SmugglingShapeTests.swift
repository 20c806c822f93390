import Testing

@testable import CertgateHTTP

@Suite("Request smuggling shapes and malformed requests")
struct SmugglingShapeTests {
    static let cases: [(String, String, RequestRejection)] = [
        (
            "CL then TE",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            .lengthAndChunked
        ),
        (
            "TE then CL",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
            .lengthAndChunked
        ),
        (
            "conflicting lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
            .badContentLength
        ),
        (
            "repeated equal lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
            .badContentLength
        ),
        ("length list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc", .badContentLength),
        ("negative length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", .badContentLength),
        ("length with sign", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc", .badContentLength),
        ("obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n folded\r\n\r\n", .obsFold),
        ("obs-fold with tab", "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\tfolded\r\n\r\n", .obsFold),
        ("whitespace before the first field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", .badHeader),
        ("bare CR in a value", "GET / HTTP/1.1\r\nHost: a\rX: 1\r\n\r\n", .badLineEnding),
        ("bare CR in the request line", "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", .badLineEnding),
        ("bare LF line ends", "GET / HTTP/1.1\nHost: a\n\n", .badLineEnding),
        ("bare LF after a field", "GET / HTTP/1.1\r\nHost: a\nX: 1\r\n\r\n", .badLineEnding),
        ("CR CR LF", "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", .badLineEnding),
        ("space before the colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", .badHeader),
        ("tab before the colon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", .badHeader),
        ("field without colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", .badHeader),
        ("empty field name", "GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n", .badHeader),
        ("NUL in a value", "GET / HTTP/1.1\r\nHost: a\u{0}b\r\n\r\n", .badHeader),
        ("control character in a value", "GET / HTTP/1.1\r\nHost: a\u{1}b\r\n\r\n", .badHeader),
        ("DEL in a value", "GET / HTTP/1.1\r\nHost: a\u{7F}\r\n\r\n", .badHeader),
        ("tab in the target", "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", .badRequestLine),
        ("garbage request line", "HELLO\r\n\r\n", .badRequestLine),
        ("lower-case method", "get / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequestLine),
        ("TLS on the plaintext side", "\u{16}\u{3}\u{1}\u{0}\u{5}hello", .badRequestLine),
        (
            "TE gzip, chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
            .unsupportedTransferEncoding
        ),
        (
            "TE chunked, gzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
            .unsupportedTransferEncoding
        ),
        (
            "TE twice",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            .unsupportedTransferEncoding
        ),
        (
            "TE xchunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
            .unsupportedTransferEncoding
        ),
        (
            "TE identity", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\nabc",
            .unsupportedTransferEncoding
        ),
        (
            "TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            .unsupportedTransferEncoding
        ),
        ("bad chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .badChunk),
        (
            "chunk data too long",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n", .badChunk
        ),
        (
            "chunk ended by bare LF",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n", .badChunk
        ),
        (
            "chunk size overflow",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\n", .badChunk
        ),
        ("no Host in HTTP/1.1", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", .badHost),
        ("two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .badHost),
        ("two Hosts in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", .badHost),
        ("HTTP/2.0 request line", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", .unsupportedVersion),
        ("HTTP/1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", .unsupportedVersion),
        ("h2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", .badRequestLine),
    ]

    @Test("each shape is refused with its reason", arguments: cases.indices)
    func refused(_ index: Int) {
        let (name, input, expected) = Self.cases[index]
        let outcome = RewriterHarness.run(input)
        #expect(outcome.rejection == expected, "\(name)")
        #expect(outcome.requests == 0 || expected == .badChunk, "\(name)")
        // Nothing of a refused head reaches the upstream.
        if expected != .badChunk {
            #expect(outcome.output.isEmpty, "\(name)")
        }
    }

    @Test("each shape is refused the same way when it arrives one byte at a time", arguments: cases.indices)
    func refusedBytewise(_ index: Int) {
        let (name, input, expected) = Self.cases[index]
        let bytes = Array(input.utf8)
        let outcome = RewriterHarness.run(bytes, cuts: Array(0..<bytes.count))
        #expect(outcome.rejection == expected, "\(name)")
    }

    @Test("statuses: 431 too large, 501 unsupported coding, 505 version, else 400")
    func statuses() {
        #expect(RequestRejection.headTooLarge.status == 431)
        #expect(RequestRejection.unsupportedTransferEncoding.status == 501)
        #expect(RequestRejection.unsupportedVersion.status == 505)
        #expect(RequestRejection.obsFold.status == 400)
        #expect(Set(RequestRejection.allCases.map(\.rawValue)).count == RequestRejection.allCases.count)
    }
}
