import CertgateCertificates
import CertgateMetrics
import CertgatePosix
import CertgateTLS
import Glibc
import LibEV
import Logging

/// One worker thread's world: its libev loop, its own `SO_REUSEPORT` listener, and the connections it
/// accepted. Connections never move between workers and nothing here is shared, except the snapshot slot
/// (read once per accept) and the metric handles (atomic counters).
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

    private let slot: SnapshotSlot
    private var listenFD: Int32
    private var listener: IOWatcher?
    private let reserve = DescriptorReserve()
    private var connections: [UInt64: ProxyConnection] = [:]
    private var nextConnectionID: UInt64
    /// Rate limit for the "out of file descriptors" warning (loop time of the last one).
    private var lastExhaustionWarning: Double = -.infinity
    /// Set by `beginDrain()`: the loop ends as soon as the last connection has closed.
    private var draining = false
    /// Whether the listener has `--tcp-keepalive`'s options, which accepted sockets inherit (so an accept
    /// costs no setsockopt for them).
    private var listenerKeepalive = false

    init(
        index: Int, loop: EventLoop, listenFD: Int32, slot: SnapshotSlot, settings: ProxySettings,
        metrics: ProxyMetrics, logger: Logger
    ) {
        self.index = index
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
        // Connection ids are unique per process: the worker index lives in the top bits.
        self.nextConnectionID = UInt64(index) << 48
    }

    deinit {
        scratch.deallocate()
    }

    var connectionCount: Int { connections.count }

    /// Starts accepting. Called on the worker thread before its loop runs.
    func start() {
        let watcher = IOWatcher(loop: loop, fd: listenFD) { [unowned self] _ in
            self.acceptReady()
        }
        watcher.watch(.read)
        listener = watcher
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
        if connections.isEmpty { loop.stop() }
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
            switch Socket.accept(from: listenFD) {
            case .done(let fd):
                admit(Int32(fd))
            case .wouldBlock, .endOfStream:
                return
            case .failed(let code) where code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM:
                if reserve.shedOne(from: listenFD) {
                    metrics.acceptShed.increment()
                }
                let now = loop.now
                if now - lastExhaustionWarning >= 10 {
                    lastExhaustionWarning = now
                    logger.warning(
                        "out of file descriptors: shedding new connections",
                        metadata: [
                            "error": "\(SystemError.message(for: code))", "open_connections": "\(connections.count)",
                        ])
                }
                return
            case .failed(let code) where code == ECONNABORTED || code == EPROTO || code == EPERM:
                continue
            case .failed(let code):
                logger.error("accept failed", metadata: ["error": "\(SystemError.message(for: code))"])
                return
            }
        }
    }

    private func admit(_ fd: Int32) {
        Socket.setNoDelay(fd)
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
            return
        }
        nextConnectionID &+= 1
        let connection = ProxyConnection(
            worker: self, id: nextConnectionID, clientFD: fd, tls: tls,
            settings: settings)
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

    /// Called by a connection once it has released everything; drops the last strong reference.
    func connectionClosed(_ connection: ProxyConnection) {
        if connections.removeValue(forKey: connection.id) != nil {
            metrics.connectionClosed()
        }
        if draining && connections.isEmpty { loop.stop() }
    }
}
