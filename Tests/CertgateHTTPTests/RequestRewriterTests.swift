import Testing

@testable import CertgateHTTP

private let H = RewriterHarness.injected

@Suite("Request rewriting")
struct RequestRewriterTests {
    @Test("a GET gets the forwarded fields before the empty line")
    func simpleGet() {
        let outcome = RewriterHarness.run("GET /a?b=c HTTP/1.1\r\nHost: api\r\nAccept: */*\r\n\r\n")
        #expect(
            outcome
                == .init(
                    output: "GET /a?b=c HTTP/1.1\r\nHost: api\r\nAccept: */*\r\n\(H)\r\n", rejection: nil, requests: 1))
        #expect(H == "X-Forwarded-For: 192.0.2.7\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Port: 8443\r\n")
    }

    @Test("the client's copies are removed, in any case and with underscores")
    func stripsClientCopies() {
        let input =
            "GET / HTTP/1.1\r\nX-Forwarded-For: 6.6.6.6\r\nHost: a\r\nx-forwarded-proto: http\r\n"
            + "X_Forwarded_Port: 1\r\nX-FORWARDED-CLIENT-CERT: Hash=evil\r\nX-Forwarded-Host: kept\r\n\r\n"
        let outcome = RewriterHarness.run(input)
        #expect(outcome.output == "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-Host: kept\r\n\(H)\r\n")
        #expect(outcome.rejection == nil)
    }

    @Test("every request of a keep-alive stream is rewritten, also when pipelined in one read")
    func pipelined() {
        let one = "GET /1 HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n"
        let two = "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
        let three = "GET /3 HTTP/1.0\r\n\r\n"
        let outcome = RewriterHarness.run(one + two + three)
        #expect(
            outcome.output == "GET /1 HTTP/1.1\r\nHost: a\r\n\(H)\r\n"
                + "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\(H)\r\nhello" + "GET /3 HTTP/1.0\r\n\(H)\r\n")
        #expect(outcome.requests == 3)
    }

    @Test("a Content-Length body passes untouched, even when it looks like a head")
    func bodyUntouched() {
        let body = "GET /smuggled HTTP/1.1\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n"
        let outcome = RewriterHarness.run(
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
        #expect(outcome.output.hasSuffix("\r\n\(H)\r\n" + body))
        #expect(outcome.requests == 1)
    }

    @Test("a chunked body is re-encoded: sizes in hex, no extensions, trailers kept minus managed names")
    func chunkedReencoded() {
        let input =
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "0005;name=value\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nChecksum: 1\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n"
            + "GET /next HTTP/1.1\r\nHost: a\r\n\r\n"
        let outcome = RewriterHarness.run(input)
        #expect(
            outcome.output == "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\(H)\r\n"
                + "5\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nChecksum: 1\r\n\r\n"
                + "GET /next HTTP/1.1\r\nHost: a\r\n\(H)\r\n")
        #expect(outcome.requests == 2)
    }

    @Test("empty lines before a request line are dropped")
    func leadingEmptyLines() {
        let outcome = RewriterHarness.run("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(outcome.output == "GET / HTTP/1.1\r\nHost: a\r\n\(H)\r\n")
    }

    @Test("HTTP/1.0 needs no Host")
    func http10() {
        #expect(RewriterHarness.run("GET / HTTP/1.0\r\n\r\n").rejection == nil)
    }

    @Test("the requests before a malformed one are forwarded, nothing of it or after it")
    func stopsAtFirstBadRequest() {
        let outcome = RewriterHarness.run(
            "GET /ok HTTP/1.1\r\nHost: a\r\n\r\nGET /bad HTTP/1.1\r\nHost : a\r\n\r\nGET /after HTTP/1.1\r\nHost: a\r\n\r\n"
        )
        #expect(outcome.output == "GET /ok HTTP/1.1\r\nHost: a\r\n\(H)\r\n")
        #expect(outcome.rejection == .badHeader)
        #expect(outcome.requests == 1)
    }

    @Test("output is bounded: input is held until the output has been written")
    func outputLimit() {
        let request = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
        let input = String(repeating: request, count: 200)
        let unlimited = RewriterHarness.run(input)
        let limited = RewriterHarness.run(input, outputLimit: 300)
        #expect(limited == unlimited)
        #expect(limited.requests == 200)
        let rewriter = RequestRewriter(headers: RewriterHarness.headers, headLimit: 8192, outputLimit: 300)
        Array(input.utf8).withUnsafeBytes { rewriter.feed($0) }
        #expect(rewriter.pendingOutputCount < 300 + request.utf8.count + H.utf8.count + 2)
        #expect(rewriter.heldInputCount > 0)
    }

    @Test("a head exactly at the limit passes; one byte more is refused")
    func headLimit() {
        let base = "GET / HTTP/1.1\r\nHost: a\r\nX: \r\n\r\n"
        let padding = 100 - base.utf8.count
        let exact = "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "v", count: padding) + "\r\n\r\n"
        #expect(exact.utf8.count == 100)
        #expect(RewriterHarness.run(exact, headLimit: 100).rejection == nil)
        let over = "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "v", count: padding + 1) + "\r\n\r\n"
        #expect(RewriterHarness.run(over, headLimit: 100).rejection == .headTooLarge)
    }
}
