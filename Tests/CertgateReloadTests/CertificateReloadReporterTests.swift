import CertgateMetrics
import CertgateTestSupport
import Logging
import Testing

@testable import CertgateReload

@Suite("Certificate reload reporting")
struct CertificateReloadReporterTests {
    private struct Setup {
        let fixture: StoreFixture
        let store: CertificateStore
        let metrics = ProxyMetrics(version: "test", openSSLVersion: "test", handshakeFailureReasons: ["internal"])
        let logs = CapturedLogs()
        let reporter: CertificateReloadReporter

        init(expiryWarning: Duration? = .seconds(14 * 86400)) throws {
            fixture = try StoreFixture()
            try fixture.install("a.pem", fixture.issue("a1", san: "DNS:a.test").pem)
            store = try fixture.store()
            reporter = CertificateReloadReporter(
                store: store, metrics: metrics, logger: logs.logger,
                expiryWarning: expiryWarning)
        }

        var exposition: String { String(decoding: metrics.exposition(), as: UTF8.self) }

        /// Lines at `level` that contain every one of `parts`.
        func lines(_ level: Logger.Level, _ parts: String...) -> [String] {
            logs.lines(at: level).filter { line in parts.allSatisfy { line.contains($0) } }
        }
    }

    @Test func theStartupLoadIsCountedWithTheServedCertificates() throws {
        let setup = try Setup()
        setup.reporter.recordStartup(duration: .milliseconds(3))
        let text = setup.exposition
        #expect(text.contains(#"certgate_cert_reloads_total{trigger="startup",result="success"} 1"# + "\n"))
        #expect(text.contains("certgate_certificates_loaded 1.0\n"))
        #expect(text.contains(#"certgate_cert_not_after_timestamp_seconds{cert="a"} "#))
        #expect(text.contains("certgate_cert_last_reload_successful 1.0\n"))
        #expect(setup.logs.lines(at: .warning).isEmpty, "a certificate valid for 20 days is not within 14 days")
    }

    @Test func aReloadLogsEachChangeAndFailureOnceThenQuietly() throws {
        let setup = try Setup()
        let a2 = try setup.fixture.issue("a2", san: "DNS:a.test")
        try setup.fixture.install("a.pem", a2.pem)
        try setup.fixture.install("b.pem", "not pem\n")
        let report = setup.store.reload(trigger: .admin, forceRead: true)
        setup.reporter.record(report, published: report.snapshot != nil)

        #expect(
            setup.lines(
                .notice, "certificate replaced", "cert=a", "new_serial=\(a2.serial)",
                "trigger=admin"
            ).count == 1)
        #expect(setup.lines(.error, "certificate failed to load; not served; will retry", "cert=b").count == 1)
        #expect(
            setup.lines(
                .notice, "certificate reload finished", "result=failure", "changed=1",
                "failed=1"
            ).count == 1)
        var text = setup.exposition
        #expect(text.contains(#"certgate_cert_reloads_total{trigger="admin",result="failure"} 1"# + "\n"))
        #expect(text.contains("certgate_cert_sources_failing 1.0\n"))
        #expect(text.contains("certgate_cert_last_reload_successful 0.0\n"))

        // The retry fails the same way: counted, but logged at debug level only.
        let retry = setup.store.reload(trigger: .timer, forceRead: false, now: .now + .seconds(60))
        setup.reporter.record(retry, published: retry.snapshot != nil)
        #expect(setup.lines(.error).count == 1)
        #expect(setup.lines(.debug, "certificate reload still failing", "trigger=timer").count == 1)
        text = setup.exposition
        #expect(text.contains(#"certgate_cert_reloads_total{trigger="timer",result="failure"} 1"# + "\n"))
    }

    @Test func anAutomaticCheckThatFindsNothingLogsAtDebugLevel() throws {
        let setup = try Setup()
        let report = setup.store.reload(trigger: .stat, forceRead: false)
        setup.reporter.record(report, published: false)
        #expect(setup.lines(.debug, "certificates checked; nothing changed", "result=unchanged").count == 1)
        #expect(setup.logs.lines.count == 1)
        #expect(setup.exposition.contains(#"certgate_cert_reloads_total{trigger="stat",result="unchanged"} 1"# + "\n"))
    }

    @Test func expiryWarningsNameTheCertificatesWithinTheWindow() throws {
        let setup = try Setup(expiryWarning: .seconds(30 * 86400))
        setup.reporter.checkExpiry()
        let warnings = setup.lines(.warning, "certificate expires soon", "cert=a", "check=daily check")
        #expect(warnings.count == 1, "\(setup.logs.text)")
        // Issued for 20 days: 20 whole days left within the second it was issued, 19 after.
        #expect(warnings.allSatisfy { $0.contains("days_left=20 ") || $0.contains("days_left=19 ") })
        let quiet = try Setup(expiryWarning: nil)
        quiet.reporter.checkExpiry()
        #expect(quiet.logs.lines.isEmpty)
    }

    @Test func watchStateAndTrustFailuresAreReported() throws {
        let setup = try Setup()
        setup.reporter.recordWatchState(complete: true)
        #expect(setup.exposition.contains("certgate_cert_watcher_inotify_active 1.0\n"))
        setup.reporter.recordWatchState(complete: false)
        #expect(setup.exposition.contains("certgate_cert_watcher_inotify_active 0.0\n"))
        setup.reporter.clientTrustFailed("no CA left", trigger: .signal)
        #expect(
            setup.lines(
                .error, "client trust could not be rebuilt", "error=no CA left",
                "trigger=signal"
            ).count == 1)
    }

    @Test func durationsInTheSummaryLineHaveTwoDecimalsBelowTenMilliseconds() {
        #expect(CertificateReloadReporter.milliseconds(.microseconds(4_257)) == "4.25")
        #expect(CertificateReloadReporter.milliseconds(.microseconds(9_999)) == "9.99")
        #expect(CertificateReloadReporter.milliseconds(.microseconds(12_700)) == "12")
    }
}
