import Prometheus

/// One `*_reloads_total` family: a counter for every `trigger` × `result` combination
/// (`ReloadMetrics.triggers` × `ReloadMetrics.results`), all created at 0, plus fixed labels before them.
/// Shared by the certificate, client-CA and client-CRL reload metrics.
struct ReloadCounters {
    private let counters: [String: Counter]

    init(registry: PrometheusCollectorRegistry, name: String, help: String, labels: [(String, String)] = []) {
        var counters: [String: Counter] = [:]
        for trigger in ReloadMetrics.triggers {
            for result in ReloadMetrics.results {
                counters[trigger + "/" + result] = registry.makeCounter(
                    descriptor: describe(name, help), labels: labels + [("trigger", trigger), ("result", result)])
            }
        }
        self.counters = counters
    }

    /// Counts one reload; label values outside the fixed sets are not counted.
    func record(trigger: String, result: String) {
        counters[trigger + "/" + result]?.increment()
    }
}

/// A gauge family with one series per key (a certificate name, a CA fingerprint), kept exactly equal
/// to the latest set of keys: series of keys that are gone are unregistered, so alerts never fire on
/// something no longer served. Control thread only.
final class KeyedGauges {
    private let registry: PrometheusCollectorRegistry
    private let descriptor: MetricNameDescriptor
    private let labels: [(String, String)]
    private let keyLabel: String
    private var gauges: [String: Gauge] = [:]

    init(
        registry: PrometheusCollectorRegistry, name: String, help: String, labels: [(String, String)] = [],
        keyLabel: String
    ) {
        self.registry = registry
        self.descriptor = describe(name, help)
        self.labels = labels
        self.keyLabel = keyLabel
    }

    /// Makes the series exactly `values` (key → value).
    func set(_ values: [String: Int64]) {
        for (key, gauge) in gauges where values[key] == nil {
            registry.unregisterGauge(gauge)
            gauges[key] = nil
        }
        for (key, value) in values {
            let gauge = gauges[key] ?? registry.makeGauge(descriptor: descriptor, labels: labels + [(keyLabel, key)])
            gauge.set(to: Double(value))
            gauges[key] = gauge
        }
    }
}
