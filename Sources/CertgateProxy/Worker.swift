import CertgateCertificates
import CertgateMetrics
import CertgatePosix
import CertgateTLS
import Glibc
import LibEV
import Logging

/// One worker thread's world: its libev loop, its own `SO_REUSEPORT` listener, and the connections it
/// accepted. Connections never move between workers and nothing here is shared, except the snapshot slot
/// (read once per accept), the connection limit and the metric handles (atomic counters).
///
/// The listener stops being watched while the process-wide connection limit is reached (the worker parks
/// in `ConnectionLimit` until a slot comes free) and for a back-off after `accept()` failed for lack of
/// descriptors or memory; the kernel's backlog holds new clients meanwhile.
///
/// Loop-confined: created and used only on the worker's thread; the control thread talks to it through
/// `loop.handle` with a `LoopBound<Worker>`.
final class Worker {
    let index: Int
    let loop: EventLoop
    /// The settings of the start, for the buffers (each connection has its own `SharedProxySettings`).
    let settings: ProxySettings
    let metrics: ProxyMetrics
    let logger: Logger
    let buffers: BufferPool
    /// This worker's byte counters (only this thread adds to them).
    let traffic: TrafficCounters
    /// Where every read lands first; shared by all connections of this worker (one runs at a time).
    let scratch: UnsafeMutableRawPointer
    /// `--access-log`: this worker's line buffer (`nil` when the process has no access log at all).
    let accessLog: WorkerAccessLog?

    private let slot: SnapshotSlot
    private var listenFD: Int32
    private var listener: ListenerWatcher?
    private let limit: ConnectionLimit
    private let reserve = DescriptorReserve()
    private var connections: [UInt64: any ClientConnection] = [:]
    /// Keep-alive HTTP/1.1 connections to the upstream for the streams of HTTP/2 clients.
    private(set) lazy var upstreamPool = UpstreamPool(worker: self)
    /// HTTP/2 connections whose output is written once the loop iteration's events are all handled.
    private(set) lazy var flushQueue = FlushQueue(loop: loop)
    /// Exchanges of closed HTTP/2 streams, kept for the next ones.
    let exchangePool = HTTP2ExchangePool()
    private var nextConnectionID: UInt64
    /// Rate limit for the "accept paused" warning (loop time of the last one).
    private var lastExhaustionWarning: Double = -.infinity
    /// Set by `beginDrain()`: the loop ends as soon as the last connection has closed.
    private var draining = false
    /// Whether the listener has `--tcp-keepalive`'s options, which accepted sockets inherit (so an accept
    /// costs no setsockopt for them).
    private var listenerKeepalive = false

    init(
        index: Int, loop: EventLoop, listenFD: Int32, slot: SnapshotSlot, settings: ProxySettings,
        limit: ConnectionLimit, metrics: ProxyMetrics, logger: Logger, accessLog: AccessLog? = nil
    ) {
        self.index = index
        self.limit = limit
        self.loop = loop
        self.listenFD = listenFD
        self.slot = slot
        self.settings = settings
        self.metrics = metrics
        var logger = logger
        logger[metadataKey: "worker"] = "\(index)"
        self.logger = logger
        self.traffic = metrics.makeTrafficCounters()
        self.buffers = BufferPool(bufferSize: settings.bufferSize, maximumFree: settings.pooledBuffersPerWorker)
        self.scratch = .allocate(byteCount: settings.bufferSize, alignment: 16)
        self.accessLog = accessLog.map { WorkerAccessLog(log: $0, loop: loop) }
        // Connection ids are unique per process: the worker index lives in the top bits.
        self.nextConnectionID = UInt64(index) << 48
    }

    deinit {
        scratch.deallocate()
    }

    var connectionCount: Int { connections.count }

    /// Starts accepting. Called on the worker thread before its loop runs; `wake` is how another
    /// thread that frees a connection slot reaches this worker (through its loop handle).
    func start(wake: @escaping @Sendable () -> Void) {
        let watcher = ListenerWatcher(loop: loop, fd: listenFD) { [unowned self] in
            self.acceptReady()
        }
        listener = watcher
        limit.register(worker: index, wake: wake)
        watcher.start()
    }

    /// A connection slot came free somewhere (this worker had parked at the limit): accept again.
    func slotFreed() {
        listener?.isHeld = false
    }

    /// Stops accepting and closes the listening socket; established connections are not touched.
    func stopAccepting() {
        listener?.stop()
        listener = nil
        if listenFD >= 0 {
            Socket.close(listenFD)
            listenFD = -1
        }
    }

    /// Stops accepting; the loop ends (and the worker thread exits) once the connections already accepted
    /// have finished on their own. Idempotent.
    func beginDrain() {
        stopAccepting()
        draining = true
        for connection in Array(connections.values) { connection.drain() }
        upstreamPool.closeIdle()
        if connections.isEmpty { loop.stop() }
    }

