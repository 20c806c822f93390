import CertgateHTTP2
import CertgatePosix
import LibEV

/// One HTTP/2 stream of an `HTTP2ProxyConnection` as one HTTP/1.1 request on a pooled upstream
/// connection: the request head (built under the `--forward-headers` rules) and the body go out, the
/// response is parsed and handed to the session as HEADERS and DATA.
///
/// Backpressure both ways, per stream:
/// - client → upstream: body bytes stay in `out` until the upstream socket takes them, and only then
///   does the session `consume` them (the client's window opens again), so at most a stream window's
///   worth is buffered;
/// - upstream → client: the upstream socket is read only while the stream's response buffer in the
///   session holds less than `responseBufferLimit`; DATA frames drain it as the client's window allows.
///
/// Loop-confined; owned by its connection's stream table.
final class HTTP2Exchange: HTTP1ResponseSink {
    enum Outcome: String {
        case pending
        case forwarded
        case refused
        case upstreamFailed = "upstream_failed"
    }

    static let responseBufferLimit = 64 * 1024

    /// Everything about the stream being served that starts afresh with each stream, as one value: a
    /// spare exchange (`HTTP2ExchangePool`) starts a new stream with `State()`, so nothing of the last
    /// stream's state can leak into the next.
    private struct State {
        var outcome = Outcome.pending
        /// The status the client got (the upstream's, or certgate's own 502/504), for the access log.
        var status: Int?
        /// Where `out` (bytes for the upstream not written yet) starts.
        var outStart = 0
        /// Bytes appended to `out`, and written from it, ever.
        var appended = 0
        var written = 0
        /// Where the body-bytes marks not consumed yet start.
        var markStart = 0
        var bodyReceived = 0
        var requestEnded = false
        var connected = false
        var responseStarted = false
        var responseComplete = false
        /// The complete response left the upstream connection fit for another request.
        var upstreamReusable = false
        var gone = false
        /// The upstream connection was kept alive from an earlier request, and no response byte came on it.
        var reused = false
        var responseBytes = false
        var retried = false
    }

    private(set) var stream: Int32 = 0
    private(set) var request: HTTP2Request
    /// Unowned(unsafe): the connection owns its exchanges and abandons them all as it closes (no
    /// reference count traffic on the per-request path). A spare exchange's is stale until `start`.
    private unowned(unsafe) var connection: HTTP2ProxyConnection
    private(set) var upstream: PooledUpstream?
    /// Where the response body waits for DATA frames (the stream's nghttp2 user data; owned here, and
    /// reused with the exchange).
    let responseBody = HTTP2ResponseBody()
    /// Where the connection keeps it in its list of open exchanges.
    var slot = 0
    /// The loop time the request arrived, for the access log.
    private(set) var receivedAt: Double = 0
    private var state = State()
    var outcome: Outcome { state.outcome }
    var status: Int? { state.status }
    /// Bytes for the upstream not written yet: the head, then body (chunk framing too, when chunked).
    /// Its storage is kept from stream to stream.
    private var out: [UInt8] = []
    /// Client body bytes to `consume` once `written` reaches `end`.
    private var marks: [(end: Int, count: Int)] = []

    init(stream: Int32, request: HTTP2Request, connection: HTTP2ProxyConnection) {
        self.request = request
        self.connection = connection
        start(stream: stream, request: request, connection: connection)
    }

    /// Serves a new stream: a new exchange, or a spare one whose last stream has closed (`abandon`ed).
    func start(stream: Int32, request: HTTP2Request, connection: HTTP2ProxyConnection) {
        self.stream = stream
        self.request.assign(request)
        self.connection = connection
        state = State()
        upstream = nil
        responseBody.reset()
        out.removeAll(keepingCapacity: out.capacity <= Self.keptCapacity)
        marks.removeAll(keepingCapacity: marks.capacity <= 64)
        receivedAt = connection.worker.loop.now
        request.appendHTTP1Head(to: &out, forwarded: connection.forwarded)
        state.appended = out.count
        state.requestEnded = request.endsStream
    }

    /// The largest `out` kept for the next stream (a request with a large body leaves a large one).
    static let keptCapacity = 16 * 1024

    var settings: ProxySettings { connection.settings }
    private var session: HTTP2Session { connection.session }

    // MARK: From the client

