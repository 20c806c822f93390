import Testing

@testable import CertgateHTTP

/// Protocol upgrades: held until the upstream answers, a tunnel after 101 (2xx to CONNECT), HTTP again
/// after any other answer.
@Suite("Request rewriting: upgrades and following the responses")
struct UpgradeTests {
    static let injected = RewriterHarness.injected
    static let websocket = "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
    static let forged = "GET /next HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n"

    /// A rewriter with output drained as it goes.
    final class Driver {
        let rewriter: RequestRewriter
        var output: [UInt8] = []

        init(pipelineLimit: Int = 256) {
            rewriter = RequestRewriter(headers: RewriterHarness.headers, headLimit: 8192, pipelineLimit: pipelineLimit)
        }

        func client(_ text: String) {
            Array(text.utf8).withUnsafeBytes { rewriter.feed($0) }
            drain()
        }

        /// The upstream sent `text`; returns whether held input was released.
        @discardableResult
        func upstream(_ text: String) -> Bool {
            let released = Array(text.utf8).withUnsafeBytes { rewriter.observeUpstream($0) }
            drain()
            return released
        }

        func drain() {
            while true {
                let count = rewriter.withPendingOutput { pending -> Int in
                    output.append(contentsOf: pending)
                    return pending.count
                }
                rewriter.consumeOutput(count)
                guard rewriter.heldInputCount > 0, !rewriter.isWaitingForUpstream, rewriter.rejection == nil else {
                    return
                }
                rewriter.resume()
            }
        }

        var text: String { String(decoding: output, as: UTF8.self) }
    }

    @Test("a WebSocket request is forwarded; what follows waits; 101 makes the rest an untouched tunnel")
    func switched() {
        let driver = Driver()
        driver.client(Self.websocket + "\u{81}\u{05}hello" + Self.forged)
        #expect(
            driver.text
                == "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\(Self.injected)\r\n")
        #expect(driver.rewriter.awaitingUpgrade)
        #expect(driver.rewriter.isWaitingForUpstream)
        #expect(
            driver.upstream(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\u{81}\u{02}hi"))
        #expect(driver.rewriter.isTunnel)
        #expect(driver.text.hasSuffix("\r\n\r\n\u{81}\u{05}hello" + Self.forged), "tunnel bytes pass untouched")
        driver.client("GET /more HTTP/1.1\r\n\r\n")
        #expect(driver.text.hasSuffix(Self.forged + "GET /more HTTP/1.1\r\n\r\n"))
        #expect(driver.rewriter.requestCount == 1)
    }

    @Test("an upgrade answered with anything but 101 keeps the connection HTTP: the next request is rewritten")
    func declined() {
        let driver = Driver()
        driver.client(Self.websocket + Self.forged)
        #expect(driver.upstream("HTTP/1.1 426 Upgrade Required\r\nContent-Length: 4\r\n\r\nnope"))
        #expect(!driver.rewriter.isTunnel)
        #expect(!driver.rewriter.awaitingUpgrade)
        #expect(driver.text.hasSuffix("GET /next HTTP/1.1\r\nHost: a\r\n\(Self.injected)\r\n"))
        #expect(!driver.text.contains("6.6.6.6"))
        #expect(driver.rewriter.requestCount == 2)
    }

    @Test("the answer is matched to its request: earlier responses (a HEAD with a length, a 100, a 204) do not decide")
    func matchedInOrder() {
        let driver = Driver()
        driver.client(
            "HEAD /h HTTP/1.1\r\nHost: a\r\n\r\nDELETE /d HTTP/1.1\r\nHost: a\r\n\r\n" + Self.websocket + "tunnel")
        #expect(driver.rewriter.awaitingUpgrade)
        #expect(!driver.upstream("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"), "HEAD: no body follows")
        #expect(!driver.upstream("HTTP/1.1 204 No Content\r\n\r\n"))
        #expect(driver.rewriter.awaitingUpgrade)
        #expect(!driver.upstream("HTTP/1.1 100 Continue\r\n\r\n"), "interim responses answer nothing")
        #expect(driver.upstream("HTTP/1.1 101 Switching Protocols\r\n\r\n"))
        #expect(driver.rewriter.isTunnel)
        #expect(driver.text.hasSuffix("\r\n\r\ntunnel"))
    }

