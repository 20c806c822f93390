import Prometheus

/// Session resumption and ticket key metrics. Never a key, a key name or anything derived from one: only
/// counts. Every `result` exists from start-up at 0. Thread-safe (atomic counters and gauges).
public final class TicketKeyMetrics: Sendable {
    /// The `result` label values of ticket key reloads: new keys in force, the file unchanged, or refused
    /// (the keys in force stay).
    public static let results = ["success", "unchanged", "failure"]

    /// Successful handshakes that resumed a session (a ticket or a session id) instead of a full handshake.
    public let resumptions: Counter
    private let reloads: [String: Counter]
    private let keysLoaded: Gauge

    public init(registry: PrometheusCollectorRegistry) {
        resumptions = registry.makeCounter(
            descriptor: describe(
                "certgate_tls_resumptions_total",
                "Successful TLS handshakes that resumed a session (ticket or session id); they are also "
                    + "counted in certgate_tls_handshakes_total."))
        let descriptor = describe(
            "certgate_tls_ticket_key_reloads_total",
            "Reloads of the --ticket-keys file (and rotations of random ticket keys) by how they ended.")
        var reloads: [String: Counter] = [:]
        for result in Self.results {
            reloads[result] = registry.makeCounter(descriptor: descriptor, labels: [("result", result)])
        }
        self.reloads = reloads
        keysLoaded = registry.makeGauge(
            descriptor: describe(
                "certgate_tls_ticket_keys",
                "Session ticket keys in use (the first encrypts, all decrypt); 0 when tickets are off."))
    }

    /// Counts one reload; `keys` is how many keys are in use after it.
    public func recordReload(result: String, keys: Int) {
        reloads[result]?.increment()
        recordKeys(keys)
    }

    public func recordKeys(_ count: Int) {
        keysLoaded.set(to: Double(count))
    }
}
