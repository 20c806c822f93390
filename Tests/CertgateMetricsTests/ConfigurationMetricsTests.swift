import CertgateMetrics
import Prometheus
import Testing

/// The configuration-reload metrics: every result from start-up, the last-reload gauge, and the count of
/// settings waiting for a restart (kept across a failed reload, which changes nothing).
@Suite("Configuration metrics exposition")
struct ConfigurationMetricsTests {
    private let registry = PrometheusCollectorRegistry()

    @Test func resultsExistAtZeroAndMoveWithReloads() {
        let metrics = ConfigurationMetrics(registry: registry)
        var scraped = Exposition.scrape(registry)
        #expect(
            scraped.labelSets("certgate_config_reloads_total")
                == Set(ConfigurationMetrics.results.map { ["result": $0] }))
        #expect(scraped.series("certgate_config_reloads_total").allSatisfy { $0.value == 0 })
        #expect(scraped.type["certgate_config_reloads_total"] == "counter")
        #expect(scraped.value("certgate_config_last_reload_successful") == 1, "nothing failed yet")
        #expect(scraped.value("certgate_config_restart_pending_settings") == 0)

        metrics.recordReload(result: "success", restartPending: 2)
        metrics.recordReload(result: "failure", restartPending: 0)
        scraped = Exposition.scrape(registry)
        #expect(scraped.value("certgate_config_reloads_total", ["result": "success"]) == 1)
        #expect(scraped.value("certgate_config_reloads_total", ["result": "failure"]) == 1)
        #expect(scraped.value("certgate_config_last_reload_successful") == 0)
        #expect(scraped.value("certgate_config_restart_pending_settings") == 2, "a refused reload changes nothing")

        metrics.recordReload(result: "unchanged", restartPending: 0)
        metrics.recordReload(result: "bogus", restartPending: 0)
        scraped = Exposition.scrape(registry)
        #expect(scraped.value("certgate_config_reloads_total", ["result": "unchanged"]) == 1)
        #expect(scraped.value("certgate_config_last_reload_successful") == 1)
        #expect(scraped.value("certgate_config_restart_pending_settings") == 0)
        #expect(scraped.series("certgate_config_reloads_total").count == 3, "no series for an unknown result")
    }
}
