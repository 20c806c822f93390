import CNGHTTP2
import Testing

@testable import CertgateHTTP2

@Suite("HTTP/2 server session, driven by an nghttp2 client in memory")
struct HTTP2SessionTests {
    @Test("a GET reaches the delegate and the response with its body reaches the client")
    func getRoundTrip() {
        let client = H2TestClient()
        let stream = client.request(H2TestClient.get + [("accept", "*/*")])
        client.pump()
        let request = client.recorder.requests[stream]
        #expect(request?.methodText == "GET")
        #expect(request?.path == Array("/x".utf8))
        #expect(request?.authority == Array("example.test".utf8))
        #expect(request?.fields == [HTTP2Request.Field(Array("accept".utf8), Array("*/*".utf8))])
        #expect(request?.endsStream == true)
        #expect(client.recorder.ended.contains(stream))

        client.server.submitResponse(
            stream: stream, status: 200,
            fields: HTTP2FieldBlock([.init(Array("content-type".utf8), Array("text/plain".utf8))]),
            hasBody: true)
        client.pump()
        // No body yet: the data source is deferred, the stream stays open.
        #expect(client.responses[stream]?.status == 200)
        #expect(client.responses[stream]?.closedWith == nil)
        Array("hello ".utf8).withUnsafeBytes { client.server.appendBody(stream: stream, $0) }
        client.pump()
        #expect(client.responses[stream]?.body == Array("hello ".utf8))
        Array("world".utf8).withUnsafeBytes { client.server.appendBody(stream: stream, $0) }
        client.server.endBody(stream: stream)
        client.pump()
        #expect(client.responses[stream]?.body == Array("hello world".utf8))
        #expect(client.responses[stream]?.closedWith == 0)
        #expect(client.recorder.closed[stream] == 0)
        #expect(client.server.openStreams == 0)
    }

    @Test("a POST body reaches the delegate; the window reopens only when consumed")
    func postBodyAndFlowControl() {
        var limits = HTTP2Limits()
        limits.initialWindowSize = 16 * 1024
        let client = H2TestClient(limits: limits)
        client.pump()
        let body = (0..<40_000).map { UInt8($0 % 251) }
        let stream = client.request(
            [(":method", "POST"), (":scheme", "https"), (":path", "/up"), (":authority", "a")], body: body)
        client.pump()
        // Only the stream's window arrived: nothing was consumed yet.
        #expect(client.recorder.bodies[stream]?.count == 16 * 1024)
        #expect(client.recorder.requests[stream]?.endsStream == false)
        for _ in 0..<10 {
            let received = client.recorder.bodies[stream]?.count ?? 0
            client.server.consume(stream: stream, count: received - (client.recorder.taken))
            client.recorder.taken = received
            client.pump()
        }
        #expect(client.recorder.bodies[stream] == body)
        #expect(client.recorder.ended.contains(stream))
    }

    @Test("a request with a connection-specific field is reset with PROTOCOL_ERROR and never delivered")
    func refusedStream() {
        let client = H2TestClient()
        let stream = client.request(H2TestClient.get + [("te", "gzip")])
        let good = client.request(H2TestClient.get)
        client.pump()
        #expect(client.recorder.requests[stream] == nil)
        #expect(client.responses[stream]?.closedWith == UInt32(NGHTTP2_PROTOCOL_ERROR.rawValue))
        // The connection goes on.
        #expect(client.recorder.requests[good] != nil)
        #expect(client.goAwayCode == nil)
    }

    @Test("goAway lets the streams already received finish")
    func gracefulGoAway() {
        let client = H2TestClient()
        let stream = client.request(H2TestClient.get)
        client.pump()
        client.server.goAway()
        client.pump()
        #expect(client.goAwayCode == 0)
        client.server.submitResponse(stream: stream, status: 204, fields: HTTP2FieldBlock(), hasBody: false)
        client.pump()
        #expect(client.responses[stream]?.status == 204)
        #expect(client.responses[stream]?.closedWith == 0)
        #expect(!client.server.wantsRead || !client.server.wantsWrite)
    }
}

@Suite("HTTP/2 defences")
struct HTTP2DefenceTests {
    @Test("PING frames whose ACKs are never read: ping_flood")
    func pingFlood() {
        let client = H2TestClient()
        client.pump()
        client.injected = (0..<1200).flatMap { Frame.ping(UInt8($0 & 0xff)) }
        #expect(!client.pump(drainServer: false))
        #expect(client.recorder.defences == [.pingFlood])
    }

