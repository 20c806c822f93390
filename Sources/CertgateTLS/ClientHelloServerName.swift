/// Reads the host name out of a ClientHello's `server_name` extension body (RFC 6066 §3) in the
/// ClientHello callback, which runs before OpenSSL parses extensions and, above all, before it looks
/// for a session to resume: the certificate and its client-certificate policy (with the session id
/// context that keeps sessions from crossing policies) must be chosen there, not in the servername
/// callback, which OpenSSL runs after the resumption decision.
///
/// Accepts what OpenSSL accepts: a 2-byte list length covering the rest, exactly one entry of type
/// `host_name` (0) with a non-empty name of at most 255 bytes and no NUL. Anything else is `nil`
/// (treated as "no SNI"; OpenSSL then refuses the malformed extension itself when it parses it).
public enum ClientHelloServerName {
    public static let maximumLength = 255

    public static func parse(_ body: UnsafeBufferPointer<UInt8>) -> String? {
        parse(Array(body))
    }

    public static func parse(_ body: [UInt8]) -> String? {
        guard body.count >= 2 else { return nil }
        let listLength = Int(body[0]) << 8 | Int(body[1])
        guard listLength == body.count - 2, listLength >= 3 else { return nil }
        guard body[2] == 0 else { return nil }
        let nameLength = Int(body[3]) << 8 | Int(body[4])
        guard nameLength > 0, nameLength <= maximumLength, 5 + nameLength == body.count else { return nil }
        let name = body[5...]
        guard !name.contains(0) else { return nil }
        return String(decoding: name, as: UTF8.self)
    }
}
