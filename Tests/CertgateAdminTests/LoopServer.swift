import CertgateAdmin
import CertgatePosix
import Dispatch
import Glibc
import LibEV
import Synchronization

/// Runs an `AdminServer` on its own `EventLoop` on a `LoopThread`, as the control thread will, and gives the
/// test thread what it may touch: the port and the loop's thread-safe handle.
final class LoopServer: Sendable {
    /// The loop-side objects, reachable only through `LoopBound` on the loop thread. Weak so both are
    /// destroyed on the loop thread when it finishes, never on the test thread.
    private final class Controls {
        weak var loop: EventLoop?
        weak var server: AdminServer?

        init(loop: EventLoop, server: AdminServer) {
            self.loop = loop
            self.server = server
        }
    }

    private struct Started: Sendable {
        let port: UInt16
        let handle: LoopHandle
        let controls: LoopBound<Controls>
    }

    let port: UInt16
    private let handle: LoopHandle
    private let controls: LoopBound<Controls>
    private let thread: LoopThread
    private let stopped = Atomic<Bool>(false)

    private init(started: Started, thread: LoopThread) {
        port = started.port
        handle = started.handle
        controls = started.controls
        self.thread = thread
    }

    /// Lets a handler reach the server it runs in (to stop it from inside a request) and the loop it runs
    /// on (to start timers). Loop thread only.
    final class ServerSlot {
        weak var server: AdminServer?
        weak var loop: EventLoop?
    }

    /// Starts a server on 127.0.0.1, port 0. `makeHandler` runs on the loop thread.
    static func start(
        options: AdminServerOptions = AdminServerOptions(),
        makeHandler: @escaping @Sendable () -> (AdminRequest) -> AdminResponse
    ) throws -> LoopServer {
        try start(options: options) { (_: ServerSlot) in makeHandler() }
    }

    /// As `start(options:makeHandler:)`, with a slot that holds the server once it exists.
    static func start(
        options: AdminServerOptions = AdminServerOptions(),
        makeHandler: @escaping @Sendable (ServerSlot) -> (AdminRequest) -> AdminResponse
    ) throws -> LoopServer {
        let address = try ResolvedAddress.resolve(host: "127.0.0.1", port: 0, passive: true)[0]
        let rendezvous = Rendezvous<Result<Started, SystemError>>()
        let thread = try LoopThread.spawn(name: "admin-test") {
            let loop = EventLoop()
            let slot = ServerSlot()
            slot.loop = loop
            let server: AdminServer
            do throws(SystemError) {
                server = try AdminServer(loop: loop, address: address, options: options, handler: makeHandler(slot))
            } catch {
                rendezvous.put(.failure(error))
                return
            }
            // Like the control loop's signal watchers: keeps `run()` going until it is told to stop, even
            // after the server stopped itself (libev ends a loop that has nothing left to watch, and jobs
            // queued on its handle after that never run).
            let keepAlive = TimerWatcher(loop: loop) {}
            keepAlive.start(after: 3600, repeating: 3600)
            slot.server = server
            server.start()
            rendezvous.put(
                .success(
                    Started(
                        port: server.port, handle: loop.handle,
                        controls: LoopBound(Controls(loop: loop, server: server)))))
            loop.run()
            server.stop()
            keepAlive.stop()
        }
        switch rendezvous.take() {
        case .success(let started):
            return LoopServer(started: started, thread: thread)
        case .failure(let error):
            thread.join()
            throw error
        }
    }

    /// Runs `body` with the server on the loop thread and waits (at most 10 s) for its result; nil when the
    /// loop did not answer, so a dead loop fails the test instead of hanging it.
    func onLoop<T: Sendable>(_ body: @escaping @Sendable (AdminServer) -> T) -> T? {
        let rendezvous = Rendezvous<T>()
        let controls = self.controls
        handle.execute {
            guard let server = controls.value.server else { return }
            rendezvous.put(body(server))
        }
        return rendezvous.take(timeoutSeconds: 10)
    }

    /// Polls the loop until `condition` holds or `seconds` pass; returns whether it held.
    func waitOnLoop(seconds: Double = 5, _ condition: @escaping @Sendable (AdminServer) -> Bool) -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            guard let holds = onLoop(condition) else { return false }
            if holds { return true }
            usleep(10_000)
        }
        return onLoop(condition) == true
    }

    /// Stops the server and the loop from the test thread, then joins the loop thread. Idempotent.
    func shutdown() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let controls = self.controls
        handle.execute {
            controls.value.server?.stop()
            controls.value.loop?.stop()
        }
        thread.join()
    }
}

/// Hands one value from one thread to another, blocking the receiver until it arrives.
final class Rendezvous<Value: Sendable>: Sendable {
    private let slot = Mutex<Value?>(nil)
    private let ready = DispatchSemaphore(value: 0)

    func put(_ value: Value) {
        slot.withLock { $0 = value }
        ready.signal()
    }

    func take() -> Value {
        ready.wait()
        return slot.withLock { $0! }
    }

    func take(timeoutSeconds: Double) -> Value? {
        guard ready.wait(timeout: .now() + timeoutSeconds) == .success else { return nil }
        return slot.withLock { $0 }
    }
}
