import Testing

@testable import CertgateAdmin

@Suite struct AdminRequestParserTests {
    private func parse(_ text: String, limits: AdminRequestParser.Limits = .init()) -> AdminRequestParser.Outcome {
        var parser = AdminRequestParser(limits: limits)
        return parser.feed(Array(text.utf8))
    }

    private func request(_ text: String) throws -> AdminRequest {
        guard case .complete(let request) = parse(text) else {
            Issue.record("expected a complete request, got \(parse(text))")
            throw ParseFailed()
        }
        return request
    }

    private struct ParseFailed: Error {}

    @Test func parsesASimpleGet() throws {
        let request = try request(
            "GET /metrics?name=x&b=2 HTTP/1.1\r\nHost: localhost:9090\r\nUser-Agent: curl/8.5\r\n"
                + "Accept: */*\r\n\r\n")
        #expect(request.method == "GET")
        #expect(request.target == "/metrics?name=x&b=2")
        #expect(request.path == "/metrics")
        #expect(request.query == "name=x&b=2")
        #expect(request.minorVersion == 1)
        #expect(request.headers == ["host": "localhost:9090", "user-agent": "curl/8.5", "accept": "*/*"])
        #expect(request.header("User-Agent") == "curl/8.5")
        #expect(request.body.isEmpty)
    }

    @Test func sameRequestWhateverTheChunking() throws {
        let text = "POST /reload?dry=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nX-Trace:  t1 \r\n\r\nhello"
        let bytes = Array(text.utf8)
        let whole = try request(text)
        #expect(whole.body == Array("hello".utf8))
        #expect(whole.headers["x-trace"] == "t1")

        var byteByByte = AdminRequestParser()
        for (index, byte) in bytes.enumerated() {
            let outcome = byteByByte.feed([byte])
            if index < bytes.count - 1 {
                #expect(outcome == .needMoreData, "byte \(index)")
            } else {
                #expect(outcome == .complete(whole))
            }
        }

        for chunkSize in [2, 3, 7, 16, 40] {
            var parser = AdminRequestParser()
            var outcome = AdminRequestParser.Outcome.needMoreData
            var start = 0
            while start < bytes.count {
                outcome = parser.feed(bytes[start..<min(start + chunkSize, bytes.count)])
                start += chunkSize
            }
            #expect(outcome == .complete(whole), "chunk size \(chunkSize)")
            #expect(parser.bytesReceived == bytes.count)
        }
    }

    @Test func readsAContentLengthBodyAndIgnoresWhatFollows() throws {
        var parser = AdminRequestParser()
        let head = "PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello"
        #expect(parser.feed(Array(head.utf8)) == .needMoreData)
        let outcome = parser.feed(Array(" worldGET /second HTTP/1.1\r\n".utf8))
        guard case .complete(let request) = outcome else {
            Issue.record("expected complete, got \(outcome)")
            return
        }
        #expect(request.bodyText == "hello world")
        #expect(request.headers["content-length"] == "11")
        // Final outcomes are sticky: more bytes change nothing.
        #expect(parser.feed(Array("junk".utf8)) == outcome)
        #expect(parser.finishAtEndOfInput() == outcome)
    }

    @Test func flagsExpectContinueWhileTheBodyIsPending() {
        var parser = AdminRequestParser()
        let head = "POST /reload HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n"
        #expect(parser.feed(Array(head.utf8)) == .needMoreData)
        #expect(parser.expectsContinue)
        guard case .complete(let request) = parser.feed(Array("{}".utf8)) else {
            Issue.record("expected complete")
            return
        }
        #expect(request.bodyText == "{}")
        #expect(!parser.expectsContinue)
    }

    @Test func headLimitIsExact() {
        let limits = AdminRequestParser.Limits(maxHeadBytes: 100)
        let prefix = "GET / HTTP/1.1\r\nHost: a\r\nX: "
        // prefix + padding + "\r\n\r\n" is exactly 100 bytes.
        let padding = String(repeating: "p", count: 100 - prefix.utf8.count - 4)
        guard case .complete(let request) = parse(prefix + padding + "\r\n\r\n", limits: limits) else {
            Issue.record("a head of exactly the limit must parse")
            return
        }
        #expect(request.headers["x"] == padding)
        #expect(parse(prefix + padding + "p\r\n\r\n", limits: limits) == .failed(.headTooLarge))
    }

