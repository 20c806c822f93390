internal import CLibEV
internal import CLibEVShims

/// Watches one file descriptor for readiness on one loop.
///
/// The `ev_io` struct lives at a stable heap address for the watcher's whole life (libev keeps pointers
/// to it). Its `data` field points back to this object *unretained*: whoever owns the watcher keeps it
/// alive, and `deinit` stops it, so libev never calls back into freed memory.
///
/// Loop-confined: create, change and drop it on the loop's thread only.
public final class IOWatcher {
    private let loop: EventLoop
    private let watcher: UnsafeMutablePointer<ev_io>
    private let handler: (IOEvents) -> Void
    /// The events currently being watched (empty when stopped). Unchecked exclusivity: `watch(_:)` reads
    /// it after every step of a connection (the dynamic check was two runtime calls each time), and the
    /// watcher is confined to its loop's thread, with no access that could overlap.
    @exclusivity(unchecked) public private(set) var events: IOEvents = []
    public let fd: Int32

    /// A stopped watcher for `fd`. `handler` runs on the loop thread with the ready events; it typically
    /// captures its owner `unowned`, since the owner holds the watcher.
    public init(loop: EventLoop, fd: Int32, handler: @escaping (IOEvents) -> Void) {
        self.loop = loop
        self.fd = fd
        self.handler = handler
        self.watcher = .allocate(capacity: 1)
        CLibEVShims_ev_io_init(watcher, ioWatcherCallback, fd, 0)
        watcher.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        ev_io_stop(loop.raw, watcher)
        watcher.deallocate()
    }

    /// Watches exactly `newEvents` from now on (empty stops the watcher). A no-op when unchanged, so
    /// callers can state their interest after every step without paying for it. An event still pending
    /// for this loop iteration (see `feed(_:)`) survives the change, as far as `newEvents` wants it.
    public func watch(_ newEvents: IOEvents) {
        if newEvents == events { return }
        var pending: Int32 = 0
        if !events.isEmpty {
            pending = ev_clear_pending(loop.raw, watcher)
            ev_io_stop(loop.raw, watcher)
        }
        events = newEvents
        if !newEvents.isEmpty {
            // libev forbids changing an active watcher; it was stopped above.
            CLibEVShims_ev_io_set(watcher, fd, newEvents.rawValue)
            ev_io_start(loop.raw, watcher)
            let kept = pending & newEvents.rawValue
            if kept != 0 { ev_feed_event(loop.raw, watcher, kept) }
        }
    }

    /// Has the loop call the handler with `events` in its next iteration, whatever the descriptor's
    /// readiness: for bytes that sit in a user-space buffer (OpenSSL's), which readiness cannot show.
    public func feed(_ events: IOEvents) {
        ev_feed_event(loop.raw, watcher, events.rawValue)
    }

    /// Stops watching. Call before closing the descriptor.
    public func stop() {
        watch([])
    }

    fileprivate func fire(_ revents: Int32) {
        if revents & CLibEVShims_EV_ERROR != 0 {
            // libev has already stopped the watcher (the descriptor is unusable, e.g. closed behind its
            // back). Record that, and report both directions so the owner's next read or write runs
            // into the error and tears the connection down.
            events = []
            handler([.read, .write])
            return
        }
        handler(IOEvents(rawValue: revents).intersection([.read, .write]))
    }
}

private func ioWatcherCallback(_ loop: OpaquePointer?, _ watcher: UnsafeMutablePointer<ev_io>?, _ revents: Int32) {
    guard let data = watcher?.pointee.data else { return }
    // Retained for the call: the handler may drop the last reference to this watcher (its owner closes).
    Unmanaged<IOWatcher>.fromOpaque(data).takeUnretainedValue().fire(revents)
}