    func body(_ bytes: UnsafeRawBufferPointer) {
        state.bodyReceived += bytes.count
        guard !state.gone, !state.responseComplete else {
            session.consume(stream: stream, count: bytes.count)
            return
        }
        guard request.bodyAgrees(received: state.bodyReceived, ended: false) else { return refuse() }
        if request.sendsChunked { out += Array((String(bytes.count, radix: 16) + "\r\n").utf8) }
        out += bytes
        if request.sendsChunked { out += [13, 10] }
        state.appended = state.written + (out.count - state.outStart)
        marks.append((state.appended, bytes.count))
        writeUpstream()
    }

    func requestFinished() {
        guard !state.requestEnded else { return }
        state.requestEnded = true
        guard !state.gone, !state.responseComplete else { return }
        guard request.bodyAgrees(received: state.bodyReceived, ended: true) else { return refuse() }
        if request.sendsChunked {
            out += Array("0\r\n\r\n".utf8)
            state.appended = state.written + (out.count - state.outStart)
        }
        writeUpstream()
    }

    /// The stream closed (done, or reset by either side): the upstream connection goes back to the
    /// pool only after a complete exchange, the window of body bytes never written is returned.
    func abandon() {
        guard !state.gone else { return }
        state.gone = true
        connection.worker.upstreamPool.cancel(self)
        if let upstream {
            self.upstream = nil
            upstream.close()
        }
        dropUnwrittenBody()
    }

    /// Body bytes that will never be written upstream (the stream or the upstream exchange ended): their
    /// window goes back to the client at once, so it is never left waiting for it.
    private func dropUnwrittenBody() {
        for mark in marks[state.markStart...] { session.consume(stream: stream, count: mark.count) }
        marks.removeAll(keepingCapacity: true)
        state.markStart = 0
        out.removeAll(keepingCapacity: true)
        state.outStart = 0
    }

    // MARK: From the pool and the upstream socket

    func upstreamAssigned(_ upstream: PooledUpstream, connected: Bool) {
        self.upstream = upstream
        state.connected = connected
        state.reused = connected
        if connected { writeUpstream() }
    }

    func upstreamConnected() {
        state.connected = true
        writeUpstream()
        connection.flushSoon()
    }

    func upstreamUnavailable(timedOut: Bool, code: Int32) {
        upstream = nil
        let metrics = connection.worker.metrics
        metrics.upstreamConnectFailures(reason: timedOut ? "timeout" : ConnectionReport.connectFailureReason(code))
            .increment()
        connection.worker.logger.warning(
            "upstream connect failed",
            metadata: [
                "conn": "\(connection.id)", "stream": "\(stream)",
                "error": "\(timedOut ? "timed out" : SystemError.message(for: code))",
            ])
        if !state.gone { answerItself(status: timedOut ? 504 : 502) }
        connection.flushSoon()
    }

    func upstreamReady(_ events: IOEvents) {
        connection.lastActivity = MonotonicClock.coarseSeconds
        if events.contains(.write) { writeUpstream() }
        if events.contains(.read) { readUpstream() }
        connection.flushSoon()
    }

    /// Watches the upstream socket for what this exchange can use now.
    func updateInterest() {
        guard let upstream, state.connected else { return }
        var events: IOEvents = []
        if state.outStart < out.count { events.insert(.write) }
        if !state.responseComplete && responseBody.count < Self.responseBufferLimit { events.insert(.read) }
        upstream.watch(events)
    }

    private func writeUpstream() {
        guard let upstream, state.connected else { return }
        while state.outStart < out.count {
            let result = out.withUnsafeBytes {
                Socket.write(upstream.fd, from: $0.baseAddress! + state.outStart, count: out.count - state.outStart)
            }
            switch result {
            case .done(let n):
                state.outStart += n
                state.written += n
                connection.worker.traffic.addClientToUpstream(n)
            case .wouldBlock, .endOfStream:
                updateInterest()
                return
            case .failed:
                return upstreamBroken()
            }
        }
        out.removeAll(keepingCapacity: true)
        state.outStart = 0
        while state.markStart < marks.count, marks[state.markStart].end <= state.written {
            session.consume(stream: stream, count: marks[state.markStart].count)
            state.markStart += 1
        }
        if state.markStart == marks.count {
            marks.removeAll(keepingCapacity: true)
            state.markStart = 0
        }
        updateInterest()
    }

