import CertgateAdmin
import CertgatePosix
import Glibc
import LibEV
import Testing

/// End to end: a real `AdminServer` on its own loop thread, driven from the test thread with plain blocking
/// sockets.
@Suite struct AdminServerTests {
    private static let exposition = "# TYPE certgate_connections_total counter\ncertgate_connections_total 7\n"

    private static func standardRoutes() -> (AdminRequest) -> AdminResponse {
        var routes = AdminRoutes(metrics: { Array(exposition.utf8) }, health: { true }, ready: { true })
        routes.register("POST", "/echo") { request in
            AdminResponse(status: 200, contentType: "application/octet-stream", body: request.body)
        }
        return routes.handle
    }

    private static func elapsed(since start: ContinuousClock.Instant) -> Double {
        (ContinuousClock.now - start).seconds
    }

    @Test func servesRoutesAndRefusesBadRequests() throws {
        let server = try LoopServer.start(
            options: AdminServerOptions(requestTimeout: .milliseconds(300)),
            makeHandler: Self.standardRoutes)
        defer { server.shutdown() }
        #expect(server.port != 0)

        let health = try BlockingClient.exchange(port: server.port, "GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n")
        #expect(health.statusLine == "HTTP/1.1 200 OK")
        #expect(health.bodyText == "ok\n")
        #expect(health.headers["content-length"] == "3")
        #expect(health.headers["connection"] == "close")
        #expect(health.headers["date"]?.hasSuffix(" GMT") == true)

        let metrics = try BlockingClient.exchange(port: server.port, "GET /metrics HTTP/1.1\r\nHost: admin\r\n\r\n")
        #expect(metrics.statusLine == "HTTP/1.1 200 OK")
        #expect(metrics.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(metrics.bodyText == Self.exposition)

        let missing = try BlockingClient.exchange(port: server.port, "GET /nope HTTP/1.1\r\nHost: admin\r\n\r\n")
        #expect(missing.statusLine == "HTTP/1.1 404 Not Found")
        #expect(missing.bodyText == "not found\n")

        let post = try BlockingClient.exchange(
            port: server.port,
            "POST /healthz HTTP/1.1\r\nHost: admin\r\nContent-Length: 0\r\n\r\n")
        #expect(post.statusLine == "HTTP/1.1 405 Method Not Allowed")
        #expect(post.headers["allow"] == "GET, HEAD")

        let head = try BlockingClient.exchange(port: server.port, "HEAD /healthz HTTP/1.1\r\nHost: admin\r\n\r\n")
        #expect(head.statusLine == "HTTP/1.1 200 OK")
        #expect(head.headers["content-length"] == "3")
        #expect(head.body.isEmpty)

        let brew = try BlockingClient.exchange(port: server.port, "BREW /metrics HTTP/1.1\r\nHost: admin\r\n\r\n")
        #expect(brew.statusLine == "HTTP/1.1 405 Method Not Allowed")

        let oldClient = try BlockingClient.exchange(port: server.port, "GET /healthz HTTP/1.0\r\n\r\n")
        #expect(oldClient.statusLine == "HTTP/1.1 200 OK")

        // A TLS ClientHello sent to the plain-text admin port: refused at once, no timeout needed.
        let start = ContinuousClock.now
        let garbageClient = try BlockingClient(port: server.port)
        try garbageClient.send([0x16, 0x03, 0x01, 0x00, 0xF1, 0x01, 0x00, 0x00, 0xED, 0x03, 0x03])
        let garbage = HTTPReply(try garbageClient.readToEnd())
        #expect(garbage.statusLine == "HTTP/1.1 400 Bad Request")
        #expect(garbage.bodyText == "bad request: invalid character in request line\n")
        // The 400 (not a 408) already shows it came before the 300 ms timeout; the bound only catches hangs.
        #expect(Self.elapsed(since: start) < 2)

        let bareLF = try BlockingClient.exchange(port: server.port, "GET /healthz HTTP/1.1\nHost: admin\n\n")
        #expect(bareLF.statusLine == "HTTP/1.1 400 Bad Request")

        let chunked = try BlockingClient.exchange(
            port: server.port,
            "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n")
        #expect(chunked.statusLine == "HTTP/1.1 411 Length Required")

        // Half a request, then silence: the request timeout answers 408 and closes.
        let slowStart = ContinuousClock.now
        let slow = try BlockingClient(port: server.port)
        try slow.send("GET /healthz HTTP/1.1\r\nHost: adm")
        let timedOut = HTTPReply(try slow.readToEnd())
        let waited = Self.elapsed(since: slowStart)
        #expect(timedOut.statusLine == "HTTP/1.1 408 Request Timeout")
        #expect(timedOut.bodyText == "request timeout\n")
        #expect(waited >= 0.25)
        #expect(waited < 3)

        #expect(server.waitOnLoop { $0.connectionCount == 0 })
    }

