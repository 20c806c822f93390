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
        _ fixture: StoreFixture, loop: EventLoop, inotify: Bool = true,
        published: @escaping (CertificateSnapshot) -> Void
    )
        throws -> ReloadController
    {
        let metrics = ProxyMetrics(version: "test", openSSLVersion: "test", handshakeFailureReasons: ["internal"])
        return ReloadController(
            loop: loop, store: try fixture.store(),
            settings: .init(inotify: inotify, statInterval: .milliseconds(200)),
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

    @Test func theStatCheckSlowsDownWhileInotifyWatchesEverythingAndNotOtherwise() throws {
        let fixture = try StoreFixture()
        try fixture.install("a.pem", fixture.issue("a1", san: "DNS:a.test").pem)
        let loop = EventLoop()
        let statOnly = try controller(fixture, loop: loop, inotify: false) { _ in }
        statOnly.start()
        #expect(statOnly.statPace?.pass == .milliseconds(200))
        #expect(statOnly.statPace?.ticks == 1, "a short list: one burst per pass")
        statOnly.stop()

        // The fixture's directory is on a local file system: inotify covers it, the check is a backstop.
        let both = try controller(fixture, loop: loop) { _ in }
        both.start()
        #expect(both.statPace?.pass == .milliseconds(200) * ReloadController.backstopSlowdown)
        #expect(both.statPace?.ticks == 1)
        // The watch is lost (the directory goes away): every interval again, at once.
        try FileManager.default.moveItem(atPath: fixture.directory, toPath: fixture.directory + ".moved")
        let check = TimerWatcher(loop: loop) { if both.statPace?.pass == .milliseconds(200) { loop.stop() } }
        check.start(after: 0.01, repeating: 0.01)
        let cap = TimerWatcher(loop: loop) { loop.stop() }
        cap.start(after: 3)
        loop.run()
        #expect(both.statPace?.pass == .milliseconds(200))
        both.stop()
        withExtendedLifetime((check, cap)) {}
    }
}
