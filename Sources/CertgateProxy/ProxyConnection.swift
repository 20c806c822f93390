import CertgateHTTP
import CertgateIdentity
import CertgatePosix
import CertgateMetrics
import Glibc
import CertgateTLS
import LibEV
import Logging

/// One client connection: TLS handshake, upstream connect, then bytes copied both ways until both sides
/// are done.
///
/// Life: `handshaking` → `connecting` → `proxying` → (`lingering` →) `closed`. While proxying, each direction is a
/// `StreamDirection`: bytes go from the source straight to the sink through the worker's scratch buffer,
/// and only what the sink refuses is parked (one pooled buffer per direction), which also stops reading
/// the source until the sink drains (backpressure). An end of stream is passed on as a half-close — the
/// client's close_notify/FIN becomes `shutdown(SHUT_WR)` upstream, the upstream's FIN becomes
/// close_notify + FIN to the client — and the other direction keeps flowing until it ends too.
///
/// With `--forward-headers` the client → upstream bytes go through a `RequestRewriter` instead (see
/// `ProxyConnection+ForwardHeaders.swift`), and certgate may answer the client itself (refused request,
/// unreachable upstream), after which it lingers: it reads and drops what the client still sends for a
/// moment, so that closing does not reset the connection under the response.
///
/// Loop-confined to its worker's thread. The worker's registry holds the only strong reference; the
/// watchers' callbacks capture the connection `unowned` (it stops them before it goes away).
final class ProxyConnection {
    enum Phase {
        case handshaking
        case connecting
        case proxying
        /// certgate has answered the client itself and closed its side; reading and dropping until the
        /// client closes too or `responseGrace` passes.
        case lingering
        case closed
    }

    unowned let worker: Worker
    let id: UInt64
    let clientFD: Int32
    var upstreamFD: Int32 = -1
    let tls: TLSConnection
    private var clientWatcher: IOWatcher!
    var upstreamWatcher: IOWatcher?
    var timer: TimerWatcher!
    var phase: Phase = .handshaking

    /// Client → upstream (TLS read, socket write).
    var toUpstream = StreamDirection()
    /// Upstream → client (socket read, TLS write).
    var toClient = StreamDirection()
    /// What the TLS engine last waited for, per operation: OpenSSL may need to write while reading and
    /// the other way round, so readiness is tracked separately for each.
    private var handshakeWaitsFor: IOEvents = .read
    var tlsReadWaitsFor: IOEvents = .read
    var tlsWriteWaitsFor: IOEvents = .write
    /// `--forward-headers` on a connection that did not agree on h2: HTTP/1.x is parsed.
    var speaksHTTP = false
    /// The request rewriter, once proxying in HTTP mode, and how many of its requests have been counted.
    var rewriter: RequestRewriter?
    var requestsCounted = 0
    /// certgate's own response and its status, sent when the upstream has finished its side (a refused
    /// request).
    var finalResponse: (bytes: [UInt8], status: Int)?
    /// Linger instead of closing once both directions are done (certgate answered the client itself).
    var lingerBeforeClose = false
    /// The client's address and the address it connected to (for the PROXY header and the
    /// X-Forwarded-* fields; looked up once, when first needed).
    lazy var endpoints = (peer: ProxiedEndpoint.peer(of: clientFD), local: ProxiedEndpoint.local(of: clientFD))
    /// Loop time of the accept, and of the start of the upstream connect (for the duration histograms).
    private let acceptedAt: Double
    private var connectStartedAt: Double = 0

    init(worker: Worker, id: UInt64, clientFD: Int32, tls: TLSConnection) {
        self.worker = worker
        self.id = id
        self.clientFD = clientFD
        self.tls = tls
        self.acceptedAt = worker.loop.now
        self.clientWatcher = IOWatcher(loop: worker.loop, fd: clientFD) { [unowned self] events in
            self.clientReady(events)
        }
        self.timer = TimerWatcher(loop: worker.loop) { [unowned self] in
            self.timedOut()
        }
    }

