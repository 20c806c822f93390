import Glibc

/// Carries a loop-confined, non-Sendable value through a `@Sendable` closure back to the thread that owns
/// it (the libev analogue of NIO's `NIOLoopBound`).
///
/// Typical use: a worker hands `LoopBound(self)` to the control thread, which later calls
/// `worker.handle.execute { bound.value.doSomething() }`; the closure runs on the worker's own thread.
/// Reading `value` on any other thread is a programming error and traps.
public struct LoopBound<Value>: @unchecked Sendable {
    private let storedValue: Value
    private let ownerThread: pthread_t

    /// Binds `value` to the calling thread.
    public init(_ value: Value) {
        self.storedValue = value
        self.ownerThread = pthread_self()
    }

    public var value: Value {
        precondition(pthread_equal(ownerThread, pthread_self()) != 0, "LoopBound value used off its loop thread")
        return storedValue
    }
}
