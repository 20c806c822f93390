import CertgateMetrics
import Prometheus
import Testing

/// The metrics of a pool's CRL file: reload counters and the CRLs in force, labelled with the pool's
/// `ca_file`, with one nextUpdate series per issuing CA.
@Suite("Client CRL metrics exposition")
struct ClientCRLMetricsTests {
    private let registry = PrometheusCollectorRegistry()

    private func scrape() -> Exposition {
        Exposition.scrape(registry)
    }

    @Test func everySeriesStartsAtZero() {
        let metrics = ClientCRLMetrics(registry: registry, caFile: "clients.pem")
        #expect(metrics.caFile == "clients.pem")
        let scraped = scrape()
        #expect(scraped.series("certgate_client_crl_reloads_total").count == 18)
        #expect(
            scraped.series("certgate_client_crl_reloads_total").allSatisfy {
                $0.value == 0 && $0.labels["ca_file"] == "clients.pem"
            })
        for name in [
            "certgate_client_crl_lists", "certgate_client_crl_revoked_certificates",
            "certgate_client_crl_uncovered_cas",
        ] {
            #expect(scraped.type[name] == "gauge", "\(name)")
            #expect(scraped.value(name, ["ca_file": "clients.pem"]) == 0, "\(name)")
        }
        #expect(scraped.type["certgate_client_crl_reloads_total"] == "counter")
        #expect(scraped.help["certgate_client_crl_lists"] == "CRLs loaded from --client-crl.")
        #expect(scraped.series("certgate_client_crl_next_update_timestamp_seconds").isEmpty)
    }

    @Test func theCRLsInForceAreReported() {
        let metrics = ClientCRLMetrics(registry: registry, caFile: "clients.pem")
        metrics.recordReload(trigger: "startup", result: "success")
        metrics.recordReload(trigger: "stat", result: "failure")
        metrics.recordReload(trigger: "stat", result: "failure")
        metrics.setLists(
            count: 2, revokedEntries: 7, uncoveredCAs: 1,
            nextUpdates: ["aa11": 1_900_000_000, "bb22": 1_900_086_400])
        var scraped = scrape()
        let reloads = "certgate_client_crl_reloads_total"
        #expect(scraped.value(reloads, ["ca_file": "clients.pem", "trigger": "startup", "result": "success"]) == 1)
        #expect(scraped.value(reloads, ["ca_file": "clients.pem", "trigger": "stat", "result": "failure"]) == 2)
        #expect(scraped.value("certgate_client_crl_lists", ["ca_file": "clients.pem"]) == 2)
        #expect(scraped.value("certgate_client_crl_revoked_certificates", ["ca_file": "clients.pem"]) == 7)
        #expect(scraped.value("certgate_client_crl_uncovered_cas", ["ca_file": "clients.pem"]) == 1)
        let next = "certgate_client_crl_next_update_timestamp_seconds"
        #expect(scraped.type[next] == "gauge")
        #expect(scraped.value(next, ["ca_file": "clients.pem", "issuer_fingerprint": "aa11"]) == 1_900_000_000)
        #expect(scraped.value(next, ["ca_file": "clients.pem", "issuer_fingerprint": "bb22"]) == 1_900_086_400)

        // One CA's CRL gone, the other's renewed.
        metrics.setLists(count: 1, revokedEntries: 3, uncoveredCAs: 2, nextUpdates: ["bb22": 1_900_172_800])
        scraped = scrape()
        #expect(scraped.labelSets(next) == [["ca_file": "clients.pem", "issuer_fingerprint": "bb22"]])
        #expect(scraped.value(next, ["ca_file": "clients.pem", "issuer_fingerprint": "bb22"]) == 1_900_172_800)
        #expect(scraped.value("certgate_client_crl_lists", ["ca_file": "clients.pem"]) == 1)
        #expect(scraped.value("certgate_client_crl_revoked_certificates", ["ca_file": "clients.pem"]) == 3)
        #expect(scraped.value("certgate_client_crl_uncovered_cas", ["ca_file": "clients.pem"]) == 2)
    }
}
