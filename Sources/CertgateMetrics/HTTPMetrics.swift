import Prometheus

/// The `--forward-headers` metrics: requests certgate refused, and the responses it wrote itself.
///
/// Forwarded requests are counted per worker in `TrafficCounters` (one uncontended add per request) and
/// summed into `certgate_http_requests_total` at scrape; refusals and certgate's own responses are rare
/// and use shared counters. Every label value exists from start-up.
public final class HTTPMetrics: Sendable {
    /// Statuses certgate answers with itself: refused requests (400, 431, 501, 505) and an unusable
    /// upstream (502 refused or unreachable, 504 connect timeout).
    public static let responseStatuses = [400, 431, 501, 502, 504, 505]

    let requests: Counter
    private let rejectedByReason: [String: Counter]
    private let responsesByStatus: [Int: Counter]

    init(registry: PrometheusCollectorRegistry, rejectionReasons: [String]) {
        requests = registry.makeCounter(
            descriptor: describe(
                "certgate_http_requests_total",
                "Requests forwarded with rewritten X-Forwarded-* fields (--forward-headers).")
        )
        let rejected = describe(
            "certgate_http_requests_rejected_total",
            "Requests refused by the --forward-headers parser, by reason.")
        var byReason: [String: Counter] = [:]
        for reason in rejectionReasons {
            byReason[reason] = registry.makeCounter(descriptor: rejected, labels: [("reason", reason)])
        }
        rejectedByReason = byReason
        let responses = describe(
            "certgate_http_error_responses_total",
            "Error responses certgate wrote itself (--forward-headers), by status.")
        var byStatus: [Int: Counter] = [:]
        for status in Self.responseStatuses {
            byStatus[status] = registry.makeCounter(descriptor: responses, labels: [("status", String(status))])
        }
        responsesByStatus = byStatus
    }

    /// Counts a refused request; `reason` must be one given at init (anything else is not counted).
    public func rejected(reason: String) {
        rejectedByReason[reason]?.increment()
    }

    /// Counts a response certgate wrote; `status` must be one of `responseStatuses`.
    public func responded(status: Int) {
        responsesByStatus[status]?.increment()
    }
}
