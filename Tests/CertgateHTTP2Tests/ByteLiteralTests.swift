import Testing

@testable import CertgateHTTP2

@Suite("HTTP/2 byte classes and literals")
struct ByteLiteralTests {
    /// RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`"
    /// / "|" / "~" / DIGIT / ALPHA.
    private static let tchar = Set(Array("!#$%&'*+-.^_`|~0123456789".utf8) + Array(65...90) + Array(97...122))

    @Test("the token bit sets agree with RFC 9110's tchar for every byte; names exclude upper case")
    func tokenBits() {
        for byte in 0...255 {
            let value = UInt8(byte)
            #expect(HTTP2RequestBuilder.isTokenByte(value) == Self.tchar.contains(value), "byte \(byte)")
            #expect(
                HTTP2RequestBuilder.isNameByte(value) == (Self.tchar.contains(value) && !(65...90).contains(value)),
                "byte \(byte)")
        }
    }

    @Test("connection-specific names are found by exact lower-case match only")
    func connectionSpecific() {
        let yes = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]
        let no = ["Connection", "connectio", "connections", "te", "host", "upgrade-insecure-requests", ""]
        for name in yes { #expect(Array(name.utf8).withUnsafeBytes { HTTP2RequestBuilder.isConnectionSpecific($0) }) }
        for name in no { #expect(!Array(name.utf8).withUnsafeBytes { HTTP2RequestBuilder.isConnectionSpecific($0) }) }
    }

    @Test("literal comparison: exact, and ignoring the case of the bytes; append copies the literal")
    func literals() {
        #expect(Array("trailers".utf8).withUnsafeBytes { $0.equals("trailers") })
        #expect(!Array("trailer".utf8).withUnsafeBytes { $0.equals("trailers") })
        #expect(!Array("Trailers".utf8).withUnsafeBytes { $0.equals("trailers") })
        #expect(Array("TrAiLeRs".utf8).withUnsafeBytes { $0.equalsLowercased("trailers") })
        #expect(!Array("trailerz".utf8).withUnsafeBytes { $0.equalsLowercased("trailers") })
        #expect([UInt8]().withUnsafeBytes { $0.equals("") })
        var out = Array("a".utf8)
        out.append(": b\r\n")
        #expect(out == Array("a: b\r\n".utf8))
    }
}
