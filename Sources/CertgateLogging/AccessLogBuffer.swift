/// A batch of whole access log lines, handed from a worker to the writer in one piece.
public struct AccessLogChunk: Sendable, Equatable {
    /// Complete lines, each ending in `\n`.
    public var bytes: [UInt8]
    public var lines: Int

    public init(bytes: [UInt8], lines: Int) {
        self.bytes = bytes
        self.lines = lines
    }
}

/// One worker's access log lines waiting to be written: appending a line is a memory copy, never a
/// system call. The worker hands the collected lines on as one `AccessLogChunk` when the next line
/// would not fit (`append` returns it), on its flush timer and when it stops (`take`).
///
/// Holds whole lines only: a chunk always ends at the end of a line, so writes of different chunks can
/// never interleave inside a line. A line longer than the capacity travels alone in a chunk of its own.
/// Loop-confined, like the worker that owns it.
public struct AccessLogBuffer {
    /// The bytes collected before a chunk is handed on.
    public let capacity: Int
    private var bytes: [UInt8] = []
    private var lines = 0

    public init(capacity: Int = 64 * 1024) {
        self.capacity = max(capacity, 1)
    }

    public var isEmpty: Bool { lines == 0 }
    /// Bytes collected so far.
    public var count: Int { bytes.count }

    /// Adds one complete line (`line` must end in `\n`, UTF-8). Returns the lines collected before it when
    /// `line` does not fit behind them: the caller hands that chunk on.
    public mutating func append(_ line: [UInt8]) -> AccessLogChunk? {
        var full: AccessLogChunk?
        if lines > 0 && bytes.count + line.count > capacity {
            full = take()
        }
        if bytes.capacity == 0 { bytes.reserveCapacity(capacity) }
        bytes.append(contentsOf: line)
        lines += 1
        return full
    }

    /// `append` of a line given as a string.
    public mutating func append(_ line: String) -> AccessLogChunk? {
        append(Array(line.utf8))
    }

    /// Every line collected so far (`nil` when there is none); the buffer starts over empty.
    public mutating func take() -> AccessLogChunk? {
        guard lines > 0 else { return nil }
        let chunk = AccessLogChunk(bytes: bytes, lines: lines)
        bytes = []
        bytes.reserveCapacity(capacity)
        lines = 0
        return chunk
    }
}
