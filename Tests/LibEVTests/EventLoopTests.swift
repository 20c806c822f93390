import CertgatePosix
import Glibc
import Synchronization
import Testing

@testable import LibEV

@Suite("libev wrapper")
struct EventLoopTests {
    @Test func ioEventsAreLibevsFlags() {
        #expect(IOEvents.read.rawValue == IOEvents.libevRead)
        #expect(IOEvents.write.rawValue == IOEvents.libevWrite)
    }

    @Test func timerFiresOnceAndTheLoopEnds() {
        let loop = EventLoop()
        var fired = 0
        let timer = TimerWatcher(loop: loop) { fired += 1 }
        timer.start(after: 0.01)
        loop.run()
        #expect(fired == 1)
        #expect(!timer.isActive)
    }

    @Test func durationTimerWaitsItsDelayThenRepeats() {
        // `started` is taken before the loop exists: libev counts a timer's delay from the loop's cached
        // time (ev_now, set when the loop was made), so a clock read after that, on a busy machine, could
        // be later than the moment the delay is counted from and see the timer fire "early".
        let clock = ContinuousClock()
        let started = clock.now
        let loop = EventLoop()
        var firings: [Duration] = []
        var timer: TimerWatcher?
        timer = TimerWatcher(loop: loop) {
            firings.append(clock.now - started)
            if firings.count == 3 { timer?.stop() }
        }
        timer?.start(after: .milliseconds(30), repeating: .milliseconds(10))
        loop.run()
        #expect(firings.count == 3)
        #expect(firings.first.map { $0 >= .milliseconds(29) } == true, "fired after \(firings), before its delay")
        #expect(firings.last.map { $0 >= .milliseconds(49) } == true, "repeated faster than its interval: \(firings)")
        #expect(timer?.isActive == false)
        timer = nil // the handler captures `timer`: break the cycle so nothing leaks (LeakSanitizer)
    }

    @Test func aNegativeDurationFiresAtOnce() {
        let loop = EventLoop()
        var fired = 0
        let timer = TimerWatcher(loop: loop) { fired += 1 }
        timer.start(after: .milliseconds(-5))
        loop.run()
        #expect(fired == 1)
    }

    @Test func ioWatcherReportsReadabilityAndStopsCleanly() throws {
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer {
            close(fds[0])
            close(fds[1])
        }
        let loop = EventLoop()
        var received: [UInt8] = []
        var watcher: IOWatcher?
        watcher = IOWatcher(loop: loop, fd: fds[0]) { events in
            #expect(events.contains(.read))
            var byte: UInt8 = 0
            if read(fds[0], &byte, 1) == 1 { received.append(byte) }
            watcher?.stop()
        }
        watcher?.watch(.read)
        var byte: UInt8 = 42
        #expect(write(fds[1], &byte, 1) == 1)
        loop.run()
        #expect(received == [42])
        #expect(watcher?.events == [])
        watcher = nil // the handler captures `watcher`: break the cycle so nothing leaks (LeakSanitizer)
    }

    @Test func aFedEventReachesTheHandlerWithoutReadinessAndSurvivesAnInterestChange() throws {
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer {
            close(fds[0])
            close(fds[1])
        }
        let loop = EventLoop()
        var calls: [IOEvents] = []
        var watcher: IOWatcher?
        // Nothing is ever written to fds[1]: fds[0] is never readable, only writable.
        watcher = IOWatcher(loop: loop, fd: fds[0]) { events in
            calls.append(events)
            watcher?.stop()
        }
        let kick = TimerWatcher(loop: loop) {
            watcher?.feed(.read)
            // Restarting the watcher for other events keeps the fed read pending.
            watcher?.watch([.read, .write])
        }
        watcher?.watch(.read)
        kick.start(after: 0.001)
        loop.run()
        #expect(calls.first == .read, "calls: \(calls)")
        #expect(watcher?.events == [])
    }

    @Test func jobsFromOtherThreadsRunInOrderOnTheLoopThread() throws {
        let published = Mutex<(handle: LoopHandle, loop: LoopBound<EventLoop>)?>(nil)
        let loopThreadID = Atomic<UInt>(0)
        let thread = try LoopThread.spawn(name: "test-loop") {
            let loop = EventLoop()
            // Keeps the loop alive until a job stops it.
            let keepAlive = TimerWatcher(loop: loop) {}
            keepAlive.start(after: 60)
            loopThreadID.store(UInt(pthread_self()), ordering: .releasing)
            published.withLock { $0 = (loop.handle, LoopBound(loop)) }
            loop.run()
        }
        var entry: (handle: LoopHandle, loop: LoopBound<EventLoop>)?
        for _ in 0..<2000 where entry == nil {
            entry = published.withLock { $0 }
            if entry == nil { usleep(1000) }
        }
        let target = try #require(entry)
        let order = Mutex<[Int]>([])
        let wrongThread = Atomic<Int>(0)
        for index in 0..<100 {
            target.handle.execute {
                if UInt(pthread_self()) != loopThreadID.load(ordering: .acquiring) {
                    wrongThread.add(1, ordering: .relaxed)
                }
                order.withLock { $0.append(index) }
            }
        }
        let bound = target.loop
        target.handle.execute { bound.value.stop() }
        thread.join()
        #expect(order.withLock { $0 } == Array(0..<100))
        #expect(wrongThread.load(ordering: .relaxed) == 0)
    }
}
