import Prometheus

/// The re-resolution of an `--upstream` host name: attempts by result, and the addresses in use.
/// Thread-safe (atomic counters and gauges); every `result` exists from start-up at 0.
public final class UpstreamMetrics: Sendable {
    public static let results = ["success", "failure"]

    private let resolutions: [String: Counter]
    private let addresses: Gauge

    public init(registry: PrometheusCollectorRegistry) {
        let descriptor = describe(
            "certgate_upstream_resolutions_total",
            "Re-resolutions of the --upstream host name by result; a failure keeps the last good addresses.")
        var resolutions: [String: Counter] = [:]
        for result in Self.results {
            resolutions[result] = registry.makeCounter(descriptor: descriptor, labels: [("result", result)])
        }
        self.resolutions = resolutions
        addresses = registry.makeGauge(
            descriptor: describe(
                "certgate_upstream_addresses",
                "Upstream addresses new connections rotate through (a failed connect tries the next)."))
    }

    public func recordResolution(result: String) {
        resolutions[result]?.increment()
    }

    public func recordAddresses(_ count: Int) {
        addresses.set(to: Double(count))
    }
}
