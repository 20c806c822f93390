import Prometheus

/// The `--client-crl` metrics. Every `trigger`/`result` combination exists from start-up.
/// `certgate_client_crl_next_update_timestamp_seconds{issuer_fingerprint}` has one series per CA that
/// signed a loaded CRL, so it is bounded by the root pool. Control thread only.
public final class ClientCRLMetrics: @unchecked Sendable {
    private let registry: PrometheusCollectorRegistry
    private let reloads: [String: Counter]
    private let lists: Gauge
    private let revoked: Gauge
    private let uncovered: Gauge
    private var nextUpdate: [String: Gauge] = [:]

    private static let nextUpdateName = "certgate_client_crl_next_update_timestamp_seconds"
    private static let nextUpdateHelp =
        "nextUpdate of the loaded CRLs, by SHA-256 fingerprint of the issuing client CA (latest per CA). Clients of that CA are refused once it passes."

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        var reloads: [String: Counter] = [:]
        for trigger in ReloadMetrics.triggers {
            for result in ReloadMetrics.results {
                reloads[trigger + "/" + result] = registry.makeCounter(
                    descriptor: describe("certgate_client_crl_reloads_total",
                                         "Client CRL file reloads by trigger and result (failure: the previous CRLs stay in force)."),
                    labels: [("trigger", trigger), ("result", result)])
            }
        }
        self.reloads = reloads
        lists = registry.makeGauge(descriptor: describe("certgate_client_crl_lists", "CRLs loaded from --client-crl."))
        revoked = registry.makeGauge(descriptor: describe(
            "certgate_client_crl_revoked_certificates", "Revoked entries in the loaded CRLs (summed over the CRLs)."))
        uncovered = registry.makeGauge(descriptor: describe(
            "certgate_client_crl_uncovered_cas",
            "Trusted client CAs with no CRL in --client-crl; their clients are refused (client_crl_unavailable)."))
    }

    public func recordReload(trigger: String, result: String) {
        reloads[trigger + "/" + result]?.increment()
    }

    /// The CRLs in force: how many, revoked entries, trusted CAs without a CRL, and issuing-CA
    /// fingerprint (hex) → nextUpdate. Series of CAs no longer issuing a loaded CRL are removed.
    public func setLists(count: Int, revokedEntries: Int, uncoveredCAs: Int, nextUpdates: [String: Int64]) {
        lists.set(to: Double(count))
        revoked.set(to: Double(revokedEntries))
        uncovered.set(to: Double(uncoveredCAs))
        for (fingerprint, gauge) in nextUpdate where nextUpdates[fingerprint] == nil {
            registry.unregisterGauge(gauge)
            nextUpdate[fingerprint] = nil
        }
        for (fingerprint, value) in nextUpdates {
            let gauge = nextUpdate[fingerprint] ?? registry.makeGauge(
                descriptor: describe(Self.nextUpdateName, Self.nextUpdateHelp), labels: [("issuer_fingerprint", fingerprint)])
            gauge.set(to: Double(value))
            nextUpdate[fingerprint] = gauge
        }
    }
}
