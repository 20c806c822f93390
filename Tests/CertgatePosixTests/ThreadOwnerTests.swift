import CertgatePosix
import Foundation
import Synchronization
import Testing

@Suite("Thread owner")
struct ThreadOwnerTests {
    /// Runs `body` on a new thread and waits for it.
    private func onAnotherThread<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let value = body()
            result.withLock { $0 = value }
            done.signal()
        }
        done.wait()
        return result.withLock { $0! }
    }

    @Test func theCreatingThreadOwnsItAndNoOtherDoes() {
        let owner = ThreadOwner()
        #expect(owner.isCurrent)
        owner.assertCurrent("owner")
        #expect(onAnotherThread { owner.isCurrent } == false)
        let foreign = onAnotherThread { ThreadOwner() }
        #expect(!foreign.isCurrent)
        #expect(onAnotherThread { ThreadOwner().isCurrent })
    }
}