    var isDraining: Bool { draining }

    /// The client CAs or CRLs were reloaded: connections that can (HTTP/2) stop taking new requests, so
    /// their clients reconnect and are verified against the new trust.
    func clientTrustChanged() {
        for connection in Array(connections.values) { connection.drain() }
    }

    /// Closes every connection at once (shutdown without draining).
    func closeAllConnections() {
        for connection in Array(connections.values) {
            connection.close()
        }
    }

    private func acceptReady() {
        // Bounded so one busy listener cannot starve this worker's established connections.
        for _ in 0..<64 {
            // The slot is taken before the accept: at the limit the connection stays in the backlog.
            guard let slot = limit.acquire() else {
                holdAtLimit()
                return
            }
            switch Socket.accept(from: listenFD) {
            case .done(let fd):
                listener?.accepted()
                if slot == .last { metrics.listener.limitReached.increment() }
                admit(Int32(fd))
            case .wouldBlock, .endOfStream:
                limit.release()
                return
            case .failed(let code) where code == ECONNABORTED || code == EPROTO || code == EPERM:
                limit.release()
                continue
            case .failed(let code):
                limit.release()
                acceptFailed(code)
                return
            }
        }
    }

    /// The limit is reached: stop watching the listener until a slot comes free.
    private func holdAtLimit() {
        guard let listener else { return }
        listener.isHeld = true
        if !limit.park(worker: index) {
            // A slot came free between the failed acquire and the parking: go on at once.
            listener.isHeld = false
        }
    }

    /// `accept()` failed for lack of a resource (or otherwise): pause the listener with a back-off, so a
    /// level-triggered watcher does not spin on the pending connection. Out of descriptors, the spare one
    /// sheds the oldest pending connection, so at least that client gets a fast close.
    private func acceptFailed(_ code: Int32) {
        let reason: String
        switch code {
        case EMFILE, ENFILE:
            reason = "no_descriptors"
            if reserve.shedOne(from: listenFD) { metrics.acceptShed.increment() }
        case ENOBUFS, ENOMEM: reason = "no_memory"
        default: reason = "other"
        }
        metrics.listener.acceptPaused(reason: reason)
        let pause = listener?.pause() ?? .zero
        let now = loop.now
        if now - lastExhaustionWarning >= 10 {
            lastExhaustionWarning = now
            logger.warning(
                "accept failed: pausing the listener",
                metadata: [
                    "error": "\(SystemError.message(for: code))", "pause_ms": "\(Int(pause.seconds * 1000))",
                    "open_connections": "\(connections.count)",
                ])
        }
    }

    private func admit(_ fd: Int32) {
        // TCP_NODELAY comes from the listener (`Socket.listen`); keep-alive too, as set below.
        let (snapshot, settings) = slot.forNewConnection
        if settings.value.tcpKeepalive != listenerKeepalive {
            switchKeepalive(settings.value.tcpKeepalive, accepted: fd)
        }
        let tls: TLSConnection
        do {
            tls = try TLSConnection(context: settings.value.context, fd: fd, resolver: snapshot)
        } catch {
            logger.error("cannot create TLS session", metadata: ["error": "\(error)"])
            Socket.close(fd)
            limit.release()
            return
        }
        nextConnectionID &+= 1
        let connection = ProxyConnection(
            worker: self, id: nextConnectionID, clientFD: fd, tls: tls,
            settings: settings, upstreamCursor: Int(truncatingIfNeeded: nextConnectionID))
        connections[connection.id] = connection
        metrics.connectionOpened()
        connection.start()
    }

    /// `--tcp-keepalive` changed (or this is the first connection): the listener gets the new state for
    /// the connections to come, and `accepted`, which inherited the old one, gets it too.
    private func switchKeepalive(_ on: Bool, accepted fd: Int32) {
        for socket in [listenFD, fd] {
            if on { Socket.setKeepAlive(socket) } else { Socket.clearKeepAlive(socket) }
        }
        listenerKeepalive = on
    }

    /// A client agreed on h2 (and the upstream speaks HTTP/1.1): an `HTTP2ProxyConnection` takes over its
    /// descriptor, TLS session, id and connection slot.
    func switchToHTTP2(_ connection: ProxyConnection) {
        let terminated = HTTP2ProxyConnection(
            worker: self, id: connection.id, clientFD: connection.clientFD, tls: connection.tls,
            settings: connection.shared, access: connection.access, acceptedAt: connection.acceptedAt)
        connections[connection.id] = terminated
        terminated.start()
    }

    /// Called by a connection once it has released everything; drops the last strong reference.
    func connectionClosed(id: UInt64) {
        if connections.removeValue(forKey: id) != nil {
            metrics.connectionClosed()
            limit.release()
            // A descriptor (two, with the upstream's) was just freed: a paused listener may try again.
            listener?.resumeEarly()
        }
        if draining && connections.isEmpty { loop.stop() }
    }
}
