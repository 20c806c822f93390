internal import CPosixShims
import Glibc

/// A dedicated OS thread (pthread) for one event loop, joinable.
///
/// Foundation's `Thread` cannot be joined; shutdown needs "stop returns once the worker has fully
/// exited", so this wraps pthreads directly. The thread starts with the termination and reload signals
/// blocked, so they are always delivered to the control thread's libev default loop.
public final class LoopThread: Sendable {
    private let thread: pthread_t
    public let name: String

    private final class Body {
        let name: String
        let run: @Sendable () -> Void
        init(name: String, run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }

    private init(thread: pthread_t, name: String) {
        self.thread = thread
        self.name = name
    }

    /// Starts a thread running `body`. `name` (at most 15 bytes are kept) shows in `top -H` and `ps -L`.
    public static func spawn(name: String, _ body: @escaping @Sendable () -> Void) throws(ThreadError) -> LoopThread {
        let context = Unmanaged.passRetained(Body(name: name, run: body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, nil,
            { raw in
                let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
                var blocked = sigset_t()
                sigemptyset(&blocked)
                for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2] {
                    sigaddset(&blocked, signal)
                }
                pthread_sigmask(SIG_BLOCK, &blocked, nil)
                _ = CPosixShims_set_thread_name(body.name)
                body.run()
                return nil
            }, context)
        guard rc == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw ThreadError(code: rc)
        }
        return LoopThread(thread: thread, name: name)
    }

    /// Waits until the thread's body has returned. Call exactly once.
    public func join() {
        pthread_join(thread, nil)
    }
}

/// `pthread_create` failed (usually EAGAIN: thread or memory limits).
public struct ThreadError: Error, CustomStringConvertible {
    public let code: Int32
    public var description: String { "cannot start thread: \(String(cString: strerror(code)))" }
}
