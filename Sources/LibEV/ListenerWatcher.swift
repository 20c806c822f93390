internal import CertgatePosix

/// The read watcher of a listening socket, which its owner can hold off for two independent reasons:
/// a *back-off* after `accept()` failed for lack of a resource (`pause()`; a timer ends it), and a
/// *hold* (`isHeld`, e.g. while the connection limit is reached; the owner ends it). The socket is
/// watched only while neither applies.
///
/// While the watcher is off, pending connections wait in the kernel's backlog, and the loop is kept
/// alive as if the watcher were still active (a worker whose listener is held and that has no
/// connection must not see its loop end).
///
/// Loop-confined, like the watchers it is built from.
public final class ListenerWatcher {
    private let loop: EventLoop
    private let io: IOWatcher
    private var timer: TimerWatcher?
    private var backoff = AcceptBackoff()
    private var started = false
    private var stopped = false
    private var keepingLoopAlive = false

    /// Whether accepting is paused after a failed `accept()` (until the timer or `resumeEarly()`).
    public private(set) var isBackingOff = false

    /// Whether the owner holds accepting off; setting it back to `false` resumes at once (unless a
    /// back-off is running).
    public var isHeld = false {
        didSet { update() }
    }

    /// Whether the socket is being watched right now.
    public var isWatching: Bool { !io.events.isEmpty }

    /// `handler` runs on the loop's thread whenever the socket is readable: it should call `accept()`
    /// a bounded number of times, and `accepted()` or `pause()` by the result.
    public init(loop: EventLoop, fd: Int32, handler: @escaping () -> Void) {
        self.loop = loop
        self.io = IOWatcher(loop: loop, fd: fd) { _ in handler() }
    }

    deinit {
        if keepingLoopAlive { loop.removeKeepAlive() }
    }

    /// Starts watching (unless held).
    public func start() {
        guard !stopped else { return }
        started = true
        update()
    }

    /// Stops for good (call before closing the socket); idempotent.
    public func stop() {
        stopped = true
        timer?.stop()
        isBackingOff = false
        update()
    }

    /// An `accept()` failed for lack of a resource: stops watching for the current back-off (50 ms,
    /// doubling to 1 s) and returns it.
    @discardableResult
    public func pause() -> Duration {
        let pause = backoff.failed()
        guard !stopped else { return pause }
        let timer = self.timer ?? TimerWatcher(loop: loop) { [unowned self] in self.backoffEnded() }
        self.timer = timer
        isBackingOff = true
        timer.start(after: pause)
        update()
        return pause
    }

    /// An `accept()` succeeded: the next failure pauses for the shortest time again.
    public func accepted() {
        backoff.succeeded()
    }

    /// Ends a running back-off now (a descriptor or some memory was just freed); the back-off length is
    /// kept, so a failure right away pauses longer.
    public func resumeEarly() {
        guard isBackingOff else { return }
        timer?.stop()
        backoffEnded()
    }

    private func backoffEnded() {
        isBackingOff = false
        update()
    }

    private func update() {
        let watch = started && !stopped && !isHeld && !isBackingOff
        io.watch(watch ? .read : [])
        let keepAlive = started && !stopped && !watch
        if keepAlive != keepingLoopAlive {
            keepingLoopAlive = keepAlive
            if keepAlive { loop.addKeepAlive() } else { loop.removeKeepAlive() }
        }
    }
}
