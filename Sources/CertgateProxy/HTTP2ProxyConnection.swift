import CertgateHTTP
import CertgateHTTP2
import CertgateMetrics
import CertgatePosix
import CertgateTLS
import LibEV

/// A client connection that agreed on h2 with `--upstream-protocol http1`: certgate terminates HTTP/2.
/// `ProxyConnection` hands the connection over right after the handshake. nghttp2 (`HTTP2Session`)
/// reads the client's frames and writes certgate's; each request stream becomes an `HTTP2Exchange` on
/// an upstream connection from the worker's `UpstreamPool`.
///
/// I/O: bytes read from TLS go to the session; what the session has to send is written at the end of
/// every event (`flush`); what the socket refuses is kept in `output`, and while anything is kept the
/// client is not read (the session cannot queue unbounded replies, e.g. PING ACKs). The connection
/// closes once the session wants neither to read nor to write: after a GOAWAY (drain, an attack, a
/// protocol error) and the end of the streams in flight.
///
/// Loop-confined, like `ProxyConnection`.
final class HTTP2ProxyConnection: ClientConnection, HTTP2SessionDelegate {
    static let alpn = Array("h2".utf8)

    /// The worker outlives its connections (it closes them all before it goes): no checked reference.
    unowned(unsafe) let worker: Worker
    let id: UInt64
    let clientFD: Int32
    let tls: TLSConnection
    let forwarded: ForwardedHeaders
    let session: HTTP2Session
    private let shared: SharedProxySettings
    var settings: ProxySettings { shared.value }
    /// The exchanges of the open streams, in no order; each knows its place (`slot`). A stream's own
    /// calls find its exchange through its response body (`owner`), with no lookup.
    private var exchanges: [HTTP2Exchange] = []
    private var watcher: IOWatcher!
    private var timer: TimerWatcher?
    /// Session output the client has not taken yet.
    private var output: [UInt8] = []
    private var outputStart = 0
    private var readWaitsFor: IOEvents = .read
    private var writeWaitsFor: IOEvents = .write
    /// Inside `receive` or `flush`: nghttp2 must not be re-entered, the flush happens on the way out.
    private var inSession = false
    /// Waiting in the worker's `FlushQueue`.
    private var inFlushQueue = false
    /// A connection error: send what is queued (the GOAWAY), then close.
    private var failed = false
    private var closed = false
    /// `MonotonicClock` time of the last readiness event on the client socket or on an upstream socket
    /// of one of its streams (`--idle-timeout` counts from it, as for an HTTP/1.x connection).
    var lastActivity = MonotonicClock.coarseSeconds
    /// A defence fired on this connection (its connection error is counted as that attack).
    private var defended = false
    private var loggedDefences: Set<HTTP2Defence> = []
    /// What the access log lines say (handed over by `ProxyConnection`), and when the client connected.
    var access: ConnectionFacts
    let acceptedAt: Double

    init(
        worker: Worker, id: UInt64, clientFD: Int32, tls: TLSConnection, settings: SharedProxySettings,
        access: ConnectionFacts, acceptedAt: Double
    ) {
        self.worker = worker
        self.access = access
        self.acceptedAt = acceptedAt
        self.id = id
        self.clientFD = clientFD
        self.tls = tls
        self.shared = settings
        self.forwarded = ClientEndpoints(clientFD: clientFD).forwardedHeaders(tls: tls)
        var limits = HTTP2Limits()
        limits.maxHeaderListSize = settings.value.maximumRequestHead
        session = HTTP2Session(limits: limits)
        session.delegate = self
        watcher = IOWatcher(loop: worker.loop, fd: clientFD) { [unowned self] events in self.ready(events) }
    }

    /// Starts serving: the server preface goes out, and whatever OpenSSL already decrypted is read.
    func start() {
        if let idle = settings.idleTimeout {
            let timer = TimerWatcher(loop: worker.loop) { [unowned self] in self.idleCheck(idle) }
            timer.start(after: idle, repeating: idle / 4)
            self.timer = timer
        }
        ready(.read)
    }

    func close() {
        close(.drain)
    }

