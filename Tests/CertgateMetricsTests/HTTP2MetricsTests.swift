import CertgateMetrics
import Prometheus
import Testing

/// HTTP/2 termination: every protocol, result and attack kind exists at zero from start-up; the
/// counters move with the calls the connections make; unknown label values create no series.
@Suite("HTTP/2 metrics exposition")
struct HTTP2MetricsTests {
    private let registry = PrometheusCollectorRegistry()

    @Test func everySeriesExistsAtZero() {
        _ = HTTP2Metrics(registry: registry)
        let scraped = Exposition.scrape(registry)
        #expect(
            scraped.labelSets("certgate_connections_by_protocol_total")
                == [["protocol": "h2"], ["protocol": "http1"]])
        #expect(
            scraped.labelSets("certgate_http2_requests_total")
                == Set(["forwarded", "refused", "upstream_failed", "reset"].map { ["result": $0] }))
        #expect(
            scraped.labelSets("certgate_http2_attacks_total")
                == Set(
                    ["rapid_reset", "continuation_flood", "hpack_bomb", "settings_flood", "ping_flood"].map {
                        ["kind": $0]
                    }))
        for name in [
            "certgate_connections_by_protocol_total", "certgate_http2_requests_total", "certgate_http2_attacks_total",
            "certgate_http2_protocol_errors_total", "certgate_upstream_pool_connects_total",
            "certgate_upstream_pool_reuses_total",
        ] {
            #expect(scraped.type[name] == "counter", "\(name)")
            #expect(!(scraped.help[name] ?? "").isEmpty, "\(name) has HELP text")
            #expect(scraped.series(name).allSatisfy { $0.value == 0 }, "\(name)")
        }
    }

    @Test func countersMoveAndUnknownLabelsAreIgnored() {
        let metrics = HTTP2Metrics(registry: registry)
        metrics.connection(protocol: "h2")
        metrics.connection(protocol: "h3")
        metrics.request(result: "forwarded")
        metrics.request(result: "forwarded")
        metrics.attack(kind: "rapid_reset")
        metrics.attack(kind: "made_up")
        metrics.poolConnects.increment()
        let scraped = Exposition.scrape(registry)
        #expect(scraped.value("certgate_connections_by_protocol_total", ["protocol": "h2"]) == 1)
        #expect(scraped.series("certgate_connections_by_protocol_total").count == 2)
        #expect(scraped.value("certgate_http2_requests_total", ["result": "forwarded"]) == 2)
        #expect(scraped.value("certgate_http2_attacks_total", ["kind": "rapid_reset"]) == 1)
        #expect(scraped.series("certgate_http2_attacks_total").count == 5)
        #expect(scraped.value("certgate_upstream_pool_connects_total") == 1)
    }
}