    @Test func silentClientsAreClosedWithoutAResponse() throws {
        let server = try LoopServer.start(
            options: AdminServerOptions(requestTimeout: .milliseconds(200)),
            makeHandler: Self.standardRoutes)
        defer { server.shutdown() }
        let start = ContinuousClock.now
        let idle = try BlockingClient(port: server.port)
        #expect(try idle.readToEnd().isEmpty)
        #expect(Self.elapsed(since: start) >= 0.15)
        #expect(server.waitOnLoop { $0.connectionCount == 0 })
    }

    @Test func readsRequestBodiesSentInPieces() throws {
        let server = try LoopServer.start(makeHandler: Self.standardRoutes)
        defer { server.shutdown() }
        let client = try BlockingClient(port: server.port)
        try client.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-")
        usleep(20_000)
        try client.send("Length: 11\r\n\r\nhello")
        usleep(20_000)
        try client.send(" world")
        let echo = HTTPReply(try client.readToEnd())
        #expect(echo.statusLine == "HTTP/1.1 200 OK")
        #expect(echo.bodyText == "hello world")
        #expect(echo.headers["content-type"] == "application/octet-stream")
    }

    @Test func answersExpectContinueBeforeTheBody() throws {
        let server = try LoopServer.start(makeHandler: Self.standardRoutes)
        defer { server.shutdown() }
        let client = try BlockingClient(port: server.port, receiveTimeout: 2)
        try client.send("POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        let interim = "HTTP/1.1 100 Continue\r\n\r\n"
        #expect(String(decoding: try client.read(count: interim.utf8.count), as: UTF8.self) == interim)
        try client.send("ping")
        let echo = HTTPReply(try client.readToEnd())
        #expect(echo.statusLine == "HTTP/1.1 200 OK")
        #expect(echo.bodyText == "ping")
    }

    @Test func refusesOversizeHeadsAndBodies() throws {
        let server = try LoopServer.start(makeHandler: Self.standardRoutes)
        defer { server.shutdown() }
        // More than the 8 KiB head limit; the server stops reading at 8 KiB, answers, then drains the rest
        // so its close does not reset the connection before the client has read the 431.
        let big = "GET /healthz HTTP/1.1\r\nHost: a\r\nX-Padding: " + String(repeating: "x", count: 12_000) + "\r\n\r\n"
        let tooBig = try BlockingClient.exchange(port: server.port, big)
        #expect(tooBig.statusLine == "HTTP/1.1 431 Request Header Fields Too Large")
        let body =
            "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 70000\r\n\r\n"
            + String(repeating: "b", count: 70_000)
        let tooLong = try BlockingClient.exchange(port: server.port, body)
        #expect(tooLong.statusLine == "HTTP/1.1 413 Content Too Large")
        #expect(server.waitOnLoop { $0.connectionCount == 0 })
    }

    @Test func writesLargeResponsesToSlowReaders() throws {
        let size = 8 << 20
        let payload = Self.pattern(count: size)
        let server = try LoopServer.start {
            { _ in AdminResponse(status: 200, contentType: "application/octet-stream", body: payload) }
        }
        defer { server.shutdown() }
        // A pinned 64 KiB receive buffer plus at most 4 MiB of send buffer cannot hold 8 MiB: the server must
        // park on EAGAIN and resume when the socket drains, while the client takes its time.
        let client = try BlockingClient(port: server.port, receiveBuffer: 64 << 10)
        try client.send("GET /big HTTP/1.1\r\nHost: a\r\n\r\n")
        usleep(300_000)
        #expect(server.onLoop { $0.connectionCount } == 1)
        let reply = HTTPReply(try client.readToEnd())
        #expect(reply.statusLine == "HTTP/1.1 200 OK")
        #expect(reply.headers["content-length"] == "\(size)")
        #expect(reply.body.count == size)
        #expect(reply.body == payload)
    }

    /// Bytes that differ along the payload, so a dropped or repeated chunk cannot go unnoticed.
    private static func pattern(count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count {
                buffer[index] = UInt8(truncatingIfNeeded: index &* 31 &+ index >> 11)
            }
            initialized = count
        }
    }

