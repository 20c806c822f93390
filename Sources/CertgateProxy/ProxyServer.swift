import CertgateCertificates
import CertgateMetrics
import CertgatePosix
import Dispatch
import LibEV
import Logging
import Synchronization

/// The data plane: N worker threads, each with its own loop and its own `SO_REUSEPORT` listener.
///
/// Used from the control thread. `init` binds every listener (so "address in use" and friends surface
/// at start-up, before any thread exists); `start()` spawns the workers; `publish(_:)` hands a new
/// certificate snapshot or new proxy settings to every worker; `shutdown()` stops them and waits until they have exited.
public final class ProxyServer: Sendable {
    private struct WorkerEntry: Sendable {
        let slot: SnapshotSlot
        let listenFD: Int32
    }

    private let entries: [WorkerEntry]
    /// The settings of the start: buffer sizes and pools (a configuration reload never changes those).
    private let settings: ProxySettings
    private let metrics: ProxyMetrics
    private let logger: Logger
    private let accessLog: AccessLog?
    /// `--max-connections`, shared by every worker.
    public let connectionLimit: ConnectionLimit
    /// Filled by each worker thread once it is ready: how the control thread reaches it.
    private let running = Mutex<[Int: (handle: LoopHandle, worker: LoopBound<Worker>)]>([:])
    private let threads = Mutex<[LoopThread]>([])
    /// The port actually bound (differs from the configured one when that was 0).
    public let port: UInt16

    /// Binds `workers` listeners on `listen` (all on the same port); at most `maxConnections` client
    /// connections are open at once, across all workers.
    public init(
        listen: ResolvedAddress, workers: Int, maxConnections: Int, settings: ProxySettings,
        snapshot: CertificateSnapshot, metrics: ProxyMetrics, logger: Logger, accessLog: AccessLog? = nil
    ) throws(SystemError) {
        var fds: [Int32] = []
        var address = listen
        if listen.port != 0 {
            try Socket.checkAvailable(listen)
        }
        do {
            for _ in 0..<max(workers, 1) {
                let fd = try Socket.listen(on: address, reusePort: true)
                fds.append(fd)
                // With port 0 the kernel picks a port for the first socket; the others must join it.
                if fds.count == 1, let bound = Socket.localPort(of: fd), bound != address.port {
                    address = address.withPort(bound)
                }
            }
        } catch {
            fds.forEach(Socket.close)
            throw error
        }
        self.port = address.port
        self.entries = fds.map { WorkerEntry(slot: SnapshotSlot(snapshot, settings: settings), listenFD: $0) }
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        self.accessLog = accessLog
        self.connectionLimit = ConnectionLimit(maximum: maxConnections)
        metrics.listener.connectionsLimit.set(to: Double(connectionLimit.maximum))
    }

    public var workerCount: Int { entries.count }

    /// Spawns the worker threads and returns once every one of them is accepting.
    public func start() throws(ThreadError) {
        let ready = DispatchSemaphore(value: 0)
        for (index, entry) in entries.enumerated() {
            let thread = try LoopThread.spawn(name: "certgate-w\(index)") { [self] in
                let loop = EventLoop()
                let worker = Worker(
                    index: index, loop: loop, listenFD: entry.listenFD, slot: entry.slot,
                    settings: settings, limit: connectionLimit, metrics: metrics, logger: logger,
                    accessLog: accessLog)
                let handle: LoopHandle = loop.handle
                let bound = LoopBound(worker)
                worker.start { handle.execute { bound.value.slotFreed() } }
                running.withLock { $0[index] = (handle, bound) }
                ready.signal()
                loop.run()
                // The loop ended (shutdown): release every connection before the loop goes away.
                worker.closeAllConnections()
                // Their access log lines (and every earlier one still buffered) go to the writer.
                worker.accessLog?.flush()
                running.withLock { _ = $0.removeValue(forKey: index) }
            }
            threads.withLock { $0.append(thread) }
        }
        for _ in entries {
            ready.wait()
        }
    }

    /// Makes `snapshot` the one new connections use, on every worker. Connections already accepted keep
    /// the snapshot they started with; when the client trust changed (a new `ClientTrustTable`: the CAs
    /// or CRLs were reloaded), HTTP/2 connections get a GOAWAY, so their clients' next requests come on a
    /// new connection, verified against the new trust.
    public func publish(_ snapshot: CertificateSnapshot) {
        let trustChanged = entries.first.map { $0.slot.snapshot.clientTrusts !== snapshot.clientTrusts } ?? false
        for entry in entries {
            entry.slot.publish(snapshot)
        }
        guard trustChanged else { return }
        let workers = running.withLock { Array($0.values) }
        for (handle, worker) in workers {
            handle.execute { worker.value.clientTrustChanged() }
        }
    }

    /// Makes `settings` the ones new connections use, on every worker (a configuration reload).
    /// Connections already accepted keep the settings they started with.
    public func publish(_ settings: ProxySettings) {
        for entry in entries {
            entry.slot.publish(settings)
        }
    }

    /// Starts a graceful stop without waiting: every worker closes its listener at once (new connections
    /// are refused) and lets the connections it has run to completion; a worker whose last connection has
    /// closed ends its loop. `isStopped` tells when all have; `shutdown()` ends the rest by force.
    public func drain() {
        let workers = running.withLock { Array($0.values) }
        for (handle, worker) in workers {
            handle.execute { worker.value.beginDrain() }
        }
    }

    /// Connections open right now, from the `certgate_connections_active` gauge (for log lines).
    public var activeConnectionEstimate: Int {
        Int(metrics.connectionsActiveCount)
    }

    /// Whether every worker loop has ended (after `drain()`, once the last connection closed).
    public var isStopped: Bool {
        running.withLock { $0.isEmpty }
    }

    /// Stops accepting, closes all connections, ends the worker loops, and waits for the threads to exit.
    /// Idempotent.
    public func shutdown() {
        let workers = running.withLock { Array($0.values) }
        for (handle, worker) in workers {
            handle.execute {
                worker.value.stopAccepting()
                worker.value.closeAllConnections()
                worker.value.loop.stop()
            }
        }
        let joining = threads.withLock { list -> [LoopThread] in
            defer { list.removeAll() }
            return list
        }
        for thread in joining {
            thread.join()
        }
    }
}