    /// Starts the handshake clock and waits for the ClientHello.
    func start() {
        timer.start(after: worker.settings.handshakeTimeout.seconds)
        clientWatcher.watch(.read)
    }

    // MARK: Events

    private func clientReady(_ events: IOEvents) {
        switch phase {
        case .handshaking:
            continueHandshake()
        case .proxying:
            if !events.isDisjoint(with: tlsWriteWaitsFor) && (toClient.pending != nil || toClient.needsSinkClose) {
                flushToClient()
            }
            if phase == .proxying && wantsClientInput && !events.isDisjoint(with: tlsReadWaitsFor) {
                pumpClientToUpstream()
            }
        case .lingering:
            dropClientInput()
        case .connecting, .closed:
            break
        }
        settle()
    }

    private func upstreamReady(_ events: IOEvents) {
        switch phase {
        case .connecting:
            finishConnect()
        case .proxying:
            if events.contains(.write) && toUpstream.pending != nil {
                flushToUpstream()
            }
            if phase == .proxying && events.contains(.read) && toClient.canRead {
                pumpUpstreamToClient()
            }
        case .handshaking, .lingering, .closed:
            break
        }
        settle()
    }

    private func timedOut() {
        switch phase {
        case .handshaking:
            worker.metrics.handshakeFailures(reason: HandshakeFailureReason.timeout.rawValue).increment()
            worker.logger.debug("handshake timed out", metadata: ["conn": "\(id)"])
            close()
        case .connecting:
            worker.metrics.upstreamConnectFailures(reason: "timeout").increment()
            worker.logger.warning("upstream connect timed out", metadata: [
                "conn": "\(id)", "upstream": "\(worker.settings.upstream)",
            ])
            if speaksHTTP {
                respondWithoutUpstream(status: 504, detail: "the upstream did not accept the connection in time")
                settle()
            } else {
                failClient()
            }
        case .proxying:
            // Only armed while a refused request waits for the upstream's earlier responses.
            worker.logger.debug("upstream did not finish before the refusal; closing", metadata: ["conn": "\(id)"])
            close()
        case .lingering:
            close()
        case .closed:
            break
        }
    }

    /// After every event: close when both directions are finished, else watch what is needed next.
    func settle() {
        guard phase != .closed else { return }
        if phase == .proxying && toUpstream.isFinished && toClient.isFinished {
            if lingerBeforeClose {
                startLingering()
            } else {
                close()
                return
            }
        }
        updateInterest()
    }

    private func updateInterest() {
        var client: IOEvents = []
        var upstream: IOEvents = []
        switch phase {
        case .handshaking:
            client = handshakeWaitsFor
        case .connecting:
            upstream = .write
        case .proxying:
            if toClient.pending != nil || toClient.needsSinkClose { client.formUnion(tlsWriteWaitsFor) }
            if wantsClientInput { client.formUnion(tlsReadWaitsFor) }
            if toUpstream.pending != nil { upstream.insert(.write) }
            if toClient.canRead { upstream.insert(.read) }
        case .lingering:
            client = .read
        case .closed:
            break
        }
        clientWatcher.watch(client)
        upstreamWatcher?.watch(upstream)
    }

    // MARK: Handshake and upstream connect

    private func continueHandshake() {
        switch tls.handshake() {
        case .done:
            let metrics = worker.metrics
            metrics.handshakeSuccesses.increment()
            (tls.isTLS13 ? metrics.tls13Connections : metrics.tls12Connections).increment()
            metrics.handshakeDuration.record(worker.loop.now - acceptedAt)
            // Every connection is parsed as HTTP/1.x with --forward-headers, whatever ALPN agreed: the
            // configuration never offers h2 then, and if a client speaks it anyway its preface is refused
            // (400) rather than passed through with the client's own identity fields.
            speaksHTTP = worker.settings.forwardHeaders
            clientWatcher.stop()
            connectUpstream()
        case .wantRead:
            handshakeWaitsFor = .read
        case .wantWrite:
            handshakeWaitsFor = .write
        case .closed:
            worker.metrics.handshakeFailures(reason: HandshakeFailureReason.peerClosed.rawValue).increment()
            worker.logger.debug("client closed during handshake", metadata: ["conn": "\(id)"])
            close()
        case .failed(let failure):
            let reason = tls.failureReason(failure)
            worker.metrics.handshakeFailures(reason: reason.rawValue).increment()
            worker.logger.debug("handshake failed", metadata: [
                "conn": "\(id)", "reason": "\(reason.rawValue)", "error": "\(failure)",
            ])
            close()
        }
    }

