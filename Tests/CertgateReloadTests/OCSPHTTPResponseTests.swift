import Testing

@testable import CertgateReload

@Suite("OCSP responder HTTP answers and URLs")
struct OCSPHTTPResponseTests {
    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func bodyByContentLength() {
        let answer = bytes(
            "HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: 3\r\n\r\nabcde")
        #expect(OCSPHTTPResponse.parse(answer, ended: false) == .body(bytes("abc")))
    }

    @Test func waitsForTheWholeBody() {
        let answer = bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab")
        #expect(OCSPHTTPResponse.parse(answer, ended: false) == .incomplete)
        if case .failed = OCSPHTTPResponse.parse(answer, ended: true) {} else { Issue.record("short body accepted") }
        #expect(OCSPHTTPResponse.parse(bytes("HTTP/1.0 200 OK\r\nContent-"), ended: false) == .incomplete)
    }

    @Test func bodyUntilTheEndWithoutContentLength() {
        let answer = bytes("HTTP/1.0 200 OK\r\n\r\nxyz")
        #expect(OCSPHTTPResponse.parse(answer, ended: false) == .incomplete)
        #expect(OCSPHTTPResponse.parse(answer, ended: true) == .body(bytes("xyz")))
    }

    @Test func refusesErrorsAndOddResponses() {
        #expect(
            OCSPHTTPResponse.parse(bytes("HTTP/1.0 404 Not Found\r\n\r\n"), ended: true) == .failed("HTTP status 404"))
        #expect(OCSPHTTPResponse.parse(bytes("SSH-2.0-x\r\n\r\n"), ended: true) == .failed("not an HTTP response"))
        let chunked = bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        #expect(OCSPHTTPResponse.parse(chunked, ended: true) == .failed("unsupported Transfer-Encoding chunked"))
        #expect(
            OCSPHTTPResponse.parse(bytes("HTTP/1.0 200 OK\r\n"), ended: true)
                == .failed("the response ended inside its header"))
    }

    @Test func urlsWithLiteralHosts() throws {
        let url = try OCSPResponderURL.parse("http://127.0.0.1:8888/ocsp").get()
        #expect(url == OCSPResponderURL(host: "127.0.0.1", port: 8888, path: "/ocsp", hostHeader: "127.0.0.1:8888"))
        #expect(try OCSPResponderURL.parse("http://localhost").get().host == "127.0.0.1")
        #expect(try OCSPResponderURL.parse("http://localhost").get().port == 80)
        #expect(
            try OCSPResponderURL.parse("http://[::1]:81/").get()
                == OCSPResponderURL(host: "::1", port: 81, path: "/", hostHeader: "[::1]:81"))
    }

    @Test func urlsWithHostNamesAreResolvedLater() throws {
        let url = try OCSPResponderURL.parse("http://ocsp.example.com:8080/ocsp").get()
        #expect(
            url
                == OCSPResponderURL(
                    host: "ocsp.example.com", port: 8080, path: "/ocsp", hostHeader: "ocsp.example.com:8080"))
        #expect(!url.isLiteral)
        #expect(try OCSPResponderURL.parse("http://r3.o.lencr.org").get().host == "r3.o.lencr.org")
        #expect(try OCSPResponderURL.parse("http://127.0.0.1/").get().isLiteral)
        #expect(try OCSPResponderURL.parse("http://[::1]/").get().isLiteral)
        #expect(try OCSPResponderURL.parse("http://localhost/").get().isLiteral)
    }

    @Test func refusesOtherSchemesAndBadHosts() {
        #expect(throws: OCSPFetchFailure.self) { try OCSPResponderURL.parse("ldap://ocsp.example.com/").get() }
        #expect(throws: OCSPFetchFailure.self) { try OCSPResponderURL.parse("http:///ocsp").get() }
        #expect(throws: OCSPFetchFailure.self) { try OCSPResponderURL.parse("http://bad_host/").get() }
        #expect(throws: OCSPFetchFailure.self) { try OCSPResponderURL.parse("https://127.0.0.1/").get() }
        #expect(throws: OCSPFetchFailure.self) { try OCSPResponderURL.parse("http://127.0.0.1:99999/").get() }
        #expect(throws: OCSPFetchFailure.self) { try OCSPResponderURL.parse("http://256.1.1.1/").get() }
    }

    @Test func requestIsAnHTTPPost() {
        let url = OCSPResponderURL(host: "127.0.0.1", port: 80, path: "/", hostHeader: "127.0.0.1")
        let request = String(decoding: url.request(der: [0x30, 0x00]), as: UTF8.self)
        #expect(request.hasPrefix("POST / HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/ocsp-request\r\n"))
        #expect(request.hasSuffix("Content-Length: 2\r\nConnection: close\r\n\r\n\u{30}\u{00}"))
    }
}
