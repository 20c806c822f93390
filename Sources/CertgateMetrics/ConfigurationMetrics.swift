import Prometheus

/// The configuration-reload metrics (SIGHUP and `POST /reload` re-read the config file). Every `result`
/// exists from start-up at 0. Counters and gauges are atomic, so this is thread-safe as it stands.
public final class ConfigurationMetrics: Sendable {
    /// The `result` label values: applied, nothing changed, or refused (the running settings stay).
    public static let results = ["success", "unchanged", "failure"]

    private let reloads: [String: Counter]
    private let lastSuccessful: Gauge
    private let restartPending: Gauge

    public init(registry: PrometheusCollectorRegistry) {
        let descriptor = describe(
            "certgate_config_reloads_total",
            "Configuration reloads (the config file re-read) by how they ended.")
        var reloads: [String: Counter] = [:]
        for result in Self.results {
            reloads[result] = registry.makeCounter(descriptor: descriptor, labels: [("result", result)])
        }
        self.reloads = reloads
        lastSuccessful = registry.makeGauge(
            descriptor: describe(
                "certgate_config_last_reload_successful",
                "1 when the last configuration reload was applied or changed nothing, 0 when it was refused."))
        lastSuccessful.set(to: 1)
        restartPending = registry.makeGauge(
            descriptor: describe(
                "certgate_config_restart_pending_settings",
                "Settings changed in the configuration that only a restart applies (their running values are kept)."))
    }

    /// Counts one reload; `restartPending` is how many changed settings wait for a restart.
    public func recordReload(result: String, restartPending pending: Int) {
        guard let counter = reloads[result] else { return }
        counter.increment()
        lastSuccessful.set(to: result == "failure" ? 0 : 1)
        if result != "failure" {
            restartPending.set(to: Double(pending))
        }
    }
}
