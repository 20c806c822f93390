import CertgateAdmin
import CertgatePosix
import Testing

@Suite struct AdminExposureTests {
    private func address(_ host: String) throws -> ResolvedAddress {
        try ResolvedAddress.resolve(host: host, port: 9901, passive: true)[0]
    }

    @Test func loopbackAddresses() throws {
        #expect(AdminExposure.isLoopback(try address("127.0.0.1")))
        #expect(AdminExposure.isLoopback(try address("127.8.9.10")))
        #expect(AdminExposure.isLoopback(try address("::1")))
        #expect(AdminExposure.isLoopback(try address("::ffff:127.0.0.1")))
        #expect(!AdminExposure.isLoopback(try address("0.0.0.0")))
        #expect(!AdminExposure.isLoopback(try address("::")))
        #expect(!AdminExposure.isLoopback(try address("10.0.0.1")))
        #expect(!AdminExposure.isLoopback(try address("::ffff:10.0.0.1")))
        #expect(!AdminExposure.isLoopback(try address("128.0.0.1")))
    }

    @Test func refusedOnlyWhenExposedWithoutTokenOrInsecure() throws {
        let any = try address("0.0.0.0")
        let local = try address("127.0.0.1")
        #expect(AdminExposure.refusesProtectedPaths(address: any, hasToken: false, insecure: false))
        #expect(!AdminExposure.refusesProtectedPaths(address: any, hasToken: true, insecure: false))
        #expect(!AdminExposure.refusesProtectedPaths(address: any, hasToken: false, insecure: true))
        #expect(!AdminExposure.refusesProtectedPaths(address: local, hasToken: false, insecure: false))
    }

    @Test func refusingRoutesKeepProbesOpen() {
        var routes = AdminRoutes(metrics: { Array("m 1\n".utf8) }, health: { true }, ready: { true })
        routes.register("POST", "/reload") { _ in .text("reloaded\n") }
        routes.refusesProtectedPaths = true
        #expect(routes.handle(AdminRequest(method: "GET", path: "/healthz")).status == 200)
        #expect(routes.handle(AdminRequest(method: "GET", path: "/readyz")).status == 200)
        #expect(routes.handle(AdminRequest(method: "GET", path: "/metrics")) == AdminExposure.refusal)
        #expect(routes.handle(AdminRequest(method: "POST", path: "/reload")).status == 403)
        #expect(routes.handle(AdminRequest(method: "GET", path: "/other")).status == 403)
        routes.refusesProtectedPaths = false
        #expect(routes.handle(AdminRequest(method: "GET", path: "/metrics")).status == 200)
    }
}
