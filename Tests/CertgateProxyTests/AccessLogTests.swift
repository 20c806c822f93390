import CertgateLogging
import CertgatePosix
import Foundation
import Glibc
import LibEV
import Synchronization
import Testing

@testable import CertgateProxy

/// The access log's writer thread and a worker's buffer timer, against real files and pipes.
@Suite("Access log writer")
struct AccessLogTests {
    final class Drops: Sendable {
        let lines = Atomic<Int>(0)
    }

    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "certgate-access-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func contents(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    static func chunk(_ lines: [String]) -> AccessLogChunk {
        AccessLogChunk(bytes: Array(lines.joined().utf8), lines: lines.count)
    }

    @Test("chunks reach the file in order, appended; finish writes what is queued")
    func writesInOrder() throws {
        let directory = Self.temporaryDirectory()
        let path = directory + "/access.log"
        try "earlier line\n".write(toFile: path, atomically: false, encoding: .utf8)
        let drops = Drops()
        let log = AccessLog(target: try AccessLogTarget.open(path)) { drops.lines.add($0, ordering: .relaxed) }
        try log.configure(format: .text)
        #expect(log.format == .text)
        for index in 0..<50 {
            #expect(log.submit(Self.chunk(["a=\(index)\n", "b=\(index)\n"])))
        }
        log.finish()
        let expected = "earlier line\n" + (0..<50).map { "a=\($0)\nb=\($0)\n" }.joined()
        #expect(Self.contents(path) == expected)
        #expect(drops.lines.load(ordering: .relaxed) == 0)
    }

    @Test("reopen: after the file was moved away, lines go to a new file at the path")
    func reopen() throws {
        let directory = Self.temporaryDirectory()
        let path = directory + "/access.log"
        let log = AccessLog(target: try AccessLogTarget.open(path)) { _ in }
        try log.configure(format: .json)
        log.submit(Self.chunk(["one\n"]))
        // Wait for the writer (it runs on its own thread).
        for _ in 0..<200 where Self.contents(path) != "one\n" { usleep(10_000) }
        #expect(rename(path, path + ".1") == 0)
        try log.reopen()
        log.submit(Self.chunk(["two\n"]))
        log.finish()
        #expect(Self.contents(path + ".1") == "one\n")
        #expect(Self.contents(path) == "two\n")
    }

    @Test("a writer stuck on a full pipe: chunks beyond the queue's bound are dropped and counted, none blocks")
    func boundedQueueDrops() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let drops = Drops()
        let log = AccessLog(target: AccessLogTarget(descriptor: fds[1], path: nil, isStream: true)) {
            drops.lines.add($0, ordering: .relaxed)
        }
        try log.configure(format: .text)
        let line = String(repeating: "x", count: 1023) + "\n"
        let chunk = Self.chunk(Array(repeating: line, count: 64)) // 64 KiB
        var accepted = 0
        var refused = 0
        // Nobody reads the pipe: the writer blocks on it, and the queue fills up.
        let started = ContinuousClock.now
        for _ in 0..<(2 * AccessLog.maximumQueuedBytes / chunk.bytes.count + 8) {
            if log.submit(chunk) { accepted += 1 } else { refused += 1 }
        }
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(refused > 0)
        #expect(drops.lines.load(ordering: .relaxed) == refused * 64)
        // Drain the pipe: every accepted line comes out whole.
        let readEnd = fds[0]
        let total = Atomic<Int>(0)
        let done = Atomic<Bool>(false)
        let reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(readEnd, &buffer, buffer.count)
                if n <= 0 { break }
                total.add(n, ordering: .relaxed)
            }
            done.store(true, ordering: .releasing)
        }
        reader.start()
        log.finish()
        close(fds[1])
        while !done.load(ordering: .acquiring) { usleep(10_000) }
        close(readEnd)
        #expect(total.load(ordering: .relaxed) == accepted * chunk.bytes.count)
    }

    @Test("stream targets get pieces of whole lines of at most PIPE_BUF bytes")
    func pieces() {
        let lines = (0..<200).map { "line \($0) " + String(repeating: "q", count: $0 % 90) + "\n" }
        let bytes = Array(lines.joined().utf8)
        bytes.withUnsafeBufferPointer { buffer in
            var start = 0
            while start < buffer.count {
                let end = AccessLogTarget.pieceEnd(buffer, from: start)
                #expect(end > start)
                #expect(end - start <= Int(PIPE_BUF))
                #expect(buffer[end - 1] == 10)
                start = end
            }
        }
    }

    @Test("a worker's buffer is handed on by its timer, without a flush call")
    func flushOnTimer() throws {
        let directory = Self.temporaryDirectory()
        let path = directory + "/access.log"
        let log = AccessLog(target: try AccessLogTarget.open(path)) { _ in }
        try log.configure(format: .text)
        let loop = EventLoop()
        let worker = WorkerAccessLog(log: log, loop: loop)
        worker.write(
            AccessLogRecord(time: LogTimestamp(secondsSinceEpoch: 0, milliseconds: 0), connection: 7), format: .text)
        usleep(100_000)
        #expect(Self.contents(path).isEmpty, "nothing written before the flush interval")
        let stop = TimerWatcher(loop: loop) { loop.stop() }
        stop.start(after: AccessLog.flushInterval * 3)
        loop.run()
        for _ in 0..<200 where Self.contents(path).isEmpty { usleep(10_000) }
        #expect(Self.contents(path) == "ts=1970-01-01T00:00:00.000Z conn=7\n")
        log.finish()
        withExtendedLifetime(worker) {}
    }
}