    /// GOAWAY: no new streams; the connection ends when the streams in flight are done.
    func drain() {
        guard !closed else { return }
        session.goAway()
        flush()
        settle()
    }

    // MARK: Events

    private func ready(_ events: IOEvents) {
        lastActivity = MonotonicClock.coarseSeconds
        if !events.isDisjoint(with: writeWaitsFor) { flush() }
        if !events.isDisjoint(with: readWaitsFor) { readClient() }
        flush()
        settle()
    }

    private func readClient() {
        for _ in 0..<16 {
            guard !closed, !failed, outputStart == output.count, session.wantsRead else { return }
            switch tls.read(into: worker.scratch, count: worker.settings.bufferSize) {
            case .done(let n):
                readWaitsFor = .read
                access.bytesFromClient &+= n
                inSession = true
                let ok = session.receive(UnsafeRawBufferPointer(start: worker.scratch, count: n))
                inSession = false
                if !ok { protocolFailure() }
                // Readiness shows what the socket holds; only what OpenSSL already took is read at once
                // (no read that ends in EAGAIN per event).
                if !tls.hasBufferedData { return }
            case .wantRead:
                readWaitsFor = .read
                return
            case .wantWrite:
                readWaitsFor = .write
                return
            case .closed:
                return close(.clientClose)
            case .failed:
                return close(.error)
            }
        }
    }

    /// The session's frames to the client, until it has none or the socket is full. Frames are gathered
    /// into `output` up to `outputBatch` bytes and written together: one TLS record and one syscall for a
    /// response's HEADERS and DATA, not one per frame.
    private func flush() {
        guard !closed, !inSession else { return }
        inSession = true
        defer { inSession = false }
        while true {
            // A blocked remainder is retried as it is (TLS retries need the same bytes first).
            if outputStart == output.count {
                output.removeAll(keepingCapacity: true)
                outputStart = 0
                while output.count < Self.outputBatch, let chunk = session.nextOutput() {
                    output.append(contentsOf: chunk)
                }
                guard !output.isEmpty else { return }
            }
            let taken = output.withUnsafeBytes {
                write($0.baseAddress! + outputStart, count: output.count - outputStart)
            }
            guard let taken else { return }
            outputStart += taken
            guard outputStart == output.count else { return }
        }
    }

    /// How many bytes of frames one write gathers (a TLS record holds 16 KiB).
    static let outputBatch = 16 * 1024

    /// Called by exchanges after upstream events: the session's output goes out at the end of the loop
    /// iteration (`FlushQueue`), together with that of every other stream whose upstream answered in it;
    /// at once when the queue has already run in this iteration. Nothing while inside the session (the
    /// flush follows on the way out).
    func flushSoon() {
        guard !inSession, !closed, !inFlushQueue else { return }
        if worker.flushQueue.enqueue(self) {
            inFlushQueue = true
        } else {
            flush()
            settle()
        }
    }

    /// The `FlushQueue`'s turn.
    func flushQueued() {
        inFlushQueue = false
        guard !closed else { return }
        flush()
        settle()
    }

    /// Bytes the client took, or nil when the connection closed.
    private func write(_ bytes: UnsafeRawPointer, count: Int) -> Int? {
        var done = 0
        while done < count {
            switch tls.write(from: bytes + done, count: count - done) {
            case .done(let n):
                done += n
                access.bytesToClient &+= n
            case .wantWrite:
                writeWaitsFor = .write
                return done
            case .wantRead:
                writeWaitsFor = .read
                return done
            case .closed:
                close(.clientClose)
                return nil
            case .failed:
                close(.error)
                return nil
            }
        }
        return done
    }

    private func settle() {
        guard !closed else { return }
        let pending = outputStart < output.count
        if !pending && (failed || (!session.wantsRead && !session.wantsWrite)) {
            return close(failed ? .error : .clientClose)
        }
        var events: IOEvents = []
        if pending { events.formUnion(writeWaitsFor) }
        if !pending && !failed && session.wantsRead { events.formUnion(readWaitsFor) }
        watcher.watch(events)
        if events.contains(.read) && tls.hasBufferedData { watcher.feed(.read) }
    }

