import CertgateMetrics
import Prometheus
import Testing

/// The certificate-reload metrics: every trigger × result counter from start-up, the last-reload gauges,
/// and one expiry series per served certificate, kept equal to the certificates served.
@Suite("Reload metrics exposition")
struct ReloadMetricsTests {
    private let registry = PrometheusCollectorRegistry()

    private func scrape() -> Exposition {
        Exposition.scrape(registry)
    }

    @Test func everyTriggerAndResultExistsAtZero() {
        _ = ReloadMetrics(registry: registry)
        let scraped = scrape()
        let expected = Set(
            ReloadMetrics.triggers.flatMap { trigger in
                ReloadMetrics.results.map { ["trigger": trigger, "result": $0] }
            })
        #expect(expected.count == 18)
        #expect(scraped.labelSets("certgate_cert_reloads_total") == expected)
        #expect(scraped.series("certgate_cert_reloads_total").allSatisfy { $0.value == 0 })
        #expect(scraped.type["certgate_cert_reloads_total"] == "counter")
        #expect(
            scraped.help["certgate_cert_reloads_total"]
                == "Certificate reloads by what triggered them and how they ended.")
        #expect(scraped.value("certgate_cert_last_reload_successful") == 0)
        #expect(scraped.value("certgate_cert_watcher_inotify_active") == 0)
        #expect(scraped.value("certgate_cert_sources_failing") == 0)
        #expect(scraped.value("certgate_cert_reload_duration_seconds_count") == 0)
        #expect(scraped.series("certgate_cert_not_after_timestamp_seconds").isEmpty)
    }

    @Test func reloadsMoveTheCountersAndTheLastReloadGauges() {
        let metrics = ReloadMetrics(registry: registry)
        metrics.recordReload(
            trigger: "startup", result: "success", durationSeconds: 0.004, failingSources: 0,
            now: 1_000)
        var scraped = scrape()
        #expect(scraped.value("certgate_cert_reloads_total", ["trigger": "startup", "result": "success"]) == 1)
        #expect(scraped.value("certgate_cert_last_reload_successful") == 1)
        #expect(scraped.value("certgate_cert_last_reload_success_timestamp_seconds") == 1_000)
        #expect(scraped.value("certgate_cert_reload_duration_seconds_count") == 1)
        #expect(scraped.value("certgate_cert_reload_duration_seconds_bucket", ["le": "0.0025"]) == 0)
        #expect(scraped.value("certgate_cert_reload_duration_seconds_bucket", ["le": "0.005"]) == 1)

        // A failure: the timestamp stays at the last success, the failing sources are reported.
        metrics.recordReload(
            trigger: "inotify", result: "failure", durationSeconds: nil, failingSources: 2,
            now: 2_000)
        scraped = scrape()
        #expect(scraped.value("certgate_cert_reloads_total", ["trigger": "inotify", "result": "failure"]) == 1)
        #expect(scraped.value("certgate_cert_last_reload_successful") == 0)
        #expect(scraped.value("certgate_cert_last_reload_success_timestamp_seconds") == 1_000)
        #expect(scraped.value("certgate_cert_sources_failing") == 2)
        #expect(scraped.value("certgate_cert_reload_duration_seconds_count") == 1, "no duration given")

        // "unchanged" is a success for the gauges; values outside the fixed sets are not counted at all.
        metrics.recordReload(
            trigger: "timer", result: "unchanged", durationSeconds: 0.5, failingSources: 0,
            now: 3_000)
        metrics.recordReload(trigger: "cron", result: "success", durationSeconds: nil, failingSources: 0, now: 4_000)
        metrics.recordReload(trigger: "admin", result: "maybe", durationSeconds: nil, failingSources: 0, now: 5_000)
        scraped = scrape()
        #expect(scraped.value("certgate_cert_reloads_total", ["trigger": "timer", "result": "unchanged"]) == 1)
        #expect(scraped.series("certgate_cert_reloads_total").count == 18)
        #expect(scraped.series("certgate_cert_reloads_total").map(\.value).reduce(0, +) == 3)
        #expect(scraped.value("certgate_cert_last_reload_successful") == 1)
        #expect(scraped.value("certgate_cert_last_reload_success_timestamp_seconds") == 5_000)
        #expect(scraped.value("certgate_cert_sources_failing") == 0)
    }

    @Test func theInotifyGaugeFollowsTheWatcher() {
        let metrics = ReloadMetrics(registry: registry)
        metrics.setInotifyActive(true)
        #expect(scrape().value("certgate_cert_watcher_inotify_active") == 1)
        metrics.setInotifyActive(false)
        #expect(scrape().value("certgate_cert_watcher_inotify_active") == 0)
    }

    @Test func expirySeriesAreExactlyTheCertificatesServed() {
        let metrics = ReloadMetrics(registry: registry)
        let name = "certgate_cert_not_after_timestamp_seconds"
        metrics.setNotAfter(["alpha": 1_900_000_000, "beta": 1_800_000_000])
        var scraped = scrape()
        #expect(scraped.type[name] == "gauge")
        #expect(scraped.labelSets(name) == [["cert": "alpha"], ["cert": "beta"]])
        #expect(scraped.value(name, ["cert": "alpha"]) == 1_900_000_000)
        #expect(scraped.value(name, ["cert": "beta"]) == 1_800_000_000)

        // beta rotated, alpha removed, gamma added.
        metrics.setNotAfter(["beta": 1_850_000_000, "gamma": 1_700_000_000])
        scraped = scrape()
        #expect(scraped.labelSets(name) == [["cert": "beta"], ["cert": "gamma"]])
        #expect(scraped.value(name, ["cert": "beta"]) == 1_850_000_000)
        #expect(scraped.value(name, ["cert": "gamma"]) == 1_700_000_000)

        // A name that comes back gets its series again.
        metrics.setNotAfter(["alpha": 1_950_000_000])
        scraped = scrape()
        #expect(scraped.labelSets(name) == [["cert": "alpha"]])
        #expect(scraped.value(name, ["cert": "alpha"]) == 1_950_000_000)
        metrics.setNotAfter([:])
        #expect(scrape().series(name).isEmpty)
    }
}
