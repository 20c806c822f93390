import CertgateMetrics
import Prometheus
import Testing

/// The metrics of client-CA root pools: every series labelled with the pool's `ca_file`, several pools
/// side by side in one registry, one expiry series per trusted CA.
@Suite("Client-CA metrics exposition")
struct ClientCAMetricsTests {
    private let registry = PrometheusCollectorRegistry()

    private func scrape() -> Exposition {
        Exposition.scrape(registry)
    }

    @Test func twoPoolsStartAtZeroUnderTheirOwnCAFile() {
        let first = ClientCAMetrics(registry: registry, caFile: "/etc/certgate/clients.pem")
        _ = ClientCAMetrics(registry: registry, caFile: "/etc/certgate/partners.pem")
        #expect(first.caFile == "/etc/certgate/clients.pem")
        let scraped = scrape()
        let files = ["/etc/certgate/clients.pem", "/etc/certgate/partners.pem"]
        let reloads = Set(
            files.flatMap { file in
                ReloadMetrics.triggers.flatMap { trigger in
                    ReloadMetrics.results.map { ["ca_file": file, "trigger": trigger, "result": $0] }
                }
            })
        #expect(scraped.labelSets("certgate_client_ca_reloads_total") == reloads)
        #expect(scraped.series("certgate_client_ca_reloads_total").allSatisfy { $0.value == 0 })
        for name in [
            "certgate_client_ca_generations", "certgate_client_ca_certificates",
            "certgate_client_ca_evictions_total",
        ] {
            #expect(scraped.labelSets(name) == Set(files.map { ["ca_file": $0] }), "\(name)")
            #expect(scraped.series(name).allSatisfy { $0.value == 0 }, "\(name)")
        }
        #expect(scraped.type["certgate_client_ca_reloads_total"] == "counter")
        #expect(scraped.type["certgate_client_ca_evictions_total"] == "counter")
        #expect(scraped.type["certgate_client_ca_generations"] == "gauge")
        #expect(
            scraped.help["certgate_client_ca_generations"]
                == "CA bundle generations retained in the rotating root pool.")
    }

    @Test func reloadsEvictionsAndThePoolMoveOnlyTheirOwnSeries() {
        let clients = ClientCAMetrics(registry: registry, caFile: "clients.pem")
        let partners = ClientCAMetrics(registry: registry, caFile: "partners.pem")
        clients.recordReload(trigger: "inotify", result: "success")
        clients.recordReload(trigger: "inotify", result: "success")
        clients.recordReload(trigger: "bogus", result: "success")
        partners.recordReload(trigger: "admin", result: "unchanged")
        clients.recordEvictions(0)
        clients.recordEvictions(2)
        clients.setPool(generations: 3, trusted: ["aa11": 1_900_000_000, "bb22": 1_800_000_000])
        partners.setPool(generations: 1, trusted: ["cc33": 1_700_000_000])

        var scraped = scrape()
        let reloads = "certgate_client_ca_reloads_total"
        #expect(scraped.value(reloads, ["ca_file": "clients.pem", "trigger": "inotify", "result": "success"]) == 2)
        #expect(scraped.value(reloads, ["ca_file": "partners.pem", "trigger": "admin", "result": "unchanged"]) == 1)
        #expect(scraped.series(reloads).map(\.value).reduce(0, +) == 3)
        #expect(scraped.value("certgate_client_ca_evictions_total", ["ca_file": "clients.pem"]) == 2)
        #expect(scraped.value("certgate_client_ca_evictions_total", ["ca_file": "partners.pem"]) == 0)
        #expect(scraped.value("certgate_client_ca_generations", ["ca_file": "clients.pem"]) == 3)
        #expect(scraped.value("certgate_client_ca_certificates", ["ca_file": "clients.pem"]) == 2)
        #expect(scraped.value("certgate_client_ca_certificates", ["ca_file": "partners.pem"]) == 1)
        let notAfter = "certgate_client_ca_not_after_timestamp_seconds"
        #expect(
            scraped.labelSets(notAfter) == [
                ["ca_file": "clients.pem", "fingerprint": "aa11"],
                ["ca_file": "clients.pem", "fingerprint": "bb22"],
                ["ca_file": "partners.pem", "fingerprint": "cc33"],
            ])
        #expect(scraped.value(notAfter, ["ca_file": "clients.pem", "fingerprint": "bb22"]) == 1_800_000_000)

        // A CA evicted from one pool loses its series there; the other pool keeps its own.
        clients.setPool(generations: 2, trusted: ["aa11": 1_900_000_000])
        scraped = scrape()
        #expect(
            scraped.labelSets(notAfter) == [
                ["ca_file": "clients.pem", "fingerprint": "aa11"],
                ["ca_file": "partners.pem", "fingerprint": "cc33"],
            ])
        #expect(scraped.value("certgate_client_ca_generations", ["ca_file": "clients.pem"]) == 2)
        #expect(scraped.value("certgate_client_ca_certificates", ["ca_file": "clients.pem"]) == 1)
    }
}
