/// The response body bytes of one stream that DATA frames have not carried yet.
struct HTTP2ResponseBody {
    private var bytes: [UInt8] = []
    private var start = 0
    /// No more bytes will come.
    var ended = false
    /// nghttp2 was told to wait (NGHTTP2_ERR_DEFERRED): resume it when bytes or the end arrive.
    var deferred = false

    var count: Int { bytes.count - start }

    mutating func append(_ more: UnsafeRawBufferPointer) {
        if start > 0 && start >= bytes.count / 2 {
            bytes.removeFirst(start)
            start = 0
        }
        bytes += more
    }

    /// Copies up to `into.count` bytes out; returns how many.
    mutating func take(into: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(into.count, count)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { into.baseAddress!.copyMemory(from: $0.baseAddress! + start, byteCount: n) }
        start += n
        if start == bytes.count {
            bytes.removeAll(keepingCapacity: true)
            start = 0
        }
        return n
    }
}
