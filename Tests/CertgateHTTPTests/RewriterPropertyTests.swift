import Testing

@testable import CertgateHTTP

/// Properties that must hold for any input, checked on generated streams and on random mutations of
/// them (seeded, so a failure names the seed that reproduces it).
@Suite("Request rewriting: properties and fuzzing")
struct RewriterPropertyTests {
    /// A valid stream of 1-6 requests: GET/POST/PUT, Content-Length or chunked bodies (with extensions
    /// and trailers), client copies of the managed fields, HTTP/1.0 and 1.1.
    static func validStream(_ random: inout SeededGenerator) -> (bytes: [UInt8], requests: Int) {
        var text = ""
        let count = Int.random(in: 1...6, using: &random)
        for index in 0..<count {
            let method = ["GET", "POST", "PUT", "DELETE", "OPTIONS"].randomElement(using: &random)!
            let http10 = Int.random(in: 0..<8, using: &random) == 0
            text += "\(method) /r\(index)?q=\(Int.random(in: 0..<1000, using: &random)) HTTP/1.\(http10 ? 0 : 1)\r\n"
            var fields = ["Host: svc.example", "User-Agent: fuzz/1", "Accept: */*"]
            if Bool.random(using: &random) { fields.append("X-Forwarded-For: 10.6.6.6") }
            if Bool.random(using: &random) { fields.append("x-forwarded-client-cert: Hash=00") }
            if Bool.random(using: &random) { fields.append("X_Forwarded_Proto: http") }
            let body = String(repeating: "b", count: Int.random(in: 0..<300, using: &random))
            let chunked = !http10 && method != "GET" && Bool.random(using: &random)
            if chunked {
                fields.append("Transfer-Encoding: chunked")
            } else if method != "GET" || !body.isEmpty {
                fields.append("Content-Length: \(body.utf8.count)")
            }
            fields.shuffle(using: &random)
            text += fields.joined(separator: "\r\n") + "\r\n\r\n"
            if chunked {
                var rest = Substring(body)
                while !rest.isEmpty {
                    let size = min(rest.count, Int.random(in: 1...64, using: &random))
                    let ext = Bool.random(using: &random) ? ";e=\(size)" : ""
                    text += String(size, radix: 16, uppercase: Bool.random(using: &random)) + ext + "\r\n"
                    text += rest.prefix(size) + "\r\n"
                    rest = rest.dropFirst(size)
                }
                text += "0\r\n" + (Bool.random(using: &random) ? "T: 1\r\nX-Forwarded-Port: 1\r\n" : "") + "\r\n"
            } else if method != "GET" || !body.isEmpty {
                text += body
            }
        }
        return (Array(text.utf8), count)
    }

    static func randomCuts(_ count: Int, _ random: inout SeededGenerator) -> [Int] {
        (0..<Int.random(in: 0...12, using: &random)).map { _ in Int.random(in: 0...max(count, 1), using: &random) }
    }

    /// Case-insensitive occurrences of `needle` at the start of a line.
    static func fieldLines(_ text: String, _ needle: String) -> Int {
        let haystack = Array(text.lowercased().utf8)
        let pattern = Array(("\r\n" + needle.lowercased() + ":").utf8)
        guard haystack.count >= pattern.count else { return 0 }
        return (0...(haystack.count - pattern.count)).filter {
            haystack[$0..<($0 + pattern.count)].elementsEqual(pattern)
        }.count
    }

    @Test("valid streams: every request forwarded once, each with exactly one of each managed field")
    func validStreams() {
        for seed in UInt64(1)...400 {
            var random = SeededGenerator(seed: seed)
            let (bytes, requests) = Self.validStream(&random)
            let outcome = RewriterHarness.run(bytes, cuts: Self.randomCuts(bytes.count, &random))
            #expect(outcome.rejection == nil, "seed \(seed)")
            #expect(outcome.requests == requests, "seed \(seed)")
            for name in ForwardedHeaders.managedNames where name != "x-forwarded-client-cert" {
                #expect(Self.fieldLines(outcome.output, name) == requests, "seed \(seed): \(name)")
            }
            #expect(Self.fieldLines(outcome.output, "x-forwarded-client-cert") == 0, "seed \(seed)")
            #expect(!outcome.output.contains("10.6.6.6"), "seed \(seed)")
        }
    }

    @Test("the output is itself a valid stream that a second pass leaves unchanged but for the added fields")
    func outputIsCanonical() {
        let other = ForwardedHeaders(clientAddress: "198.51.100.1", port: 1, clientCertificate: nil)
        for seed in UInt64(1)...200 {
            var random = SeededGenerator(seed: seed)
            let (bytes, requests) = Self.validStream(&random)
            let first = RewriterHarness.run(bytes)
            let second = RewriterHarness.run(first.bytes, headers: other)
            #expect(second.rejection == nil, "seed \(seed)")
            #expect(second.requests == requests, "seed \(seed)")
            let third = RewriterHarness.run(second.bytes)
            #expect(third == first, "seed \(seed): rewriting is idempotent up to the added fields")
        }
    }

    @Test("mutated streams: no crash, and the same result however the bytes are cut")
    func mutationsAreCutIndependent() {
        let alphabet = Array(
            "\r\n \t:;,0123456789abcdefABCDEF-_xX\u{0}\u{7F}\u{FF}chunkedContent-LengthTransfer-Encoding".utf8)
        for seed in UInt64(1)...1500 {
            var random = SeededGenerator(seed: seed)
            var (bytes, _) = Self.validStream(&random)
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let position = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0: bytes[position] = alphabet.randomElement(using: &random)!
                case 1: bytes.remove(at: position)
                case 2: bytes.insert(alphabet.randomElement(using: &random)!, at: position)
                default:
                    let length = Int.random(in: 1...20, using: &random)
                    bytes.insert(contentsOf: bytes[position..<min(bytes.count, position + length)], at: position)
                }
                if bytes.isEmpty { bytes = Array("G".utf8) }
            }
            let whole = RewriterHarness.run(bytes, headLimit: 1024)
            let pieces = RewriterHarness.run(bytes, cuts: Self.randomCuts(bytes.count, &random), headLimit: 1024)
            let bytewise = RewriterHarness.run(bytes, cuts: Array(0..<bytes.count), headLimit: 1024, outputLimit: 64)
            #expect(pieces == whole, "seed \(seed)")
            #expect(bytewise == whole, "seed \(seed)")
            // Whatever was accepted is forwarded in canonical form: a second pass accepts it all.
            let again = RewriterHarness.run(whole.bytes, headLimit: 2048)
            #expect(again.requests >= whole.requests, "seed \(seed)")
        }
    }
}
