import CertgateMetrics
import Prometheus
import Testing

/// Resumptions, ticket key reloads by result (every result from start-up) and the keys in use.
@Suite("Ticket key metrics exposition")
struct TicketKeyMetricsTests {
    private let registry = PrometheusCollectorRegistry()

    @Test func resultsExistAtZeroAndTheGaugeFollowsTheKeys() {
        let metrics = TicketKeyMetrics(registry: registry)
        var scraped = Exposition.scrape(registry)
        #expect(
            scraped.labelSets("certgate_tls_ticket_key_reloads_total")
                == Set(TicketKeyMetrics.results.map { ["result": $0] }))
        #expect(scraped.type["certgate_tls_resumptions_total"] == "counter")
        #expect(scraped.type["certgate_tls_ticket_keys"] == "gauge")
        #expect(scraped.value("certgate_tls_resumptions_total") == 0)

        metrics.recordKeys(1)
        metrics.recordReload(result: "success", keys: 2)
        metrics.recordReload(result: "failure", keys: 2)
        metrics.resumptions.increment()
        metrics.recordReload(result: "bogus", keys: 3)
        scraped = Exposition.scrape(registry)
        #expect(scraped.value("certgate_tls_ticket_key_reloads_total", ["result": "success"]) == 1)
        #expect(scraped.value("certgate_tls_ticket_key_reloads_total", ["result": "failure"]) == 1)
        #expect(scraped.value("certgate_tls_ticket_key_reloads_total", ["result": "unchanged"]) == 0)
        #expect(scraped.series("certgate_tls_ticket_key_reloads_total").count == 3, "no series for an unknown result")
        #expect(scraped.value("certgate_tls_ticket_keys") == 3)
        #expect(scraped.value("certgate_tls_resumptions_total") == 1)
    }
}