    private func readUpstream() {
        let worker = connection.worker
        for _ in 0..<16 {
            guard let upstream, !state.responseComplete else { return }
            let room = Self.responseBufferLimit - responseBody.count
            guard room > 0 else { break }
            switch Socket.read(upstream.fd, into: worker.scratch, count: min(room, worker.settings.bufferSize)) {
            case .done(let n):
                state.responseBytes = true
                worker.traffic.addUpstreamToClient(n)
                let clean = upstream.parser.feed(UnsafeRawBufferPointer(start: worker.scratch, count: n))
                if state.responseComplete { return releaseUpstream(clean: clean) }
                if !clean { return upstreamBroken() }
            case .wouldBlock:
                updateInterest()
                return
            case .endOfStream:
                _ = upstream.parser.finish()
                if state.responseComplete { return releaseUpstream(clean: false) }
                return upstreamBroken()
            case .failed:
                return upstreamBroken()
            }
        }
        updateInterest()
    }

    // MARK: The response (parser callbacks)

    func responseHead(status: Int, fields: HTTP2FieldBlock) {
        guard !state.gone, !state.responseStarted else { return }
        state.responseStarted = true
        state.status = status
        let hasBody = !(request.isHead || status == 204 || status == 304)
        session.submitResponse(stream: stream, status: status, fields: fields, hasBody: hasBody)
    }

    func responseBody(_ bytes: UnsafeRawBufferPointer) {
        guard !state.gone else { return }
        session.appendBody(responseBody, stream: stream, bytes)
    }

    func responseComplete(keepAlive: Bool) {
        guard !state.responseComplete else { return }
        state.responseComplete = true
        state.outcome = .forwarded
        session.endBody(responseBody, stream: stream)
        state.upstreamReusable = keepAlive && state.requestEnded && state.outStart == out.count
    }

    /// After the parser has finished with the bytes that completed the response: the upstream
    /// connection goes back to the pool if the response left it reusable and nothing came after it
    /// (`clean`), else it is closed. Never from inside the parser's callbacks: the connection's parser
    /// would be handed to the next stream while still parsing.
    private func releaseUpstream(clean: Bool) {
        guard let upstream else { return }
        self.upstream = nil
        if clean && state.upstreamReusable {
            connection.worker.upstreamPool.giveBack(upstream)
        } else {
            upstream.close()
            dropUnwrittenBody()
        }
    }

    // MARK: Failures

    /// The upstream failed mid-exchange: 502 if the client has no response head yet, else a reset. A
    /// request without a body that met a kept-alive connection the upstream had just closed (nothing came
    /// back) is sent once more, on a new connection.
    private func upstreamBroken() {
        if let upstream {
            self.upstream = nil
            upstream.close()
        }
        guard !state.gone, !state.responseComplete else { return }
        if state.reused && !state.responseBytes && !state.retried && request.endsStream {
            state.retried = true
            state.reused = false
            state.connected = false
            out.removeAll(keepingCapacity: true)
            request.appendHTTP1Head(to: &out, forwarded: connection.forwarded)
            state.outStart = 0
            state.written = 0
            connection.worker.upstreamPool.lease(for: self, fresh: true)
            return
        }
        state.responseComplete = true
        dropUnwrittenBody()
        if state.responseStarted {
            state.outcome = .upstreamFailed
            session.reset(stream: stream, errorCode: 2) // INTERNAL_ERROR
        } else {
            answerItself(status: 502)
        }
    }

    /// The body disagrees with content-length: the stream is malformed (RFC 9113 §8.1.1).
    private func refuse() {
        state.outcome = .refused
        abandon()
        session.reset(stream: stream, errorCode: 1) // PROTOCOL_ERROR
    }

    private func answerItself(status: Int) {
        state.outcome = .upstreamFailed
        state.status = status
        state.responseComplete = true
        dropUnwrittenBody()
        let body = status == 504 ? Self.gatewayTimeout : Self.badGateway
        session.submitResponse(stream: stream, status: status, fields: Self.ownResponseFields, hasBody: true)
        body.withUnsafeBytes { session.appendBody(responseBody, stream: stream, $0) }
        session.endBody(responseBody, stream: stream)
        connection.worker.metrics.http.responded(status: status)
    }

    static let gatewayTimeout = Array("504 Gateway Timeout\n".utf8)
    static let badGateway = Array("502 Bad Gateway\n".utf8)
    static let ownResponseFields: HTTP2FieldBlock = {
        var block = HTTP2FieldBlock()
        block.append(name: Array("content-type".utf8), value: Array("text/plain".utf8))
        return block
    }()
}