    @Test func oversizeHeadIsRefusedWithoutATerminator() {
        var parser = AdminRequestParser()
        #expect(parser.feed(Array("GET / HTTP/1.1\r\nHost: a\r\nX-Big: ".utf8)) == .needMoreData)
        let outcome = parser.feed([UInt8](repeating: UInt8(ascii: "a"), count: 9000))
        #expect(outcome == .failed(.headTooLarge))
        #expect(AdminRequestError.headTooLarge.status == 431)
    }

    @Test func tooManyHeaderFields() {
        let fields = (0..<5).map { "X-\($0): v\r\n" }.joined()
        let limits = AdminRequestParser.Limits(maxHeaderCount: 5)
        guard case .complete(let request) = parse("GET / HTTP/1.0\r\n" + fields + "\r\n", limits: limits) else {
            Issue.record("exactly the field limit must parse")
            return
        }
        #expect(request.headers.count == 5)
        #expect(parse("GET / HTTP/1.0\r\n" + fields + "Y: 1\r\n\r\n", limits: limits) == .failed(.headTooLarge))
    }

    @Test(arguments: [
        "GET /\r\n\r\n",
        "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n",
        "GET / HTTX/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.10\r\nHost: a\r\n\r\n",
        "GET / http/1.1\r\nHost: a\r\n\r\n",
        " GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET metrics HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET * HTTP/1.1\r\nHost: a\r\n\r\n",
        "CONNECT example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n",
        "G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /\u{7F} HTTP/1.1\r\nHost: a\r\n\r\n",
    ])
    func badRequestLinesAreMalformed(_ text: String) {
        let outcome = parse(text)
        guard case .failed(.malformed) = outcome else {
            Issue.record("\(text.debugDescription) gave \(outcome)")
            return
        }
        if case .failed(let error) = outcome { #expect(error.status == 400) }
    }

    @Test func otherHTTPMajorVersionsAre505() {
        #expect(parse("GET / HTTP/2.0\r\nHost: a\r\n\r\n") == .failed(.versionNotSupported))
        #expect(AdminRequestError.versionNotSupported.status == 505)
    }

    @Test func garbageIsRefusedAtItsFirstByte() {
        var parser = AdminRequestParser()
        // The first bytes of a TLS ClientHello: no CRLF needed to know this is not HTTP.
        #expect(
            parser.feed([0x16, 0x03, 0x01, 0x02, 0x00]) == .failed(.malformed("invalid character in request line")))
        var nul = AdminRequestParser()
        #expect(nul.feed(Array("GE".utf8) + [0]) == .failed(.malformed("invalid character in request line")))
    }