    private func connectUpstream() {
        connectStartedAt = worker.loop.now
        switch Socket.connect(to: worker.settings.upstream) {
        case .connected(let fd):
            upstreamFD = fd
            makeUpstreamWatcher(fd)
            startProxying()
        case .inProgress(let fd):
            upstreamFD = fd
            makeUpstreamWatcher(fd)
            phase = .connecting
            timer.start(after: worker.settings.connectTimeout.seconds)
        case .failed(let code):
            upstreamFailed(code)
        }
    }

    private func makeUpstreamWatcher(_ fd: Int32) {
        upstreamWatcher = IOWatcher(loop: worker.loop, fd: fd) { [unowned self] events in
            self.upstreamReady(events)
        }
    }

    private func finishConnect() {
        let code = Socket.pendingError(of: upstreamFD)
        if code == 0 {
            startProxying()
        } else {
            upstreamFailed(code)
        }
    }

    private func upstreamFailed(_ code: Int32) {
        worker.metrics.upstreamConnectFailures(reason: Self.connectFailureReason(code)).increment()
        worker.logger.warning("upstream connect failed", metadata: [
            "conn": "\(id)", "upstream": "\(worker.settings.upstream)", "error": "\(SystemError.message(for: code))",
        ])
        if speaksHTTP {
            respondWithoutUpstream(status: 502, detail: "the upstream cannot be reached")
        } else {
            failClient()
        }
    }

    /// The `reason` label of a failed upstream connect.
    static func connectFailureReason(_ code: Int32) -> String {
        switch code {
        case ECONNREFUSED: return "refused"
        case ETIMEDOUT: return "timeout"
        case EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN: return "unreachable"
        case EMFILE, ENFILE: return "no_descriptors"
        default: return "other"
        }
    }

    private func startProxying() {
        worker.metrics.upstreamConnectDuration.record(worker.loop.now - connectStartedAt)
        timer.stop()
        phase = .proxying
        if worker.settings.proxyProtocol != .off {
            sendProxyHeader()
        }
        if speaksHTTP {
            startRewriting()
        }
        // Without read-ahead OpenSSL leaves unread records in the socket, so readiness covers them; this
        // only matters if a future setting buffers application data during the handshake.
        if tls.hasBufferedData {
            pumpClientToUpstream()
        }
    }

    /// The PROXY protocol header, first on the upstream connection. Not counted in
    /// `certgate_bytes_total` (it is not the client's bytes); a header the socket cannot take at once is
    /// parked like any other pending bytes, so reading from the client waits until it has gone out.
    private func sendProxyHeader() {
        guard let source = endpoints.peer, let destination = endpoints.local else { return }
        let presented = tls.clientCertificatePresented
        let verified = tls.hasVerifiedClientCertificate
        let ssl = ProxyProtocolSSLInfo(
            client: presented ? [.ssl, .certificateOnConnection] : [.ssl],
            verify: verified ? 0 : 1,
            version: tls.protocolVersion,
            commonName: verified ? tls.clientCertificateCommonName : nil,
            cipher: tls.cipherName
        )
        var header = ProxyProtocolHeader(source: source, destination: destination, alpn: tls.selectedALPN,
                                         authority: tls.serverName, ssl: ssl)
            .encode(worker.settings.proxyProtocol)
        guard !header.isEmpty else { return }
        header.withUnsafeMutableBytes { raw in
            let bytes = raw.baseAddress!
            switch Socket.write(upstreamFD, from: bytes, count: raw.count) {
            case .done(let written) where written == raw.count:
                break
            case .done(let written):
                toUpstream.park(PendingBytes(copying: bytes + written, count: raw.count - written, into: worker.buffers.take()))
            case .wouldBlock:
                toUpstream.park(PendingBytes(copying: bytes, count: raw.count, into: worker.buffers.take()))
            case .failed(let code):
                abort("upstream write failed: \(SystemError.message(for: code))")
            case .endOfStream:
                break
            }
        }
    }

