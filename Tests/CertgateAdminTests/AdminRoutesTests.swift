import CertgateAdmin
import Testing

@Suite struct AdminRoutesTests {
    private let routes = AdminRoutes(
        metrics: { Array("certgate_connections_total 7\n".utf8) }, health: { true },
        ready: { true })

    @Test func healthz() {
        let response = routes.handle(AdminRequest(method: "GET", path: "/healthz"))
        #expect(response.status == 200)
        #expect(response.body == Array("ok\n".utf8))
        #expect(response.contentType == "text/plain; charset=utf-8")
        let unhealthy = AdminRoutes(metrics: { [] }, health: { false }, ready: { true })
        let down = unhealthy.handle(AdminRequest(method: "GET", path: "/healthz"))
        #expect(down.status == 503)
        #expect(down.body == Array("unhealthy\n".utf8))
    }

    @Test func metricsAreServedFreshEachTime() {
        var scrapes = 0
        let counting = AdminRoutes(
            metrics: {
                scrapes += 1
                return Array("scrapes \(scrapes)\n".utf8)
            }, health: { true }, ready: { true })
        let first = counting.handle(AdminRequest(method: "GET", path: "/metrics"))
        let second = counting.handle(AdminRequest(method: "GET", path: "/metrics", query: "name[]=x"))
        #expect(first.status == 200)
        #expect(first.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(first.body == Array("scrapes 1\n".utf8))
        #expect(second.body == Array("scrapes 2\n".utf8))
    }

    @Test func unknownPathsAndWrongMethods() {
        #expect(routes.handle(AdminRequest(method: "GET", path: "/nope")) == .notFound)
        #expect(routes.handle(AdminRequest(method: "GET", path: "/healthz/")) == .notFound)
        let post = routes.handle(AdminRequest(method: "POST", path: "/healthz"))
        #expect(post.status == 405)
        #expect(post.headers["Allow"] == "GET, HEAD")
        let brew = routes.handle(AdminRequest(method: "BREW", path: "/metrics"))
        #expect(brew.status == 405)
        #expect(routes.handle(AdminRequest(method: "get", path: "/metrics")).status == 405)
    }

    @Test func headIsServedByGet() {
        let head = routes.handle(AdminRequest(method: "HEAD", path: "/healthz"))
        #expect(head.status == 200)
        #expect(head.body == Array("ok\n".utf8))
    }

    @Test func newEndpointsAreOneRegistrationEach() {
        var extended = routes
        var reloads = 0
        extended.register("POST", "/reload") { request in
            reloads += 1
            return .json("{\"reason\":\"\(request.bodyText)\"}", status: 202)
        }
        extended.register("GET", "/version") { _ in .text("1.0\n") }
        let reload = extended.handle(AdminRequest(method: "POST", path: "/reload", body: Array("manual".utf8)))
        #expect(reload.status == 202)
        #expect(reload.body == Array("{\"reason\":\"manual\"}".utf8))
        #expect(reloads == 1)
        #expect(extended.handle(AdminRequest(method: "GET", path: "/version")).body == Array("1.0\n".utf8))
        let wrong = extended.handle(AdminRequest(method: "GET", path: "/reload"))
        #expect(wrong.headers["Allow"] == "POST")
        #expect(extended.allowedMethods(for: "/reload") == ["POST"])
        #expect(extended.allowedMethods(for: "/metrics") == ["GET", "HEAD"])
        #expect(extended.allowedMethods(for: "/nope") == [])
        // The original table is a value and did not change.
        #expect(routes.handle(AdminRequest(method: "POST", path: "/reload")) == .notFound)
        #expect(AdminRoutes().handle(AdminRequest(method: "GET", path: "/healthz")) == .notFound)
    }

