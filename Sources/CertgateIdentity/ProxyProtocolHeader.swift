/// A PROXY protocol header (HAProxy's "PROXY protocol" specification, versions 1 and 2) announcing the
/// original client and the address it connected to, for the upstream to read ahead of the byte stream.
///
/// Pure value: ``encode(_:)`` builds the bytes and does no I/O.
///
/// Version 1 carries addresses only. Version 2 also carries the optional TLVs below.
///
/// Size limits (version 2): the 16-bit length field covers the address block and every TLV, so they
/// can total at most 65535 bytes. A TLV (or SSL sub-TLV) that would not fit is **omitted whole, never
/// truncated**: a truncated common name or authority could name a different identity, which is worse
/// than naming none. The base `PP2_TYPE_SSL` TLV (flags and verify result) is always kept; then ALPN,
/// authority, and the SSL version, common name and cipher take the remaining room in that order.
/// Realistic values (SNI at most 255 bytes, ALPN identifiers at most 255, a CN at most 64 characters)
/// never come near the limit. Empty values carry nothing and are omitted.
public struct ProxyProtocolHeader: Sendable, Hashable {
    /// The client: the peer address of the accepted connection.
    public var source: ProxiedEndpoint
    /// The address the client connected to: the local address of the accepted connection.
    public var destination: ProxiedEndpoint
    /// v2 only: `PP2_TYPE_ALPN` (0x01), the negotiated application protocol, e.g. `Array("h2".utf8)`.
    public var alpn: [UInt8]?
    /// v2 only: `PP2_TYPE_AUTHORITY` (0x02), the host name the client asked for (TLS SNI), UTF-8.
    public var authority: String?
    /// v2 only: `PP2_TYPE_SSL` (0x20) with its sub-TLVs.
    public var ssl: ProxyProtocolSSLInfo?

    public init(
        source: ProxiedEndpoint, destination: ProxiedEndpoint, alpn: [UInt8]? = nil, authority: String? = nil,
        ssl: ProxyProtocolSSLInfo? = nil
    ) {
        self.source = source
        self.destination = destination
        self.alpn = alpn
        self.authority = authority
        self.ssl = ssl
    }

    // MARK: Constants from the specification

    /// The 12-byte version 2 signature: `\r\n\r\n\0\r\nQUIT\n`.
    public static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    /// Version 2 (high nibble), command PROXY (low nibble).
    static let v2VersionCommandProxy: UInt8 = 0x21
    /// AF_INET + STREAM.
    static let v2FamilyTCP4: UInt8 = 0x11
    /// AF_INET6 + STREAM.
    static let v2FamilyTCP6: UInt8 = 0x21
    static let typeALPN: UInt8 = 0x01
    static let typeAuthority: UInt8 = 0x02
    static let typeSSL: UInt8 = 0x20
    static let subtypeSSLVersion: UInt8 = 0x21
    static let subtypeSSLCommonName: UInt8 = 0x22
    static let subtypeSSLCipher: UInt8 = 0x23
    /// The largest version 1 header the specification allows, CRLF included.
    public static let v1MaximumLength = 107
    /// The most bytes the version 2 length field can announce (address block plus TLVs).
    public static let v2MaximumPayload = Int(UInt16.max)

    // MARK: Encoding

    /// The header bytes for `version`; empty for ``ProxyProtocolVersion/off``.
    public func encode(_ version: ProxyProtocolVersion) -> [UInt8] {
        switch version {
        case .off: return []
        case .v1: return encodeV1()
        case .v2: return encodeV2()
        }
    }