    // MARK: Client → upstream

    func pumpClientToUpstream() {
        if rewriter != nil {
            pumpRewritten()
            return
        }
        var budget = 16
        while toUpstream.canRead && (budget > 0 || tls.hasBufferedData) {
            budget -= 1
            guard let count = readFromClient(), deliverToUpstream(worker.scratch, count: count) else { return }
        }
    }

    /// One TLS read from the client into the worker's scratch buffer: the byte count, or nil when there
    /// is nothing more to do now (the read would block, the client's end was passed on, or the
    /// connection was aborted).
    func readFromClient() -> Int? {
        switch tls.read(into: worker.scratch, count: worker.settings.bufferSize) {
        case .done(let count):
            tlsReadWaitsFor = .read
            return count
        case .wantRead:
            tlsReadWaitsFor = .read
            return nil
        case .wantWrite:
            tlsReadWaitsFor = .write
            return nil
        case .closed:
            toUpstream.markSourceEnded()
            if toUpstream.needsSinkClose { closeUpstreamWrite() }
            return nil
        case .failed(let failure):
            abort("client read failed: \(failure)")
            return nil
        }
    }

    /// Writes freshly read bytes upstream, parking what does not fit. Returns false when reading must stop.
    private func deliverToUpstream(_ bytes: UnsafeMutableRawPointer, count: Int) -> Bool {
        switch Socket.write(upstreamFD, from: bytes, count: count) {
        case .done(let written) where written == count:
            worker.traffic.addClientToUpstream(written)
            return true
        case .done(let written):
            worker.traffic.addClientToUpstream(written)
            toUpstream.park(PendingBytes(copying: bytes + written, count: count - written, into: worker.buffers.take()))
            return false
        case .wouldBlock:
            toUpstream.park(PendingBytes(copying: bytes, count: count, into: worker.buffers.take()))
            return false
        case .failed(let code):
            abort("upstream write failed: \(SystemError.message(for: code))")
            return false
        case .endOfStream:
            return false
        }
    }

    private func flushToUpstream() {
        guard let parked = toUpstream.pending else { return }
        switch Socket.write(upstreamFD, from: parked.bytes, count: parked.count) {
        case .done(let written):
            worker.traffic.addClientToUpstream(written)
            if let buffer = toUpstream.consumePending(written) {
                worker.buffers.give(buffer)
                if toUpstream.needsSinkClose {
                    closeUpstreamWrite()
                } else {
                    pumpClientToUpstream()
                }
            }
        case .wouldBlock, .endOfStream:
            break
        case .failed(let code):
            abort("upstream write failed: \(SystemError.message(for: code))")
        }
    }

    func closeUpstreamWrite() {
        Socket.shutdownWrite(upstreamFD)
        toUpstream.markSinkClosed()
    }

    // MARK: Upstream → client

    private func pumpUpstreamToClient() {
        let scratch = worker.scratch
        let size = worker.settings.bufferSize
        for _ in 0..<16 where toClient.canRead {
            switch Socket.read(upstreamFD, into: scratch, count: size) {
            case .done(let count):
                // With --forward-headers the responses are followed (read only) for upgrade decisions.
                let released = rewriter?.observeUpstream(UnsafeRawBufferPointer(start: scratch, count: count)) ?? false
                let delivered = deliverToClient(scratch, count: count)
                if released {
                    resumeClientInput()
                    guard phase == .proxying else { return }
                }
                guard delivered else { return }
            case .wouldBlock:
                return
            case .endOfStream:
                if let response = finalResponse {
                    finalResponse = nil
                    sendOwnResponse(response.bytes, status: response.status)
                }
                toClient.markSourceEnded()
                if toClient.needsSinkClose { closeClientWrite() }
                return
            case .failed(let code):
                abort("upstream read failed: \(SystemError.message(for: code))")
                return
            }
        }
    }

