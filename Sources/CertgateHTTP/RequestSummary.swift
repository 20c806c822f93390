internal import CHTTPParser

/// One request as the access log shows it (`--forward-headers` with `--access-log`): never a secret, so
/// the target without its query string and no field values at all.
public struct RequestSummary: Equatable, Sendable {
    public var method: String
    /// The request target up to its `?` or `#`: `/search`, not `/search?token=...`.
    public var path: String
    /// The head as received (request line and fields), in bytes.
    public var headBytes: Int
    /// `RequestRewriter.now` when the head was forwarded.
    public var receivedAt: Double
    /// The final status of the upstream's response (101 when the protocol switched); `nil` before it.
    public var status: Int?

    public init(method: String, path: String, headBytes: Int, receivedAt: Double, status: Int? = nil) {
        self.method = method
        self.path = path
        self.headBytes = headBytes
        self.receivedAt = receivedAt
        self.status = status
    }

    /// From a head the scanner and the parser accepted (the request line is visible ASCII).
    init(head: UnsafeRawBufferPointer, scanner: HeadScanner, method: UInt32, at now: Double) {
        let line = UnsafeRawBufferPointer(rebasing: head[scanner.requestLineStart..<scanner.requestLineEnd])
        self.init(
            method: String(cString: http_method_str(http_method(method))),
            path: Self.path(ofRequestLine: line), headBytes: head.count, receivedAt: now)
    }

    /// The target of `METHOD TARGET VERSION`, cut at `?` or `#`.
    static func path(ofRequestLine line: UnsafeRawBufferPointer) -> String {
        guard let space = line.firstIndex(of: 32) else { return "" }
        var end = space + 1
        while end < line.count && line[end] != 32 && line[end] != 63 && line[end] != 35 { end += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: line[(space + 1)..<end]), as: UTF8.self)
    }
}
