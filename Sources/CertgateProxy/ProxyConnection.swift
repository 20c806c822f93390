import CertgateHTTP
import CertgateMetrics
import CertgatePosix
import CertgateTLS
import LibEV

/// One client connection: the I/O shell around its `ConnectionStateMachine`.
///
/// Every event (a watcher firing, the timer) goes to the machine, which answers one `ConnectionAction`;
/// `run(_:)` performs it (a syscall, a TLS call, a buffer copy) and hands the result back, until the
/// machine says `.wait`: then the watchers are set to what the machine wants to hear about and the one
/// timer is armed for its deadline. No decision is taken here. Bytes are read into the worker's scratch
/// buffer and written straight to the other side; every write goes through `writeOrPark`, which copies
/// what the sink refuses into one pooled buffer for the machine to keep.
///
/// Loop-confined to its worker's thread. The worker's registry holds the only strong reference; the
/// watchers' callbacks capture the connection `unowned` (it stops them before it goes away; the strong
/// reference a checked `unowned` takes for each callback keeps it alive until a close inside it returns).
final class ProxyConnection: ClientConnection {
    /// The worker outlives its connections (it closes them all before it goes): no checked reference.
    unowned(unsafe) let worker: Worker
    let id: UInt64
    let clientFD: Int32
    private var upstreamFD: Int32 = -1
    let tls: TLSConnection
    /// Unchecked exclusivity: the machine is called once per step of the data path, and the dynamic check
    /// (a thread-local access set) cost more than the step itself. Accesses cannot overlap: the machine
    /// never calls back into the connection, and the connection is confined to its loop's thread.
    @exclusivity(unchecked) private var machine: ConnectionStateMachine
    private var clientWatcher: IOWatcher!
    private var upstreamWatcher: IOWatcher?
    private var timer: TimerWatcher!
    /// The deadline the timer is armed for (nil: stopped).
    private var armedFor: ConnectionDeadline?
    /// Which of the upstream addresses to try next (round robin per worker, failover on a failed connect).
    private var rotation: UpstreamRotation
    /// The address of the latest connect, for the log lines.
    private(set) var upstreamAddress: ResolvedAddress
    /// OpenSSL holds client bytes that this event had no read budget left for (`.readClientLater`).
    private var readsClientLater = false
    /// `--forward-headers`: the rewriter between the client and the upstream, once proxying (unchecked
    /// exclusivity for the same reason as the machine: used on every step of that mode).
    @exclusivity(unchecked) var filter: ForwardHeadersFilter?
    /// The last TLS failure seen, for the log line of the close it causes.
    var failure: TLSFailure?
    /// Looked up once, when the PROXY header or the X-Forwarded-* fields first need them.
    private lazy var endpoints = ClientEndpoints(clientFD: clientFD)
    /// The worker's scratch buffer, its size and its byte counters, held here so that the data path does
    /// not go through the `unowned` worker reference (a checked retain and release) on every step.
    private let scratch: UnsafeMutableRawPointer
    private let bufferSize: Int
    private let traffic: TrafficCounters
    /// Loop time of the accept, and of the start of the upstream connect (for the duration histograms).
    let acceptedAt: Double
    /// The settings in force when this connection was accepted, kept for its whole life.
    let shared: SharedProxySettings
    var settings: ProxySettings { shared.value }
    private(set) var connectStartedAt: Double = 0
    /// `MonotonicClock` time of the last readiness event on either socket (bytes arrived, or a full sink
    /// took some): one vDSO clock read per event, no syscall, and the idle timer is never re-armed for
    /// it (see `settle`).
    private var lastActivity: Double
    /// What the access log line says at the close (bytes each way, connect time, the client's address).
    var access = ConnectionFacts()

    init(
        worker: Worker, id: UInt64, clientFD: Int32, tls: TLSConnection, settings: SharedProxySettings,
        upstreamCursor: Int
    ) {
        self.worker = worker
        self.rotation = UpstreamRotation(count: settings.value.upstreamAddresses.count, cursor: upstreamCursor)
        self.upstreamAddress = settings.value.upstream
        self.shared = settings
        self.id = id
        self.clientFD = clientFD
        self.tls = tls
        self.acceptedAt = worker.loop.now
        self.scratch = worker.scratch
        self.bufferSize = worker.settings.bufferSize
        self.traffic = worker.traffic
        self.lastActivity = MonotonicClock.coarseSeconds
        self.machine = ConnectionStateMachine(
            forwardsHeaders: settings.value.forwardHeaders,
            sendsProxyHeader: settings.value.proxyProtocol != .off, idleTimeout: settings.value.idleTimeout,
            upstreamAddresses: settings.value.upstreamAddresses.count)
        self.clientWatcher = IOWatcher(loop: worker.loop, fd: clientFD) { [unowned self] events in
            self.lastActivity = MonotonicClock.coarseSeconds
            self.run(self.machine.clientReady(events))
        }
        self.timer = TimerWatcher(loop: worker.loop) { [unowned self] in
            self.armedFor = nil
            self.run(self.machine.timerFired(quietFor: .seconds(MonotonicClock.coarseSeconds - self.lastActivity)))
        }
    }

