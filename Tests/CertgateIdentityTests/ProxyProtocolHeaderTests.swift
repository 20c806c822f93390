import CertgatePosix
import Testing

@testable import CertgateIdentity

func endpoint(_ bytes: [UInt8], _ port: UInt16) -> ProxiedEndpoint {
    ProxiedEndpoint(address: .init(bytes: bytes)!, port: port)
}

let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
let v4Client = endpoint([192, 0, 2, 1], 56324)
let v4Local = endpoint([198, 51, 100, 7], 443)
/// 2001:db8::1
let v6Client = endpoint([0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 1234)
/// 2001:db8:0:0:1:0:0:1, which RFC 5952 writes 2001:db8::1:0:0:1 (the first of two equal zero runs).
let v6Local = endpoint([0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1], 8443)

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

@Suite("PROXY protocol v1")
struct ProxyProtocolV1Tests {
    @Test("off encodes nothing")
    func off() {
        #expect(ProxyProtocolHeader(source: v4Client, destination: v4Local).encode(.off).isEmpty)
    }

    @Test("TCP4, byte-exact")
    func tcp4() {
        let bytes = ProxyProtocolHeader(source: v4Client, destination: v4Local).encode(.v1)
        #expect(bytes == Array("PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n".utf8))
    }

    @Test("TCP6 in RFC 5952 form, byte-exact")
    func tcp6() {
        let bytes = ProxyProtocolHeader(source: v6Client, destination: v6Local).encode(.v1)
        #expect(text(bytes) == "PROXY TCP6 2001:db8::1 2001:db8::1:0:0:1 1234 8443\r\n")
    }

    @Test("RFC 5952: lower case, no leading zeros, one zero group not compressed, loopback, mapped")
    func rfc5952() {
        let cases: [([UInt8], String)] = [
            ([0xFE, 0x80, 0, 0, 0, 0, 0, 0, 0x0A, 0xBC, 0, 0x0D, 0xEF, 0, 0, 0x01], "fe80::abc:d:ef00:1"),
            ([0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], "2001:db8:0:1:1:1:1:1"),
            ([UInt8](repeating: 0, count: 15) + [1], "::1"),
            ([UInt8](repeating: 0, count: 16), "::"),
            ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 192, 0, 2, 1], "::ffff:192.0.2.1"),
            // IPv4-compatible (deprecated) is plain hexadecimal; glibc's inet_ntop would print ::0.59.144.0.
            ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x3B, 0x90, 0], "::3b:9000"),
            ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1], "::c000:201"),
            ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFE, 192, 0, 2, 1], "::fffe:c000:201"),
            ([0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3], "1:0:0:2::3"), // the longer run, not the first
            ([0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4], "1::2:0:0:3:4"), // a tie: the first run
            ([0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0], "1:0:0:2::"),
        ]
        for (bytes, expected) in cases {
            let header = ProxyProtocolHeader(source: endpoint(bytes, 1), destination: endpoint(bytes, 2))
            #expect(text(header.encode(.v1)) == "PROXY TCP6 \(expected) \(expected) 1 2\r\n")
        }
    }

    @Test("The longest line fits in 107 bytes")
    func longest() {
        let all = endpoint([UInt8](repeating: 0xFF, count: 16), 65535)
        let bytes = ProxyProtocolHeader(source: all, destination: all).encode(.v1)
        #expect(bytes.count == 104)
        #expect(bytes.count <= ProxyProtocolHeader.v1MaximumLength)
        let v4 = endpoint([255, 255, 255, 255], 65535)
        #expect(ProxyProtocolHeader(source: v4, destination: v4).encode(.v1).count == 56)
    }

    @Test("Mixed families are UNKNOWN")
    func unknown() {
        #expect(text(ProxyProtocolHeader(source: v4Client, destination: v6Local).encode(.v1)) == "PROXY UNKNOWN\r\n")
        #expect(text(ProxyProtocolHeader(source: v6Client, destination: v4Local).encode(.v1)) == "PROXY UNKNOWN\r\n")
    }

    @Test("TLVs are not part of v1")
    func noTLVs() {
        let header = ProxyProtocolHeader(
            source: v4Client, destination: v4Local, alpn: Array("h2".utf8), authority: "example.com",
            ssl: .init(client: [.ssl], version: "TLSv1.3"))
        #expect(text(header.encode(.v1)) == "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n")
    }
}

@Suite("PROXY protocol v2")
struct ProxyProtocolV2Tests {
    @Test("TCP4 without TLVs, byte-exact")
    func tcp4() {
        let bytes = ProxyProtocolHeader(source: v4Client, destination: v4Local).encode(.v2)
        let expected: [UInt8] = [
            0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, // signature
            0x21, // version 2, PROXY
            0x11, // AF_INET, STREAM
            0x00, 0x0C, // 12 bytes follow
            0xC0, 0x00, 0x02, 0x01, // 192.0.2.1
            0xC6, 0x33, 0x64, 0x07, // 198.51.100.7
            0xDC, 0x04, // 56324
            0x01, 0xBB, // 443
        ]
        #expect(bytes == expected)
    }

