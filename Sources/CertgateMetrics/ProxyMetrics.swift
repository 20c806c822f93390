import Prometheus

/// Every metric certgate exports, created once at start-up and shared by all threads.
///
/// Handles are created here and nowhere else: the data path only calls `increment`/`decrement` on a
/// handle it already holds (one relaxed atomic operation), never looks a metric up by name, and never
/// creates a label combination per connection. Label values are fixed by the code or the configuration,
/// never taken from client input.
public final class ProxyMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    public let connectionsActive: Gauge
    public let connectionsTotal: Counter
    public let handshakeSuccesses: Counter
    public let handshakeFailures: Counter
    public let upstreamConnectFailures: Counter
    /// Connections accepted and dropped at once because the process ran out of file descriptors.
    public let acceptShed: Counter
    public let certificatesLoaded: Gauge
    /// Certificate reloads, expiry per certificate, watcher state.
    public let reload: ReloadMetrics

    public init(version: String, openSSLVersion: String, registry: PrometheusCollectorRegistry = .init()) {
        self.registry = registry
        registry.makeGauge(
            descriptor: Self.describe("certgate_build_info", "Build information; the value is always 1."),
            labels: [("version", version), ("openssl", openSSLVersion)]
        ).set(to: 1)
        connectionsActive = registry.makeGauge(
            descriptor: Self.describe("certgate_connections_active", "Client connections currently open (handshaking, connecting or proxying).")
        )
        connectionsTotal = registry.makeCounter(
            descriptor: Self.describe("certgate_connections_total", "Client connections accepted.")
        )
        handshakeSuccesses = registry.makeCounter(
            descriptor: Self.describe("certgate_tls_handshakes_total", "TLS handshakes completed or failed."),
            labels: [("result", "success")]
        )
        handshakeFailures = registry.makeCounter(
            descriptor: Self.describe("certgate_tls_handshakes_total", "TLS handshakes completed or failed."),
            labels: [("result", "failure")]
        )
        upstreamConnectFailures = registry.makeCounter(
            descriptor: Self.describe("certgate_upstream_connect_failures_total", "Upstream connections that could not be established (refused, unreachable or timed out).")
        )
        acceptShed = registry.makeCounter(
            descriptor: Self.describe("certgate_connections_shed_total", "Connections closed right after accept because the process had no file descriptor left.")
        )
        certificatesLoaded = registry.makeGauge(
            descriptor: Self.describe("certgate_certificates_loaded", "Certificates in the snapshot being served.")
        )
        reload = ReloadMetrics(registry: registry)
    }

    /// A descriptor carrying the full metric name (already suffixed, e.g. `_total`) and its HELP text.
    private static func describe(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4096)
        registry.emit(into: &buffer)
        return buffer
    }
}
