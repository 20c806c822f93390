internal import CLibEV
internal import CLibEVShims

/// Runs a handler once per loop iteration while started, after the callbacks of every event the last poll
/// returned and just before the loop polls again (libev `ev_prepare`): the place to finish work that many
/// events of one iteration add to (one write for all of it instead of one per event).
///
/// Same ownership rules as `IOWatcher`: heap-allocated C struct, unretained back-pointer, stopped in
/// `deinit`, loop-confined.
public final class PrepareWatcher {
    private let loop: EventLoop
    private let watcher: UnsafeMutablePointer<ev_prepare>
    private let handler: () -> Void

    public init(loop: EventLoop, handler: @escaping () -> Void) {
        self.loop = loop
        self.handler = handler
        self.watcher = .allocate(capacity: 1)
        CLibEVShims_ev_prepare_init(watcher, prepareWatcherCallback)
        watcher.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        ev_prepare_stop(loop.raw, watcher)
        watcher.deallocate()
    }

    public var isActive: Bool { CLibEVShims_ev_is_active(watcher) != 0 }

    /// Runs the handler before every poll from now on (an active prepare watcher also keeps the loop
    /// running, like any active watcher).
    public func start() {
        ev_prepare_start(loop.raw, watcher)
    }

    public func stop() {
        ev_prepare_stop(loop.raw, watcher)
    }

    fileprivate func fire() {
        handler()
    }
}

private func prepareWatcherCallback(
    _ loop: OpaquePointer?,
    _ watcher: UnsafeMutablePointer<ev_prepare>?,
    _ revents: Int32
) {
    guard let data = watcher?.pointee.data else { return }
    // Retained for the call: the handler may drop the last reference to this watcher.
    Unmanaged<PrepareWatcher>.fromOpaque(data).takeUnretainedValue().fire()
}
