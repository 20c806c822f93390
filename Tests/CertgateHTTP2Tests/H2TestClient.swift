import CNGHTTP2
import Testing

@testable import CertgateHTTP2

/// An nghttp2 *client* session in memory, wired to a server `HTTP2Session`: what the client sends is fed
/// to the server and the other way round by `pump()`. Records what the client receives.
final class H2TestClient {
    struct Response {
        var status: Int?
        var fields: [(String, String)] = []
        var body: [UInt8] = []
        var closedWith: UInt32?
    }

    let raw: OpaquePointer
    let server: HTTP2Session
    let recorder = ServerRecorder()
    var responses: [Int32: Response] = [:]
    var goAwayCode: UInt32?
    /// Bytes of raw frames to send before anything the session produces (hand-built attacks).
    var injected: [UInt8] = []

    init(limits: HTTP2Limits = HTTP2Limits()) {
        server = HTTP2Session(limits: limits)
        server.delegate = recorder
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        nghttp2_session_callbacks_set_on_header_callback(callbacks) {
            _, frame, name, nameLength, value, valueLength, _, user in
            let client = Unmanaged<H2TestClient>.fromOpaque(user!).takeUnretainedValue()
            let name = String(decoding: UnsafeRawBufferPointer(start: name, count: nameLength), as: UTF8.self)
            let value = String(decoding: UnsafeRawBufferPointer(start: value, count: valueLength), as: UTF8.self)
            let stream = frame!.pointee.hd.stream_id
            if name == ":status" {
                client.responses[stream, default: Response()].status = Int(value)
            } else {
                client.responses[stream, default: Response()].fields.append((name, value))
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, stream, data, length, user in
            let client = Unmanaged<H2TestClient>.fromOpaque(user!).takeUnretainedValue()
            client.responses[stream, default: Response()].body += UnsafeRawBufferPointer(start: data, count: length)
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, stream, code, user in
            let client = Unmanaged<H2TestClient>.fromOpaque(user!).takeUnretainedValue()
            client.responses[stream, default: Response()].closedWith = code
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, user in
            let client = Unmanaged<H2TestClient>.fromOpaque(user!).takeUnretainedValue()
            if frame!.pointee.hd.type == UInt8(NGHTTP2_GOAWAY.rawValue) {
                client.goAwayCode = frame!.pointee.goaway.error_code
            }
            return 0
        }
        var session: OpaquePointer?
        nghttp2_session_client_new(&session, callbacks, UnsafeMutableRawPointer(bitPattern: 1))
        nghttp2_session_callbacks_del(callbacks)
        raw = session!
        nghttp2_session_set_user_data(raw, Unmanaged.passUnretained(self).toOpaque())
        nghttp2_submit_settings(raw, 0, nil, 0)
    }

    deinit {
        nghttp2_session_del(raw)
    }

    /// Submits a request; `body`: sent in DATA frames after the head.
    @discardableResult
    func request(_ headers: [(String, String)], body: [UInt8]? = nil) -> Int32 {
        let names = headers.map { Array($0.0.utf8) }
        let values = headers.map { Array($0.1.utf8) }
        return Self.withHeaderBlock(names, values) { nva, count in
            guard let body else { return nghttp2_submit_request(raw, nil, nva, count, nil, nil) }
            pendingBody = body
            var provider = nghttp2_data_provider()
            provider.read_callback = { _, _, buffer, length, flags, _, user in
                let client = Unmanaged<H2TestClient>.fromOpaque(user!).takeUnretainedValue()
                let n = min(length, client.pendingBody.count)
                client.pendingBody.withUnsafeBytes {
                    buffer!.update(from: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: n)
                }
                client.pendingBody.removeFirst(n)
                if client.pendingBody.isEmpty { flags!.pointee |= UInt32(NGHTTP2_DATA_FLAG_EOF.rawValue) }
                return n
            }
            return nghttp2_submit_request(raw, nil, nva, count, &provider, nil)
        }
    }

    var pendingBody: [UInt8] = []

    /// nghttp2's name/value list for `names` and `values`, valid inside `body`.
    static func withHeaderBlock<R>(
        _ names: [[UInt8]], _ values: [[UInt8]], _ body: (UnsafePointer<nghttp2_nv>, Int) -> R
    ) -> R {
        let flat = zip(names, values).flatMap { $0 + $1 }
        return flat.withUnsafeBufferPointer { storage in
            var nva: [nghttp2_nv] = []
            var offset = 0
            for (name, value) in zip(names, values) {
                let base = UnsafeMutablePointer(mutating: storage.baseAddress!)
                nva.append(
                    nghttp2_nv(
                        name: base + offset, value: base + offset + name.count, namelen: name.count,
                        valuelen: value.count, flags: 0))
                offset += name.count + value.count
            }
            return nva.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
        }
    }

    static let get: [(String, String)] = [
        (":method", "GET"), (":scheme", "https"), (":path", "/x"), (":authority", "example.test"),
    ]

    /// Moves bytes both ways until neither side has anything to send; false when the server failed.
    @discardableResult
    func pump(drainServer: Bool = true) -> Bool {
        var serverOK = true
        for _ in 0..<1000 {
            var moved = false
            var data: UnsafePointer<UInt8>?
            if !injected.isEmpty {
                let bytes = injected
                injected = []
                moved = true
                if !bytes.withUnsafeBytes({ server.receive($0) }) { serverOK = false }
            }
            while case let count = nghttp2_session_mem_send(raw, &data), count > 0 {
                moved = true
                if !server.receive(UnsafeRawBufferPointer(start: data, count: count)) { serverOK = false }
            }
            while drainServer, let output = server.nextOutput() {
                moved = true
                let bytes = Array(output)
                _ = bytes.withUnsafeBufferPointer { nghttp2_session_mem_recv(raw, $0.baseAddress, $0.count) }
            }
            if !moved { break }
        }
        return serverOK
    }
}

/// What the server session told its delegate.
final class ServerRecorder: HTTP2SessionDelegate {
    var requests: [Int32: HTTP2Request] = [:]
    var refused: [(Int32, HTTP2RequestError)] = []
    var bodies: [Int32: [UInt8]] = [:]
    var ended: Set<Int32> = []
    var closed: [Int32: UInt32] = [:]
    var defences: [HTTP2Defence] = []
    var taken = 0

