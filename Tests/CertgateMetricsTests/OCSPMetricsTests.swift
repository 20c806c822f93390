import CertgateMetrics
import Prometheus
import Testing

/// The OCSP metrics: every response result counted from start-up, and one nextUpdate series per
/// certificate with a stapled response, kept equal to those certificates.
@Suite("OCSP metrics exposition")
struct OCSPMetricsTests {
    private let registry = PrometheusCollectorRegistry()

    @Test func everyResultExistsAtZeroAndCountsOnlyKnownResults() {
        let metrics = OCSPMetrics(registry: registry)
        var scraped = Exposition.scrape(registry)
        #expect(
            scraped.labelSets("certgate_ocsp_responses_total")
                == Set(OCSPMetrics.results.map { ["result": $0] }))
        #expect(scraped.series("certgate_ocsp_responses_total").allSatisfy { $0.value == 0 })
        #expect(scraped.type["certgate_ocsp_responses_total"] == "counter")
        #expect(scraped.series("certgate_ocsp_next_update_timestamp_seconds").isEmpty)
        metrics.recordResponse(result: "loaded")
        metrics.recordResponse(result: "expired")
        metrics.recordResponse(result: "expired")
        metrics.recordResponse(result: "no-such-result")
        scraped = Exposition.scrape(registry)
        #expect(scraped.value("certgate_ocsp_responses_total", ["result": "loaded"]) == 1)
        #expect(scraped.value("certgate_ocsp_responses_total", ["result": "expired"]) == 2)
        #expect(scraped.value("certgate_ocsp_responses_total", ["result": "invalid"]) == 0)
        #expect(scraped.series("certgate_ocsp_responses_total").count == OCSPMetrics.results.count)
    }

    @Test func nextUpdateSeriesFollowTheStapledCertificates() {
        let metrics = OCSPMetrics(registry: registry)
        metrics.setNextUpdate(["api": 1_000, "www": 2_000])
        var scraped = Exposition.scrape(registry)
        #expect(scraped.value("certgate_ocsp_next_update_timestamp_seconds", ["cert": "api"]) == 1_000)
        #expect(scraped.value("certgate_ocsp_next_update_timestamp_seconds", ["cert": "www"]) == 2_000)
        #expect(scraped.type["certgate_ocsp_next_update_timestamp_seconds"] == "gauge")
        metrics.setNextUpdate(["www": 3_000])
        scraped = Exposition.scrape(registry)
        #expect(scraped.labelSets("certgate_ocsp_next_update_timestamp_seconds") == [["cert": "www"]])
        #expect(scraped.value("certgate_ocsp_next_update_timestamp_seconds", ["cert": "www"]) == 3_000)
    }

    @Test func fetchesByResultExistAtZero() {
        let metrics = OCSPMetrics(registry: registry)
        var scraped = Exposition.scrape(registry)
        #expect(
            scraped.labelSets("certgate_ocsp_fetches_total") == Set(OCSPMetrics.fetchResults.map { ["result": $0] }))
        #expect(scraped.series("certgate_ocsp_fetches_total").allSatisfy { $0.value == 0 })
        #expect(scraped.type["certgate_ocsp_fetches_total"] == "counter")
        metrics.recordFetch(result: "success")
        metrics.recordFetch(result: "error")
        metrics.recordFetch(result: "error")
        metrics.recordFetch(result: "no-such-result")
        scraped = Exposition.scrape(registry)
        #expect(scraped.value("certgate_ocsp_fetches_total", ["result": "success"]) == 1)
        #expect(scraped.value("certgate_ocsp_fetches_total", ["result": "error"]) == 2)
        #expect(scraped.value("certgate_ocsp_fetches_total", ["result": "unsupported"]) == 0)
        #expect(scraped.series("certgate_ocsp_fetches_total").count == OCSPMetrics.fetchResults.count)
    }
}
