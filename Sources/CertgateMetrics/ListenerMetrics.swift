import Prometheus

/// The listeners' metrics: the connection limit (`--max-connections`), how often it was reached, and
/// the pauses after failed accepts. Rare events (never per byte), so plain shared counters.
public final class ListenerMetrics: Sendable {
    /// The `reason` values of `certgate_accept_paused_total`: out of file descriptors (EMFILE, ENFILE),
    /// out of kernel memory (ENOBUFS, ENOMEM), any other accept error.
    public static let pauseReasons = ["no_descriptors", "no_memory", "other"]

    /// `certgate_connections_limit`: set once at start-up.
    public let connectionsLimit: Gauge
    /// `certgate_connections_limit_reached_total`: connections that took the last free slot.
    public let limitReached: Counter
    private let pausedByReason: [String: Counter]

    init(registry: PrometheusCollectorRegistry) {
        connectionsLimit = registry.makeGauge(
            descriptor: describe(
                "certgate_connections_limit",
                "The most client connections open at once (--max-connections); at the limit the listeners "
                    + "stop accepting.")
        )
        limitReached = registry.makeCounter(
            descriptor: describe(
                "certgate_connections_limit_reached_total",
                "Times the connection limit was reached (a connection took the last free slot).")
        )
        let paused = describe(
            "certgate_accept_paused_total",
            "Times a listener paused accepting (50 ms doubling to 1 s) after accept failed, by reason.")
        var byReason: [String: Counter] = [:]
        for reason in Self.pauseReasons {
            byReason[reason] = registry.makeCounter(descriptor: paused, labels: [("reason", reason)])
        }
        pausedByReason = byReason
    }

    /// Counts a pause; `reason` is one of `pauseReasons` (anything else counts as `other`).
    public func acceptPaused(reason: String) {
        (pausedByReason[reason] ?? pausedByReason["other"])?.increment()
    }
}