    /// Starts the handshake clock and waits for the ClientHello.
    func start() {
        if worker.accessLog?.format != nil { noteClientAddress() }
        run(machine.start())
    }

    /// Closes at once, whatever the state (the worker is shutting down).
    func close() {
        run(machine.forceClose())
    }

    /// Nothing to announce: the connection ends on its own (or at the end of the drain timeout).
    func drain() {}

    /// Right after the handshake: a client that agreed on h2 with `--upstream-protocol http1` is served
    /// by an `HTTP2ProxyConnection` from now on (nothing has been read or connected yet).
    private func becomesHTTP2() -> Bool {
        let terminates = settings.terminatesHTTP2 && tls.selectedALPN == HTTP2ProxyConnection.alpn
        worker.metrics.http2.connection(protocol: terminates ? "h2" : "http1")
        guard terminates else { return false }
        timer.stop()
        clientWatcher.stop()
        worker.switchToHTTP2(self)
        return true
    }

    // MARK: Performing actions

    private func run(_ first: ConnectionAction) {
        var action = first
        while true {
            switch action {
            case .wait:
                settle()
                return
            case .handshake:
                let result = tls.handshake()
                if case .failed(let failure) = result { self.failure = failure }
                action = machine.handshakeStepped(result)
            case .connect:
                action = machine.connectStarted(connectUpstream())
            case .checkConnect:
                action = machine.connectChecked(Socket.pendingError(of: upstreamFD))
            case .readClient(let onlyIfBuffered):
                if onlyIfBuffered && !tls.hasBufferedData {
                    action = machine.nothingBuffered()
                } else {
                    let result = tls.read(into: scratch, count: bufferSize)
                    switch result {
                    case .done(let n): access.bytesFromClient &+= n
                    case .failed(let failure): self.failure = failure
                    default: break
                    }
                    action = machine.clientRead(result)
                }
            case .readClientLater:
                if tls.hasBufferedData { readsClientLater = true }
                action = machine.next()
            case .readUpstream:
                let result = Socket.read(upstreamFD, into: scratch, count: bufferSize)
                action = machine.upstreamRead(result, filledBuffer: result == .done(bufferSize))
            case .write(let bytes, let sink):
                action = write(bytes, to: sink)
            case .shutdownUpstream:
                Socket.shutdownWrite(upstreamFD)
                action = machine.next()
            case .shutdownClient:
                Socket.shutdownWrite(clientFD)
                action = machine.next()
            case .sendCloseNotify:
                action = machine.closeNotifySent(tls.sendCloseNotify())
            case .dropUpstream:
                closeUpstream()
                action = machine.next()
            case .report(let report):
                self.report(report)
                if case .handshakeSucceeded = report, becomesHTTP2() { return }
                action = machine.next()
            case .recycle(let buffer):
                worker.buffers.give(buffer)
                action = machine.next()
            case .startRewriting:
                filter = ForwardHeadersFilter(
                    headers: endpoints.forwardedHeaders(tls: tls),
                    headLimit: settings.maximumRequestHead,
                    recordingOn: worker.accessLog?.format.map { _ in worker.loop })
                action = machine.next()
            case .feedRewriter(let count):
                countForwarded(filter!.feed(UnsafeRawBufferPointer(start: scratch, count: count)))
                action = machine.rewriterAdvanced(filter!.status)
            case .resumeRewriter:
                let (moved, forwarded) = filter!.resume()
                countForwarded(forwarded)
                action = machine.rewriterResumed(moved: moved, filter!.status)
            case .observeResponse(let count):
                let released = filter!.observeResponse(UnsafeRawBufferPointer(start: scratch, count: count))
                if filter!.recordsRequests { writeRequestLines() }
                action = machine.responseObserved(releasedInput: released, filter!.status)
            case .close(let cause):
                release(cause)
                return
            }
        }
    }

    /// Watches what the machine waits for and arms the timer for its deadline (both no-ops when unchanged).
    private func settle() {
        clientWatcher.watch(machine.clientInterest)
        if readsClientLater {
            readsClientLater = false
            if machine.clientInterest.contains(.read) { clientWatcher.feed(.read) }
        }
        upstreamWatcher?.watch(machine.upstreamInterest)
        let deadline = machine.deadline
        guard deadline != armedFor else { return }
        armedFor = deadline
        if let deadline {
            var seconds = deadline.duration(in: settings).seconds
            // The idle timeout counts from the last activity, not from now.
            if deadline == .idle { seconds -= MonotonicClock.coarseSeconds - lastActivity }
            timer.start(after: seconds)
        } else {
            timer.stop()
        }
    }

