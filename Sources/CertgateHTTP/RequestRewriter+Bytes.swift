/// Byte helpers of `RequestRewriter`.
extension RequestRewriter {
    static func reset(_ bytes: inout [UInt8], keepingUpTo capacity: Int) {
        bytes.removeAll(keepingCapacity: bytes.capacity <= capacity)
    }

    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for index in 0..<bytes.count {
            var byte = bytes[index]
            if byte >= 65 && byte <= 90 { byte |= 0x20 }
            if byte != expected[index] { return false }
        }
        return true
    }

    static func trimmed(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var start = 0
        var end = bytes.count
        while start < end && (bytes[start] == 32 || bytes[start] == 9) { start += 1 }
        while end > start && (bytes[end - 1] == 32 || bytes[end - 1] == 9) { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }
}
