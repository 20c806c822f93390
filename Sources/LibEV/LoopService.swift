/// The contract of every background service on the control loop (the reload controller with its
/// watchers and timers, the admin listener, the admin token refresher):
///
/// - `start()` never blocks: it registers watchers and timers and returns.
/// - `stop()` returns only once the service has fully stopped: every watcher and timer is stopped and
///   every descriptor it owns is closed, so nothing of it runs afterwards.
/// - `stop()` is idempotent and safe before `start()`; `start()` after `stop()` does nothing.
///
/// Both are called on the loop's thread.
public protocol LoopService: AnyObject {
    func start()
    func stop()
}
