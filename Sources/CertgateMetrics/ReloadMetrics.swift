import CertgatePosix
import Prometheus

/// The certificate-reload metrics. Every `trigger`/`result` combination exists from start-up (at 0), so
/// `rate()` and `absent()` behave before the first event.
///
/// Control thread only: created with `ProxyMetrics` on the main thread, which runs the control loop.
/// `@unchecked Sendable` because `ProxyMetrics`, which every thread holds, holds it; every entry point
/// asserts that it runs on the creating thread, so a wrong-thread call traps in debug builds.
///
/// `certgate_cert_not_after_timestamp_seconds{cert}` has one series per served certificate: replaced on
/// rotation, removed with the certificate.
public final class ReloadMetrics: @unchecked Sendable {
    /// The `trigger` label values, in the order they are documented.
    public static let triggers = ["startup", "inotify", "stat", "signal", "timer", "admin"]
    /// The `result` label values.
    public static let results = ["success", "failure", "unchanged"]

    private let reloads: ReloadCounters
    private let lastSuccessful: Gauge
    private let lastSuccessTimestamp: Gauge
    private let duration: ValueHistogram
    private let inotifyActive: Gauge
    private let sourcesFailing: Gauge
    private let notAfter: KeyedGauges
    /// The control thread: the one that created it.
    let owner = ThreadOwner()

    public init(registry: PrometheusCollectorRegistry) {
        reloads = ReloadCounters(
            registry: registry, name: "certgate_cert_reloads_total",
            help: "Certificate reloads by what triggered them and how they ended.")
        notAfter = KeyedGauges(
            registry: registry, name: "certgate_cert_not_after_timestamp_seconds",
            help: "Expiry (notAfter) of each served certificate, seconds since the epoch.",
            keyLabel: "cert")
        lastSuccessful = registry.makeGauge(
            descriptor: describe(
                "certgate_cert_last_reload_successful",
                "1 when the last certificate reload loaded every source, 0 when something failed to load."))
        lastSuccessTimestamp = registry.makeGauge(
            descriptor: describe(
                "certgate_cert_last_reload_success_timestamp_seconds",
                "When the last reload that loaded every source (changed or not) finished, seconds since the epoch."))
        duration = registry.makeValueHistogram(
            descriptor: describe(
                "certgate_cert_reload_duration_seconds",
                "Time each certificate reload took, start-up included."),
            buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
        )
        inotifyActive = registry.makeGauge(
            descriptor: describe(
                "certgate_cert_watcher_inotify_active",
                "1 when inotify watches every certificate directory, 0 when changes are found by stat() polling or not at all."
            ))
        sourcesFailing = registry.makeGauge(
            descriptor: describe(
                "certgate_cert_sources_failing",
                "Certificate sources (or directories) whose last load failed; their last good certificate is still served."
            ))
    }

    /// Counts one reload and updates the last-reload gauges.
    public func recordReload(
        trigger: String, result: String, durationSeconds: Double?, failingSources: Int,
        now: Double
    ) {
        owner.assertCurrent("ReloadMetrics")
        reloads.record(trigger: trigger, result: result)
        if let durationSeconds { duration.record(durationSeconds) }
        sourcesFailing.set(to: Double(failingSources))
        if result == "failure" {
            lastSuccessful.set(to: 0)
        } else {
            lastSuccessful.set(to: 1)
            lastSuccessTimestamp.set(to: now)
        }
    }

    public func setInotifyActive(_ active: Bool) {
        owner.assertCurrent("ReloadMetrics")
        inotifyActive.set(to: active ? 1 : 0)
    }

    /// Makes the per-certificate expiry series exactly `expiries` (name → notAfter): new names get a series,
    /// changed values are updated, names no longer served lose theirs.
    public func setNotAfter(_ expiries: [String: Int64]) {
        owner.assertCurrent("ReloadMetrics")
        notAfter.set(expiries)
    }
}
