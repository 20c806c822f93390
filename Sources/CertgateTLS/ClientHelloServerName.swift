/// Reads and checks a ClientHello's `server_name` extension body (RFC 6066 §3) in the ClientHello
/// callback, which runs before OpenSSL parses extensions and, above all, before it looks for a session
/// to resume: the certificate and its client-certificate policy (with the session id context that keeps
/// sessions from crossing policies and names) must be chosen there, not in the servername callback,
/// which OpenSSL runs after the resumption decision.
///
/// The rules, and the alert each broken one gets (what tlsfuzzer's `test-invalid-server-name-extension`
/// expects):
/// - `decode_error` (`.malformed`): the body is not a 2-byte list length covering exactly the rest, the
///   list is empty, an entry overruns the list, or the host name is empty (`HostName<1..2^16-1>`).
/// - `illegal_parameter` (`.invalidName`): a second `host_name` entry (the list MUST NOT hold two names of
///   one type), or a host name that is not a DNS name: longer than 255 bytes, an empty label, or a byte
///   outside letters, digits, `-`, `.`, `_` and `*`. One trailing dot is tolerated (matching ignores it).
/// - Entries of other name types are skipped; a list with no `host_name` entry is no name at all.
///
/// Works on the bytes OpenSSL hands out, without copying them: the only allocation is the `String` of a
/// valid name (none for names of up to 15 bytes, which Swift stores inline).
public enum ClientHelloServerName {
    public static let maximumLength = 255

    /// What the extension says.
    public enum Parsed: Equatable, Sendable {
        /// The one `host_name`, as sent (case and trailing dot kept).
        case hostName(String)
        /// Well-formed, but no `host_name` entry (only other name types).
        case noHostName
        /// Broken framing or an empty host name: `decode_error`.
        case malformed
        /// Two host names, or a name that is not a DNS name: `illegal_parameter`.
        case invalidName
    }

    public static func parse(_ body: UnsafeBufferPointer<UInt8>) -> Parsed {
        switch hostNameRange(in: body) {
        case .success(nil):
            return .noHostName
        case .success(let range?):
            return .hostName(String(decoding: UnsafeBufferPointer(rebasing: body[range]), as: UTF8.self))
        case .failure(let failure):
            return failure.parsed
        }
    }

    public static func parse(_ body: [UInt8]) -> Parsed {
        body.withUnsafeBufferPointer { parse($0) }
    }

    private enum Failure: Error {
        case malformed
        case invalidName

        var parsed: Parsed { self == .malformed ? .malformed : .invalidName }
    }

    /// The framing pass first (every entry must fit, whatever its type), then the host name's syntax: a
    /// broken frame is `decode_error` even when a bad name comes before it.
    private static func hostNameRange(in body: UnsafeBufferPointer<UInt8>) -> Result<Range<Int>?, Failure> {
        guard body.count >= 2, Int(body[0]) << 8 | Int(body[1]) == body.count - 2, body.count > 2 else {
            return .failure(.malformed)
        }
        var hostName: Range<Int>?
        var repeated = false
        var offset = 2
        while offset < body.count {
            guard body.count - offset >= 3 else { return .failure(.malformed) }
            let type = body[offset]
            let length = Int(body[offset + 1]) << 8 | Int(body[offset + 2])
            let start = offset + 3
            guard length <= body.count - start else { return .failure(.malformed) }
            if type == 0 {
                guard length > 0 else { return .failure(.malformed) }
                if hostName == nil { hostName = start..<start + length } else { repeated = true }
            }
            offset = start + length
        }
        if repeated { return .failure(.invalidName) }
        if let hostName, !isDNSName(UnsafeBufferPointer(rebasing: body[hostName])) { return .failure(.invalidName) }
        return .success(hostName)
    }

    /// Letters, digits, `-`, `_`, `*` in non-empty labels separated by dots, one trailing dot allowed,
    /// at most `maximumLength` bytes.
    static func isDNSName(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !name.isEmpty, name.count <= maximumLength else { return false }
        var labelLength = 0
        for byte in name {
            switch byte {
            case UInt8(ascii: "."):
                guard labelLength > 0 else { return false }
                labelLength = 0
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "*"):
                labelLength += 1
            default:
                return false
            }
        }
        // Either the last label is not empty, or the name ends in a dot that closed a non-empty one.
        return true
    }
}
