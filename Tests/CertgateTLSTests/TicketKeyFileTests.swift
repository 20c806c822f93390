import Testing

@testable import CertgateTLS

@Suite("Ticket key file parsing and rotation")
struct TicketKeyFileTests {
    /// 80 bytes counting up from `first`, base64-encoded by a reference encoder written out here.
    static func encoded(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var out = ""
        var index = 0
        while index < bytes.count {
            let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
            let value = chunk.enumerated().reduce(0) { $0 | Int($1.element) << (16 - 8 * $1.offset) }
            for position in 0..<4 {
                out.append(position <= chunk.count ? alphabet[(value >> (18 - 6 * position)) & 63] : "=")
            }
            index += 3
        }
        return out
    }

    static func keyBytes(_ first: UInt8, count: Int = TicketKey.byteCount) -> [UInt8] {
        (0..<count).map { first &+ UInt8(truncatingIfNeeded: $0) }
    }

    private func parse(_ text: String) throws(TicketKeyFileError) -> TicketKeySet {
        try TicketKeyFile.parse(Array(text.utf8), path: "/etc/keys")
    }

    @Test func aGoodFileKeepsItsOrder() throws {
        let set = try parse(Self.encoded(Self.keyBytes(1)) + "\n" + Self.encoded(Self.keyBytes(100)) + "\n")
        #expect(set.keys.map(\.bytes) == [Self.keyBytes(1), Self.keyBytes(100)])
    }

    @Test func crlfLineEndsAndBlankLinesAreAccepted() throws {
        let set = try parse(
            "\r\n" + Self.encoded(Self.keyBytes(7)) + "\r\n\r\n" + Self.encoded(Self.keyBytes(9)) + "\r\n")
        #expect(set.keys.map(\.bytes) == [Self.keyBytes(7), Self.keyBytes(9)])
    }

    @Test func badBase64NamesTheFileAndLine() {
        let text = Self.encoded(Self.keyBytes(1)) + "\n" + "not*base64!" + String(repeating: "A", count: 97) + "\n"
        #expect(throws: TicketKeyFileError(path: "/etc/keys", line: 2, problem: "is not valid base64")) {
            try parse(text)
        }
        #expect(throws: TicketKeyFileError.self) { try parse("QUJD=A==\n") }
    }

    @Test func aWrongLengthNamesTheLineAndNeverTheKey() throws {
        let short = Self.encoded(Self.keyBytes(1, count: 48))
        let error = #expect(throws: TicketKeyFileError.self) { try parse(short) }
        #expect(error?.line == 1)
        #expect(error?.description.hasPrefix("--ticket-keys /etc/keys line 1: decodes to 48 bytes, not 80") == true)
        #expect(error?.description.contains(short) == false)
    }

    @Test func anEmptyFileIsRefused() {
        for text in ["", "\n", "  \r\n\n"] {
            let error = #expect(throws: TicketKeyFileError.self) { try parse(text) }
            #expect(error?.line == nil)
            #expect(error?.description.contains("holds no key") == true)
        }
    }

    @Test func keysNeverDescribeTheirBytes() throws {
        let set = try parse(Self.encoded(Self.keyBytes(65)))
        #expect(!"\(set)".contains("ABC"))
        #expect("\(set.keys[0])" == "TicketKey(80 bytes, not shown)")
    }

    @Test func rotationPutsTheNewKeyFirstAndKeepsOnePrevious() throws {
        let a = try #require(TicketKey(bytes: Self.keyBytes(1)))
        let b = try #require(TicketKey(bytes: Self.keyBytes(2)))
        let c = try #require(TicketKey(bytes: Self.keyBytes(3)))
        let one = TicketKeySet([a])
        #expect(one.rotated(to: b).keys == [b, a])
        #expect(one.rotated(to: b).rotated(to: c).keys == [c, b])
        #expect(TicketKeySet([]).rotated(to: a).keys == [a])
        let random = try #require(TicketKey.random())
        let other = try #require(TicketKey.random())
        #expect(random != other)
    }
}
