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

    let stream: Int32
    let request: HTTP2Request
    /// Unowned(unsafe): the connection owns its exchanges and abandons them all as it closes (no
    /// reference count traffic on the per-request path).
    private unowned(unsafe) let connection: HTTP2ProxyConnection
    private(set) var upstream: PooledUpstream?
    /// Where the response body waits for DATA frames (the session's, for this stream; owned here).
    let responseBody: HTTP2ResponseBody
    /// Where the connection keeps it in its list of open exchanges.
    var slot = 0
    private(set) var outcome = Outcome.pending
    /// The loop time the request arrived, and the status the client got (the upstream's, or certgate's
    /// own 502/504), for the access log.
    let receivedAt: Double
    private(set) var status: Int?
    /// Bytes for the upstream not written yet: the head, then body (chunk framing too, when chunked).
    private var out: [UInt8]
    private var outStart = 0
    /// Bytes appended to `out`, and written from it, ever.
    private var appended = 0
    private var written = 0
    /// Client body bytes to `consume` once `written` reaches `end`.
    private var marks: [(end: Int, count: Int)] = []
    private var markStart = 0
    private var bodyReceived = 0
    private var requestEnded = false
    private var connected = false
    private var responseStarted = false
    private var responseComplete = false
    /// The complete response left the upstream connection fit for another request.
    private var upstreamReusable = false
    private var gone = false
    /// The upstream connection was kept alive from an earlier request, and no response byte came on it.
    private var reused = false
    private var responseBytes = false
    private var retried = false

    init(stream: Int32, request: HTTP2Request, body: HTTP2ResponseBody, connection: HTTP2ProxyConnection) {
        self.stream = stream
        self.request = request
        self.responseBody = body
        self.connection = connection
        receivedAt = connection.worker.loop.now
        out = []
        request.appendHTTP1Head(to: &out, forwarded: connection.forwarded)
        appended = out.count
        requestEnded = request.endsStream
    }

    var settings: ProxySettings { connection.settings }
    private var session: HTTP2Session { connection.session }

    // MARK: From the client

    func body(_ bytes: UnsafeRawBufferPointer) {
        bodyReceived += bytes.count
        guard !gone, !responseComplete else {
            session.consume(stream: stream, count: bytes.count)
            return
        }
        guard request.bodyAgrees(received: bodyReceived, ended: false) else { return refuse() }
        if request.sendsChunked { out += Array((String(bytes.count, radix: 16) + "\r\n").utf8) }
        out += bytes
        if request.sendsChunked { out += [13, 10] }
        appended = written + (out.count - outStart)
        marks.append((appended, bytes.count))
        writeUpstream()
    }

    func requestFinished() {
        guard !requestEnded else { return }
        requestEnded = true
        guard !gone, !responseComplete else { return }
        guard request.bodyAgrees(received: bodyReceived, ended: true) else { return refuse() }
        if request.sendsChunked {
            out += Array("0\r\n\r\n".utf8)
            appended = written + (out.count - outStart)
        }
        writeUpstream()
    }

    /// The stream closed (done, or reset by either side): the upstream connection goes back to the
    /// pool only after a complete exchange, the window of body bytes never written is returned.
    func abandon() {
        guard !gone else { return }
        gone = true
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
        for mark in marks[markStart...] { session.consume(stream: stream, count: mark.count) }
        marks = []
        markStart = 0
        out = []
        outStart = 0
    }

    // MARK: From the pool and the upstream socket

    func upstreamAssigned(_ upstream: PooledUpstream, connected: Bool) {
        self.upstream = upstream
        self.connected = connected
        reused = connected
        if connected { writeUpstream() }
    }

    func upstreamConnected() {
        connected = true
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
        if !gone { answerItself(status: timedOut ? 504 : 502) }
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
        guard let upstream, connected else { return }
        var events: IOEvents = []
        if outStart < out.count { events.insert(.write) }
        if !responseComplete && responseBody.count < Self.responseBufferLimit { events.insert(.read) }
        upstream.watch(events)
    }

    private func writeUpstream() {
        guard let upstream, connected else { return }
        while outStart < out.count {
            let result = out.withUnsafeBytes {
                Socket.write(upstream.fd, from: $0.baseAddress! + outStart, count: out.count - outStart)
            }
            switch result {
            case .done(let n):
                outStart += n
                written += n
                connection.worker.traffic.addClientToUpstream(n)
            case .wouldBlock, .endOfStream:
                updateInterest()
                return
            case .failed:
                return upstreamBroken()
            }
        }
        out.removeAll(keepingCapacity: true)
        outStart = 0
        while markStart < marks.count, marks[markStart].end <= written {
            session.consume(stream: stream, count: marks[markStart].count)
            markStart += 1
        }
        if markStart == marks.count {
            marks.removeAll(keepingCapacity: true)
            markStart = 0
        }
        updateInterest()
    }

    private func readUpstream() {
        let worker = connection.worker
        for _ in 0..<16 {
            guard let upstream, !responseComplete else { return }
            let room = Self.responseBufferLimit - responseBody.count
            guard room > 0 else { break }
            switch Socket.read(upstream.fd, into: worker.scratch, count: min(room, worker.settings.bufferSize)) {
            case .done(let n):
                responseBytes = true
                worker.traffic.addUpstreamToClient(n)
                let clean = upstream.parser.feed(UnsafeRawBufferPointer(start: worker.scratch, count: n))
                if responseComplete { return releaseUpstream(clean: clean) }
                if !clean { return upstreamBroken() }
            case .wouldBlock:
                updateInterest()
                return
            case .endOfStream:
                _ = upstream.parser.finish()
                if responseComplete { return releaseUpstream(clean: false) }
                return upstreamBroken()
            case .failed:
                return upstreamBroken()
            }
        }
        updateInterest()
    }

    // MARK: The response (parser callbacks)

    func responseHead(status: Int, fields: HTTP2FieldBlock) {
        guard !gone, !responseStarted else { return }
        responseStarted = true
        self.status = status
        let hasBody = !(request.isHead || status == 204 || status == 304)
        session.submitResponse(stream: stream, status: status, fields: fields, hasBody: hasBody)
    }

    func responseBody(_ bytes: UnsafeRawBufferPointer) {
        guard !gone else { return }
        session.appendBody(responseBody, stream: stream, bytes)
    }

    func responseComplete(keepAlive: Bool) {
        guard !responseComplete else { return }
        responseComplete = true
        outcome = .forwarded
        session.endBody(responseBody, stream: stream)
        upstreamReusable = keepAlive && requestEnded && outStart == out.count
    }

    /// After the parser has finished with the bytes that completed the response: the upstream
    /// connection goes back to the pool if the response left it reusable and nothing came after it
    /// (`clean`), else it is closed. Never from inside the parser's callbacks: the connection's parser
    /// would be handed to the next stream while still parsing.
    private func releaseUpstream(clean: Bool) {
        guard let upstream else { return }
        self.upstream = nil
        if clean && upstreamReusable {
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
        guard !gone, !responseComplete else { return }
        if reused && !responseBytes && !retried && request.endsStream {
            retried = true
            reused = false
            connected = false
            out.removeAll(keepingCapacity: true)
            request.appendHTTP1Head(to: &out, forwarded: connection.forwarded)
            outStart = 0
            written = 0
            connection.worker.upstreamPool.lease(for: self, fresh: true)
            return
        }
        responseComplete = true
        dropUnwrittenBody()
        if responseStarted {
            outcome = .upstreamFailed
            session.reset(stream: stream, errorCode: 2) // INTERNAL_ERROR
        } else {
            answerItself(status: 502)
        }
    }

    /// The body disagrees with content-length: the stream is malformed (RFC 9113 §8.1.1).
    private func refuse() {
        outcome = .refused
        abandon()
        session.reset(stream: stream, errorCode: 1) // PROTOCOL_ERROR
    }

    private func answerItself(status: Int) {
        outcome = .upstreamFailed
        self.status = status
        responseComplete = true
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
