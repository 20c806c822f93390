import CertgateHTTP2
import CertgatePosix
import LibEV

/// One HTTP/1.1 connection to the upstream in a worker's `UpstreamPool`: connecting, carrying one
/// request of an HTTP/2 stream at a time (its `exchange`), or idle and kept alive.
///
/// While idle it watches for readability: the upstream closing it, or sending anything unasked, ends it.
/// Loop-confined.
final class PooledUpstream {
    enum State {
        case connecting
        case busy
        case idle
        case closed
    }

    let fd: Int32
    private(set) var state = State.connecting
    /// The pool owns its open connections: no checked reference.
    private unowned(unsafe) let pool: UpstreamPool
    private var watcher: IOWatcher!
    private var timer: TimerWatcher?
    /// The stream being served; it does the reads and writes while busy. Strong, and cleared whenever the
    /// two part (`markIdle`, `close`, or the next `assign`): a `weak` reference would give every exchange a
    /// side table, and all its retains and releases would take the slow path.
    var exchange: HTTP2Exchange?
    /// Parses this connection's responses, one after the other, for the exchange being served.
    let parser = HTTP1ResponseParser()

    init(fd: Int32, pool: UpstreamPool, loop: EventLoop, connectTimeout: Duration?) {
        self.fd = fd
        self.pool = pool
        watcher = IOWatcher(loop: loop, fd: fd) { [unowned self] events in self.ready(events) }
        if let connectTimeout {
            let timer = TimerWatcher(loop: loop) { [unowned self] in self.connectTimedOut() }
            timer.start(after: connectTimeout)
            self.timer = timer
            watcher.watch(.write)
        } else {
            state = .busy
        }
    }

    func watch(_ events: IOEvents) {
        watcher.watch(events)
    }

    /// Serves `exchange` (from the pool, idle, or just connected). An idle connection keeps watching for
    /// reads (the response comes that way; no watcher change per request); the exchange sets the rest.
    func assign(_ exchange: HTTP2Exchange) {
        self.exchange = exchange
        parser.sink = exchange
        parser.expectResponse(toHead: exchange.request.isHead)
        guard state != .connecting else { return }
        state = .busy
    }

    /// Back into the pool after a complete response with keep-alive.
    func markIdle() {
        exchange = nil
        parser.sink = nil
        state = .idle
        watcher.watch(.read)
    }

    func close() {
        guard state != .closed else { return }
        state = .closed
        exchange = nil
        parser.sink = nil
        timer?.stop()
        timer = nil
        watcher.stop()
        Socket.close(fd)
        pool.closed(self)
    }

    private func ready(_ events: IOEvents) {
        switch state {
        case .connecting:
            timer?.stop()
            timer = nil
            let code = Socket.pendingError(of: fd)
            if code == 0 {
                state = .busy
                watcher.watch([])
                exchange?.upstreamConnected()
            } else {
                let exchange = self.exchange
                close()
                exchange?.upstreamUnavailable(timedOut: false, code: code)
            }
        case .busy:
            exchange?.upstreamReady(events)
        case .idle, .closed:
            close()
        }
    }

    private func connectTimedOut() {
        let exchange = self.exchange
        close()
        exchange?.upstreamUnavailable(timedOut: true, code: 0)
    }
}
