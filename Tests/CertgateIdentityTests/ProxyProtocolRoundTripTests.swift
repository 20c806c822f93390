import Glibc
import Testing

@testable import CertgateIdentity

/// SplitMix64: a small seeded generator so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension SeededGenerator {
    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &self) < percent }

    mutating func address() -> ProxiedEndpoint.Address {
        let count = chance(50) ? 4 : 16
        // Mostly zero bytes for IPv6 so zero-run compression is exercised.
        let bytes = (0..<count).map { _ in count == 16 && chance(60) ? 0 : UInt8.random(in: 0...255, using: &self) }
        return .init(bytes: bytes)!
    }

    mutating func endpoint() -> ProxiedEndpoint {
        ProxiedEndpoint(
            address: address(),
            port: chance(10) ? [0, 1, 65535].randomElement(using: &self)! : .random(in: 0...65535, using: &self))
    }

    mutating func text(maxLength: Int) -> String {
        let alphabet: [Character] = Array("abcxyzABC019.-_:/ é€😀\u{0}")
        return String(
            (0..<Int.random(in: 1...maxLength, using: &self)).map { _ in alphabet.randomElement(using: &self)! })
    }

    mutating func header() -> ProxyProtocolHeader {
        var header = ProxyProtocolHeader(source: endpoint(), destination: endpoint())
        if chance(50) {
            header.alpn = (0..<Int.random(in: 1...40, using: &self)).map { _ in .random(in: 0...255, using: &self) }
        }
        if chance(50) { header.authority = text(maxLength: 80) }
        if chance(60) {
            header.ssl = ProxyProtocolSSLInfo(
                client: .init(rawValue: .random(in: 0...7, using: &self)),
                verify: chance(50) ? 0 : .random(in: 0...UInt32.max, using: &self),
                version: chance(70) ? ["TLSv1.2", "TLSv1.3", text(maxLength: 10)].randomElement(using: &self)! : nil,
                commonName: chance(60) ? text(maxLength: 64) : nil,
                cipher: chance(70) ? text(maxLength: 40) : nil)
        }
        return header
    }
}

/// What a receiver should see: mixed families as IPv4-mapped IPv6, no CN without a client certificate.
func expectedAfterV2(_ header: ProxyProtocolHeader) -> ProxyProtocolHeader {
    var expected = header
    if header.source.address.isIPv4 != header.destination.address.isIPv4 {
        expected.source.address = header.source.address.asIPv6
        expected.destination.address = header.destination.address.asIPv6
    }
    if let ssl = header.ssl, ssl.client.isDisjoint(with: [.certificateOnConnection, .certificateInSession]) {
        expected.ssl?.commonName = nil
    }
    return expected
}

/// Parses a v1 line with `inet_pton`, a parser that shares no code with the encoder.
func decodeV1(_ bytes: [UInt8]) -> (ProxiedEndpoint, ProxiedEndpoint)? {
    // Strip CRLF as bytes: in a Swift String "\r\n" is one Character.
    guard bytes.suffix(2) == [0x0D, 0x0A] else { return nil }
    let line = String(decoding: bytes.dropLast(2), as: UTF8.self)
    let fields = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
    guard fields.count == 6, fields[0] == "PROXY", fields[1] == "TCP4" || fields[1] == "TCP6" else { return nil }
    let family = fields[1] == "TCP4" ? AF_INET : AF_INET6
    func parse(_ text: String) -> ProxiedEndpoint.Address? {
        var buffer = [UInt8](repeating: 0, count: family == AF_INET ? 4 : 16)
        guard inet_pton(family, text, &buffer) == 1 else { return nil }
        return .init(bytes: buffer)
    }
    // Ports: decimal, no leading zeros (other than "0" itself).
    func port(_ text: String) -> UInt16? {
        guard text == "0" || !text.hasPrefix("0") else { return nil }
        return UInt16(text)
    }
    guard let s = parse(fields[2]), let d = parse(fields[3]), let sp = port(fields[4]), let dp = port(fields[5]) else {
        return nil
    }
    return (ProxiedEndpoint(address: s, port: sp), ProxiedEndpoint(address: d, port: dp))
}

@Suite("PROXY protocol round trips")
struct ProxyProtocolRoundTripTests {
    @Test("v2: decode(encode(x)) == x over 5000 random headers", arguments: [UInt64(1), 0xC0FFEE, 20261123])
    func v2RoundTrip(seed: UInt64) throws {
        var random = SeededGenerator(state: seed)
        for _ in 0..<5000 {
            let header = random.header()
            let bytes = header.encode(.v2)
            let decoded = try TestDecoder.header(fromV2: bytes)
            #expect(decoded == expectedAfterV2(header), "seed \(seed): \(header)")
            if decoded != expectedAfterV2(header) { return }
        }
    }

    @Test("v1: parse(encode(x)) == x over 5000 random address pairs", arguments: [UInt64(2), 0xBEEF])
    func v1RoundTrip(seed: UInt64) {
        var random = SeededGenerator(state: seed)
        for _ in 0..<5000 {
            let header = random.header()
            let bytes = header.encode(.v1)
            #expect(bytes.count <= ProxyProtocolHeader.v1MaximumLength)
            if header.source.address.isIPv4 != header.destination.address.isIPv4 {
                #expect(bytes == Array("PROXY UNKNOWN\r\n".utf8))
                continue
            }
            let decoded = decodeV1(bytes)
            #expect(
                decoded?.0 == header.source && decoded?.1 == header.destination,
                "seed \(seed): \(String(decoding: bytes, as: UTF8.self))")
            // RFC 5952: lower case hexadecimal only (the address fields follow "PROXY TCPn ").
            #expect(!bytes.dropFirst(11).contains { (0x41...0x46).contains($0) })
        }
    }
}
