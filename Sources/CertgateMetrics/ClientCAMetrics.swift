import CertgatePosix
import Prometheus

/// The metrics of one client-CA root pool, every series labelled `ca_file` (the configured path of the
/// pool's CA file: bounded by the configuration, never by client input). Every `trigger`/`result`
/// combination exists from start-up.
/// `certgate_client_ca_not_after_timestamp_seconds{ca_file,fingerprint}` has one series per trusted CA,
/// so it is bounded by the pool.
///
/// Control thread only (created by the reload controller there): every entry point asserts that it runs
/// on the creating thread, so a wrong-thread call traps in debug builds.
public final class ClientCAMetrics: @unchecked Sendable {
    private let reloads: ReloadCounters
    private let generations: Gauge
    private let certificates: Gauge
    private let evictions: Counter
    private let notAfter: KeyedGauges
    /// The pool's CA file (the `ca_file` label).
    public let caFile: String
    /// The control thread: the one that created it.
    let owner = ThreadOwner()

    public init(registry: PrometheusCollectorRegistry, caFile: String) {
        self.caFile = caFile
        reloads = ReloadCounters(
            registry: registry, name: "certgate_client_ca_reloads_total",
            help: "Client-CA file reloads by trigger and result (unchanged: same CAs, no pool slot used).",
            labels: [("ca_file", caFile)])
        notAfter = KeyedGauges(
            registry: registry, name: "certgate_client_ca_not_after_timestamp_seconds",
            help: "Expiry (notAfter) of each trusted client CA, by SHA-256 fingerprint.",
            labels: [("ca_file", caFile)], keyLabel: "fingerprint")
        generations = registry.makeGauge(
            descriptor: describe(
                "certgate_client_ca_generations", "CA bundle generations retained in the rotating root pool."),
            labels: [("ca_file", caFile)])
        certificates = registry.makeGauge(
            descriptor: describe(
                "certgate_client_ca_certificates",
                "Distinct CA certificates trusted (union of the retained generations)."),
            labels: [("ca_file", caFile)])
        evictions = registry.makeCounter(
            descriptor: describe(
                "certgate_client_ca_evictions_total", "CA generations evicted from the pool (by the limit or by age)."),
            labels: [("ca_file", caFile)])
    }

    public func recordReload(trigger: String, result: String) {
        owner.assertCurrent("ClientCAMetrics")
        reloads.record(trigger: trigger, result: result)
    }

    public func recordEvictions(_ count: Int) {
        owner.assertCurrent("ClientCAMetrics")
        if count > 0 { evictions.increment(by: Int64(count)) }
    }

    /// The pool as it is now: generation count and fingerprint (hex) → notAfter of every trusted CA.
    public func setPool(generations count: Int, trusted: [String: Int64]) {
        owner.assertCurrent("ClientCAMetrics")
        generations.set(to: Double(count))
        certificates.set(to: Double(trusted.count))
        notAfter.set(trusted)
    }
}
