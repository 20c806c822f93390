import LibEV

/// The HTTP/2 client connections of one worker whose session output is written at the end of the loop
/// iteration, not at once: when the upstream responses of several streams arrive in one poll, each
/// exchange hands its response to the session as its upstream socket is read, and the connection then
/// writes all of them together (one TLS record and one syscall instead of one per stream).
///
/// The queue runs from a `PrepareWatcher`, started only while it holds a connection. A request to flush
/// that comes after the queue ran in this iteration (from an event libev was fed during it) is refused:
/// the caller flushes at once, since nothing would run the queue again before the loop blocks.
///
/// Loop-confined, owned by its `Worker`.
final class FlushQueue {
    private let loop: EventLoop
    private var waiting: [HTTP2ProxyConnection] = []
    private var watcher: PrepareWatcher!
    /// The loop iteration whose prepare phase ran the queue last.
    private var ranIn: UInt32 = .max

    init(loop: EventLoop) {
        self.loop = loop
        watcher = PrepareWatcher(loop: loop) { [unowned self] in self.run() }
    }

    /// Queues `connection` for `flushQueued()` before the loop polls again; false when the queue has
    /// already run in this iteration (flush now instead).
    func enqueue(_ connection: HTTP2ProxyConnection) -> Bool {
        guard ranIn != loop.iteration else { return false }
        waiting.append(connection)
        if !watcher.isActive { watcher.start() }
        return true
    }

    private func run() {
        // From here on `enqueue` refuses (same iteration), so nothing is added while the queue runs.
        ranIn = loop.iteration
        for connection in waiting { connection.flushQueued() }
        waiting.removeAll(keepingCapacity: true)
        watcher.stop()
    }
}
