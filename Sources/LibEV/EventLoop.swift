internal import CLibEV
internal import CLibEVShims
import Glibc

/// One libev loop. Confined to the thread that runs it: every method except those of its `handle` must be
/// called on that thread (libev loops are not thread-safe).
///
/// A worker creates its own loop on its own thread with `EventLoop()`. The control loop is libev's default
/// loop (`EventLoop.makeDefault()`), the only one that may watch signals.
public final class EventLoop {
    /// The C loop. `OpaquePointer` because `struct ev_loop` is opaque to Swift.
    let raw: OpaquePointer
    private let isDefault: Bool
    /// Cross-thread entry point; the only part of the loop other threads may touch.
    public private(set) var handle: LoopHandle!

    /// A new loop (`ev_loop_new`), for a worker thread. Ignores `LIBEV_FLAGS` from the environment so the
    /// backend is the best the kernel offers (epoll on Linux), not whatever a caller's shell exported.
    public convenience init() {
        guard let raw = ev_loop_new(CLibEVShims_EVFLAG_AUTO | CLibEVShims_EVFLAG_NOENV) else {
            fatalError("libev: ev_loop_new failed (no usable backend)")
        }
        self.init(raw: raw, isDefault: false)
    }

    /// libev's default loop, for the control thread: signal watchers only work there.
    public static func makeDefault() -> EventLoop {
        guard let raw = CLibEVShims_ev_default_loop(CLibEVShims_EVFLAG_AUTO | CLibEVShims_EVFLAG_NOENV) else {
            fatalError("libev: ev_default_loop failed (no usable backend)")
        }
        return EventLoop(raw: raw, isDefault: true)
    }

    private init(raw: OpaquePointer, isDefault: Bool) {
        self.raw = raw
        self.isDefault = isDefault
        self.handle = LoopHandle(loop: raw)
    }

    deinit {
        handle.stopOnLoopThread()
        if !isDefault {
            ev_loop_destroy(raw)
        }
    }

    /// Runs the loop until `stop()` is called (or nothing is left to watch).
    public func run() {
        _ = ev_run(raw, 0)
    }

    /// Makes `run()` return after the current iteration. Call on the loop's thread (from another thread,
    /// go through `handle.execute { ... }`).
    public func stop() {
        ev_break(raw, CLibEVShims_EVBREAK_ALL)
    }

    /// Makes `run()` go on as if one more watcher were active, until `removeKeepAlive()`: for an owner
    /// that stops its only watcher for a while (a paused listener) and must not see its loop end.
    public func addKeepAlive() { ev_ref(raw) }

    /// Undoes one `addKeepAlive()`.
    public func removeKeepAlive() { ev_unref(raw) }

    /// The loop's cached monotonic-ish time (seconds), updated once per iteration.
    public var now: Double { ev_now(raw) }

    /// How many times the loop has polled for events so far (libev's `ev_iteration`). It goes up just
    /// before each poll, after the iteration's `PrepareWatcher`s ran: work triggered by the events of one
    /// poll sees one value, the prepare watchers that close that iteration see the same value.
    public var iteration: UInt32 { ev_iteration(raw) }

    /// Refreshes `now` after long-running work inside a callback.
    public func updateNow() { ev_now_update(raw) }

    /// Version of the linked libev, e.g. "4.33".
    public static var libraryVersion: String { "\(ev_version_major()).\(ev_version_minor())" }
}