    @Test("a SETTINGS frame with too many entries: settings_flood")
    func settingsFlood() {
        let client = H2TestClient()
        client.pump()
        client.injected = Frame.settings((0..<40).map { _ in (4, 65535) })
        client.pump()
        #expect(client.recorder.defences == [.settingsFlood])
        #expect(client.goAwayCode == UInt32(NGHTTP2_ENHANCE_YOUR_CALM.rawValue))
    }

    @Test("HEADERS followed by endless CONTINUATION frames: continuation_flood")
    func continuationFlood() {
        let client = H2TestClient()
        client.pump()
        // A literal field without indexing, name and value of one byte each, per fragment.
        let fragment: [UInt8] = [0x00, 0x01, UInt8(ascii: "a"), 0x01, UInt8(ascii: "b")]
        client.injected =
            Frame.frame(type: 1, flags: 0x01, stream: 1, [0x82, 0x87, 0x84])
            + (0..<20).flatMap { _ in Frame.frame(type: 9, flags: 0, stream: 1, fragment) }
        #expect(!client.pump())
        #expect(client.recorder.defences == [.continuationFlood])
    }

    @Test("a header list larger than the limit: hpack_bomb, the stream is refused")
    func headerListTooLarge() {
        var limits = HTTP2Limits()
        limits.maxHeaderListSize = 2048
        let client = H2TestClient(limits: limits)
        let big = String(repeating: "x", count: 1000)
        let stream = client.request(H2TestClient.get + [("a", big), ("b", big), ("c", big)])
        client.pump()
        #expect(client.recorder.defences == [.hpackBomb])
        #expect(client.recorder.requests[stream] == nil)
        #expect(client.responses[stream]?.closedWith == UInt32(NGHTTP2_PROTOCOL_ERROR.rawValue))
    }

    @Test("requests reset at once, past the rate limit: rapid_reset and GOAWAY")
    func rapidReset() {
        var limits = HTTP2Limits()
        limits.resetBurst = 20
        limits.resetRate = 1
        let client = H2TestClient(limits: limits)
        client.pump()
        for _ in 0..<60 {
            let stream = client.request(H2TestClient.get)
            client.pump()
            nghttp2_submit_rst_stream(client.raw, 0, stream, UInt32(NGHTTP2_CANCEL.rawValue))
            client.pump()
            if client.goAwayCode != nil { break }
        }
        #expect(client.recorder.defences == [.rapidReset])
        #expect(client.goAwayCode != nil && client.goAwayCode != 0)
    }

    @Test("streams opened and reset in one burst, read in one go: still counted as rapid_reset")
    func rapidResetInOneRead() {
        var limits = HTTP2Limits()
        limits.resetBurst = 20
        limits.resetRate = 1
        let client = H2TestClient(limits: limits)
        client.pump()
        // All the frames reach the server in one read: when its GOAWAY goes out, nghttp2 has begun frames
        // after the RST_STREAM that tripped the limit.
        var burst: [UInt8] = []
        func take() {
            var data: UnsafePointer<UInt8>?
            while case let count = nghttp2_session_mem_send(client.raw, &data), count > 0 {
                burst += UnsafeBufferPointer(start: data, count: count)
            }
        }
        for _ in 0..<60 {
            let stream = client.request(H2TestClient.get)
            take() // the HEADERS must be out before the RST_STREAM (nghttp2 drops both otherwise)
            nghttp2_submit_rst_stream(client.raw, 0, stream, UInt32(NGHTTP2_CANCEL.rawValue))
            take()
        }
        // The read ends with a HEADERS, as a read of a real burst may.
        _ = client.request(H2TestClient.get)
        take()
        // Two reads before the server's output is taken (certgate reads up to 16 times per event, then
        // flushes): the second read begins frames after the RST_STREAM that tripped the limit.
        let half = burst.count / 2
        _ = burst[..<half].withUnsafeBytes { client.server.receive($0) }
        _ = burst[half...].withUnsafeBytes { client.server.receive($0) }
        client.pump()
        #expect(client.recorder.defences == [.rapidReset])
        #expect(client.goAwayCode == UInt32(NGHTTP2_INTERNAL_ERROR.rawValue))
    }
}
