#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where finished log lines go. Each call receives one complete line, trailing newline included.
///
/// Tests use `LogSink { line in ... }` to capture output; production uses `.standardError`.
public struct LogSink: Sendable {
    public let write: @Sendable (String) -> Void

    public init(_ write: @escaping @Sendable (String) -> Void) {
        self.write = write
    }

    /// File descriptor 2.
    public static let standardError = LogSink.fileDescriptor(2)

    /// Writes each line with one `write(2)` call on `descriptor`.
    ///
    /// No lock is taken: a single `write` of a whole line is not interleaved with other threads' writes
    /// on pipes (up to `PIPE_BUF`, 4 KiB on Linux) and on files opened with `O_APPEND`, which covers
    /// stderr redirected to a collector or a log file. A short write (very long lines, full pipe) is
    /// finished with further `write` calls rather than dropped; `EINTR` is retried. Other errors are
    /// ignored: there is nowhere left to report a failure to write the log.
    public static func fileDescriptor(_ descriptor: Int32) -> LogSink {
        LogSink { line in
            var line = line
            line.withUTF8 { buffer in
                guard var base = buffer.baseAddress else { return }
                var remaining = buffer.count
                while remaining > 0 {
                    let written = systemWrite(descriptor, base, remaining)
                    if written < 0 {
                        if errno == EINTR { continue }
                        return
                    }
                    remaining -= written
                    base += written
                }
            }
        }
    }
}

/// `write(2)` under a name that cannot be confused with `LogSink.write`.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int {
    #if canImport(Glibc)
        return Glibc.write(descriptor, bytes, count)
    #elseif canImport(Musl)
        return Musl.write(descriptor, bytes, count)
    #else
        return Darwin.write(descriptor, bytes, count)
    #endif
}
