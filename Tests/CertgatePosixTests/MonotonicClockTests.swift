import CertgatePosix
import Glibc
import Testing

@Suite("Monotonic clock")
struct MonotonicClockTests {
    @Test func advancesWithTimeAndNeverGoesBack() {
        let start = MonotonicClock.coarseSeconds
        var previous = start
        for _ in 0..<1_000 {
            let now = MonotonicClock.coarseSeconds
            #expect(now >= previous)
            previous = now
        }
        usleep(50_000)
        let elapsed = MonotonicClock.coarseSeconds - start
        // 50 ms slept; the clock ticks every 1 to 4 ms (10 ms at worst with HZ=100).
        #expect(elapsed >= 0.035)
        #expect(elapsed < 5)
    }
}
