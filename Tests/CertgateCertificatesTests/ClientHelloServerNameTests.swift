import CertgateTLS
import Testing

@Suite("server_name extension read in the ClientHello callback")
struct ClientHelloServerNameTests {
    /// A well-formed extension body: list length, one host_name entry.
    private func body(_ name: String, type: UInt8 = 0) -> [UInt8] {
        let bytes = Array(name.utf8)
        let entry = [type, UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
        return [UInt8(entry.count >> 8), UInt8(entry.count & 0xFF)] + entry
    }

    @Test func readsTheHostName() {
        #expect(ClientHelloServerName.parse(body("alpha.test")) == "alpha.test")
        #expect(ClientHelloServerName.parse(body("Mixed.Case.Test.")) == "Mixed.Case.Test.")
        #expect(ClientHelloServerName.parse(body(String(repeating: "a", count: 255))) == String(repeating: "a", count: 255))
    }

    @Test func refusesWhatOpenSSLRefuses() {
        #expect(ClientHelloServerName.parse([]) == nil)
        #expect(ClientHelloServerName.parse([0]) == nil)
        #expect(ClientHelloServerName.parse(body("")) == nil, "empty name")
        #expect(ClientHelloServerName.parse(body("a.test", type: 1)) == nil, "not host_name")
        #expect(ClientHelloServerName.parse(body(String(repeating: "a", count: 256))) == nil, "longer than 255")
        #expect(ClientHelloServerName.parse(body("a\u{0}b.test")) == nil, "embedded NUL")
        var long = body("a.test")
        long[1] += 1
        #expect(ClientHelloServerName.parse(long) == nil, "list length beyond the body")
        #expect(ClientHelloServerName.parse(body("a.test") + [0]) == nil, "trailing byte")
        let two = body("a.test")
        let second: [UInt8] = [0, 0, 1, 0x62]
        let both = [UInt8(0), UInt8(two.count - 2 + second.count)] + two.dropFirst(2) + second
        #expect(ClientHelloServerName.parse(both) == nil, "two entries")
        var shortName = body("abc")
        shortName[4] = 2
        #expect(ClientHelloServerName.parse(shortName) == nil, "name length short of the entry")
    }
}
