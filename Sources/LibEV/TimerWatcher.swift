internal import CLibEV
internal import CLibEVShims
internal import CertgatePosix

/// A one-shot or repeating timer on one loop (libev `ev_timer`, monotonic clock).
///
/// Same ownership rules as `IOWatcher`: heap-allocated C struct, unretained back-pointer, stopped in
/// `deinit`, loop-confined.
public final class TimerWatcher {
    private let loop: EventLoop
    private let watcher: UnsafeMutablePointer<ev_timer>
    private let handler: () -> Void

    public init(loop: EventLoop, handler: @escaping () -> Void) {
        self.loop = loop
        self.handler = handler
        self.watcher = .allocate(capacity: 1)
        CLibEVShims_ev_timer_init(watcher, timerWatcherCallback, 0, 0)
        watcher.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        ev_timer_stop(loop.raw, watcher)
        watcher.deallocate()
    }

    public var isActive: Bool { CLibEVShims_ev_is_active(watcher) != 0 }

    /// (Re)starts the timer to fire after `delay`, then every `interval` when non-zero. A negative delay
    /// fires on the next loop iteration.
    public func start(after delay: Duration, repeating interval: Duration = .zero) {
        start(after: delay.seconds, repeating: interval.seconds)
    }

    /// (Re)starts the timer to fire after `seconds`, then every `repeating` seconds when non-zero: libev's
    /// own unit, for callers that hold seconds rather than a `Duration`.
    public func start(after seconds: Double, repeating: Double = 0) {
        ev_timer_stop(loop.raw, watcher)
        CLibEVShims_ev_timer_set(watcher, max(seconds, 0), max(repeating, 0))
        ev_timer_start(loop.raw, watcher)
    }

    public func stop() {
        ev_timer_stop(loop.raw, watcher)
    }

    fileprivate func fire() {
        handler()
    }
}

private func timerWatcherCallback(
    _ loop: OpaquePointer?,
    _ watcher: UnsafeMutablePointer<ev_timer>?,
    _ revents: Int32
) {
    guard let data = watcher?.pointee.data else { return }
    // Retained for the call: the handler may drop the last reference to this watcher.
    Unmanaged<TimerWatcher>.fromOpaque(data).takeUnretainedValue().fire()
}