    @Test func aHandlerMayStopTheServer() throws {
        let server = try LoopServer.start { (slot: LoopServer.ServerSlot) in
            { request in
                if request.path == "/stop" { slot.server?.stop() }
                return .text("stopping\n")
            }
        }
        defer { server.shutdown() }
        let bystander = try BlockingClient(port: server.port, receiveTimeout: 3)
        try bystander.send("GET / HTTP/1.1\r\n")
        #expect(server.waitOnLoop { $0.connectionCount == 1 })
        let client = try BlockingClient(port: server.port, receiveTimeout: 3)
        try client.send("GET /stop HTTP/1.1\r\nHost: a\r\n\r\n")
        // The server closed every connection, including the one whose handler stopped it: no response.
        #expect(try client.readToEnd().isEmpty)
        #expect(try bystander.readToEnd().isEmpty)
        #expect(server.onLoop { $0.connectionCount } == 0)
        #expect(throws: BlockingClient.Failure.self) { try BlockingClient(port: server.port) }
    }

    @Test func capsSimultaneousConnections() throws {
        let server = try LoopServer.start(
            options: AdminServerOptions(maxConnections: 2),
            makeHandler: Self.standardRoutes)
        defer { server.shutdown() }
        let first = try BlockingClient(port: server.port)
        let second = try BlockingClient(port: server.port)
        #expect(server.waitOnLoop { $0.connectionCount == 2 })
        let start = ContinuousClock.now
        let third = try BlockingClient(port: server.port)
        #expect(try third.readToEnd().isEmpty)
        #expect(Self.elapsed(since: start) < 2)

        // The held connections still work, and once they are gone new ones are served again.
        try first.send("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(HTTPReply(try first.readToEnd()).bodyText == "ok\n")
        second.close()
        #expect(server.waitOnLoop { $0.connectionCount == 0 })
        let again = try BlockingClient.exchange(port: server.port, "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(again.statusLine == "HTTP/1.1 200 OK")
    }

    @Test func aResetClientDoesNotDisturbOthers() throws {
        let server = try LoopServer.start(makeHandler: Self.standardRoutes)
        defer { server.shutdown() }
        let waiting = try BlockingClient(port: server.port)
        try waiting.send("GET /metrics HTTP/1.1\r\n")
        let crashing = try BlockingClient(port: server.port)
        try crashing.send("GET /healthz HTTP/1.1\r\nHost")
        #expect(server.waitOnLoop { $0.connectionCount == 2 })
        crashing.reset()
        #expect(server.waitOnLoop { $0.connectionCount == 1 })
        try waiting.send("Host: a\r\n\r\n")
        let reply = HTTPReply(try waiting.readToEnd())
        #expect(reply.bodyText == Self.exposition)
    }

    @Test func stopClosesTheListenerAndOpenConnections() throws {
        let server = try LoopServer.start(makeHandler: Self.standardRoutes)
        let port = server.port
        let open = try BlockingClient(port: port, receiveTimeout: 3)
        try open.send("GET /healthz HTTP/1.1\r\n")
        #expect(server.waitOnLoop { $0.connectionCount == 1 })
        let start = ContinuousClock.now
        server.shutdown()
        #expect(try open.readToEnd().isEmpty)
        #expect(Self.elapsed(since: start) < 2)
        #expect(throws: BlockingClient.Failure.self) { try BlockingClient(port: port) }
        server.shutdown()
    }

    @Test func theBearerTokenIsCheckedAndRotatesWithoutARestart() throws {
        let directory = try TokenDirectory()
        defer { directory.remove() }
        let file = try directory.write("first-token\n")
        let server = try LoopServer.start { (slot: LoopServer.ServerSlot) in
            // On the loop thread: load the token, refresh it every second on this loop, as AdminWiring does.
            let token = try! AdminToken(path: file)
            token.startRefreshing(loop: slot.loop!)
            var routes = AdminRoutes(
                metrics: { Array(Self.exposition.utf8) }, health: { true }, ready: { true },
                token: token)
            routes.register("POST", "/reload") { _ in .json("{\"result\":\"unchanged\"}") }
            return routes.handle
        }
        defer { server.shutdown() }
        func get(_ path: String, token: String?) throws -> HTTPReply {
            let authorization = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
            return try BlockingClient.exchange(
                port: server.port,
                "GET \(path) HTTP/1.1\r\nHost: admin\r\n\(authorization)\r\n")
        }

        let missing = try get("/metrics", token: nil)
        #expect(missing.statusLine == "HTTP/1.1 401 Unauthorized")
        #expect(missing.headers["www-authenticate"] == "Bearer")
        #expect(missing.bodyText == "unauthorized: send Authorization: Bearer <token>\n")
        let wrong = try get("/metrics", token: "second-token")
        #expect(wrong.statusLine == "HTTP/1.1 401 Unauthorized")
        #expect(wrong.headers["www-authenticate"] == "Bearer")
        #expect(!wrong.bodyText.contains("first-token"))
        let right = try get("/metrics", token: "first-token")
        #expect(right.statusLine == "HTTP/1.1 200 OK")
        #expect(right.bodyText == Self.exposition)
        #expect(try get("/healthz", token: nil).statusLine == "HTTP/1.1 200 OK")
        #expect(try get("/readyz", token: nil).bodyText == "ready\n")
        let reload = try BlockingClient.exchange(
            port: server.port,
            "POST /reload HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
        #expect(reload.status == 401)
        let authorizedReload = try BlockingClient.exchange(
            port: server.port,
            "POST /reload HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer first-token\r\nContent-Length: 0\r\n\r\n")
        #expect(authorizedReload.status == 200)

        // Rotate: the new token works, and the old one is refused, within 2 s.
        let rotated = ContinuousClock.now
        try directory.replace(with: "second-token\n")
        var inForce = false
        while !inForce && Self.elapsed(since: rotated) < 5 {
            inForce = try get("/metrics", token: "second-token").status == 200
            if !inForce { usleep(50_000) }
        }
        let took = Self.elapsed(since: rotated)
        #expect(inForce)
        #expect(took < 2, "rotation took \(took) s")
        #expect(try get("/metrics", token: "first-token").status == 401)

        // An emptied file keeps the current token in force.
        try directory.write("")
        usleep(1_300_000)
        #expect(try get("/metrics", token: "second-token").status == 200)
        #expect(try get("/metrics", token: nil).status == 401)
    }

    @Test func addressInUseFailsAtInit() throws {
        let loop = EventLoop()
        let address = try ResolvedAddress.resolve(host: "127.0.0.1", port: 0, passive: true)[0]
        let first = try AdminServer(loop: loop, address: address) { _ in .notFound }
        #expect(first.port != 0)
        let taken = try ResolvedAddress.resolve(host: "127.0.0.1", port: first.port, passive: true)[0]
        #expect(throws: SystemError("bind", errno: EADDRINUSE)) {
            _ = try AdminServer(loop: loop, address: taken) { _ in .notFound }
        }
        // stop() is idempotent and safe before start(); start() after stop() does nothing.
        first.stop()
        first.stop()
        first.start()
        #expect(first.connectionCount == 0)
        let again = try AdminServer(loop: loop, address: taken) { _ in .notFound }
        #expect(again.port == first.port)
    }
}
