import CertgateMetrics
import Prometheus
import Testing

/// Upstream re-resolutions by result (both results from start-up) and the addresses in use.
@Suite("Upstream resolution metrics exposition")
struct UpstreamMetricsTests {
    private let registry = PrometheusCollectorRegistry()

    @Test func resultsExistAtZeroAndTheGaugeFollowsTheAddresses() {
        let metrics = UpstreamMetrics(registry: registry)
        var scraped = Exposition.scrape(registry)
        #expect(
            scraped.labelSets("certgate_upstream_resolutions_total")
                == Set(UpstreamMetrics.results.map { ["result": $0] }))
        #expect(scraped.type["certgate_upstream_resolutions_total"] == "counter")
        #expect(scraped.type["certgate_upstream_addresses"] == "gauge")

        metrics.recordAddresses(3)
        metrics.recordResolution(result: "success")
        metrics.recordResolution(result: "failure")
        metrics.recordResolution(result: "failure")
        metrics.recordResolution(result: "bogus")
        scraped = Exposition.scrape(registry)
        #expect(scraped.value("certgate_upstream_resolutions_total", ["result": "success"]) == 1)
        #expect(scraped.value("certgate_upstream_resolutions_total", ["result": "failure"]) == 2)
        #expect(scraped.series("certgate_upstream_resolutions_total").count == 2, "no series for an unknown result")
        #expect(scraped.value("certgate_upstream_addresses") == 3)
    }
}