    @Test func obsFoldIsRefused() {
        let outcome = parse("GET / HTTP/1.1\r\nHost: a\r\nX-Long: first\r\n  continued\r\n\r\n")
        #expect(outcome == .failed(.malformed("obsolete line folding in header")))
        #expect(
            parse("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n")
                == .failed(.malformed("obsolete line folding in header")))
    }

    @Test func bareCRIsRefused() {
        #expect(parse("GET / HTTP/1.1\rHost: a\r\n\r\n") == .failed(.malformed("bare CR")))
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n") == .failed(.malformed("bare CR")))
    }

    @Test func bareLFIsRefused() {
        #expect(parse("GET / HTTP/1.1\nHost: a\n\n") == .failed(.malformed("bare LF (lines must end in CRLF)")))
        #expect(parse("GET / HTTP/1.1\r\nHost: a\n\r\n") == .failed(.malformed("bare LF (lines must end in CRLF)")))
    }

    @Test func badHeaderFieldsAreRefused() {
        #expect(parse("GET / HTTP/1.1\r\nHost : a\r\n\r\n") == .failed(.malformed("invalid header field name")))
        #expect(
            parse("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n")
                == .failed(.malformed("header field without ':'")))
        #expect(
            parse("GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n")
                == .failed(.malformed("invalid header field name")))
        #expect(
            parse("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{01}b\r\n\r\n")
                == .failed(.malformed("invalid character in header field")))
    }

    @Test func chunkedBodiesAreRefused() {
        #expect(
            parse("POST /reload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
                == .failed(.lengthRequired))
        #expect(AdminRequestError.lengthRequired.status == 411)
        #expect(
            parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello")
                == .failed(.malformed("both Transfer-Encoding and Content-Length")))
        #expect(
            parse("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n")
                == .failed(.malformed("Transfer-Encoding in an HTTP/1.0 request")))
    }

    @Test func bodyLimitIsCheckedBeforeTheBodyArrives() {
        let limits = AdminRequestParser.Limits(maxBodyBytes: 10)
        var parser = AdminRequestParser(limits: limits)
        let head = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n"
        #expect(parser.feed(Array(head.utf8)) == .failed(.bodyTooLarge))
        #expect(AdminRequestError.bodyTooLarge.status == 413)
        guard
            case .complete(let request) = parse(
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789",
                limits: limits)
        else {
            Issue.record("a body of exactly the limit must parse")
            return
        }
        #expect(request.body.count == 10)
        #expect(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 65537\r\n\r\n") == .failed(.bodyTooLarge))
    }

    @Test(arguments: ["abc", "-1", "1,1", "", "+5", "99999999999999999999"])
    func invalidContentLength(_ value: String) {
        #expect(
            parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(value)\r\n\r\n")
                == .failed(.malformed("invalid Content-Length")))
    }

    @Test func repeatedFields() throws {
        #expect(
            parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
                == .failed(.malformed("conflicting Content-Length headers")))
        let same = try request("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nab")
        #expect(same.bodyText == "ab")
        #expect(
            parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
                == .failed(.malformed("more than one Host header")))
        let joined = try request("GET / HTTP/1.1\r\nHost: a\r\nAccept: text/plain\r\nACCEPT: */*\r\n\r\n")
        #expect(joined.headers["accept"] == "text/plain, */*")
    }

    @Test func hostIsRequiredForHTTP11Only() throws {
        #expect(parse("GET /healthz HTTP/1.1\r\n\r\n") == .failed(.malformed("missing Host header")))
        let old = try request("GET /healthz HTTP/1.0\r\n\r\n")
        #expect(old.minorVersion == 0)
        #expect(old.path == "/healthz")
        let later = try request("GET / HTTP/1.7\r\nHost: a\r\n\r\n")
        #expect(later.minorVersion == 1)
    }

    @Test func unknownMethodsAreLeftToRouting() throws {
        let brew = try request("BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(brew.method == "BREW")
        #expect(brew.path == "/pot")
        let lower = try request("get / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(lower.method == "get")
    }

    @Test func targetForms() throws {
        let absolute = try request("GET http://admin.internal:9000/metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(absolute.path == "/metrics")
        #expect(absolute.query == "x=1")
        #expect(absolute.target == "http://admin.internal:9000/metrics?x=1")
        let bare = try request("GET HTTPS://admin.internal HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(bare.path == "/")
        let asterisk = try request("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(asterisk.path == "*")
        let emptyQuery = try request("GET /healthz? HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(emptyQuery.path == "/healthz")
        #expect(emptyQuery.query == "")
    }

    @Test func emptyLinesBeforeTheRequestLineAreSkipped() throws {
        let request = try request("\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(request.path == "/healthz")
    }

    @Test func obsTextIsKeptByteForByte() throws {
        let bytes = Array("GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf".utf8) + [0xE9] + Array("\r\n\r\n".utf8)
        var parser = AdminRequestParser()
        guard case .complete(let request) = parser.feed(bytes) else {
            Issue.record("obs-text must be accepted")
            return
        }
        #expect(request.headers["x-name"] == "caf\u{E9}")
        #expect(request.headers["x-name"]?.unicodeScalars.last?.value == 0xE9)
    }

    @Test func endOfInputMidRequestIsIncomplete() {
        var parser = AdminRequestParser()
        #expect(parser.feed(Array("GET /healthz HTTP/1.1\r\nHo".utf8)) == .needMoreData)
        #expect(parser.bytesReceived == 25)
        #expect(parser.finishAtEndOfInput() == .failed(.incomplete))
        #expect(AdminRequestError.incomplete.status == 400)
        var body = AdminRequestParser()
        _ = body.feed(Array("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab".utf8))
        #expect(body.finishAtEndOfInput() == .failed(.incomplete))
    }
}
