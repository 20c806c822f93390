import Prometheus

/// The metrics of one client-CA root pool, every series labelled `ca_file` (the configured path of the
/// pool's CA file: bounded by the configuration, never by client input). Every `trigger`/`result`
/// combination exists from start-up. Control thread only.
/// `certgate_client_ca_not_after_timestamp_seconds{ca_file,fingerprint}` has one series per trusted CA,
/// so it is bounded by the pool.
public final class ClientCAMetrics: @unchecked Sendable {
    private let registry: PrometheusCollectorRegistry
    private let reloads: [String: Counter]
    private let generations: Gauge
    private let certificates: Gauge
    private let evictions: Counter
    private var notAfter: [String: Gauge] = [:]
    /// The pool's CA file (the `ca_file` label).
    public let caFile: String

    private static let notAfterName = "certgate_client_ca_not_after_timestamp_seconds"
    private static let notAfterHelp = "Expiry (notAfter) of each trusted client CA, by SHA-256 fingerprint."

    public init(registry: PrometheusCollectorRegistry, caFile: String) {
        self.registry = registry
        self.caFile = caFile
        var reloads: [String: Counter] = [:]
        for trigger in ReloadMetrics.triggers {
            for result in ReloadMetrics.results {
                reloads[trigger + "/" + result] = registry.makeCounter(
                    descriptor: describe("certgate_client_ca_reloads_total",
                                         "Client-CA file reloads by trigger and result (unchanged: same CAs, no pool slot used)."),
                    labels: [("ca_file", caFile), ("trigger", trigger), ("result", result)])
            }
        }
        self.reloads = reloads
        generations = registry.makeGauge(descriptor: describe(
            "certgate_client_ca_generations", "CA bundle generations retained in the rotating root pool."),
            labels: [("ca_file", caFile)])
        certificates = registry.makeGauge(descriptor: describe(
            "certgate_client_ca_certificates", "Distinct CA certificates trusted (union of the retained generations)."),
            labels: [("ca_file", caFile)])
        evictions = registry.makeCounter(descriptor: describe(
            "certgate_client_ca_evictions_total", "CA generations evicted from the pool (by the limit or by age)."),
            labels: [("ca_file", caFile)])
    }

    public func recordReload(trigger: String, result: String) {
        reloads[trigger + "/" + result]?.increment()
    }

    public func recordEvictions(_ count: Int) {
        if count > 0 { evictions.increment(by: Int64(count)) }
    }

    /// The pool as it is now: generation count and fingerprint (hex) → notAfter of every trusted CA.
    public func setPool(generations count: Int, trusted: [String: Int64]) {
        generations.set(to: Double(count))
        certificates.set(to: Double(trusted.count))
        for (fingerprint, gauge) in notAfter where trusted[fingerprint] == nil {
            registry.unregisterGauge(gauge)
            notAfter[fingerprint] = nil
        }
        for (fingerprint, value) in trusted {
            let gauge = notAfter[fingerprint] ?? registry.makeGauge(
                descriptor: describe(Self.notAfterName, Self.notAfterHelp), labels: [("ca_file", caFile), ("fingerprint", fingerprint)])
            gauge.set(to: Double(value))
            notAfter[fingerprint] = gauge
        }
    }
}
