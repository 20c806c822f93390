import CertgateCertificates
import CertgateMetrics
import CertgatePosix
import Logging

/// Turns certificate reload outcomes into metrics and log lines: the start-up load, each reload's
/// report, the expiry warnings and the state of the inotify watches. The `ReloadController` does the
/// reloading and hands the results here, as it does client-CA and CRL outcomes to `ClientTrustReporter`.
///
/// Control thread only, like the controller and the metrics it updates.
final class CertificateReloadReporter {
    /// How many certificates the expiry warnings name one by one before summarising the rest.
    static let expiryLinesLimit = 20

    private let store: CertificateStore
    private let metrics: ProxyMetrics
    private let logger: Logger
    /// `--expiry-warning`; `nil` disables the warnings.
    private let expiryWarning: Duration?

    init(store: CertificateStore, metrics: ProxyMetrics, logger: Logger, expiryWarning: Duration?) {
        self.store = store
        self.metrics = metrics
        self.logger = logger
        self.expiryWarning = expiryWarning
    }

    /// The start-up load (the store already loaded; `duration` is how long it took).
    func recordStartup(duration: Duration) {
        warnAboutUnmatchedPolicies(when: "start-up")
        warnAboutExpiry(store.snapshot.certificates, when: "start-up")
        recordOCSP(store.snapshot.certificates, when: "start-up")
        updateCertificateMetrics()
        metrics.reload.recordReload(
            trigger: ReloadTrigger.startup.rawValue,
            result: ReloadReport.Result.success.rawValue, durationSeconds: duration.seconds,
            failingSources: 0, now: Timestamp.preciseNow)
    }

    /// A configuration reload built a new service around this store: the certificate gauges and the
    /// policy warnings follow it (no reload counted: the reload that follows counts).
    func adopted() {
        warnAboutUnmatchedPolicies(when: "configuration reload")
        updateCertificateMetrics()
    }

    /// One finished reload. `published`: whether a new snapshot went to the workers (certificates or
    /// client trust changed).
    func record(_ report: ReloadReport, published: Bool) {
        if published || report.trigger == .signal || report.trigger == .admin {
            warnAboutUnmatchedPolicies(when: "reload")
        }
        if report.snapshot != nil {
            updateCertificateMetrics()
        }
        metrics.reload.recordReload(
            trigger: report.trigger.rawValue, result: report.result.rawValue,
            durationSeconds: report.duration.seconds, failingSources: store.failingCount,
            now: Timestamp.preciseNow)
        log(report)
    }

    /// The client trust could not be rebuilt after a client-CA or CRL change; the previous one is served.
    func clientTrustFailed(_ failure: String, trigger: ReloadTrigger) {
        logger.error(
            "client trust could not be rebuilt; still serving the previous one",
            metadata: [
                "error": "\(failure)", "trigger": "\(trigger.rawValue)",
            ])
    }

    /// The daily `--expiry-warning` check of everything served.
    func checkExpiry() {
        warnAboutExpiry(store.snapshot.certificates, when: "daily check")
    }

    /// `certgate_cert_watcher_inotify_active`: whether inotify watches every directory that matters.
    func recordWatchState(complete: Bool) {
        metrics.reload.setInotifyActive(complete)
    }

    /// The served certificates' count and expiry series, from the store's current snapshot.
    private func updateCertificateMetrics() {
        let snapshot = store.snapshot
        metrics.certificatesLoaded.set(to: Double(snapshot.count))
        var expiries: [String: Int64] = [:]
        for certificate in snapshot.certificates {
            expiries[certificate.name] = certificate.certifiedKey.leaf.notAfter
        }
        metrics.reload.setNotAfter(expiries)
        var nextUpdates: [String: Int64] = [:]
        for certificate in snapshot.certificates {
            if let staple = certificate.ocspStaple { nextUpdates[certificate.name] = staple.nextUpdate }
        }
        metrics.ocsp.setNextUpdate(nextUpdates)
    }

    /// Counts and logs the OCSP response files of certificates just parsed: one line per file not
    /// stapled, naming the file and why.
    private func recordOCSP(_ certificates: [LoadedCertificate], when: String) {
        for certificate in certificates {
            guard let load = certificate.ocspLoad else { continue }
            metrics.ocsp.recordResponse(result: load.metricResult)
            switch load {
            case .loaded:
                logger.info(
                    "OCSP response loaded",
                    metadata: [
                        "cert": "\(certificate.name)", "file": "\(certificate.source.ocspPath)",
                        "next_update": "\(certificate.ocspStaple.map { Timestamp.rfc3339($0.nextUpdate) } ?? "-")",
                        "check": "\(when)",
                    ])
            case .rejected(let path, let error, let keptPrevious):
                logger.error(
                    keptPrevious
                        ? "OCSP response not stapled; still stapling the previous one while it is current"
                        : "OCSP response not stapled",
                    metadata: [
                        "cert": "\(certificate.name)", "file": "\(path)", "error": "\(error)",
                        "result": "\(load.metricResult)", "check": "\(when)",
                    ])
            }
        }
    }

