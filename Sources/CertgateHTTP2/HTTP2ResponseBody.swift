/// The response body bytes of one stream that DATA frames have not carried yet. The delegate of the
/// session gives one for every request it accepts and owns it (the session keeps only an unretained
/// pointer, as the stream's nghttp2 user data and as the source of its data provider): the delegate
/// appends what the upstream sends and ends it; nghttp2 takes bytes out as the client's window allows.
/// A delegate may reuse one for a later stream once the stream it served has closed (`reset`).
/// Loop-confined.
public final class HTTP2ResponseBody {
    private var bytes: [UInt8] = []
    private var start = 0
    /// No more bytes will come.
    public internal(set) var ended = false
    /// nghttp2 was told to wait (NGHTTP2_ERR_DEFERRED): resume it when bytes or the end arrive.
    var deferred = false
    /// Whatever the delegate keeps for this stream (unretained: the delegate owns both and clears this
    /// before it lets go of the owner).
    public unowned(unsafe) var owner: AnyObject?

    public init() {}

    /// Empty and not ended, for a new stream (a spare body of a closed stream); keeps its storage unless
    /// it grew past 16 KiB.
    public func reset() {
        bytes.removeAll(keepingCapacity: bytes.capacity <= 16 * 1024)
        start = 0
        ended = false
        deferred = false
        owner = nil
    }

    /// Bytes waiting for DATA frames.
    public var count: Int { bytes.count - start }

    func append(_ more: UnsafeRawBufferPointer) {
        if start > 0 && start >= bytes.count / 2 {
            bytes.removeFirst(start)
            start = 0
        }
        bytes.append(contentsOf: more)
    }

    /// Copies up to `into.count` bytes out; returns how many.
    func take(into: UnsafeMutableRawBufferPointer) -> Int {
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
