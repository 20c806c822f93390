import CertgateLogging
import Testing

@Suite("Access log buffer")
struct AccessLogBufferTests {
    @Test("lines collect until the next one does not fit; the full chunk holds whole lines only")
    func flushOnSize() {
        var buffer = AccessLogBuffer(capacity: 100)
        let line = String(repeating: "x", count: 29) + "\n" // 30 bytes
        #expect(buffer.append(line) == nil)
        #expect(buffer.append(line) == nil)
        #expect(buffer.append(line) == nil)
        #expect(buffer.count == 90)
        let full = buffer.append(line)
        #expect(full == AccessLogChunk(bytes: Array((line + line + line).utf8), lines: 3))
        #expect(buffer.count == 30)
        #expect(!buffer.isEmpty)
    }

    @Test("take hands on everything collected and starts over; nothing to take when empty")
    func take() {
        var buffer = AccessLogBuffer(capacity: 1000)
        #expect(buffer.take() == nil)
        _ = buffer.append("a=1\n")
        _ = buffer.append("b=2\n")
        #expect(buffer.take() == AccessLogChunk(bytes: Array("a=1\nb=2\n".utf8), lines: 2))
        #expect(buffer.isEmpty)
        #expect(buffer.take() == nil)
    }

    @Test("a line longer than the capacity travels alone")
    func longLine() {
        var buffer = AccessLogBuffer(capacity: 10)
        let long = String(repeating: "y", count: 40) + "\n"
        #expect(buffer.append("a\n") == nil)
        #expect(buffer.append(long) == AccessLogChunk(bytes: Array("a\n".utf8), lines: 1))
        #expect(buffer.append("b\n") == AccessLogChunk(bytes: Array(long.utf8), lines: 1))
        #expect(buffer.take() == AccessLogChunk(bytes: Array("b\n".utf8), lines: 1))
    }

    @Test("every chunk ends at the end of a line, whatever the line lengths")
    func wholeLines() {
        var buffer = AccessLogBuffer(capacity: 64)
        var chunks: [AccessLogChunk] = []
        var written = 0
        for index in 0..<500 {
            let line = "n=\(index) " + String(repeating: "z", count: index % 37) + "\n"
            written += line.utf8.count
            if let chunk = buffer.append(line) { chunks.append(chunk) }
        }
        if let rest = buffer.take() { chunks.append(rest) }
        #expect(chunks.reduce(0) { $0 + $1.lines } == 500)
        #expect(chunks.reduce(0) { $0 + $1.bytes.count } == written)
        for chunk in chunks {
            #expect(chunk.bytes.last == 10)
            #expect(chunk.bytes.filter { $0 == 10 }.count == chunk.lines)
            #expect(chunk.lines == 1 || chunk.bytes.count <= 64)
        }
    }
}
