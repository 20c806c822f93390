import CertgateMetrics
import Testing

/// The connection limit and accept-pause families: typed and described, every reason at zero from
/// start-up, and moved by the calls the workers make.
@Suite("Listener metrics")
struct ListenerMetricsTests {
    private func metrics() -> ProxyMetrics {
        ProxyMetrics(version: "1.2.3", openSSLVersion: "OpenSSL 3.0.19", handshakeFailureReasons: ["internal"])
    }

    @Test func familiesAreTypedDescribedAndStartAtZero() {
        let scraped = Exposition.checked(metrics().exposition())
        #expect(scraped.type["certgate_connections_limit"] == "gauge")
        #expect(scraped.type["certgate_connections_limit_reached_total"] == "counter")
        #expect(scraped.type["certgate_accept_paused_total"] == "counter")
        for name in [
            "certgate_connections_limit", "certgate_connections_limit_reached_total", "certgate_accept_paused_total",
        ] {
            #expect(!(scraped.help[name] ?? "").isEmpty, "\(name) has HELP text")
        }
        #expect(scraped.value("certgate_connections_limit") == 0)
        #expect(scraped.value("certgate_connections_limit_reached_total") == 0)
        #expect(
            scraped.labelSets("certgate_accept_paused_total")
                == [["reason": "no_descriptors"], ["reason": "no_memory"], ["reason": "other"]])
        #expect(scraped.series("certgate_accept_paused_total").allSatisfy { $0.value == 0 })
    }

    @Test func valuesMove() {
        let metrics = metrics()
        metrics.listener.connectionsLimit.set(to: 5)
        metrics.listener.limitReached.increment()
        metrics.listener.acceptPaused(reason: "no_descriptors")
        metrics.listener.acceptPaused(reason: "no_descriptors")
        metrics.listener.acceptPaused(reason: "no_memory")
        // Anything else is `other`, never a new series.
        metrics.listener.acceptPaused(reason: "EBADF")
        let scraped = Exposition.checked(metrics.exposition())
        #expect(scraped.value("certgate_connections_limit") == 5)
        #expect(scraped.value("certgate_connections_limit_reached_total") == 1)
        #expect(scraped.value("certgate_accept_paused_total", ["reason": "no_descriptors"]) == 2)
        #expect(scraped.value("certgate_accept_paused_total", ["reason": "no_memory"]) == 1)
        #expect(scraped.value("certgate_accept_paused_total", ["reason": "other"]) == 1)
        #expect(scraped.labelSets("certgate_accept_paused_total").count == 3)
    }
}
