import Glibc

/// The thread that created something meant for that thread alone, and the check that a caller is on it.
///
/// For classes that must be shared as `@unchecked Sendable` (they sit inside a value every thread holds,
/// like the control-thread metrics inside `ProxyMetrics`) but may only be used on one thread: each entry
/// point calls `assertCurrent`, so a call from another thread traps in debug builds (the unit and
/// integration tests) and costs nothing in release builds. `LoopBound` (LibEV) uses the same owner with
/// an always-on check, for values carried through closures.
public struct ThreadOwner: Sendable {
    private let thread: pthread_t

    /// Owned by the calling thread.
    public init() {
        thread = pthread_self()
    }

    /// Whether the calling thread is the owner.
    public var isCurrent: Bool {
        pthread_equal(thread, pthread_self()) != 0
    }

    /// Traps in debug builds when called off the owning thread; `what` names the thing, for the message.
    @inlinable
    public func assertCurrent(_ what: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
        assert(isCurrent, "\(what()) used off the thread that owns it", file: file, line: line)
    }
}
