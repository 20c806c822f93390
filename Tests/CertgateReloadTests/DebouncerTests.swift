import Testing

@testable import CertgateReload

@Suite("Debouncing change notifications")
struct DebouncerTests {
    let start = ContinuousClock.now

    @Test func nothingPendingUntilNotified() {
        var debouncer = Debouncer()
        #expect(!debouncer.isPending)
        #expect(debouncer.deadline == nil)
        #expect(debouncer.take(at: start + .seconds(10)) == nil)
    }

    @Test func firesQuietTimeAfterTheLastNotification() {
        var debouncer = Debouncer(quiet: .milliseconds(150), cap: .seconds(1))
        #expect(debouncer.notify(.inotify, at: start) == start + .milliseconds(150))
        #expect(debouncer.notify(.stat, at: start + .milliseconds(100)) == start + .milliseconds(250))
        #expect(debouncer.take(at: start + .milliseconds(249)) == nil)
        #expect(debouncer.isPending)
        // The first notification's trigger is the one reported.
        #expect(debouncer.take(at: start + .milliseconds(250)) == .inotify)
        #expect(!debouncer.isPending)
        #expect(debouncer.take(at: start + .seconds(5)) == nil)
    }

    @Test func aWriterThatNeverStopsCannotPostponeBeyondTheCap() {
        var debouncer = Debouncer(quiet: .milliseconds(150), cap: .seconds(1))
        var now = start
        for _ in 0..<30 {
            debouncer.notify(.inotify, at: now)
            now += .milliseconds(100)
        }
        #expect(debouncer.deadline == start + .seconds(1))
        #expect(debouncer.take(at: start + .seconds(1)) == .inotify)
    }

    @Test func resetForgetsTheBurst() {
        var debouncer = Debouncer()
        debouncer.notify(.stat, at: start)
        debouncer.reset()
        #expect(!debouncer.isPending)
        #expect(debouncer.take(at: start + .seconds(2)) == nil)
        debouncer.notify(.inotify, at: start + .seconds(3))
        #expect(debouncer.trigger == .inotify)
    }
}

@Suite("Retry backoff of failed sources")
struct SourceFailureTests {
    @Test func doublesFromHalfASecondUpToThirtySeconds() {
        let delays = (1...10).map { SourceFailure.backoff(afterAttempts: $0) }
        #expect(
            delays == [
                .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16),
                .seconds(30), .seconds(30), .seconds(30), .seconds(30),
            ])
    }

    @Test func countsConsecutiveAttempts() {
        let now = ContinuousClock.now
        let first = SourceFailure.next(after: nil, reason: "x", now: now)
        #expect(first.attempts == 1)
        #expect(first.retryAt == now + .milliseconds(500))
        let second = SourceFailure.next(after: first, reason: "y", now: now)
        #expect(second.attempts == 2)
        #expect(second.reason == "y")
        #expect(second.retryAt == now + .seconds(1))
    }
}