    @Test func readyz() {
        let ready = routes.handle(AdminRequest(method: "GET", path: "/readyz"))
        #expect(ready.status == 200)
        #expect(ready.body == Array("ready\n".utf8))
        #expect(routes.handle(AdminRequest(method: "HEAD", path: "/readyz")).status == 200)
        #expect(routes.handle(AdminRequest(method: "POST", path: "/readyz")).headers["Allow"] == "GET, HEAD")

        // The closure is asked on every request: a drain that starts later turns /readyz to 503.
        var draining = false
        let switching = AdminRoutes(metrics: { [] }, health: { true }, ready: { !draining })
        #expect(switching.handle(AdminRequest(method: "GET", path: "/readyz")).status == 200)
        draining = true
        let notReady = switching.handle(AdminRequest(method: "GET", path: "/readyz"))
        #expect(notReady.status == 503)
        #expect(notReady.body == Array("not ready\n".utf8))
        // Health is separate from readiness: a draining process is still alive.
        #expect(switching.handle(AdminRequest(method: "GET", path: "/healthz")).status == 200)
    }

    @Test func aTokenProtectsEverythingButTheProbes() throws {
        let directory = try TokenDirectory()
        defer { directory.remove() }
        let token = try AdminToken(path: try directory.write("routes-token\n"))
        var protected = AdminRoutes(metrics: { Array("m 1\n".utf8) }, health: { true }, ready: { false }, token: token)
        protected.register("POST", "/reload") { _ in .json("{}") }
        let right = ["Authorization": "Bearer routes-token"]
        let wrong = ["Authorization": "Bearer routes-tokem"]

        for (method, path) in [
            ("GET", "/metrics"), ("HEAD", "/metrics"), ("POST", "/reload"), ("GET", "/nope"),
            ("DELETE", "/metrics"),
        ] {
            let missing = protected.handle(AdminRequest(method: method, path: path))
            #expect(missing.status == 401, "\(method) \(path)")
            #expect(missing.headers["WWW-Authenticate"] == "Bearer")
            #expect(missing.body == Array("unauthorized: send Authorization: Bearer <token>\n".utf8))
            let refused = protected.handle(AdminRequest(method: method, path: path, headers: wrong))
            #expect(refused.status == 401)
            #expect(refused.headers["WWW-Authenticate"] == "Bearer")
            #expect(refused.body == Array("unauthorized: wrong token\n".utf8))
            #expect(!refused.bodyTextForTest.contains("routes-token"))
            let basic = protected.handle(
                AdminRequest(
                    method: method, path: path,
                    headers: ["Authorization": "Basic cm91dGVzLXRva2Vu"]))
            #expect(basic.status == 401)
        }
        #expect(protected.handle(AdminRequest(method: "GET", path: "/metrics", headers: right)).status == 200)
        #expect(protected.handle(AdminRequest(method: "POST", path: "/reload", headers: right)).status == 200)
        // With the token, routing rules apply as usual.
        #expect(protected.handle(AdminRequest(method: "GET", path: "/nope", headers: right)).status == 404)
        #expect(protected.handle(AdminRequest(method: "GET", path: "/reload", headers: right)).status == 405)

        // The probes never need it, and a wrong token does not hurt them.
        #expect(protected.handle(AdminRequest(method: "GET", path: "/healthz")).status == 200)
        #expect(protected.handle(AdminRequest(method: "GET", path: "/healthz", headers: wrong)).status == 200)
        #expect(protected.handle(AdminRequest(method: "GET", path: "/readyz")).status == 503)
        #expect(protected.handle(AdminRequest(method: "POST", path: "/healthz")).status == 405)

        // An endpoint added later is protected unless registered otherwise.
        protected.register("GET", "/version") { _ in .text("1\n") }
        protected.register("GET", "/ping", requiresToken: false) { _ in .text("pong\n") }
        #expect(protected.handle(AdminRequest(method: "GET", path: "/version")).status == 401)
        #expect(protected.handle(AdminRequest(method: "GET", path: "/ping")).status == 200)
        #expect(protected.requiresToken("/version") && protected.requiresToken("/metrics"))
        #expect(!protected.requiresToken("/healthz") && !protected.requiresToken("/readyz"))
        #expect(!routes.requiresToken("/metrics"))
    }
}

extension AdminResponse {
    fileprivate var bodyTextForTest: String { String(decoding: body, as: UTF8.self) }
}
