import Testing

@testable import CertgateAdmin

@Suite struct AdminResponseTests {
    private let date = "Sun, 06 Nov 1994 08:49:37 GMT"

    private func wire(_ response: AdminResponse, includeBody: Bool = true) -> String {
        String(decoding: response.serialized(includeBody: includeBody, date: date), as: UTF8.self)
    }

    @Test func textResponseOnTheWire() {
        #expect(
            wire(.text("ok\n")) == "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
    }

    @Test func headKeepsTheLengthAndDropsTheBody() {
        #expect(
            wire(.text("ok\n"), includeBody: false) == "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\nConnection: close\r\n\r\n")
    }

    @Test func helpers() {
        #expect(AdminResponse.notFound.status == 404)
        #expect(AdminResponse.notFound.body == Array("not found\n".utf8))
        let notAllowed = AdminResponse.methodNotAllowed(allow: ["GET", "HEAD"])
        #expect(notAllowed.status == 405)
        #expect(notAllowed.headers == ["Allow": "GET, HEAD"])
        #expect(wire(notAllowed).contains("\r\nAllow: GET, HEAD\r\n"))
        #expect(wire(notAllowed).hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
        let bad = AdminResponse.badRequest("no such certificate")
        #expect(bad.status == 400)
        #expect(String(decoding: bad.body, as: UTF8.self) == "bad request: no such certificate\n")
        let json = AdminResponse.json("{\"reloaded\":true}", status: 202)
        #expect(json.contentType == "application/json")
        #expect(wire(json).hasPrefix("HTTP/1.1 202 Accepted\r\n"))
        #expect(wire(json).hasSuffix("\r\n\r\n{\"reloaded\":true}"))
    }

    @Test func handlersCannotBreakTheFraming() {
        var response = AdminResponse.text("abc")
        response.headers = [
            "Content-Length": "99", "connection": "keep-alive", "X-Split": "a\r\nInjected: 1", "Bad Name": "x",
            "Cache-Control": "no-store",
        ]
        let text = wire(response)
        #expect(
            text == "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\nCache-Control: no-store\r\n"
                + "Connection: close\r\n\r\nabc")
        var badType = AdminResponse.text("x")
        badType.contentType = "text/plain\r\nX-Evil: 1"
        #expect(wire(badType).contains("Content-Type: application/octet-stream\r\n"))
    }

    @Test func statusesWithoutBodiesAndInvalidStatuses() {
        var noContent = AdminResponse.text("ignored")
        noContent.status = 204
        #expect(
            wire(noContent) == "HTTP/1.1 204 No Content\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                + "Connection: close\r\n\r\n")
        let nonsense = AdminResponse(status: 42, body: Array("x".utf8))
        #expect(wire(nonsense).hasPrefix("HTTP/1.1 500 Internal Server Error\r\n"))
        let interim = AdminResponse(status: 100)
        #expect(wire(interim).hasPrefix("HTTP/1.1 500 "))
        #expect(wire(AdminResponse(status: 418)).hasPrefix("HTTP/1.1 418 Client Error\r\n"))
        let undated = String(decoding: AdminResponse.text("").serialized(includeBody: true, date: nil), as: UTF8.self)
        #expect(!undated.contains("Date:"))
    }

    @Test func errorsMapToTheirResponses() {
        #expect(AdminRequestError.headTooLarge.response.status == 431)
        #expect(
            String(decoding: AdminRequestError.headTooLarge.response.body, as: UTF8.self)
                == "request head too large\n")
        #expect(AdminRequestError.malformed("bare CR").response.status == 400)
        #expect(
            String(decoding: AdminRequestError.malformed("bare CR").response.body, as: UTF8.self)
                == "bad request: bare CR\n")
        #expect(wire(AdminRequestError.bodyTooLarge.response).hasPrefix("HTTP/1.1 413 Content Too Large\r\n"))
        #expect(wire(AdminRequestError.lengthRequired.response).hasPrefix("HTTP/1.1 411 Length Required\r\n"))
        #expect(wire(AdminResponse.requestTimeout).hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
    }

    @Test func httpDates() {
        #expect(HTTPDate.format(secondsSinceEpoch: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(secondsSinceEpoch: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(secondsSinceEpoch: 951_782_400) == "Tue, 29 Feb 2000 00:00:00 GMT")
        #expect(HTTPDate.now().hasSuffix(" GMT"))
        #expect(HTTPDate.now().utf8.count == 29)
    }
}
