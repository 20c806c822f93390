/// A list of header fields in two flat arrays: every name and value back to back in `bytes`, and where
/// each one starts and ends in `spans`. A request or response head costs two allocations this way, not
/// two per field, and a block that is emptied with `removeAll()` and filled again allocates nothing.
///
/// Fields can be built in pieces (`startField`, `extendName`, `extendValue`), as an HTTP/1.1 parser hands
/// them over, or whole (`append`). Names are stored as given; callers that need lower case pass
/// `lowercased: true`.
public struct HTTP2FieldBlock: Equatable, Sendable {
    struct Span: Equatable, Sendable {
        var nameStart: Int
        var valueStart: Int
        var end: Int
    }

    private(set) var bytes: [UInt8] = []
    private(set) var spans: [Span] = []

    public init() {}

    /// `bytesCapacity`, `fieldsCapacity`: room reserved up front (a typical head fits without growing).
    public init(bytesCapacity: Int, fieldsCapacity: Int) {
        bytes.reserveCapacity(bytesCapacity)
        spans.reserveCapacity(fieldsCapacity)
    }

    /// A block holding `fields`, in order.
    public init(_ fields: [HTTP2Request.Field]) {
        for field in fields { append(name: field.name, value: field.value) }
    }

    public var count: Int { spans.count }
    public var isEmpty: Bool { spans.isEmpty }
    /// Bytes of all names and values.
    public var byteCount: Int { bytes.count }

    public mutating func append(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        let start = bytes.count
        bytes.append(contentsOf: name)
        let valueStart = bytes.count
        bytes.append(contentsOf: value)
        spans.append(Span(nameStart: start, valueStart: valueStart, end: bytes.count))
    }

    public mutating func append(name: [UInt8], value: [UInt8]) {
        name.withUnsafeBytes { name in value.withUnsafeBytes { append(name: name, value: $0) } }
    }

    /// `append(name:value:)` with the name's ASCII letters lower-cased.
    mutating func append(lowercasingName name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        let start = bytes.count
        bytes.append(contentsOf: name)
        let valueStart = bytes.count
        lowercase(from: start, to: valueStart)
        bytes.append(contentsOf: value)
        spans.append(Span(nameStart: start, valueStart: valueStart, end: bytes.count))
    }

    /// Becomes a copy of `other`, in this block's own storage (kept, when it is not shared).
    public mutating func assign(_ other: HTTP2FieldBlock) {
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: other.bytes)
        spans.removeAll(keepingCapacity: true)
        spans.append(contentsOf: other.spans)
    }

    /// ASCII letters of `bytes[start..<end]` to lower case, in place.
    private mutating func lowercase(from start: Int, to end: Int) {
        bytes.withUnsafeMutableBufferPointer { all in
            for index in start..<end where all[index] &- 65 < 26 { all[index] |= 0x20 }
        }
    }

    /// Begins a field whose name and value arrive in pieces.
    public mutating func startField() {
        spans.append(Span(nameStart: bytes.count, valueStart: bytes.count, end: bytes.count))
    }

    /// More of the last field's name (before any of its value).
    public mutating func extendName(_ piece: UnsafeRawBufferPointer, lowercased: Bool) {
        let start = bytes.count
        bytes.append(contentsOf: piece)
        if lowercased { lowercase(from: start, to: bytes.count) }
        spans[spans.count - 1].valueStart = bytes.count
        spans[spans.count - 1].end = bytes.count
    }

    /// More of the last field's value.
    public mutating func extendValue(_ piece: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: piece)
        spans[spans.count - 1].end = bytes.count
    }

    /// Whether the last field's name satisfies `predicate` (false when there is no field).
    public func lastName(_ predicate: (UnsafeRawBufferPointer) -> Bool) -> Bool {
        guard let span = spans.last else { return false }
        return bytes.withUnsafeBytes { all in
            predicate(UnsafeRawBufferPointer(rebasing: all[span.nameStart..<span.valueStart]))
        }
    }

    /// Forgets the last field.
    public mutating func removeLast() {
        guard let span = spans.popLast() else { return }
        bytes.removeSubrange(span.nameStart...)
    }

    /// Empties the block, keeping its storage for the next head.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        spans.removeAll(keepingCapacity: true)
    }

    /// Calls `body` with each field's name and value, in order; the buffers are valid only inside it.
    public func forEach(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { all in
            for span in spans {
                try body(
                    UnsafeRawBufferPointer(rebasing: all[span.nameStart..<span.valueStart]),
                    UnsafeRawBufferPointer(rebasing: all[span.valueStart..<span.end]))
            }
        }
    }

    /// Calls `body` with the value of field `index`; the buffer is valid only inside it.
    public func withValue<R>(_ index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let span = spans[index]
        return try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[span.valueStart..<span.end])) }
    }

    /// Calls `body` with the name and value of field `index`; the buffers are valid only inside it.
    public func withField<R>(
        _ index: Int, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> R
    ) rethrows -> R {
        let span = spans[index]
        return try bytes.withUnsafeBytes {
            try body(
                UnsafeRawBufferPointer(rebasing: $0[span.nameStart..<span.valueStart]),
                UnsafeRawBufferPointer(rebasing: $0[span.valueStart..<span.end]))
        }
    }

    /// The name and value of field `index`, copied.
    public func field(_ index: Int) -> HTTP2Request.Field {
        let span = spans[index]
        return HTTP2Request.Field(
            Array(bytes[span.nameStart..<span.valueStart]), Array(bytes[span.valueStart..<span.end]))
    }

    /// Every field, copied (for tests and logs; the hot path uses `forEach`).
    public var fields: [HTTP2Request.Field] { spans.indices.map(field) }
}
