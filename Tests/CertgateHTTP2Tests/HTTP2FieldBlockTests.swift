import Testing

@testable import CertgateHTTP2

@Suite("HTTP/2 field block")
struct HTTP2FieldBlockTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("fields built whole and in pieces read back in order; removeLast and removeAll forget them")
    func buildAndRead() {
        var block = HTTP2FieldBlock()
        block.append(name: bytes("a"), value: bytes("1"))
        block.startField()
        bytes("Content-").withUnsafeBytes { block.extendName($0, lowercased: true) }
        bytes("TYPE").withUnsafeBytes { block.extendName($0, lowercased: true) }
        bytes("text/").withUnsafeBytes { block.extendValue($0) }
        bytes("plain").withUnsafeBytes { block.extendValue($0) }
        #expect(block.fields == [.init(bytes("a"), bytes("1")), .init(bytes("content-type"), bytes("text/plain"))])
        #expect(block.lastName { $0.elementsEqual(bytes("content-type")) })
        #expect(!block.lastName { $0.elementsEqual(bytes("content")) })
        block.removeLast()
        #expect(block.fields == [.init(bytes("a"), bytes("1"))])
        #expect(block.byteCount == 2)
        var seen: [String] = []
        block.forEach { name, value in
            seen.append(String(decoding: name, as: UTF8.self) + "=" + String(decoding: value, as: UTF8.self))
        }
        #expect(seen == ["a=1"])
        block.removeAll()
        #expect(block.isEmpty && block.byteCount == 0)
    }

    @Test("an empty value is a field of its own")
    func emptyValue() {
        var block = HTTP2FieldBlock()
        block.startField()
        bytes("x-empty").withUnsafeBytes { block.extendName($0, lowercased: false) }
        block.append(name: bytes("b"), value: [])
        #expect(block.fields == [.init(bytes("x-empty"), []), .init(bytes("b"), [])])
    }
}
