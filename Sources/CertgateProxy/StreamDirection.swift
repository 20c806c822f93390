/// Bookkeeping for one direction of a proxied connection (client → upstream or upstream → client).
///
/// A pure value: the connection performs the I/O and tells the direction what happened; the direction
/// says what is allowed next. Bytes read from the source go straight to the sink; only what the sink
/// refuses is parked in `pending` (one pooled buffer at most), and while anything is parked the source is
/// not read: that is the backpressure, and it bounds each direction to one buffer.
struct StreamDirection {
    /// Bytes read from the source that the sink has not taken yet.
    private(set) var pending: PendingBytes?
    /// The source has ended (EOF, or close_notify on the TLS side).
    private(set) var sourceEnded = false
    /// The end has been passed on to the sink (shutdown(SHUT_WR) or close_notify sent).
    private(set) var sinkClosed = false

    /// More may be read from the source right now.
    var canRead: Bool { !sourceEnded && pending == nil }

    /// The source ended and everything read has been delivered: time to close the sink's side.
    var needsSinkClose: Bool { sourceEnded && pending == nil && !sinkClosed }

    /// Nothing more will ever move in this direction.
    var isFinished: Bool { sourceEnded && pending == nil && sinkClosed }

    mutating func park(_ bytes: PendingBytes) {
        precondition(pending == nil, "a direction parks at most one buffer")
        pending = bytes
    }

    /// The sink took `count` more parked bytes; returns the buffer once it is empty, for the pool.
    mutating func consumePending(_ count: Int) -> UnsafeMutableRawPointer? {
        guard var parked = pending else { return nil }
        parked.consume(count)
        if parked.isEmpty {
            pending = nil
            return parked.buffer
        }
        pending = parked
        return nil
    }

    /// Drops parked bytes (connection teardown); returns the buffer for the pool.
    mutating func discardPending() -> UnsafeMutableRawPointer? {
        defer { pending = nil }
        return pending?.buffer
    }

    mutating func markSourceEnded() {
        sourceEnded = true
    }

    mutating func markSinkClosed() {
        sinkClosed = true
    }
}

/// A slice of a pooled buffer still waiting to be written.
struct PendingBytes: Equatable {
    let buffer: UnsafeMutableRawPointer
    private(set) var start: Int
    let end: Int

    /// Copies `count` bytes from `source` into `buffer` (which must hold at least `count` bytes).
    init(copying source: UnsafeRawPointer, count: Int, into buffer: UnsafeMutableRawPointer) {
        buffer.copyMemory(from: source, byteCount: count)
        self.buffer = buffer
        self.start = 0
        self.end = count
    }

    var bytes: UnsafeRawPointer { UnsafeRawPointer(buffer + start) }
    var count: Int { end - start }
    var isEmpty: Bool { start >= end }

    mutating func consume(_ n: Int) {
        start = min(start + n, end)
    }
}
