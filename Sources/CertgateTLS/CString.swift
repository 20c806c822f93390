extension String {
    /// Decodes a NUL-terminated C string held in a Swift array (as filled in by C calls) as UTF-8,
    /// repairing invalid sequences.
    init(nulTerminated buffer: [CChar]) {
        let end = buffer.firstIndex(of: 0) ?? buffer.endIndex
        self = String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
