import CertgateAdmin
import Testing

@Suite struct AdminRoutesTests {
    private let routes = AdminRoutes(metrics: { Array("certgate_connections_total 7\n".utf8) }, health: { true })

    @Test func healthz() {
        let response = routes.handle(AdminRequest(method: "GET", path: "/healthz"))
        #expect(response.status == 200)
        #expect(response.body == Array("ok\n".utf8))
        #expect(response.contentType == "text/plain; charset=utf-8")
        let unhealthy = AdminRoutes(metrics: { [] }, health: { false })
        let down = unhealthy.handle(AdminRequest(method: "GET", path: "/healthz"))
        #expect(down.status == 503)
        #expect(down.body == Array("unhealthy\n".utf8))
    }

    @Test func metricsAreServedFreshEachTime() {
        var scrapes = 0
        let counting = AdminRoutes(metrics: {
            scrapes += 1
            return Array("scrapes \(scrapes)\n".utf8)
        }, health: { true })
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
        extended.register("GET", "/readyz") { _ in .text("ready\n") }
        let reload = extended.handle(AdminRequest(method: "POST", path: "/reload", body: Array("manual".utf8)))
        #expect(reload.status == 202)
        #expect(reload.body == Array("{\"reason\":\"manual\"}".utf8))
        #expect(reloads == 1)
        #expect(extended.handle(AdminRequest(method: "GET", path: "/readyz")).body == Array("ready\n".utf8))
        let wrong = extended.handle(AdminRequest(method: "GET", path: "/reload"))
        #expect(wrong.headers["Allow"] == "POST")
        #expect(extended.allowedMethods(for: "/reload") == ["POST"])
        #expect(extended.allowedMethods(for: "/metrics") == ["GET", "HEAD"])
        #expect(extended.allowedMethods(for: "/nope") == [])
        // The original table is a value and did not change.
        #expect(routes.handle(AdminRequest(method: "POST", path: "/reload")) == .notFound)
        #expect(AdminRoutes().handle(AdminRequest(method: "GET", path: "/healthz")) == .notFound)
    }
}
