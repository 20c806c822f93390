import Glibc
import Testing

@testable import LibEV

@Suite("libev prepare watcher")
struct PrepareWatcherTests {
    /// What `FlushQueue` relies on: the prepare watcher runs after the callbacks of every event of one
    /// poll, and sees the same `iteration` as they did; the next poll has a higher one.
    @Test func runsOnceAfterEveryEventOfAPollWithTheirIteration() throws {
        var pairs: [[Int32]] = [[0, 0], [0, 0]]
        for index in pairs.indices {
            #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pairs[index]) == 0)
        }
        defer { for pair in pairs { pair.forEach { close($0) } } }
        let loop = EventLoop()
        var log: [(String, UInt32)] = []
        var watchers: [IOWatcher] = []
        var prepare: PrepareWatcher?
        for (index, pair) in pairs.enumerated() {
            let watcher = IOWatcher(loop: loop, fd: pair[0]) { _ in
                var byte: UInt8 = 0
                _ = read(pair[0], &byte, 1)
                log.append(("io\(index)", loop.iteration))
            }
            watcher.watch(.read)
            watchers.append(watcher)
        }
        prepare = PrepareWatcher(loop: loop) {
            // Before the first poll nothing has happened yet; after the one that saw both sockets, stop.
            guard !log.isEmpty else { return }
            log.append(("prepare", loop.iteration))
            prepare?.stop()
            watchers.forEach { $0.stop() }
        }
        prepare?.start()
        for pair in pairs {
            var byte: UInt8 = 1
            #expect(write(pair[1], &byte, 1) == 1)
        }
        loop.run()
        #expect(log.map(\.0).sorted() == ["io0", "io1", "prepare"])
        #expect(log.last?.0 == "prepare", "the prepare watcher ran before an event of its poll: \(log)")
        #expect(Set(log.map(\.1)).count == 1, "one poll, one iteration: \(log)")
        #expect(prepare?.isActive == false)
        prepare = nil // the handler captures `prepare`: break the cycle (LeakSanitizer)
    }
}
