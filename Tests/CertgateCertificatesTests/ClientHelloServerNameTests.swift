import CertgateTLS
import Testing

/// The server_name extension checks of the ClientHello callback (RFC 6066 §3), on bodies as they come off
/// the wire; the payloads of tlsfuzzer's `test-invalid-server-name-extension` are among them.
@Suite("server_name extension read in the ClientHello callback")
struct ClientHelloServerNameTests {
    /// A body with one entry per (type, name): list length, then the entries.
    private func body(_ entries: [(UInt8, [UInt8])]) -> [UInt8] {
        let list = entries.flatMap { [$0.0, UInt8($0.1.count >> 8), UInt8($0.1.count & 0xFF)] + $0.1 }
        return [UInt8(list.count >> 8), UInt8(list.count & 0xFF)] + list
    }

    private func body(_ name: String, type: UInt8 = 0) -> [UInt8] { body([(type, Array(name.utf8))]) }

    private func parse(_ bytes: [UInt8]) -> ClientHelloServerName.Parsed { ClientHelloServerName.parse(bytes) }

    @Test func readsTheHostNameAsSent() {
        for name in [
            "alpha.test", "Mixed.Case.Test.", "*.example.com", "_acme-challenge.x-1.example.com", "localhost",
            "192.0.2.1", String(repeating: "a", count: 255),
        ] {
            #expect(parse(body(name)) == .hostName(name), "\(name)")
        }
    }

    @Test func otherNameTypesAreSkipped() {
        let host = Array("alpha.test".utf8)
        let unknown = (UInt8(1), Array(0..<24) as [UInt8])
        #expect(parse(body([(0, host), unknown])) == .hostName("alpha.test"), "host_name first")
        #expect(parse(body([unknown, (0, host)])) == .hostName("alpha.test"), "host_name last")
        #expect(parse(body([unknown])) == .noHostName, "no host_name at all")
        #expect(parse(body([(7, [])])) == .noHostName, "an empty entry of another type")
    }

    @Test func brokenFramingIsMalformed() {
        #expect(parse([]) == .malformed, "empty extension")
        #expect(parse([0]) == .malformed, "one byte")
        #expect(parse([0, 0]) == .malformed, "empty list")
        #expect(parse([0xFF, 0xFF, 0xFF, 0xFF]) == .malformed, "list length beyond the body")
        #expect(parse([0, 4, 0, 0, 1, 0x65, 0x78]) == .malformed, "trailing data (tlsfuzzer's payload)")
        #expect(parse(body("a.test") + [0]) == .malformed, "a byte after the list")
        var short = body("abc")
        short[4] = 2
        #expect(parse(short) == .malformed, "the name is shorter than its entry")
        var long = body("abc")
        long[4] = 9
        #expect(parse(long) == .malformed, "the name overruns the list")
        #expect(parse([0, 2, 0, 0]) == .malformed, "an entry header cut short")
        #expect(parse(body("")) == .malformed, "empty host name")
        // Framing is checked before names: a bad name followed by a broken entry is still decode_error.
        let entries: [UInt8] = [0, 0, 3, 0x61, 7, 0x62] + [1, 0, 9, 0x78]
        #expect(parse([0, UInt8(entries.count)] + entries) == .malformed)
    }

    @Test func namesThatAreNotDNSNamesAreInvalid() {
        let invalid: [(String, [UInt8])] = [
            ("NUL", Array("alpha.tes".utf8) + [0] + Array("t".utf8)),
            ("BEL", Array("alpha.tes".utf8) + [7] + Array("t".utf8)),
            ("UTF-8", Array("alpha.tes".utf8) + [0xC4, 0x85] + Array("t".utf8)),
            ("ANSI escapes", Array("alpha.test".utf8) + Array("\u{1b}[31mBAD\u{1b}[0;37m".utf8)),
            ("space", Array("alpha test".utf8)),
            ("IPv6 literal", Array("2001:db8::1".utf8)),
            ("empty label", Array("alpha..test".utf8)),
            ("leading dot", Array(".alpha.test".utf8)),
            ("a lone dot", Array(".".utf8)),
            ("two trailing dots", Array("alpha.test..".utf8)),
            ("longer than 255 bytes", Array(String(repeating: "a", count: 256).utf8)),
        ]
        for (what, name) in invalid {
            #expect(parse(body([(0, name)])) == .invalidName, "\(what)")
        }
    }

    @Test func twoHostNamesAreInvalid() {
        let name = Array("alpha.test".utf8)
        #expect(parse(body([(0, name), (0, Array("www.alpha.test".utf8))])) == .invalidName)
        #expect(parse(body([(0, name), (0, name)])) == .invalidName, "even the same name twice")
        #expect(parse(body([(0, name), (1, [1, 2]), (0, name)])) == .invalidName, "with another type between")
    }
}
