import CertgatePosix
import LibEV

/// A worker's keep-alive HTTP/1.1 connections to the upstream, for the streams of its HTTP/2 clients:
/// each carries at most one request at a time. A stream gets the most recently idle connection, else a
/// new one while fewer than `maximumOpen` are open, else waits in line (first come, first served) for
/// the next one to come free. At most `maximumIdle` stay open idle.
///
/// Loop-confined, owned by its `Worker`.
final class UpstreamPool {
    let maximumOpen: Int
    let maximumIdle: Int
    /// Its worker owns it: no checked reference.
    private unowned(unsafe) let worker: Worker
    private var idle: [PooledUpstream] = []
    private var open: [ObjectIdentifier: PooledUpstream] = [:]
    private var waiting: [HTTP2Exchange] = []
    private var rotation = 0

    init(worker: Worker, maximumOpen: Int = 256, maximumIdle: Int = 100) {
        self.worker = worker
        self.maximumOpen = maximumOpen
        self.maximumIdle = maximumIdle
    }

    var openCount: Int { open.count }
    var idleCount: Int { idle.count }

    /// Finds `exchange` an upstream connection: at once, or when one comes free. `fresh`: a new
    /// connection, not an idle one (the retry after a kept-alive connection turned out closed).
    func lease(for exchange: HTTP2Exchange, fresh: Bool = false) {
        if !fresh, let upstream = idle.popLast() {
            worker.metrics.http2.poolReuses.increment()
            upstream.assign(exchange)
            exchange.upstreamAssigned(upstream, connected: true)
        } else if open.count < maximumOpen {
            connect(for: exchange)
        } else {
            waiting.append(exchange)
        }
    }

    /// The stream went away before it got a connection.
    func cancel(_ exchange: HTTP2Exchange) {
        waiting.removeAll { $0 === exchange }
    }

    /// A complete response with keep-alive: the connection serves the next waiting stream, or idles.
    func giveBack(_ upstream: PooledUpstream) {
        if let next = takeWaiting() {
            worker.metrics.http2.poolReuses.increment()
            upstream.assign(next)
            next.upstreamAssigned(upstream, connected: true)
        } else if idle.count < maximumIdle && !worker.isDraining {
            upstream.markIdle()
            idle.append(upstream)
        } else {
            upstream.close()
        }
    }

    /// Called by a connection as it closes.
    func closed(_ upstream: PooledUpstream) {
        open[ObjectIdentifier(upstream)] = nil
        idle.removeAll { $0 === upstream }
        if open.count < maximumOpen, let next = takeWaiting() { connect(for: next) }
    }

    /// Closes the idle connections (the worker drains or stops).
    func closeIdle() {
        for upstream in idle { upstream.close() }
    }

    private func takeWaiting() -> HTTP2Exchange? {
        waiting.isEmpty ? nil : waiting.removeFirst()
    }

    private func connect(for exchange: HTTP2Exchange) {
        let settings = exchange.settings
        let addresses = settings.upstreamAddresses
        rotation &+= 1
        let address = addresses.isEmpty ? settings.upstream : addresses[rotation % addresses.count]
        worker.metrics.http2.poolConnects.increment()
        switch Socket.connect(to: address) {
        case .connected(let fd), .inProgress(let fd):
            if settings.tcpKeepalive { Socket.setKeepAlive(fd) }
            Socket.setNoDelay(fd)
            let upstream = PooledUpstream(
                fd: fd, pool: self, loop: worker.loop, connectTimeout: settings.connectTimeout)
            open[ObjectIdentifier(upstream)] = upstream
            upstream.assign(exchange)
            exchange.upstreamAssigned(upstream, connected: false)
        case .failed(let code):
            exchange.upstreamUnavailable(timedOut: false, code: code)
        }
    }
}
