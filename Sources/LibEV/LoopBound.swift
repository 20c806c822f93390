internal import CertgatePosix

/// Carries a loop-confined, non-Sendable value through a `@Sendable` closure back to the thread that owns
/// it (the libev analogue of NIO's `NIOLoopBound`).
///
/// Typical use: a worker hands `LoopBound(self)` to the control thread, which later calls
/// `worker.handle.execute { bound.value.doSomething() }`; the closure runs on the worker's own thread.
/// Reading `value` on any other thread is a programming error and traps.
public struct LoopBound<Value>: @unchecked Sendable {
    private let storedValue: Value
    private let owner: ThreadOwner

    /// Binds `value` to the calling thread.
    public init(_ value: Value) {
        self.storedValue = value
        self.owner = ThreadOwner()
    }

    public var value: Value {
        precondition(owner.isCurrent, "LoopBound value used off its loop thread")
        return storedValue
    }
}