    @Test("TCP6 without TLVs, byte-exact")
    func tcp6() {
        let bytes = ProxyProtocolHeader(source: v6Client, destination: v6Local).encode(.v2)
        let expected: [UInt8] = [
            0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
            0x21,
            0x21, // AF_INET6, STREAM
            0x00, 0x24, // 36 bytes follow
            0x20, 0x01, 0x0D, 0xB8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
            0x20, 0x01, 0x0D, 0xB8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
            0x04, 0xD2, // 1234
            0x20, 0xFB, // 8443
        ]
        #expect(bytes == expected)
    }

    @Test("Mixed families become TCP6 with the IPv4 address IPv4-mapped")
    func mixed() throws {
        let bytes = ProxyProtocolHeader(source: v4Client, destination: v6Local).encode(.v2)
        #expect(bytes[13] == 0x21)
        let decoded = try TestDecoder.decodeV2(bytes)
        #expect(decoded.source == endpoint([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 192, 0, 2, 1], 56324))
        #expect(decoded.destination == v6Local)
    }

    @Test("ALPN TLV")
    func alpn() {
        let bytes = ProxyProtocolHeader(source: v4Client, destination: v4Local, alpn: Array("h2".utf8)).encode(.v2)
        #expect(bytes[14...15] == [0x00, 0x11]) // 12 + 5
        #expect(Array(bytes[28...]) == [0x01, 0x00, 0x02, 0x68, 0x32])
    }

    @Test("Authority TLV, UTF-8")
    func authority() {
        let bytes = ProxyProtocolHeader(source: v4Client, destination: v4Local, authority: "bücher.example").encode(.v2)
        let value = Array("bücher.example".utf8)
        #expect(value.count == 15)
        #expect(bytes[14...15] == [0x00, 12 + 3 + 15])
        #expect(Array(bytes[28...]) == [0x02, 0x00, 0x0F] + value)
    }

    @Test("SSL TLV with flags, verify and every sub-TLV, byte-exact")
    func sslFull() {
        let ssl = ProxyProtocolSSLInfo(
            client: [.ssl, .certificateOnConnection, .certificateInSession], verify: 0, version: "TLSv1.3",
            commonName: "alice", cipher: "TLS_AES_128_GCM_SHA256")
        let bytes = ProxyProtocolHeader(source: v4Client, destination: v4Local, ssl: ssl).encode(.v2)
        let value: [UInt8] =
            [0x07, 0x00, 0x00, 0x00, 0x00]
            + [0x21, 0x00, 0x07] + Array("TLSv1.3".utf8)
            + [0x22, 0x00, 0x05] + Array("alice".utf8)
            + [0x23, 0x00, 0x16] + Array("TLS_AES_128_GCM_SHA256".utf8)
        #expect(value.count == 48)
        #expect(bytes[14...15] == [0x00, 12 + 3 + 48])
        #expect(Array(bytes[28...]) == [0x20, 0x00, 0x30] + value)
    }

    @Test("SSL TLV: verify is big-endian, no sub-TLVs when none are given")
    func sslVerify() {
        let ssl = ProxyProtocolSSLInfo(client: [.ssl, .certificateOnConnection], verify: 0x0102_0304)
        let bytes = ProxyProtocolHeader(source: v4Client, destination: v4Local, ssl: ssl).encode(.v2)
        #expect(Array(bytes[28...]) == [0x20, 0x00, 0x05, 0x03, 0x01, 0x02, 0x03, 0x04])
    }

    @Test("SSL TLV: the CN is left out when no client certificate was presented")
    func cnNeedsCertificate() {
        let ssl = ProxyProtocolSSLInfo(client: [.ssl], verify: 0, version: "TLSv1.2", commonName: "mallory")
        let bytes = ProxyProtocolHeader(source: v4Client, destination: v4Local, ssl: ssl).encode(.v2)
        #expect(Array(bytes[28...]) == [0x20, 0x00, 0x0F, 0x01, 0, 0, 0, 0, 0x21, 0x00, 0x07] + Array("TLSv1.2".utf8))
        // Either certificate flag allows it.
        for flag in [ProxyProtocolSSLInfo.ClientFlags.certificateOnConnection, .certificateInSession] {
            let with = ProxyProtocolSSLInfo(client: [.ssl, flag], commonName: "alice")
            let encoded = ProxyProtocolHeader(source: v4Client, destination: v4Local, ssl: with).encode(.v2)
            #expect(
                Array(encoded[28...]) == [0x20, 0x00, 0x0D, 0x01 | flag.rawValue, 0, 0, 0, 0, 0x22, 0x00, 0x05]
                    + Array("alice".utf8))
        }
    }

    @Test("Every TLV together, in order ALPN, authority, SSL; the lengths add up")
    func allTLVs() throws {
        let header = ProxyProtocolHeader(
            source: v6Client, destination: v6Local, alpn: Array("http/1.1".utf8), authority: "api.example.com",
            ssl: .init(
                client: [.ssl, .certificateOnConnection], verify: 0, version: "TLSv1.3",
                commonName: "client-7", cipher: "TLS_CHACHA20_POLY1305_SHA256"))
        let bytes = header.encode(.v2)
        let decoded = try TestDecoder.decodeV2(bytes)
        #expect(decoded.tlvs.map(\.type) == [0x01, 0x02, 0x20])
        #expect(TestDecoder.u16(bytes, 14) == 36 + (3 + 8) + (3 + 15) + (3 + 5 + 10 + 11 + 31))
        #expect(try TestDecoder.header(fromV2: bytes) == header)
    }

    @Test("Empty values are omitted")
    func empties() {
        let header = ProxyProtocolHeader(
            source: v4Client, destination: v4Local, alpn: [], authority: "",
            ssl: .init(client: [.ssl, .certificateOnConnection], version: "", commonName: "", cipher: ""))
        #expect(Array(header.encode(.v2)[28...]) == [0x20, 0x00, 0x05, 0x03, 0, 0, 0, 0])
    }
}