    /// `PROXY TCP4 <src> <dst> <sport> <dport>\r\n`, `TCP6` likewise; `PROXY UNKNOWN\r\n` when the two
    /// addresses are of different families (version 1 has no way to express that).
    func encodeV1() -> [UInt8] {
        let protocolName: String
        switch (source.address.isIPv4, destination.address.isIPv4) {
        case (true, true): protocolName = "TCP4"
        case (false, false): protocolName = "TCP6"
        default: return Array("PROXY UNKNOWN\r\n".utf8)
        }
        let line =
            "PROXY \(protocolName) \(source.address.text) \(destination.address.text) "
            + "\(source.port) \(destination.port)\r\n"
        let bytes = Array(line.utf8)
        // Longest: "PROXY TCP6 " (11) + 2 x 39 + 3 spaces + 2 x 5 + "\r\n" = 104. RFC 5952 text is at most 39
        // characters: the 45-character embedded-IPv4 form only arises after a compressible zero run.
        assert(bytes.count <= Self.v1MaximumLength)
        return bytes
    }

    /// Signature, 0x21 (v2, PROXY), family/protocol, big-endian length, addresses, ports, TLVs.
    ///
    /// Mixed families are sent as TCP6 with the IPv4 address in IPv4-mapped form (`::ffff:a.b.c.d`), as
    /// HAProxy does, so the addresses are never lost.
    func encodeV2() -> [UInt8] {
        let bothIPv4 = source.address.isIPv4 && destination.address.isIPv4
        let sourceBytes = bothIPv4 ? source.address.bytes : source.address.asIPv6.bytes
        let destinationBytes = bothIPv4 ? destination.address.bytes : destination.address.asIPv6.bytes

        var addressBlock: [UInt8] = sourceBytes + destinationBytes
        appendBigEndian(source.port, to: &addressBlock)
        appendBigEndian(destination.port, to: &addressBlock)

        let tlvs = encodeTLVs(room: Self.v2MaximumPayload - addressBlock.count)
        let payloadLength = addressBlock.count + tlvs.count
        precondition(payloadLength <= Self.v2MaximumPayload)

        var header = Self.v2Signature
        header.reserveCapacity(16 + payloadLength)
        header.append(Self.v2VersionCommandProxy)
        header.append(bothIPv4 ? Self.v2FamilyTCP4 : Self.v2FamilyTCP6)
        appendBigEndian(UInt16(payloadLength), to: &header)
        header += addressBlock
        header += tlvs
        return header
    }

    /// The TLVs, at most `room` bytes in all (see the type's documentation for what is omitted when).
    private func encodeTLVs(room: Int) -> [UInt8] {
        var remaining = room
        let sslBaseSize = 3 + 5 // type, length, client, verify
        if ssl != nil { remaining -= sslBaseSize }

        /// Whether a TLV with `count` value bytes fits, taking its room if so.
        func take(_ count: Int) -> Bool {
            let size = 3 + count
            guard count <= Int(UInt16.max), size <= remaining else { return false }
            remaining -= size
            return true
        }

        var out: [UInt8] = []
        if let alpn, !alpn.isEmpty, take(alpn.count) {
            appendTLV(Self.typeALPN, alpn, to: &out)
        }
        if let authority, !authority.isEmpty {
            let value = Array(authority.utf8)
            if take(value.count) { appendTLV(Self.typeAuthority, value, to: &out) }
        }
        if let ssl {
            var value: [UInt8] = [ssl.client.rawValue]
            appendBigEndian(ssl.verify, to: &value)
            let commonName = ssl.clientCertificatePresented ? ssl.commonName : nil
            for (subtype, text) in [
                (Self.subtypeSSLVersion, ssl.version), (Self.subtypeSSLCommonName, commonName),
                (Self.subtypeSSLCipher, ssl.cipher),
            ] {
                guard let text, !text.isEmpty else { continue }
                let sub = Array(text.utf8)
                if take(sub.count) { appendTLV(subtype, sub, to: &value) }
            }
            appendTLV(Self.typeSSL, value, to: &out)
        }
        return out
    }
}

private func appendTLV(_ type: UInt8, _ value: [UInt8], to out: inout [UInt8]) {
    precondition(value.count <= Int(UInt16.max))
    out.append(type)
    appendBigEndian(UInt16(value.count), to: &out)
    out += value
}

private func appendBigEndian<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
    withUnsafeBytes(of: value.bigEndian) { out += $0 }
}
