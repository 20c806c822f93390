/// A TLS 1.2 ClientHello built byte by byte, for what a real client library refuses to send: a
/// server_name extension with any body at all. Offers what the test certificates need (ECDHE-ECDSA with
/// AES-128-GCM, X25519 and P-256, ecdsa_secp256r1_sha256), so a well-formed one gets a ServerHello.
///
/// `ServerReply` reads what the server answered.
enum RawClientHello {
    static let serverNameExtension: UInt16 = 0

    /// The record carrying the ClientHello; `serverName` is the extension body (`nil`: no extension).
    static func record(serverName: [UInt8]?) -> [UInt8] {
        var extensions: [UInt8] = []
        if let serverName { extensions += Self.extension(serverNameExtension, serverName) }
        // supported_groups: x25519 for the key exchange, P-256 because TLS 1.2 also checks the certificate's curve
        extensions += Self.extension(10, [0x00, 0x04, 0x00, 0x1D, 0x00, 0x17])
        extensions += Self.extension(11, [0x01, 0x00]) // ec_point_formats: uncompressed
        extensions += Self.extension(13, [0x00, 0x02, 0x04, 0x03]) // signature_algorithms: ecdsa_secp256r1_sha256
        extensions += Self.extension(0xFF01, [0x00]) // renegotiation_info (empty: initial handshake)
        var hello: [UInt8] = [0x03, 0x03] // legacy_version TLS 1.2
        hello += (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) } // random
        hello += [0x00] // no session id
        hello += [0x00, 0x02, 0xC0, 0x2B] // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        hello += [0x01, 0x00] // null compression only
        hello += u16(extensions.count) + extensions
        let handshake = [UInt8(1)] + u24(hello.count) + hello
        return [0x16, 0x03, 0x01] + u16(handshake.count) + handshake
    }

    /// A server_name body with one entry per `(type, name)`, list length included.
    static func serverNameList(_ entries: [(type: UInt8, name: [UInt8])]) -> [UInt8] {
        let list = entries.flatMap { [$0.type] + u16($0.name.count) + $0.name }
        return u16(list.count) + list
    }

    /// A server_name body with the one host name `name`.
    static func serverName(_ name: String) -> [UInt8] {
        serverNameList([(0, Array(name.utf8))])
    }

    private static func `extension`(_ type: UInt16, _ body: [UInt8]) -> [UInt8] {
        u16(Int(type)) + u16(body.count) + body
    }

    private static func u16(_ value: Int) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }
    private static func u24(_ value: Int) -> [UInt8] { [UInt8(truncatingIfNeeded: value >> 16)] + u16(value) }
}
