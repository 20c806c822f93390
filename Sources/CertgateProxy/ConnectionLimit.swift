import Synchronization

/// The process-wide cap on open client connections (`--max-connections`), shared by every worker.
///
/// A worker takes a slot *before* it calls `accept()` and gives it back when the connection closes (or
/// when `accept()` brought nothing). When no slot is free the worker stops its listener and parks here;
/// the kernel's backlog holds the waiting clients, and connections already open are not touched. The
/// first slot given back wakes every parked worker (each through its own loop), and they compete for
/// slots again.
///
/// Thread-safe: `acquire` and `release` are a few atomic operations on the data path; the lock is only
/// taken when a worker parks or parked workers are woken.
public final class ConnectionLimit: Sendable {
    /// What `acquire()` got.
    public enum Slot: Sendable, Equatable {
        /// A slot, and others are still free.
        case taken
        /// The last free slot: the limit is now reached.
        case last
    }

    /// The most client connections open at once.
    public let maximum: Int

    private let open = Atomic<Int>(0)
    /// How many workers are parked: lets `release()` skip the lock when none is.
    private let parkedCount = Atomic<Int>(0)
    private let parking = Mutex<(parked: Set<Int>, wakers: [Int: @Sendable () -> Void])>(([], [:]))

    public init(maximum: Int) {
        self.maximum = max(maximum, 1)
    }

    /// Slots in use right now.
    public var openCount: Int { open.load(ordering: .relaxed) }

    /// Workers parked right now (for tests and diagnostics).
    public var parkedWorkers: Set<Int> { parking.withLock { $0.parked } }

    /// How worker `index` is woken after it parked: `wake` is called on whichever thread gave a slot
    /// back, so it must hand the work to the worker's own loop.
    public func register(worker index: Int, wake: @escaping @Sendable () -> Void) {
        parking.withLock { $0.wakers[index] = wake }
    }

    /// Takes a slot if one is free; `nil` when the limit is reached.
    public func acquire() -> Slot? {
        var current = open.load(ordering: .sequentiallyConsistent)
        while current < maximum {
            let (exchanged, original) = open.compareExchange(
                expected: current, desired: current + 1, ordering: .sequentiallyConsistent)
            if exchanged { return current + 1 == maximum ? .last : .taken }
            current = original
        }
        return nil
    }

    /// Gives a slot back and wakes every parked worker.
    public func release() {
        open.subtract(1, ordering: .sequentiallyConsistent)
        guard parkedCount.load(ordering: .sequentiallyConsistent) > 0 else { return }
        let wakers = parking.withLock { state -> [@Sendable () -> Void] in
            let woken = state.parked.compactMap { state.wakers[$0] }
            state.parked.removeAll()
            parkedCount.store(0, ordering: .sequentiallyConsistent)
            return woken
        }
        for wake in wakers {
            wake()
        }
    }

    /// Worker `index` found no free slot and stopped its listener. Returns `true` when it stays parked
    /// (a later `release()` wakes it), `false` when a slot came free meanwhile and it should resume at
    /// once. Either the releasing thread sees the parked worker or the worker sees the freed slot: both
    /// sides write before they read, sequentially consistent.
    public func park(worker index: Int) -> Bool {
        parking.withLock { state in
            state.parked.insert(index)
            parkedCount.store(state.parked.count, ordering: .sequentiallyConsistent)
        }
        guard open.load(ordering: .sequentiallyConsistent) >= maximum else {
            parking.withLock { state in
                state.parked.remove(index)
                parkedCount.store(state.parked.count, ordering: .sequentiallyConsistent)
            }
            return false
        }
        return true
    }
}
