internal import Glibc

/// Fixed byte strings of the per-request path (field names, the pieces of an HTTP/1.1 head) as
/// `StaticString`s: a literal lives in the binary's read-only data, so using one costs nothing. A
/// `static let` holding an `[UInt8]` would be a lazily initialised global instead, and every use of it
/// would go through `swift_once` (27 calls per HTTP/2 request before these, by a uprobe count).
extension UnsafeRawBufferPointer {
    /// Whether these bytes are exactly `literal`'s UTF-8 bytes.
    @inline(__always)
    func equals(_ literal: StaticString) -> Bool {
        count == literal.utf8CodeUnitCount && (count == 0 || memcmp(baseAddress!, literal.utf8Start, count) == 0)
    }

    /// `equals`, ignoring ASCII case in these bytes (`literal` is lower case).
    func equalsLowercased(_ literal: StaticString) -> Bool {
        guard count == literal.utf8CodeUnitCount else { return false }
        let expected = literal.utf8Start
        for index in 0..<count where HTTP2RequestBuilder.lowered(self[index]) != expected[index] { return false }
        return true
    }
}

extension Array where Element == UInt8 {
    /// Appends `literal`'s UTF-8 bytes.
    @inline(__always)
    mutating func append(_ literal: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }
}
