import Glibc

/// What the server sent back to a raw ClientHello.
enum ServerReply: Equatable, CustomStringConvertible {
    /// An alert record: level (1 warning, 2 fatal) and description.
    case alert(level: UInt8, description: UInt8)
    /// A ServerHello (first in a handshake record) with these extension types.
    case serverHello(extensions: [UInt16])
    /// Anything else (hex of the first bytes).
    case other(String)
    case nothing

    var description: String {
        switch self {
        case .alert(let level, let description): return "alert(level \(level), description \(description))"
        case .serverHello(let extensions): return "ServerHello(extensions \(extensions))"
        case .other(let text): return "other(\(text))"
        case .nothing: return "nothing"
        }
    }

    /// The first record waiting on `fd` (non-blocking; the server has already run).
    static func read(_ fd: Int32) -> ServerReply {
        var buffer = [UInt8](repeating: 0, count: 16384)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return .nothing }
        return parse(Array(buffer[..<count]))
    }

    static func parse(_ bytes: [UInt8]) -> ServerReply {
        let hex = bytes.prefix(12).map { String($0, radix: 16) }.joined(separator: " ")
        guard bytes.count >= 5 else { return .other(hex) }
        let body = Array(bytes.dropFirst(5).prefix(Int(bytes[3]) << 8 | Int(bytes[4])))
        if bytes[0] == 0x15, body.count == 2 { return .alert(level: body[0], description: body[1]) }
        guard bytes[0] == 0x16, body.count >= 4, body[0] == 2 else { return .other(hex) }
        // ServerHello: version(2) random(32) session_id(1+n) cipher(2) compression(1) extensions(2+n).
        var offset = 4 + 2 + 32
        guard body.count > offset else { return .other(hex) }
        offset += 1 + Int(body[offset]) + 2 + 1
        guard body.count >= offset + 2 else { return .serverHello(extensions: []) }
        let end = min(body.count, offset + 2 + (Int(body[offset]) << 8 | Int(body[offset + 1])))
        offset += 2
        var types: [UInt16] = []
        while offset + 4 <= end {
            types.append(UInt16(body[offset]) << 8 | UInt16(body[offset + 1]))
            offset += 4 + (Int(body[offset + 2]) << 8 | Int(body[offset + 3]))
        }
        return .serverHello(extensions: types)
    }
}