    /// Encrypts freshly read bytes to the client, parking what does not fit. A blocked `SSL_write` must be
    /// retried with the same bytes, which is exactly what the parked copy is.
    func deliverToClient(_ bytes: UnsafeMutableRawPointer, count: Int) -> Bool {
        var offset = 0
        while offset < count {
            switch tls.write(from: bytes + offset, count: count - offset) {
            case .done(let written):
                worker.traffic.addUpstreamToClient(written)
                offset += written
            case .wantWrite:
                tlsWriteWaitsFor = .write
                toClient.park(PendingBytes(copying: bytes + offset, count: count - offset, into: worker.buffers.take()))
                return false
            case .wantRead:
                tlsWriteWaitsFor = .read
                toClient.park(PendingBytes(copying: bytes + offset, count: count - offset, into: worker.buffers.take()))
                return false
            case .closed:
                abort("client closed the TLS session while data was being sent")
                return false
            case .failed(let failure):
                abort("client write failed: \(failure)")
                return false
            }
        }
        return true
    }

    private func flushToClient() {
        guard let parked = toClient.pending else {
            if toClient.needsSinkClose { closeClientWrite() }
            return
        }
        switch tls.write(from: parked.bytes, count: parked.count) {
        case .done(let written):
            worker.traffic.addUpstreamToClient(written)
            tlsWriteWaitsFor = .write
            if let buffer = toClient.consumePending(written) {
                worker.buffers.give(buffer)
                if toClient.needsSinkClose {
                    closeClientWrite()
                } else {
                    pumpUpstreamToClient()
                }
            }
        case .wantWrite:
            tlsWriteWaitsFor = .write
        case .wantRead:
            tlsWriteWaitsFor = .read
        case .closed:
            abort("client closed the TLS session while data was being sent")
        case .failed(let failure):
            abort("client write failed: \(failure)")
        }
    }

    /// Passes the upstream's end of stream on: close_notify, then FIN. The client may keep sending.
    func closeClientWrite() {
        switch tls.sendCloseNotify() {
        case .done:
            Socket.shutdownWrite(clientFD)
            toClient.markSinkClosed()
        case .wantWrite:
            tlsWriteWaitsFor = .write
        case .wantRead:
            tlsWriteWaitsFor = .read
        case .closed, .failed:
            // The client is gone; nothing more can reach it.
            Socket.shutdownWrite(clientFD)
            toClient.markSinkClosed()
        }
    }

    // MARK: Teardown

    /// Upstream unusable after a successful handshake: tell the client politely (close_notify), then close.
    private func failClient() {
        _ = tls.sendCloseNotify()
        close()
    }

    /// A hard error on either side: nothing more can be delivered reliably, so both sides are closed.
    func abort(_ reason: String) {
        worker.logger.debug("connection aborted", metadata: ["conn": "\(id)", "reason": "\(reason)"])
        close()
    }

    /// Releases everything: watchers, buffers, descriptors, then the worker's reference.
    func close() {
        guard phase != .closed else { return }
        phase = .closed
        timer.stop()
        clientWatcher.stop()
        upstreamWatcher?.stop()
        if let buffer = toUpstream.discardPending() { worker.buffers.give(buffer) }
        if let buffer = toClient.discardPending() { worker.buffers.give(buffer) }
        Socket.close(clientFD)
        if upstreamFD >= 0 {
            Socket.close(upstreamFD)
            upstreamFD = -1
        }
        worker.connectionClosed(self)
    }
}
