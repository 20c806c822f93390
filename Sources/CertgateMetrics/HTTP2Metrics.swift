import Prometheus

/// HTTP/2 termination (`--alpn h2,...` with `--upstream-protocol http1`): connections by application
/// protocol, HTTP/2 requests by result, the defences against known attacks and the upstream pool.
/// Every label value exists from start-up at 0. Label values are fixed by the code.
public final class HTTP2Metrics: Sendable {
    /// `protocol` values of `certgate_connections_by_protocol_total`.
    public static let protocols = ["h2", "http1"]
    /// `result` values of `certgate_http2_requests_total`.
    public static let results = ["forwarded", "refused", "upstream_failed", "reset"]
    /// `kind` values of `certgate_http2_attacks_total` (`HTTP2Defence` raw values).
    public static let attackKinds = ["rapid_reset", "continuation_flood", "hpack_bomb", "settings_flood", "ping_flood"]

    private let connections: [String: Counter]
    private let requests: [String: Counter]
    private let attacks: [String: Counter]
    /// The `result` counters one by one, for the per-request path (no lookup by name).
    public let requestsForwarded: Counter
    public let requestsRefused: Counter
    public let requestsUpstreamFailed: Counter
    public let requestsReset: Counter
    /// Connection-level protocol errors that were not one of the attacks.
    public let protocolErrors: Counter
    /// Connections the per-worker upstream pool opened, and requests that reused a kept-alive one.
    public let poolConnects: Counter
    public let poolReuses: Counter

    public init(registry: PrometheusCollectorRegistry) {
        connections = Self.family(
            registry, "certgate_connections_by_protocol_total",
            "Handshakes completed, by application protocol: h2 (terminated HTTP/2) or http1 (everything else, "
                + "h2 passed through to an h2c upstream included).", "protocol", Self.protocols)
        requests = Self.family(
            registry, "certgate_http2_requests_total",
            "HTTP/2 streams (terminated), by result: forwarded to the upstream, refused (malformed), "
                + "upstream_failed (502 or a broken response), reset (by the client before the response ended).",
            "result", Self.results)
        requestsForwarded = requests["forwarded"]!
        requestsRefused = requests["refused"]!
        requestsUpstreamFailed = requests["upstream_failed"]!
        requestsReset = requests["reset"]!
        attacks = Self.family(
            registry, "certgate_http2_attacks_total",
            "HTTP/2 defences that fired, by kind; rapid_reset, continuation_flood, settings_flood and ping_flood "
                + "close the connection, hpack_bomb refuses the stream.", "kind", Self.attackKinds)
        protocolErrors = registry.makeCounter(
            descriptor: describe(
                "certgate_http2_protocol_errors_total",
                "HTTP/2 connections closed for a protocol error other than a counted attack."))
        poolConnects = registry.makeCounter(
            descriptor: describe(
                "certgate_upstream_pool_connects_total",
                "Upstream connections the HTTP/2 upstream pool opened."))
        poolReuses = registry.makeCounter(
            descriptor: describe(
                "certgate_upstream_pool_reuses_total",
                "HTTP/2 requests sent on a kept-alive upstream connection from the pool."))
    }

    private static func family(
        _ registry: PrometheusCollectorRegistry, _ name: String, _ help: String, _ label: String, _ values: [String]
    ) -> [String: Counter] {
        let descriptor = describe(name, help)
        var counters: [String: Counter] = [:]
        for value in values { counters[value] = registry.makeCounter(descriptor: descriptor, labels: [(label, value)]) }
        return counters
    }

    public func connection(protocol name: String) {
        connections[name]?.increment()
    }

    public func request(result: String) {
        requests[result]?.increment()
    }

    public func attack(kind: String) {
        attacks[kind]?.increment()
    }
}
