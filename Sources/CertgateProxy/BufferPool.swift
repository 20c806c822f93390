/// Fixed-size byte buffers recycled within one worker, so the steady-state data path never allocates.
///
/// A connection only holds a buffer while one direction is stalled (its peer could not take everything
/// that was read); the common case reads into the worker's scratch buffer and writes straight out. Idle
/// connections therefore hold no buffer at all. Free buffers are kept up to `maximumFree`, beyond which
/// they are returned to the allocator (a burst of stalled connections does not pin memory forever).
///
/// Loop-confined: one pool per worker thread, no locking.
final class BufferPool {
    let bufferSize: Int
    private let maximumFree: Int
    private var free: [UnsafeMutableRawPointer] = []
    /// Buffers handed out and not yet returned (for tests and leak checks).
    private(set) var outstanding = 0

    init(bufferSize: Int, maximumFree: Int) {
        self.bufferSize = bufferSize
        self.maximumFree = maximumFree
        free.reserveCapacity(maximumFree)
    }

    deinit {
        for buffer in free {
            buffer.deallocate()
        }
    }

    func take() -> UnsafeMutableRawPointer {
        outstanding += 1
        if let buffer = free.popLast() {
            return buffer
        }
        return .allocate(byteCount: bufferSize, alignment: 16)
    }

    func give(_ buffer: UnsafeMutableRawPointer) {
        outstanding -= 1
        if free.count < maximumFree {
            free.append(buffer)
        } else {
            buffer.deallocate()
        }
    }

    var freeCount: Int { free.count }
}
