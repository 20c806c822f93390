import Synchronization
import Testing

@testable import CertgateProxy

/// `ConnectionLimit` without sockets: slots, parking and waking, and the budget `auto` is derived from.
@Suite("Connection limit")
struct ConnectionLimitTests {
    /// Counts how often each worker was woken.
    final class Wakes: Sendable {
        private let counts = Mutex<[Int: Int]>([:])
        func wake(_ worker: Int) { counts.withLock { $0[worker, default: 0] += 1 } }
        func count(_ worker: Int) -> Int { counts.withLock { $0[worker, default: 0] } }
    }

    func limit(_ maximum: Int, workers: Int, wakes: Wakes) -> ConnectionLimit {
        let limit = ConnectionLimit(maximum: maximum)
        for index in 0..<workers {
            limit.register(worker: index) { wakes.wake(index) }
        }
        return limit
    }

    @Test("slots are handed out up to the maximum; the last one says so; then none")
    func acquireUpToTheMaximum() {
        let limit = ConnectionLimit(maximum: 3)
        #expect(limit.acquire() == .taken)
        #expect(limit.acquire() == .taken)
        #expect(limit.acquire() == .last)
        #expect(limit.acquire() == nil)
        #expect(limit.acquire() == nil)
        #expect(limit.openCount == 3)
        limit.release()
        #expect(limit.openCount == 2)
        #expect(limit.acquire() == .last)
        #expect(limit.acquire() == nil)
    }

    @Test("a maximum of 1: every slot is the last one")
    func maximumOne() {
        let limit = ConnectionLimit(maximum: 1)
        #expect(limit.acquire() == .last)
        #expect(limit.acquire() == nil)
        limit.release()
        #expect(limit.acquire() == .last)
    }

    @Test("a worker that parks at the limit stays parked until a slot is released, and is woken once")
    func parkedWorkerIsWokenByRelease() {
        let wakes = Wakes()
        let limit = limit(2, workers: 3, wakes: wakes)
        _ = limit.acquire()
        _ = limit.acquire()
        #expect(limit.acquire() == nil)
        #expect(limit.park(worker: 1))
        #expect(limit.park(worker: 2))
        #expect(limit.parkedWorkers == [1, 2])
        #expect(wakes.count(1) == 0)

        limit.release()
        #expect(wakes.count(0) == 0)
        #expect(wakes.count(1) == 1)
        #expect(wakes.count(2) == 1)
        #expect(limit.parkedWorkers.isEmpty)

        // Nobody is parked any more: a further release wakes nobody.
        limit.release()
        #expect(wakes.count(1) == 1)
        #expect(wakes.count(2) == 1)
    }

    @Test("a worker that parks after a slot came free is told to go on at once and not left parked")
    func parkingBelowTheLimitDoesNotStick() {
        let wakes = Wakes()
        let limit = limit(1, workers: 1, wakes: wakes)
        _ = limit.acquire()
        #expect(limit.acquire() == nil)
        // The slot comes free between the failed acquire and the parking.
        limit.release()
        #expect(limit.park(worker: 0) == false)
        #expect(limit.parkedWorkers.isEmpty)
        #expect(wakes.count(0) == 0)
    }

    /// The most slots seen in use at once.
    final class Peak: Sendable {
        private let value = Mutex(0)
        func saw(_ open: Int) { value.withLock { $0 = max($0, open) } }
        var highest: Int { value.withLock { $0 } }
    }

    @Test("threads taking and giving back slots never exceed the maximum, and every slot comes back")
    func concurrentUseKeepsTheBound() async {
        let limit = ConnectionLimit(maximum: 8)
        let peak = Peak()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<2_000 {
                        guard limit.acquire() != nil else { continue }
                        peak.saw(limit.openCount)
                        limit.release()
                    }
                }
            }
        }
        #expect(peak.highest <= 8)
        #expect(peak.highest >= 1)
        #expect(limit.openCount == 0)
    }

    @Test(
        "auto: (descriptors - 64 - 2 per worker - admin cap - 2) / 2, at least 1",
        arguments: [
            (1024, 1, nil, 479),
            (1024, 2, nil, 478),
            (1024, 1, 64, 446),
            (20_000, 2, 64, 9_933),
            (128, 1, nil, 31),
            (128, 4, 64, 1),
            (60, 1, nil, 1),
        ] as [(Int, Int, Int?, Int)])
    func budget(descriptors: Int, workers: Int, admin: Int?, expected: Int) {
        let budget = ConnectionBudget(descriptorLimit: descriptors, workers: workers, adminConnections: admin)
        #expect(budget.defaultLimit == expected)
    }

    @Test("an unlimited descriptor limit still gives a finite default")
    func unlimitedDescriptors() {
        let budget = ConnectionBudget(descriptorLimit: Int.max, workers: 1, adminConnections: nil)
        #expect(budget.defaultLimit > 1_000_000)
        #expect(budget.defaultLimit < Int.max / 2)
    }
}
