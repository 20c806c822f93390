import Testing

@testable import CertgateHTTP2

private func run(_ text: String, piece: Int = 0, head: Bool = false, finish: Bool = false) -> (ResponseRecorder, Bool) {
    ResponseRecorder.parse(text, piece: piece, head: head, finish: finish)
}

private func scan(_ text: String, head: Bool = false) -> HTTP1FastHead.Head? {
    var fields = HTTP2FieldBlock()
    return Array(text.utf8).withUnsafeBytes { HTTP1FastHead.scan($0, limit: 64 * 1024, noBody: head, into: &fields) }
}

@Suite("HTTP/1.1 response heads: the fast path")
struct HTTP1FastHeadTests {
    static let typical =
        "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sun, 06 Dec 2026 03:00:00 GMT\r\n"
        + "Content-Type: application/octet-stream\r\nContent-Length: 6\r\nConnection: keep-alive\r\n\r\nhello\n"

    @Test("the common shape is taken whole: status, head length, body length")
    func accepts() {
        let head = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Length: 6\r\nConnection: keep-alive\r\n\r\n"
        #expect(scan(head + "hello\n") == .init(status: 200, length: head.utf8.count, bodyLength: 6))
        #expect(scan("HTTP/1.1 204 No Content\r\n\r\n") == .init(status: 204, length: 27, bodyLength: 0))
        #expect(scan("HTTP/1.1 304 \r\nContent-Length: 9\r\n\r\n")?.bodyLength == 0)
        #expect(scan("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", head: true)?.bodyLength == 0)
        #expect(scan("HTTP/1.1 404 Not Found\r\nX-Empty:\r\nContent-Length: 0\r\n\r\n")?.status == 404)
    }

    @Test(
        "every other shape is left to http-parser",
        arguments: [
            "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n", // the head is not complete
            "HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\n",
            "HTTP/1.1 100 Continue\r\n\r\n",
            "HTTP/1.1 200 OK\r\n\r\n", // framed by the close
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nContent-Length: 6\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 6x\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: -6\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nX-Fold: a\r\n b\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nX-Bad : a\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 6\nX-A: a\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nX-Nul: a\u{0}b\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n: no name\r\n\r\n",
            "HTTP/1.1 2x0 OK\r\nContent-Length: 6\r\n\r\n",
            "HTTP/1.1  200 OK\r\nContent-Length: 6\r\n\r\n",
        ])
    func declines(_ text: String) {
        #expect(scan(text) == nil)
    }

    @Test("names lower-cased, values trimmed, connection-specific fields dropped")
    func fields() {
        let (r, ok) = run(
            "HTTP/1.1 200 OK\r\nX-UPPER:   v  \r\nKeep-Alive: timeout=5\r\nProxy-Connection: x\r\nUpgrade: h2c\r\n"
                + "Connection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok")
        #expect(ok)
        #expect(r.summary == "[\"200 x-upper=v;content-length=2\"] body=[111, 107] done=[true]")
    }

    /// The fast path (whole reads) and http-parser (one byte per read) must agree on every response,
    /// including those the fast path declines.
    @Test(
        "the fast path and http-parser see the same responses",
        arguments: [
            typical,
            "HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n",
            "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX-Obs: caf\u{e9}\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\nbad",
        ])
    func agrees(_ text: String) {
        let (fast, fastOK) = run(text)
        let (slow, slowOK) = run(text, piece: 1)
        #expect(fastOK == slowOK)
        #expect(fast.summary == slow.summary)
        #expect(!fast.completions.isEmpty)
    }

    @Test("a body split across reads completes with its last byte; a byte beyond it is refused")
    func splitBody() {
        let parser = HTTP1ResponseParser()
        let r = ResponseRecorder()
        parser.sink = r
        parser.expectResponse(toHead: false)
        let first = Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhe".utf8)
        #expect(first.withUnsafeBytes { parser.feed($0) })
        #expect(r.completions.isEmpty)
        #expect(Array("ll".utf8).withUnsafeBytes { parser.feed($0) })
        #expect(!Array("oX".utf8).withUnsafeBytes { parser.feed($0) })
        #expect(r.body == Array("hello".utf8) && r.completions == [true])
        // The next response on the connection (after expectResponse) takes the fast path again.
        parser.expectResponse(toHead: false)
        #expect(Array("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n!".utf8).withUnsafeBytes { parser.feed($0) })
        #expect(r.completions == [true, true] && r.body == Array("hello!".utf8))
    }

    @Test("the upstream closing inside a fast-path body cuts the response short")
    func closedEarly() {
        let (r, ok) = run("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhe", finish: true)
        #expect(!ok)
        #expect(r.completions.isEmpty)
    }

    @Test("a head split across reads goes to http-parser, which finishes it")
    func splitHead() {
        let (r, ok) = run(Self.typical, piece: 20)
        #expect(ok)
        #expect(r.summary == run(Self.typical).0.summary)
    }

    @Test("a response to HEAD has no body on the fast path either")
    func head() {
        let (r, ok) = run("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", head: true)
        #expect(ok && r.completions == [true] && r.body.isEmpty)
    }
}