    @Test("CONNECT: a 2xx makes a tunnel")
    func connect() {
        let driver = Driver()
        driver.client("CONNECT db:5432 HTTP/1.1\r\nHost: db:5432\r\n\r\nraw bytes")
        #expect(driver.text == "CONNECT db:5432 HTTP/1.1\r\nHost: db:5432\r\n\(Self.injected)\r\n")
        #expect(driver.upstream("HTTP/1.1 200 Connection established\r\n\r\n"))
        #expect(driver.text.hasSuffix("\r\n\r\nraw bytes"))
    }

    @Test("an upstream whose responses do not parse never confirms an upgrade")
    func garbageResponses() {
        let driver = Driver()
        driver.client(Self.websocket + Self.forged)
        #expect(driver.upstream("SSH-2.0-OpenSSH\r\n"))
        #expect(!driver.rewriter.isTunnel)
        #expect(!driver.text.contains("6.6.6.6"))
        driver.client(Self.websocket + "\u{81}\u{05}hello")
        #expect(!driver.rewriter.isTunnel)
        #expect(driver.rewriter.rejection != nil, "the WebSocket frame is read as HTTP and refused")
    }

    @Test("an answer that arrives before the upgrade request's body has ended still counts")
    func earlyAnswer() {
        let driver = Driver()
        driver.client("POST /up HTTP/1.1\r\nHost: a\r\nUpgrade: x\r\nContent-Length: 6\r\n\r\nabc")
        #expect(!driver.rewriter.awaitingUpgrade)
        driver.upstream("HTTP/1.1 101 Switching Protocols\r\n\r\n")
        driver.client("defTUNNEL")
        #expect(driver.rewriter.isTunnel)
        #expect(driver.text.hasSuffix("\r\n\r\nabcdefTUNNEL"))
    }

    @Test("no more than pipelineLimit requests wait for answers; the rest is held until one comes")
    func pipelineLimit() {
        let driver = Driver(pipelineLimit: 2)
        let request = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
        driver.client(request + request + request)
        #expect(driver.rewriter.requestCount == 2)
        #expect(driver.rewriter.isWaitingForUpstream)
        #expect(driver.upstream("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
        #expect(driver.rewriter.requestCount == 3)
    }
}

@Suite("Request rewriting: upgrades, randomized")
struct UpgradePropertyTests {
    @Test("any cut of the stream, any order of answers: a declined upgrade never lets a forged field through")
    func randomized() {
        for seed in UInt64(1)...300 {
            var random = SeededGenerator(seed: seed)
            let (prefix, before) = RewriterPropertyTests.validStream(&random)
            let accept = Bool.random(using: &random)
            let tail = Array("GET /x HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n".utf8)
            let upgrade = Array(UpgradeTests.websocket.utf8)
            let stream = prefix + upgrade + tail
            let driver = UpgradeTests.Driver()
            var start = 0
            for cut in (Set(RewriterPropertyTests.randomCuts(stream.count, &random)).sorted() + [stream.count])
            where cut > start {
                stream[start..<cut].withUnsafeBytes { driver.rewriter.feed($0) }
                driver.drain()
                start = cut
            }
            #expect(driver.rewriter.requestCount == before + 1, "seed \(seed)")
            #expect(driver.rewriter.awaitingUpgrade, "seed \(seed)")
            // The answers to the earlier requests, then the decision, cut anywhere too.
            var answers = String(repeating: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", count: before)
            answers +=
                accept
                ? "HTTP/1.1 101 Switching Protocols\r\n\r\n" : "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"
            let bytes = Array(answers.utf8)
            start = 0
            for cut in (Set(RewriterPropertyTests.randomCuts(bytes.count, &random)).sorted() + [bytes.count])
            where cut > start {
                _ = bytes[start..<cut].withUnsafeBytes { driver.rewriter.observeUpstream($0) }
                driver.drain()
                start = cut
            }
            #expect(driver.rewriter.isTunnel == accept, "seed \(seed)")
            if accept {
                #expect(driver.output.suffix(tail.count).elementsEqual(tail), "seed \(seed): the tunnel is untouched")
            } else {
                #expect(
                    !driver.text.contains("6.6.6.6"), "seed \(seed): the request after a declined upgrade is rewritten")
                #expect(driver.rewriter.requestCount == before + 2, "seed \(seed)")
            }
        }
    }
}