    private func connectUpstream() -> ConnectResult {
        // A retry after a failed connect: the previous socket goes, the connect timeout starts over.
        closeUpstream()
        armedFor = nil
        let addresses = settings.upstreamAddresses
        if let index = rotation.next(), index < addresses.count { upstreamAddress = addresses[index] }
        connectStartedAt = worker.loop.now
        let result = Socket.connect(to: upstreamAddress)
        switch result {
        case .connected(let fd), .inProgress(let fd):
            upstreamFD = fd
            if settings.tcpKeepalive { Socket.setKeepAlive(fd) }
            upstreamWatcher = IOWatcher(loop: worker.loop, fd: fd) { [unowned self] events in
                self.lastActivity = MonotonicClock.coarseSeconds
                self.run(self.machine.upstreamReady(events))
            }
        case .failed:
            break
        }
        return result
    }

    private func closeUpstream() {
        upstreamWatcher?.stop()
        upstreamWatcher = nil
        if upstreamFD >= 0 {
            Socket.close(upstreamFD)
            upstreamFD = -1
        }
    }

    // MARK: Writing

    private func write(_ bytes: ConnectionAction.Bytes, to sink: ConnectionSide) -> ConnectionAction {
        switch bytes {
        case .scratch(let count):
            return machine.wrote(writeOrPark(scratch, count: count, to: sink))
        case .parked(let parked):
            return machine.wrote(writeOrPark(parked.bytes, count: parked.count, to: sink, parking: false))
        case .rewriterOutput:
            let outcome = filter!.writeOutput { writeOrPark($0.baseAddress!, count: $0.count, to: sink) }
            return machine.wrote(outcome, rewriter: filter!.status)
        case .proxyHeader:
            // Not the client's bytes: not counted in certgate_bytes_total (unless parked and flushed later).
            var header = endpoints.proxyHeader(settings.proxyProtocol, tls: tls)
            guard !header.isEmpty else { return machine.wrote(.complete) }
            return machine.wrote(
                header.withUnsafeMutableBytes {
                    writeOrPark($0.baseAddress!, count: $0.count, to: sink, counted: false)
                })
        case .response(let response):
            worker.metrics.http.responded(status: response.status)
            var body = response.bytes
            return machine.wrote(
                body.withUnsafeMutableBytes { writeOrPark($0.baseAddress!, count: $0.count, to: sink) })
        }
    }

    /// The one write path: `count` bytes from `bytes` to `sink`, counted in the worker's traffic. When
    /// the sink does not take them all, fresh bytes (`parking`) are copied into one pooled buffer (a
    /// buffer's worth at most; only the rewriter's output can be longer, and it keeps the rest), which
    /// the outcome hands to the machine. Already parked bytes are tried once and stay where they are.
    /// TLS writes of fresh bytes go on after a partial write; a socket that took less is full.
    private func writeOrPark(
        _ bytes: UnsafeRawPointer, count: Int, to sink: ConnectionSide, parking: Bool = true,
        counted: Bool = true
    ) -> WriteOutcome {
        var written = 0
        var waitsFor: IOEvents = .write
        sending: while written < count {
            switch sink {
            case .upstream:
                switch Socket.write(upstreamFD, from: bytes + written, count: count - written) {
                case .done(let n):
                    if counted { traffic.addClientToUpstream(n) }
                    written += n
                    break sending
                case .wouldBlock, .endOfStream:
                    break sending
                case .failed(let code):
                    return .failed(.upstreamWriteFailed(code))
                }
            case .client:
                switch tls.write(from: bytes + written, count: count - written) {
                case .done(let n):
                    if counted { traffic.addUpstreamToClient(n) }
                    access.bytesToClient &+= n
                    written += n
                    if !parking { break sending }
                case .wantWrite:
                    break sending
                case .wantRead:
                    waitsFor = .read
                    break sending
                case .closed:
                    return .failed(.clientClosedWhileSending)
                case .failed(let failure):
                    self.failure = failure
                    return .failed(.clientWriteFailed)
                }
            }
        }
        if written == count { return .complete }
        guard parking else { return .blocked(written: written, parked: nil, waitsFor: waitsFor) }
        let rest = min(count - written, bufferSize)
        let parked = PendingBytes(copying: bytes + written, count: rest, into: worker.buffers.take())
        return .blocked(written: written, parked: parked, waitsFor: waitsFor)
    }

    // MARK: Metrics, logs, teardown

    private func countForwarded(_ requests: Int) {
        if requests > 0 { traffic.addForwardedRequests(requests) }
    }

    /// Counts and logs why the connection ends, then releases watchers, descriptors and the worker's
    /// reference (the machine has given the buffers back already).
    private func release(_ cause: CloseCause) {
        countAndLog(cause)
        writeAccessLine(cause)
        timer.stop()
        armedFor = nil
        clientWatcher.stop()
        upstreamWatcher?.stop()
        Socket.close(clientFD)
        closeUpstream()
        worker.connectionClosed(id: id)
    }
}