@Suite("PROXY protocol v2 size limits")
struct ProxyProtocolSizeLimitTests {
    @Test("An ALPN that exactly fills the 16-bit length is kept; one byte more is omitted")
    func alpnBoundary() throws {
        let fits = ProxyProtocolHeader(
            source: v4Client, destination: v4Local, alpn: [UInt8](repeating: 0x61, count: 65535 - 12 - 3))
        let bytes = fits.encode(.v2)
        #expect(TestDecoder.u16(bytes, 14) == 65535)
        #expect(bytes.count == 16 + 65535)
        #expect(try TestDecoder.header(fromV2: bytes) == fits)

        var tooBig = fits
        tooBig.alpn = [UInt8](repeating: 0x61, count: 65535 - 12 - 2)
        #expect(tooBig.encode(.v2) == ProxyProtocolHeader(source: v4Client, destination: v4Local).encode(.v2))
    }

    @Test("An oversized authority or CN is omitted, never truncated; the SSL flags and verify stay")
    func oversized() throws {
        let huge = String(repeating: "a", count: 70_000)
        let header = ProxyProtocolHeader(
            source: v6Client, destination: v6Local, authority: huge,
            ssl: .init(
                client: [.ssl, .certificateOnConnection], verify: 0, version: "TLSv1.3", commonName: huge,
                cipher: "TLS_AES_256_GCM_SHA384"))
        let bytes = header.encode(.v2)
        let decoded = try TestDecoder.header(fromV2: bytes)
        #expect(decoded.authority == nil)
        #expect(
            decoded.ssl
                == .init(
                    client: [.ssl, .certificateOnConnection], verify: 0, version: "TLSv1.3",
                    commonName: nil, cipher: "TLS_AES_256_GCM_SHA384"))
    }

    @Test("The SSL flags survive even when ALPN and authority take all the room")
    func sslBaseReserved() throws {
        let header = ProxyProtocolHeader(
            source: v4Client, destination: v4Local, alpn: [UInt8](repeating: 1, count: 40_000),
            authority: String(repeating: "b", count: 30_000),
            ssl: .init(client: [.ssl, .certificateOnConnection], verify: 7, commonName: "alice"))
        let bytes = header.encode(.v2)
        #expect(bytes.count <= 16 + 65535)
        let decoded = try TestDecoder.header(fromV2: bytes)
        #expect(decoded.alpn?.count == 40_000)
        #expect(decoded.authority == nil) // 40_003 + 30_003 + 8 + 12 > 65535
        #expect(decoded.ssl == .init(client: [.ssl, .certificateOnConnection], verify: 7, commonName: "alice"))
    }
}

@Suite("ProxiedEndpoint")
struct ProxiedEndpointTests {
    @Test("Only 4- and 16-byte addresses exist")
    func lengths() {
        #expect(ProxiedEndpoint.Address(bytes: [1, 2, 3]) == nil)
        #expect(ProxiedEndpoint.Address(bytes: [UInt8](repeating: 0, count: 17)) == nil)
        #expect(ProxiedEndpoint.Address.ipv4(10, 0, 0, 1).bytes == [10, 0, 0, 1])
    }

    @Test("From a ResolvedAddress (IPv4)")
    func fromResolvedIPv4() throws {
        let resolved = try ResolvedAddress.resolve(host: "127.0.0.1", port: 8443)
        let converted = try #require(ProxiedEndpoint(resolved[0]))
        #expect(converted == endpoint([127, 0, 0, 1], 8443))
        #expect(converted.description == "127.0.0.1:8443")
    }

    @Test("From a ResolvedAddress (IPv6, when the host resolves IPv6 at all)")
    func fromResolvedIPv6() throws {
        guard let resolved = try? ResolvedAddress.resolve(host: "2001:db8::1", port: 1234, passive: true) else {
            return
        }
        let converted = try #require(ProxiedEndpoint(resolved[0]))
        #expect(converted == v6Client)
        #expect(converted.description == "[2001:db8::1]:1234")
    }
}
