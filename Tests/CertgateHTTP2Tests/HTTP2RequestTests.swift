import CertgateHTTP
import Testing

@testable import CertgateHTTP2

private func build(_ fields: [(String, String)], endsStream: Bool = true) -> Result<HTTP2Request, HTTP2RequestError> {
    var builder = HTTP2RequestBuilder(limit: 16 * 1024)
    for (name, value) in fields {
        Array(name.utf8).withUnsafeBytes { n in
            Array(value.utf8).withUnsafeBytes { v in _ = builder.add(name: n, value: v) }
        }
    }
    return builder.finish(endsStream: endsStream)
}

private let base: [(String, String)] = [(":method", "GET"), (":scheme", "https"), (":path", "/p"), (":authority", "h")]

private func refusal(_ fields: [(String, String)], endsStream: Bool = true) -> HTTP2RequestError? {
    if case .failure(let error) = build(fields, endsStream: endsStream) { return error }
    return nil
}

@Suite("HTTP/2 request rules")
struct HTTP2RequestTests {
    @Test("a plain request is accepted")
    func accepted() throws {
        let request = try build(base + [("accept", "*/*")]).get()
        #expect(request.methodText == "GET")
        #expect(request.fields.count == 1)
    }

    @Test(
        "smuggling shapes are refused",
        arguments: [
            ("connection", "close"), ("keep-alive", "1"), ("proxy-connection", "x"), ("transfer-encoding", "chunked"),
            ("upgrade", "websocket"),
        ])
    func connectionSpecific(field: (String, String)) {
        #expect(refusal(base + [field]) == .connectionSpecificField)
    }

    @Test("te: only trailers")
    func te() {
        #expect(refusal(base + [("te", "gzip")]) == .badTE)
        #expect(refusal(base + [("te", "trailers")]) == nil)
        #expect(refusal(base + [("te", "Trailers")]) == nil)
    }

    @Test("CR, LF or NUL in a value; upper case or space in a name; space in the path")
    func characters() {
        #expect(refusal(base + [("x", "a\r\nb: c")]) == .badCharacter)
        #expect(refusal(base + [("x", "a\nb")]) == .badCharacter)
        #expect(refusal(base + [("x", "a\u{0}b")]) == .badCharacter)
        #expect(refusal(base + [("X-Up", "a")]) == .badCharacter)
        #expect(refusal(base + [("x y", "a")]) == .badCharacter)
        #expect(
            refusal([(":method", "GET"), (":scheme", "https"), (":path", "/a b HTTP/1.1"), (":authority", "h")])
                == .badPseudoHeader)
        #expect(
            refusal([(":method", "GET"), (":scheme", "https"), (":path", "/"), (":authority", "h x")])
                == .badPseudoHeader)
    }

    @Test("pseudo-header fields: required, once each, first, known")
    func pseudoHeaders() {
        #expect(refusal([(":method", "GET"), (":scheme", "https"), (":authority", "h")]) == .missingPseudoHeader)
        #expect(refusal([(":method", "GET"), (":scheme", "https"), (":path", "/")]) == .missingPseudoHeader)
        #expect(refusal(base + [(":method", "POST")]) == .badPseudoHeader)
        #expect(
            refusal([(":method", "GET"), ("accept", "x"), (":scheme", "https"), (":path", "/"), (":authority", "h")])
                == .badPseudoHeader)
        #expect(refusal(base + [(":protocol", "websocket")]) == .badPseudoHeader)
        #expect(refusal([(":method", "CONNECT"), (":authority", "h:443")]) == .unsupportedMethod)
        #expect(
            refusal([(":method", "GET"), (":scheme", "ftp"), (":path", "/"), (":authority", "h")]) == .badPseudoHeader)
        // host stands in for a missing :authority.
        let request = try? build([(":method", "GET"), (":scheme", "https"), (":path", "/"), ("host", "h2")]).get()
        #expect(request?.authority == Array("h2".utf8))
    }

    @Test("content-length: digits, copies equal, agrees with the body")
    func contentLength() throws {
        #expect(refusal(base + [("content-length", "1x")]) == .badContentLength)
        #expect(
            refusal(base + [("content-length", "5"), ("content-length", "6")], endsStream: false) == .badContentLength)
        #expect(refusal(base + [("content-length", "5")], endsStream: true) == .contentLengthMismatch)
        let request = try build(base + [("content-length", "5")], endsStream: false).get()
        #expect(request.contentLength == 5)
        #expect(request.bodyAgrees(received: 5, ended: true))
        #expect(!request.bodyAgrees(received: 4, ended: true))
        #expect(!request.bodyAgrees(received: 6, ended: false))
        #expect(request.bodyAgrees(received: 3, ended: false))
    }

    @Test("the header list limit counts names, values and 32 bytes per field")
    func listLimit() {
        var builder = HTTP2RequestBuilder(limit: 100)
        let name = Array("a".utf8)
        let value = [UInt8](repeating: 0x61, count: 60)
        name.withUnsafeBytes { n in value.withUnsafeBytes { v in _ = builder.add(name: n, value: v) } }
        #expect(builder.error == nil)
        name.withUnsafeBytes { n in value.withUnsafeBytes { v in _ = builder.add(name: n, value: v) } }
        #expect(builder.error == .headerListTooLarge)
    }
}

@Suite("HTTP/2 request as HTTP/1.1")
struct HTTP1HeadTests {
    let forwarded = ForwardedHeaders(clientAddress: "192.0.2.7", port: 8443, clientCertificate: nil)

    @Test("the client's forwarded fields and te go, certgate's come, cookies are joined, Host from the authority")
    func head() throws {
        let request = try build(
            base + [
                ("x-forwarded-for", "6.6.6.6"), ("x-forwarded-client-cert", "By=spoofed"),
                ("x_forwarded_proto", "http"),
                ("cookie", "a=1"), ("accept", "*/*"), ("te", "trailers"), ("cookie", "b=2"),
            ]
        ).get()
        let head = String(decoding: request.http1Head(forwarded: forwarded), as: UTF8.self)
        #expect(
            head
                == "GET /p HTTP/1.1\r\nHost: h\r\naccept: */*\r\ncookie: a=1; b=2\r\nX-Forwarded-For: 192.0.2.7\r\n"
                + "X-Forwarded-Proto: https\r\nX-Forwarded-Port: 8443\r\n\r\n")
    }

    @Test("a body of unknown length is chunked; a declared length is kept")
    func framing() throws {
        let post = [(":method", "POST"), (":scheme", "https"), (":path", "/"), (":authority", "h")]
        let chunked = try build(post, endsStream: false).get()
        #expect(chunked.sendsChunked)
        #expect(
            String(decoding: chunked.http1Head(forwarded: forwarded), as: UTF8.self).contains(
                "Transfer-Encoding: chunked\r\n"))
        let sized = try build(post + [("content-length", "3")], endsStream: false).get()
        #expect(!sized.sendsChunked)
        let text = String(decoding: sized.http1Head(forwarded: forwarded), as: UTF8.self)
        #expect(text.contains("content-length: 3\r\n") && !text.contains("chunked"))
    }
}
