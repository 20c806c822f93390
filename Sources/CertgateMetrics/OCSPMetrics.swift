import CertgatePosix
import Prometheus

/// The OCSP stapling metrics: `certgate_ocsp_next_update_timestamp_seconds{cert}` (one series per
/// certificate with a stapled response, removed with it) and `certgate_ocsp_responses_total{result}`
/// (response files checked at load, every result created at 0) and `certgate_ocsp_fetches_total{result}`
/// (`--ocsp-fetch` fetches: success, error, invalid, unsupported).
///
/// Control thread only, like `ReloadMetrics`.
public final class OCSPMetrics: @unchecked Sendable {
    /// The `result` label values: checked and stapled, or why not.
    public static let results = ["loaded", "invalid", "expired", "revoked"]

    /// The `result` label values of fetches: stored, failed to reach or read the responder (error), refused
    /// by the checks (invalid), no fetchable responder URL (unsupported).
    public static let fetchResults = ["success", "error", "invalid", "unsupported"]

    private let nextUpdate: KeyedGauges
    private let responses: [String: Counter]
    private let fetches: [String: Counter]
    let owner = ThreadOwner()

    public init(registry: PrometheusCollectorRegistry) {
        nextUpdate = KeyedGauges(
            registry: registry, name: "certgate_ocsp_next_update_timestamp_seconds",
            help: "nextUpdate of the OCSP response stapled for each certificate, seconds since the epoch.",
            keyLabel: "cert")
        let descriptor = describe(
            "certgate_ocsp_responses_total",
            "OCSP response files checked at load, by result: loaded (stapled), invalid, expired, revoked.")
        var responses: [String: Counter] = [:]
        for result in Self.results {
            responses[result] = registry.makeCounter(descriptor: descriptor, labels: [("result", result)])
        }
        self.responses = responses
        let fetchDescriptor = describe(
            "certgate_ocsp_fetches_total",
            "OCSP responses fetched by --ocsp-fetch, by result: success, error, invalid, unsupported.")
        var fetches: [String: Counter] = [:]
        for result in Self.fetchResults {
            fetches[result] = registry.makeCounter(descriptor: fetchDescriptor, labels: [("result", result)])
        }
        self.fetches = fetches
    }

    /// Counts one fetch; unknown results are not counted.
    public func recordFetch(result: String) {
        owner.assertCurrent("OCSPMetrics")
        fetches[result]?.increment()
    }

    /// Counts one checked response file; unknown results are not counted.
    public func recordResponse(result: String) {
        owner.assertCurrent("OCSPMetrics")
        responses[result]?.increment()
    }

    /// Makes the nextUpdate series exactly `values` (certificate name → nextUpdate).
    public func setNextUpdate(_ values: [String: Int64]) {
        owner.assertCurrent("OCSPMetrics")
        nextUpdate.set(values)
    }
}
