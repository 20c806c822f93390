import CertgateTestSupport
import Foundation
import LibEV
import Testing

@testable import CertgateReload

@Suite("inotify watcher on a libev loop")
struct InotifyWatcherTests {
    /// Runs `loop` until `done()` or 3 s, doing `step` once the loop is running.
    private func run(_ loop: EventLoop, step: @escaping () -> Void, until done: @escaping () -> Bool) {
        let kick = TimerWatcher(loop: loop) { step() }
        kick.start(after: 0.01)
        var poll: TimerWatcher?
        poll = TimerWatcher(loop: loop) { if done() { loop.stop() } }
        poll?.start(after: 0.02, repeating: 0.02)
        let deadline = TimerWatcher(loop: loop) { loop.stop() }
        deadline.start(after: 3)
        loop.run()
        withExtendedLifetime((kick, poll, deadline)) {}
    }

    @Test func reportsChangesAndLostWatchesAndReAddsThem() throws {
        let pki = try TestPKI()
        let directory = try pki.mkdir("watched")
        let loop = EventLoop()
        var events: [InotifyWatcher.Event] = []
        let watcher = try InotifyWatcher(loop: loop) { events.append($0) }
        #expect(watcher.update([directory]).isEmpty)
        #expect(watcher.isComplete)

        run(loop, step: { _ = try? pki.write("watched/a.pem", "x") }, until: { !events.isEmpty })
        #expect(events.contains(.changed(directory: directory)))

        events.removeAll()
        run(
            loop, step: { try? FileManager.default.removeItem(atPath: directory) },
            until: { events.contains(.lost(directory: directory)) })
        #expect(events.contains(.lost(directory: directory)))
        #expect(watcher.missing == [directory])
        #expect(!watcher.isComplete)
        #expect(watcher.retryMissing() == [directory])
        #expect(watcher.failures[directory] == "No such file or directory")

        _ = try pki.mkdir("watched")
        #expect(watcher.retryMissing().isEmpty)
        #expect(watcher.isComplete)
        events.removeAll()
        run(loop, step: { _ = try? pki.write("watched/b.pem", "y") }, until: { !events.isEmpty })
        #expect(events.contains(.changed(directory: directory)))
        watcher.stop()
        #expect(!watcher.isComplete)
    }

    @Test func directoriesNoLongerWantedAreUnwatched() throws {
        let pki = try TestPKI()
        let one = try pki.mkdir("one")
        let two = try pki.mkdir("two")
        let loop = EventLoop()
        var events: [InotifyWatcher.Event] = []
        let watcher = try InotifyWatcher(loop: loop) { events.append($0) }
        watcher.update([one, two])
        watcher.update([two])
        #expect(watcher.wanted == [two])
        run(
            loop,
            step: {
                _ = try? pki.write("one/a.pem", "x")
                _ = try? pki.write("two/a.pem", "x")
            }, until: { events.contains(.changed(directory: two)) })
        #expect(!events.contains(.changed(directory: one)))
        #expect(!events.contains(.lost(directory: one)), "an unwanted watch going away is not a loss")
        #expect(events.contains(.changed(directory: two)))
    }
}
