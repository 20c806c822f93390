import CertgatePosix
import Prometheus

/// The metrics of the CRL file of one client-CA root pool, every series labelled `ca_file` (the pool's
/// configured CA file, as in `ClientCAMetrics`). Every `trigger`/`result` combination exists from
/// start-up. `certgate_client_crl_next_update_timestamp_seconds{ca_file,issuer_fingerprint}` has one
/// series per CA that signed a loaded CRL, so it is bounded by the root pool.
///
/// Control thread only (created by the reload controller there): every entry point asserts that it runs
/// on the creating thread, so a wrong-thread call traps in debug builds.
public final class ClientCRLMetrics: @unchecked Sendable {
    private let reloads: ReloadCounters
    private let lists: Gauge
    private let revoked: Gauge
    private let uncovered: Gauge
    private let nextUpdate: KeyedGauges
    /// The CA file of the pool the CRLs belong to (the `ca_file` label).
    public let caFile: String
    /// The control thread: the one that created it.
    let owner = ThreadOwner()

    public init(registry: PrometheusCollectorRegistry, caFile: String) {
        self.caFile = caFile
        reloads = ReloadCounters(
            registry: registry, name: "certgate_client_crl_reloads_total",
            help: "Client CRL file reloads by trigger and result (failure: the previous CRLs stay in force).",
            labels: [("ca_file", caFile)])
        nextUpdate = KeyedGauges(
            registry: registry, name: "certgate_client_crl_next_update_timestamp_seconds",
            help: "nextUpdate of the loaded CRLs, by SHA-256 fingerprint of the issuing client CA (latest per CA). "
                + "Clients of that CA are refused once it passes.",
            labels: [("ca_file", caFile)], keyLabel: "issuer_fingerprint")
        lists = registry.makeGauge(
            descriptor: describe("certgate_client_crl_lists", "CRLs loaded from --client-crl."),
            labels: [("ca_file", caFile)])
        revoked = registry.makeGauge(
            descriptor: describe(
                "certgate_client_crl_revoked_certificates", "Revoked entries in the loaded CRLs (summed over the CRLs)."
            ),
            labels: [("ca_file", caFile)])
        uncovered = registry.makeGauge(
            descriptor: describe(
                "certgate_client_crl_uncovered_cas",
                "Trusted client CAs with no CRL in --client-crl; their clients are refused (client_crl_unavailable)."),
            labels: [("ca_file", caFile)])
    }

    public func recordReload(trigger: String, result: String) {
        owner.assertCurrent("ClientCRLMetrics")
        reloads.record(trigger: trigger, result: result)
    }

    /// The CRLs in force: how many, revoked entries, trusted CAs without a CRL, and issuing-CA
    /// fingerprint (hex) → nextUpdate. Series of CAs no longer issuing a loaded CRL are removed.
    public func setLists(count: Int, revokedEntries: Int, uncoveredCAs: Int, nextUpdates: [String: Int64]) {
        owner.assertCurrent("ClientCRLMetrics")
        lists.set(to: Double(count))
        revoked.set(to: Double(revokedEntries))
        uncovered.set(to: Double(uncoveredCAs))
        nextUpdate.set(nextUpdates)
    }
}
