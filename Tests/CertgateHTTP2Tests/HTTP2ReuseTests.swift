import Testing

@testable import CertgateHTTP2

/// What is kept from stream to stream (the session's builder, an exchange's request and response body)
/// must carry nothing of one stream into the next.
@Suite("HTTP/2 per-stream state reused")
struct HTTP2ReuseTests {
    private func add(_ builder: inout HTTP2RequestBuilder, _ fields: [(String, String)]) {
        for (name, value) in fields {
            Array(name.utf8).withUnsafeBytes { n in
                Array(value.utf8).withUnsafeBytes { v in _ = builder.add(name: n, value: v) }
            }
        }
    }

    @Test("a reset builder starts empty: no field, pseudo-header, length or refusal of the last head")
    func builderReset() throws {
        var builder = HTTP2RequestBuilder(limit: 16 * 1024)
        add(
            &builder,
            [(":method", "POST"), (":scheme", "https"), (":path", "/a"), (":authority", "a"), ("content-length", "5")])
        let first = try builder.finish(endsStream: false).get()
        builder.reset()
        add(&builder, [(":method", "GET"), (":scheme", "http"), (":path", "/b"), ("host", "b"), ("x-b", "2")])
        let second = try builder.finish(endsStream: true).get()
        #expect(second.methodText == "GET" && second.pathText == "/b" && second.authority == Array("b".utf8))
        #expect(second.contentLength == nil && second.fields == [.init(Array("x-b".utf8), Array("2".utf8))])
        #expect(first.methodText == "POST" && first.contentLength == 5)
        // A refusal does not outlive its head either.
        builder.reset()
        add(&builder, [(":method", "GET"), ("connection", "close")])
        #expect(builder.error == .connectionSpecificField)
        builder.reset()
        #expect(builder.error == nil && builder.size == 0)
    }

    @Test("an assigned request is an equal copy that does not share the original's block")
    func requestAssign() throws {
        var builder = HTTP2RequestBuilder(limit: 16 * 1024)
        add(&builder, [(":method", "GET"), (":scheme", "https"), (":path", "/x"), (":authority", "x"), ("a", "1")])
        let original = try builder.finish(endsStream: true).get()
        var kept = HTTP2Request(
            block: HTTP2FieldBlock(), method: 0, scheme: 0, path: 0, authority: 0, host: -1, firstRegular: 0,
            endsStream: false, contentLength: 9)
        kept.assign(original)
        #expect(kept == original)
        builder.reset()
        add(&builder, [(":method", "PUT"), (":scheme", "https"), (":path", "/y"), (":authority", "y")])
        _ = builder.finish(endsStream: true)
        #expect(kept == original && kept.pathText == "/x")
    }

    @Test("a reset response body is empty, not ended, not deferred, and has no owner")
    func bodyReset() {
        let body = HTTP2ResponseBody()
        final class Owner {}
        let owner = Owner()
        body.owner = owner
        Array("abc".utf8).withUnsafeBytes { body.append($0) }
        body.ended = true
        body.deferred = true
        body.reset()
        #expect(body.count == 0 && !body.ended && !body.deferred && body.owner == nil)
    }
}
