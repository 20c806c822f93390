import Testing

@testable import CertgateHTTP2

/// One byte at a time: every callback must cope with split fields.
private func parse(_ text: String, head: Bool = false, finish: Bool = false) -> (ResponseRecorder, Bool) {
    ResponseRecorder.parse(text, piece: 1, head: head, finish: finish)
}

@Suite("HTTP/1.1 responses for HTTP/2")
struct HTTP1ResponseParserTests {
    @Test("chunked body is decoded; names lower-cased; connection-specific fields dropped")
    func chunked() {
        let (c, ok) = parse(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n"
                + "Keep-Alive: timeout=5\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        #expect(ok)
        #expect(c.heads.count == 1 && c.heads[0].0 == 200)
        #expect(c.heads[0].1 == [HTTP2Request.Field(Array("content-type".utf8), Array("text/plain".utf8))])
        #expect(c.body == Array("hello world".utf8))
        #expect(c.completions == [true])
    }

    @Test("interim 100 is skipped; Connection: close means no keep-alive")
    func interimAndClose() {
        let (c, ok) = parse(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno")
        #expect(ok)
        #expect(c.heads.map(\.0) == [404])
        #expect(c.body == Array("no".utf8))
        #expect(c.completions == [false])
    }

    @Test("a response to HEAD has no body whatever Content-Length says")
    func head() {
        let (c, ok) = parse("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", head: true)
        #expect(ok)
        #expect(c.completions == [true])
        #expect(c.body.isEmpty)
    }

    @Test("a body framed by the close ends at EOF")
    func closeDelimited() {
        let (c, ok) = parse("HTTP/1.1 200 OK\r\n\r\nuntil the end", finish: true)
        #expect(ok)
        #expect(c.body == Array("until the end".utf8))
        #expect(c.completions == [false])
    }

    @Test("trailers of a chunked body are dropped, not added to the next response's head")
    func trailers() {
        let (c, ok) = parse(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-Trailer: t\r\n\r\n"
                + "HTTP/1.1 204 No Content\r\nX-Next: n\r\n\r\n")
        #expect(ok)
        #expect(c.heads.map(\.0) == [200, 204])
        #expect(c.heads[1].1 == [HTTP2Request.Field(Array("x-next".utf8), Array("n".utf8))])
        #expect(c.completions == [true, true])
    }

    @Test("garbage is an error")
    func garbage() {
        #expect(!parse("<html>hello</html>\r\n\r\n").1)
    }

    @Test("bytes after a complete response in the same read are refused, never parsed as the next one")
    func bytesAfterTheResponse() {
        let parser = HTTP1ResponseParser()
        let collector = ResponseRecorder()
        parser.sink = collector
        parser.expectResponse(toHead: false)
        let two = Array(
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8)
        #expect(!two.withUnsafeBytes { parser.feed($0) })
        #expect(collector.heads.map(\.0) == [200])
        #expect(collector.body == Array("a".utf8))
        #expect(collector.completions == [true])
        // A response that ends exactly where the read ends is clean, and the next read parses the next one.
        let next = HTTP1ResponseParser()
        next.sink = collector
        let one = Array("HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n".utf8)
        #expect(one.withUnsafeBytes { next.feed($0) })
        #expect(one.withUnsafeBytes { next.feed($0) })
        #expect(collector.heads.map(\.0) == [200, 204, 204])
        #expect(collector.heads[2].1 == [HTTP2Request.Field(Array("x-a".utf8), Array("1".utf8))])
    }
}