    private func idleCheck(_ idle: Duration) {
        guard MonotonicClock.coarseSeconds - lastActivity >= idle.seconds else { return }
        // A GOAWAY first (best effort: whatever the socket takes now), so the client knows no stream of
        // its was lost and opens a new connection for the next request instead of failing it.
        session.goAway()
        flush()
        close(.idleTimeout)
    }

    /// A connection error (nghttp2 has queued its GOAWAY): counted unless it was a defence firing.
    private func protocolFailure() {
        failed = true
        if !defended { worker.metrics.http2.protocolErrors.increment() }
    }

    private func close(_ reason: ConnectionCloseReason) {
        guard !closed else { return }
        closed = true
        worker.metrics.connectionsClosed(reason).increment()
        timer?.stop()
        watcher.stop()
        let open = exchanges
        exchanges = []
        for exchange in open {
            session.detach(stream: exchange.stream)
            exchange.responseBody.owner = nil
            exchange.abandon()
            countClosed(exchange)
            writeAccessLine(exchange)
        }
        writeAccessLine(closing: reason)
        if reason != .clientClose && reason != .error { _ = tls.sendCloseNotify() }
        Socket.close(clientFD)
        worker.connectionClosed(id: id)
    }

    // MARK: HTTP2SessionDelegate

    func http2Request(_ request: HTTP2Request, stream: Int32) -> HTTP2ResponseBody {
        let exchange = worker.exchangePool.take(stream: stream, request: request, connection: self)
        exchange.slot = exchanges.count
        exchanges.append(exchange)
        exchange.responseBody.owner = exchange
        worker.upstreamPool.lease(for: exchange)
        return exchange.responseBody
    }

    func http2Refused(_ reason: HTTP2RequestError, stream: Int32) {
        worker.metrics.http2.requestsRefused.increment()
        writeRefusedAccessLine()
        worker.logger.debug(
            "HTTP/2 request refused",
            metadata: ["conn": "\(id)", "stream": "\(stream)", "reason": "\(reason.rawValue)"])
    }

    /// The exchange of a stream, from its response body.
    @inline(__always)
    private func exchange(_ body: HTTP2ResponseBody) -> HTTP2Exchange? {
        body.owner.map { unsafeDowncast($0, to: HTTP2Exchange.self) }
    }

    func http2Body(_ bytes: UnsafeRawBufferPointer, stream: Int32, body: HTTP2ResponseBody) {
        if let exchange = exchange(body) {
            exchange.body(bytes)
        } else {
            session.consume(stream: stream, count: bytes.count)
        }
    }

    func http2RequestEnded(stream: Int32, body: HTTP2ResponseBody) {
        exchange(body)?.requestFinished()
    }

    func http2StreamClosed(stream: Int32, errorCode: UInt32, body: HTTP2ResponseBody) {
        guard let exchange = exchange(body) else { return }
        body.owner = nil
        let last = exchanges.removeLast()
        if last !== exchange {
            exchanges[exchange.slot] = last
            last.slot = exchange.slot
        }
        exchange.abandon()
        countClosed(exchange)
        writeAccessLine(exchange)
        worker.exchangePool.keep(exchange)
    }

    /// A stream ends (closed, or with its connection): counted by outcome, `reset` when still pending.
    private func countClosed(_ exchange: HTTP2Exchange) {
        let metrics = worker.metrics.http2
        switch exchange.outcome {
        case .pending: metrics.requestsReset.increment()
        case .forwarded: metrics.requestsForwarded.increment()
        case .refused: metrics.requestsRefused.increment()
        case .upstreamFailed: metrics.requestsUpstreamFailed.increment()
        }
    }

    func http2BodyTaken(stream: Int32, body: HTTP2ResponseBody) {
        exchange(body)?.updateInterest()
    }

    func http2Defended(_ defence: HTTP2Defence) {
        defended = true
        worker.metrics.http2.attack(kind: defence.rawValue)
        // One line per connection and kind: a client refused stream after stream must not flood the log.
        guard loggedDefences.insert(defence).inserted else { return }
        worker.logger.warning(
            "HTTP/2 defence fired", metadata: ["conn": "\(id)", "kind": "\(defence.rawValue)"])
    }
}
