@testable import CertgateHTTP

/// Feeds a byte stream to a `RequestRewriter` the way a connection does (in pieces, writing output as it
/// comes, resuming held input) and collects what would go upstream.
struct RewriterHarness {
    static let headers = ForwardedHeaders(clientAddress: "192.0.2.7", port: 8443, clientCertificate: nil)
    static let injected = String(decoding: headers.block, as: UTF8.self)

    struct Outcome: Equatable {
        /// The bytes that would go upstream.
        var bytes: [UInt8]
        var rejection: RequestRejection?
        var requests: Int

        init(output: String, rejection: RequestRejection?, requests: Int) {
            self.init(bytes: Array(output.utf8), rejection: rejection, requests: requests)
        }

        init(bytes: [UInt8], rejection: RequestRejection?, requests: Int) {
            self.bytes = bytes
            self.rejection = rejection
            self.requests = requests
        }

        /// `bytes` as text (for comparisons with literals; lossy for non-UTF-8 bytes).
        var output: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// Runs `input` cut at `cuts` (offsets, any order, out-of-range ignored).
    static func run(
        _ input: [UInt8], cuts: [Int] = [], headLimit: Int = 8192, outputLimit: Int = 1 << 20,
        headers: ForwardedHeaders = headers
    ) -> Outcome {
        let rewriter = RequestRewriter(headers: headers, headLimit: headLimit, outputLimit: outputLimit)
        var output: [UInt8] = []
        func drain() {
            while rewriter.isHoldingData {
                let written = rewriter.withPendingOutput { pending -> Int in
                    output.append(contentsOf: pending)
                    return pending.count
                }
                rewriter.consumeOutput(written)
                rewriter.resume()
                // Held input waiting for an upstream answer (an upgrade) or after a refusal stays held.
                if written == 0 && (rewriter.rejection != nil || rewriter.isWaitingForUpstream) { break }
            }
        }
        var start = 0
        for cut in (Set(cuts.filter { $0 > 0 && $0 < input.count }).sorted() + [input.count]) {
            input[start..<cut].withUnsafeBytes { rewriter.feed($0) }
            drain()
            start = cut
        }
        return Outcome(
            bytes: output, rejection: rewriter.rejection,
            requests: rewriter.requestCount)
    }

    static func run(_ text: String, cuts: [Int] = [], headLimit: Int = 8192, outputLimit: Int = 1 << 20) -> Outcome {
        run(Array(text.utf8), cuts: cuts, headLimit: headLimit, outputLimit: outputLimit)
    }
}

/// A small deterministic generator (SplitMix64) so fuzz runs are reproducible from their seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