    /// One line per changed or failed source and per problem, then the summary line, quieter (debug) for
    /// automatic checks that found nothing new.
    private func log(_ report: ReloadReport) {
        let trigger = report.trigger.rawValue
        for (name, outcome) in report.outcomes {
            switch outcome {
            case .unchanged:
                continue
            case .added(let serial):
                logger.notice(
                    "certificate added",
                    metadata: [
                        "cert": "\(name)", "old_serial": "-", "new_serial": "\(serial)", "trigger": "\(trigger)",
                    ])
            case .replaced(let old, let new):
                logger.notice(
                    "certificate replaced",
                    metadata: [
                        "cert": "\(name)", "old_serial": "\(old)", "new_serial": "\(new)", "trigger": "\(trigger)",
                    ])
            case .removed(let serial):
                logger.notice(
                    "certificate removed",
                    metadata: [
                        "cert": "\(name)", "old_serial": "\(serial)", "new_serial": "-", "trigger": "\(trigger)",
                    ])
            case .failed(let reason, let serving, let firstReport):
                let metadata: Logger.Metadata = [
                    "cert": "\(name)", "error": "\(reason)", "serving_serial": "\(serving ?? "-")",
                    "trigger": "\(trigger)",
                ]
                let message: Logger.Message =
                    serving == nil
                    ? "certificate failed to load; not served; will retry"
                    : "certificate reload failed; still serving the previous certificate; will retry"
                if firstReport {
                    logger.error(message, metadata: metadata)
                } else {
                    logger.debug(message, metadata: metadata)
                }
            }
        }
        for problem in report.problems {
            if problem.firstReport {
                logger.error(
                    "certificate reload problem; will retry",
                    metadata: [
                        "error": "\(problem.reason)", "trigger": "\(trigger)",
                    ])
            } else {
                logger.debug("certificate reload problem persists", metadata: ["error": "\(problem.reason)"])
            }
        }
        if let snapshot = report.snapshot {
            for warning in snapshot.warnings {
                logger.warning("\(warning)")
            }
            let fresh = Set(
                report.outcomes.compactMap { name, outcome -> String? in
                    switch outcome {
                    case .added, .replaced: return name
                    default: return nil
                    }
                })
            let parsed = snapshot.certificates.filter { fresh.contains($0.name) }
            warnAboutExpiry(parsed, when: "reload")
            recordOCSP(parsed, when: "reload")
        }
        let metadata: Logger.Metadata = [
            "trigger": "\(trigger)", "result": "\(report.result.rawValue)",
            "certificates": "\(store.snapshot.count)",
            "changed": "\(report.outcomes.filter { $0.outcome.changesSnapshot }.count)",
            "failed": "\(report.outcomes.filter { $0.outcome.status == "failed" }.count + report.problems.count)",
            "duration_ms": "\(Self.milliseconds(report.duration))",
            "read": "\(report.sourcesRead)", "parsed": "\(report.sourcesParsed)",
        ]
        let automatic = report.trigger == .inotify || report.trigger == .stat || report.trigger == .timer
        let nothingNew =
            !report.outcomes.contains { outcome in
                switch outcome.outcome {
                case .unchanged: return false
                case .failed(_, _, let firstReport): return firstReport
                default: return true
                }
            } && !report.problems.contains { $0.firstReport }
        if report.result == .unchanged && automatic {
            logger.debug("certificates checked; nothing changed", metadata: metadata)
        } else if report.result == .failure && automatic && nothingNew {
            // A retry failing exactly as before: the error line was logged the first time.
            logger.debug("certificate reload still failing", metadata: metadata)
        } else {
            logger.notice("certificate reload finished", metadata: metadata)
        }
    }

    /// One warning per `per-certificate:` name that matches no loaded certificate (its policy applies to
    /// nothing until a certificate of that name is loaded). Never fails anything.
    private func warnAboutUnmatchedPolicies(when: String) {
        for name in store.snapshot.unmatchedPolicyNames {
            logger.warning(
                "per-certificate entry matches no loaded certificate; its policy applies to nothing",
                metadata: [
                    "cert": "\(name)", "check": "\(when)",
                    "certificates": "\(store.snapshot.count)",
                ])
        }
    }

    /// One warning per certificate in `certificates` that expires within `--expiry-warning` (at most
    /// `expiryLinesLimit` lines, then one summary line).
    private func warnAboutExpiry(_ certificates: [LoadedCertificate], when: String) {
        guard let window = expiryWarning else { return }
        let findings = ExpiryCheck.findings(certificates, now: Timestamp.now, window: window.components.seconds)
        for finding in findings.prefix(Self.expiryLinesLimit) {
            logger.warning(
                finding.daysLeft < 0 ? "certificate has expired" : "certificate expires soon",
                metadata: [
                    "cert": "\(finding.name)", "not_after": "\(Timestamp.rfc3339(finding.notAfter))",
                    "days_left": "\(finding.daysLeft)", "file": "\(finding.path)", "check": "\(when)",
                ])
        }
        if findings.count > Self.expiryLinesLimit {
            logger.warning(
                "more certificates expire soon",
                metadata: [
                    "count": "\(findings.count - Self.expiryLinesLimit)", "check": "\(when)",
                    "expiry_warning_days": "\(window.components.seconds / 86400)",
                ])
        }
    }

    /// `duration_ms` of the summary line: two decimals below 10 ms, whole milliseconds above.
    static func milliseconds(_ duration: Duration) -> String {
        let value = duration.seconds * 1000
        return value < 10 ? String(Double(Int(value * 100)) / 100) : String(Int(value))
    }
}
