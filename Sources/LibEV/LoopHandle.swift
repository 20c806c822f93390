internal import CLibEV
internal import CLibEVShims
import Synchronization

/// The one thread-safe door into an `EventLoop`: other threads hand it jobs, and the loop runs them on
/// its own thread.
///
/// Built on `ev_async`. libev merges async sends (several sends before the loop wakes produce one
/// callback), so jobs sit in a queue and each wake-up drains all of them.
///
/// `@unchecked Sendable`: the only C calls made off the loop thread are `ev_async_send`, which libev
/// documents as thread- and signal-safe; the job queue is behind a `Mutex`.
public final class LoopHandle: @unchecked Sendable {
    private let loop: OpaquePointer
    private let watcher: UnsafeMutablePointer<ev_async>
    /// Queued jobs, and whether the loop is gone. One lock for both, so a send can never race the
    /// loop's destruction.
    private let state = Mutex<(jobs: [@Sendable () -> Void], closed: Bool)>(([], false))

    /// Created by `EventLoop.init` on the loop's thread, which starts the async watcher at once so no
    /// sender can race its start.
    init(loop: OpaquePointer) {
        self.loop = loop
        self.watcher = .allocate(capacity: 1)
        CLibEVShims_ev_async_init(watcher, loopHandleCallback)
        watcher.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        ev_async_start(loop, watcher)
        // The async watcher alone must not keep `ev_run` alive: loops end when told to (`stop()`).
        ev_unref(loop)
    }

    deinit {
        watcher.deallocate()
    }

    /// Queues `job` to run on the loop's thread and wakes the loop. Safe from any thread.
    ///
    /// The handle does not keep `run()` going by itself: a job queued after `run()` returned (the loop
    /// ran out of active watchers, or was stopped) only runs if the loop is run again, and a job queued
    /// after the loop was destroyed is dropped. Callers that wait for a job must keep the loop alive
    /// (the control loop always has its signal watchers; a worker its listener or connections).
    public func execute(_ job: @escaping @Sendable () -> Void) {
        state.withLock { state in
            guard !state.closed else { return }
            state.jobs.append(job)
            ev_async_send(loop, watcher)
        }
    }

    /// Runs every queued job; called by libev on the loop thread.
    fileprivate func drain() {
        let pending = state.withLock { state -> [@Sendable () -> Void] in
            let taken = state.jobs
            state.jobs.removeAll(keepingCapacity: true)
            return taken
        }
        for job in pending {
            job()
        }
    }

    /// Stops the async watcher; called from `EventLoop.deinit` on the loop thread.
    func stopOnLoopThread() {
        state.withLock {
            $0.closed = true
            $0.jobs.removeAll()
        }
        ev_ref(loop)
        ev_async_stop(loop, watcher)
        watcher.pointee.data = nil
    }
}

private func loopHandleCallback(_ loop: OpaquePointer?, _ watcher: UnsafeMutablePointer<ev_async>?, _ revents: Int32) {
    guard let data = watcher?.pointee.data else { return }
    Unmanaged<LoopHandle>.fromOpaque(data).takeUnretainedValue().drain()
}
