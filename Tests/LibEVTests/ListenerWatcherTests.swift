import Dispatch
import Glibc
import Testing

@testable import LibEV

/// `ListenerWatcher` on a socket pair whose read end stays readable (a listener with a connection that
/// cannot be accepted): a back-off must stop the level-triggered callbacks for its length, a hold must
/// keep the loop alive with nothing else active, and `resumeEarly()` must end a back-off at once.
@Suite("Listener watcher")
struct ListenerWatcherTests {
    /// A socket pair with one unread byte waiting on `fds[0]`.
    private static func readablePair() -> [Int32] {
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        var byte: UInt8 = 1
        #expect(write(fds[1], &byte, 1) == 1)
        return fds
    }

    @Test func backOffPausesTheCallbacksFiftyThenOneHundredMilliseconds() {
        let fds = Self.readablePair()
        defer {
            close(fds[0])
            close(fds[1])
        }
        let loop = EventLoop()
        let clock = ContinuousClock()
        var calls: [ContinuousClock.Instant] = []
        var pauses: [Duration] = []
        var watcher: ListenerWatcher?
        watcher = ListenerWatcher(loop: loop, fd: fds[0]) {
            calls.append(clock.now)
            if calls.count == 3 {
                watcher?.stop()
            } else {
                pauses.append(watcher!.pause())
            }
        }
        watcher?.start()
        loop.run()
        #expect(calls.count == 3)
        #expect(pauses == [.milliseconds(50), .milliseconds(100)])
        if calls.count == 3 {
            #expect(calls[1] - calls[0] >= .milliseconds(49), "called again during the first back-off")
            #expect(calls[2] - calls[1] >= .milliseconds(99), "called again during the second back-off")
        }
        #expect(watcher?.isWatching == false)
    }

    @Test func aSuccessfulAcceptResetsTheBackOff() {
        let loop = EventLoop()
        let watcher = ListenerWatcher(loop: loop, fd: -1) {}
        #expect(watcher.pause() == .milliseconds(50))
        #expect(watcher.pause() == .milliseconds(100))
        watcher.accepted()
        #expect(watcher.pause() == .milliseconds(50))
        watcher.stop()
    }

    @Test func resumeEarlyEndsABackOffAtOnce() {
        let fds = Self.readablePair()
        defer {
            close(fds[0])
            close(fds[1])
        }
        let loop = EventLoop()
        let clock = ContinuousClock()
        var calls: [ContinuousClock.Instant] = []
        var watcher: ListenerWatcher?
        watcher = ListenerWatcher(loop: loop, fd: fds[0]) {
            calls.append(clock.now)
            if calls.count == 2 {
                watcher?.stop()
            } else {
                watcher?.pause()
                for _ in 0..<6 { watcher?.pause() } // now a 1 s back-off
            }
        }
        let early = TimerWatcher(loop: loop) { watcher?.resumeEarly() }
        early.start(after: .milliseconds(20))
        watcher?.start()
        loop.run()
        #expect(calls.count == 2)
        if calls.count == 2 {
            #expect(calls[1] - calls[0] < .milliseconds(500), "the back-off ran its full second")
        }
    }

    @Test func aHeldListenerKeepsItsLoopRunningUntilReleased() throws {
        let fds = Self.readablePair()
        defer {
            close(fds[0])
            close(fds[1])
        }
        let loop = EventLoop()
        var called = 0
        var watcher: ListenerWatcher?
        watcher = ListenerWatcher(loop: loop, fd: fds[0]) {
            called += 1
            watcher?.stop()
        }
        watcher?.start()
        watcher?.isHeld = true
        #expect(watcher?.isWatching == false)
        // Released from another thread, as a freed connection slot does; nothing else keeps the loop
        // running meanwhile.
        let handle: LoopHandle = loop.handle
        let bound = LoopBound(watcher!)
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(50)) {
            handle.execute { bound.value.isHeld = false }
        }
        loop.run()
        #expect(called == 1)
    }
}
