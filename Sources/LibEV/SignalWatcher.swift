internal import CLibEV
internal import CLibEVShims

/// Delivers a POSIX signal to a callback on the default loop (the only loop libev lets watch signals).
///
/// The callback runs as an ordinary loop callback, not in signal-handler context, so it may do anything.
public final class SignalWatcher {
    private let loop: EventLoop
    private let watcher: UnsafeMutablePointer<ev_signal>
    private let handler: () -> Void
    public let signal: Int32

    public init(loop: EventLoop, signal: Int32, handler: @escaping () -> Void) {
        self.loop = loop
        self.signal = signal
        self.handler = handler
        self.watcher = .allocate(capacity: 1)
        CLibEVShims_ev_signal_init(watcher, signalWatcherCallback, signal)
        watcher.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        ev_signal_stop(loop.raw, watcher)
        watcher.deallocate()
    }

    public func start() {
        ev_signal_start(loop.raw, watcher)
    }

    fileprivate func fire() {
        handler()
    }
}

private func signalWatcherCallback(
    _ loop: OpaquePointer?,
    _ watcher: UnsafeMutablePointer<ev_signal>?,
    _ revents: Int32
) {
    guard let data = watcher?.pointee.data else { return }
    Unmanaged<SignalWatcher>.fromOpaque(data).takeUnretainedValue().fire()
}