    /// The response bodies the session handed over, kept while their streams are open (as a delegate must).
    var responseBodies: [Int32: HTTP2ResponseBody] = [:]

    func http2Request(_ request: HTTP2Request, stream: Int32) -> HTTP2ResponseBody {
        requests[stream] = request
        let body = HTTP2ResponseBody()
        responseBodies[stream] = body
        return body
    }
    func http2Refused(_ reason: HTTP2RequestError, stream: Int32) { refused.append((stream, reason)) }
    func http2Body(_ bytes: UnsafeRawBufferPointer, stream: Int32, body: HTTP2ResponseBody) {
        #expect(body === responseBodies[stream])
        bodies[stream, default: []] += bytes
    }
    func http2RequestEnded(stream: Int32, body: HTTP2ResponseBody) {
        #expect(body === responseBodies[stream])
        ended.insert(stream)
    }
    func http2StreamClosed(stream: Int32, errorCode: UInt32, body: HTTP2ResponseBody) {
        #expect(body === responseBodies[stream])
        closed[stream] = errorCode
        responseBodies[stream] = nil
    }
    func http2BodyTaken(stream: Int32, body: HTTP2ResponseBody) {
        #expect(body === responseBodies[stream])
        taken += 1
    }
    func http2Defended(_ defence: HTTP2Defence) { defences.append(defence) }
}

/// Hand-built frames (RFC 9113 §4.1) for what a well-behaved client session would never send.
enum Frame {
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    static func frame(type: UInt8, flags: UInt8, stream: UInt32, _ payload: [UInt8]) -> [UInt8] {
        let n = payload.count
        return [UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff), type, flags]
            + [UInt8(stream >> 24 & 0x7f), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff)]
            + payload
    }

    static func settings(_ entries: [(UInt16, UInt32)]) -> [UInt8] {
        frame(
            type: 4, flags: 0, stream: 0,
            entries.flatMap { id, value in
                [
                    UInt8(id >> 8), UInt8(id & 0xff), UInt8(value >> 24), UInt8(value >> 16 & 0xff),
                    UInt8(value >> 8 & 0xff), UInt8(value & 0xff),
                ]
            })
    }

    static func ping(_ n: UInt8) -> [UInt8] { frame(type: 6, flags: 0, stream: 0, [n, 0, 0, 0, 0, 0, 0, 0]) }
}
