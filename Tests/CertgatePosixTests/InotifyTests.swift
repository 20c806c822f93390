import Foundation
import Glibc
import Testing

@testable import CertgatePosix

@Suite("inotify wrapper")
struct InotifyTests {
    /// One `struct inotify_event` as the kernel writes it (little-endian, name NUL-padded to `padded`).
    private func record(watch: Int32, mask: UInt32, cookie: UInt32 = 0, name: String = "", padded: Int = 0) -> [UInt8] {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: watch.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: mask.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: cookie.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: UInt32(padded).littleEndian) { bytes += $0 }
        var name = Array(name.utf8)
        name += [UInt8](repeating: 0, count: padded - name.count)
        return bytes + name
    }

    @Test func decodesConsecutiveRecordsWithAndWithoutNames() {
        let bytes =
            record(watch: 3, mask: UInt32(IN_CREATE), name: "a.pem", padded: 16)
            + record(watch: 3, mask: UInt32(IN_MOVED_FROM), cookie: 77, name: "b.pem", padded: 8)
            + record(watch: -1, mask: UInt32(IN_Q_OVERFLOW))
            + record(watch: 4, mask: UInt32(IN_IGNORED))
        let events = bytes.withUnsafeBytes { Inotify.decode($0) }
        #expect(
            events == [
                Inotify.Event(watch: 3, mask: UInt32(IN_CREATE), name: "a.pem"),
                Inotify.Event(watch: 3, mask: UInt32(IN_MOVED_FROM), cookie: 77, name: "b.pem"),
                Inotify.Event(watch: -1, mask: UInt32(IN_Q_OVERFLOW)),
                Inotify.Event(watch: 4, mask: UInt32(IN_IGNORED)),
            ])
        #expect(events.map(\.isOverflow) == [false, false, true, false])
        #expect(events.map(\.isIgnored) == [false, false, false, true])
    }

    @Test func aRecordCutShortIsIgnored() {
        let whole = record(watch: 1, mask: UInt32(IN_MODIFY), name: "x", padded: 16)
        let cutName = whole + Array(record(watch: 2, mask: UInt32(IN_CREATE), name: "y", padded: 16).prefix(20))
        let cutHeader = whole + Array(record(watch: 2, mask: UInt32(IN_CREATE)).prefix(10))
        for bytes in [cutName, cutHeader] {
            let events = bytes.withUnsafeBytes { Inotify.decode($0) }
            #expect(events == [Inotify.Event(watch: 1, mask: UInt32(IN_MODIFY), name: "x")])
        }
        #expect([UInt8]().withUnsafeBytes { Inotify.decode($0) } == [])
    }

    @Test func reportsChangesInAWatchedDirectoryFromTheKernel() throws {
        let directory = NSTemporaryDirectory() + "/certgate-inotify-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let inotify = try Inotify()
        #expect(inotify.readEvents() == nil, "nothing queued yet: a non-blocking read says so at once")

        let watch = try inotify.addWatch(directory, mask: Inotify.directoryChanges)
        #expect(try inotify.addWatch(directory, mask: Inotify.directoryChanges) == watch)
        try Data("x".utf8).write(to: URL(fileURLWithPath: directory + "/a.pem"))
        // Foundation may close the file a moment after write(to:) returns (it failed once on a loaded
        // machine with IN_CREATE read and IN_CLOSE_WRITE not yet queued): collect for up to 2 s.
        var events: [Inotify.Event] = []
        let deadline = ContinuousClock.now + .seconds(2)
        while !events.contains(where: { $0.mask & UInt32(IN_CLOSE_WRITE) != 0 }) && ContinuousClock.now < deadline {
            if let more = inotify.readEvents() { events += more } else { usleep(10_000) }
        }
        #expect(events.contains { $0.watch == watch && $0.mask & UInt32(IN_CREATE) != 0 && $0.name == "a.pem" })
        #expect(events.contains { $0.watch == watch && $0.mask & UInt32(IN_CLOSE_WRITE) != 0 && $0.name == "a.pem" })

        inotify.removeWatch(watch)
        let removal = try #require(inotify.readEvents())
        #expect(removal.contains { $0.watch == watch && $0.isIgnored })
        #expect(inotify.readEvents() == nil)

        inotify.close()
        inotify.close()
        #expect(inotify.descriptor == -1)
        #expect(inotify.readEvents() == nil)
    }

    @Test func watchingWhatIsNotADirectoryFailsWithItsErrno() throws {
        let inotify = try Inotify()
        let missing = "/nonexistent-certgate-\(getpid())"
        #expect(throws: SystemError("inotify_add_watch", errno: ENOENT)) {
            try inotify.addWatch(missing, mask: Inotify.directoryChanges)
        }
        #expect(throws: SystemError("inotify_add_watch", errno: ENOTDIR)) {
            try inotify.addWatch("/dev/null", mask: Inotify.directoryChanges)
        }
    }
}
