import CertgateCertificates
import CertgateMetrics
import Foundation
import LibEV
import Logging
import Testing

@testable import CertgateReload

@Suite("Reload controller on a real loop")
struct ReloadControllerTests {
    private func controller(
        _ fixture: StoreFixture, loop: EventLoop, published: @escaping (CertificateSnapshot) -> Void
    )
        throws -> ReloadController
    {
        let metrics = ProxyMetrics(version: "test", openSSLVersion: "test", handshakeFailureReasons: ["internal"])
        return ReloadController(
            loop: loop, store: try fixture.store(),
            settings: .init(inotify: true, statInterval: .milliseconds(200)),
            metrics: metrics, logger: Logger(label: "test"), publish: published)
    }

    @Test func stopIsIdempotentAndSafeBeforeStart() throws {
        let fixture = try StoreFixture()
        try fixture.install("a.pem", fixture.issue("a1", san: "DNS:a.test").pem)
        let service: LoopService = try controller(fixture, loop: EventLoop()) { _ in }
        service.stop()
        service.stop()
        service.start() // after stop: nothing starts
    }

    @Test func aRotationIsPublishedWithoutAnyRequest() throws {
        let fixture = try StoreFixture()
        try fixture.install("a.pem", fixture.issue("a1", san: "DNS:a.test").pem)
        let loop = EventLoop()
        var published: [CertificateSnapshot] = []
        let reloads = try controller(fixture, loop: loop) { published.append($0) }
        reloads.start()
        let a2 = try fixture.issue("a2", san: "DNS:a.test")
        let rotate = TimerWatcher(loop: loop) { try? fixture.install("a.pem", a2.pem) }
        rotate.start(after: 0.05)
        let check = TimerWatcher(loop: loop) { if !published.isEmpty { loop.stop() } }
        check.start(after: 0.05, repeating: 0.02)
        let cap = TimerWatcher(loop: loop) { loop.stop() }
        cap.start(after: 3)
        loop.run()
        reloads.stop()
        reloads.stop()
        #expect(published.count == 1)
        #expect(published.first?.servedSerial(for: "a.test") == a2.serial)
        withExtendedLifetime((rotate, check, cap)) {}
    }
}
