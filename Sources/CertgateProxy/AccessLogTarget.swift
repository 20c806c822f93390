import CertgatePosix
import Glibc

/// Where access log lines are written: stdout, or a file certgate opened itself.
public struct AccessLogTarget: Sendable, Equatable {
    public let descriptor: Int32
    /// The file's path; `nil` for stdout (never reopened, never closed).
    public let path: String?
    /// A pipe, FIFO or socket: writes go out in pieces of whole lines of at most `PIPE_BUF` bytes, which
    /// the kernel keeps whole even when other processes (or certgate's own stderr log) write to the
    /// same pipe. A file takes each chunk with one `write`, O_APPEND keeping chunks whole.
    public let isStream: Bool

    /// Stdout (`--access-log-file -`).
    public static var standardOutput: AccessLogTarget {
        AccessLogTarget(descriptor: 1, path: nil, isStream: isStream(1))
    }

    /// Opens `path` for appending (O_APPEND, created with mode 0640 when missing); `nil`: stdout.
    public static func open(_ path: String?) throws(SystemError) -> AccessLogTarget {
        guard let path else { return standardOutput }
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SystemError("open \(path)", errno: errno) }
        return AccessLogTarget(descriptor: fd, path: path, isStream: isStream(fd))
    }

    /// Closes a file opened by `open` (stdout stays open).
    public func close() {
        if path != nil { Glibc.close(descriptor) }
    }

    private static func isStream(_ fd: Int32) -> Bool {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return false }
        let type = info.st_mode & S_IFMT
        return type == S_IFIFO || type == S_IFSOCK
    }

    /// Writes `bytes` (whole lines) completely, waiting while the descriptor is full (this runs on the
    /// access log's own thread, never on a worker). Returns the number of lines that could not be
    /// written (0 when all went out).
    func write(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBufferPointer { buffer in
            var start = 0
            while start < buffer.count {
                let end = isStream ? Self.pieceEnd(buffer, from: start) : buffer.count
                if !writeFully(buffer, start, end) {
                    return buffer[start...].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                }
                start = end
            }
            return 0
        }
    }

    /// The end of the next piece of a stream write: as many whole lines as fit in `PIPE_BUF` bytes, or
    /// one whole line that is longer.
    static func pieceEnd(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        let limit = min(buffer.count, start + Int(PIPE_BUF))
        if limit == buffer.count { return limit }
        var end = limit
        while end > start && buffer[end - 1] != 0x0A { end -= 1 }
        if end > start { return end }
        // One line longer than PIPE_BUF: to its end.
        var index = limit
        while index < buffer.count && buffer[index] != 0x0A { index += 1 }
        return min(index + 1, buffer.count)
    }

    private func writeFully(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var offset = start
        while offset < end {
            let written = Glibc.write(descriptor, buffer.baseAddress! + offset, end - offset)
            if written > 0 {
                offset += written
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN:
                // Someone made the descriptor non-blocking (stdout shared with another process): wait
                // for room, up to a second at a time, rather than spin.
                var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                if poll(&poller, 1, 1000) <= 0 { return false }
            default: return false
            }
        }
        return true
    }
}
