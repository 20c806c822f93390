import CertgateCertificates
import CertgateMetrics
import CertgatePosix
import CertgateTLS
import LibEV
import Logging

/// Runs certificate reloads on the control loop: change detection (inotify and the periodic `stat()`
/// check), debouncing, explicit requests (SIGHUP, `POST /reload`, `--reload-interval`), retries of
/// failed sources with backoff, publishing new snapshots, metrics and the log lines.
///
/// Threads: everything here, including the blocking file reads of a reload, runs on the control
/// thread. Workers only ever see the finished immutable snapshot through `publish`.
///
/// Loop-confined (not Sendable): create, start, use and stop it on the control loop's thread.
public final class ReloadController: LoopService {
    public struct Settings: Sendable, Equatable {
        /// Watch certificate directories with inotify.
        public var inotify: Bool
        /// Run the periodic `stat()` check; `nil` disables it.
        public var statInterval: Duration?
        /// Force a full re-read this often; `nil` disables it.
        public var reloadInterval: Duration?
        /// Quiet time after the last change notification before reloading.
        public var debounce: Duration
        /// Longest a burst of notifications can postpone a reload.
        public var debounceCap: Duration
        /// Warn about served certificates this close to expiry (at start-up, when one is loaded, and
        /// daily); `nil` disables the warnings.
        public var expiryWarning: Duration?

        public init(inotify: Bool, statInterval: Duration?, reloadInterval: Duration? = nil,
                    debounce: Duration = .milliseconds(150), debounceCap: Duration = .seconds(1),
                    expiryWarning: Duration? = .seconds(14 * 86400)) {
            self.inotify = inotify
            self.statInterval = statInterval
            self.reloadInterval = reloadInterval
            self.debounce = debounce
            self.debounceCap = debounceCap
            self.expiryWarning = expiryWarning
        }
    }

    /// How often lost or missing inotify watches are tried again.
    static let watchRetryInterval = Duration.milliseconds(500)

    public let settings: Settings
    private let loop: EventLoop
    private let store: CertificateStore
    private let metrics: ProxyMetrics
    private let logger: Logger
    private let publish: (CertificateSnapshot) -> Void
    private var debouncer: Debouncer
    private var inotify: InotifyWatcher?
    private var debounceTimer: TimerWatcher?
    private var statTimer: TimerWatcher?
    private var watchRetryTimer: TimerWatcher?
    private var intervalTimer: TimerWatcher?
    private var retryTimer: TimerWatcher?
    private var expiryTimer: TimerWatcher?
    /// How many certificates the expiry warnings name one by one before summarising the rest.
    static let expiryLinesLimit = 20
    private var reportedMissing: Set<String> = []
    private var started = false
    private var stopped = false

    /// The client-certificate policies with one root pool (and CRL file) per CA file, reloaded with the
    /// certificates (`nil` when no policy asks for client certificates).
    private let clientTrust: ClientTrustPolicies?
    /// One per pool, in `clientTrust.stores` order.
    private let clientTrustReporters: [ClientTrustReporter]

    /// - Parameter clientTrust: the client-certificate policies; each pool gets its metrics (labelled with
    ///   its CA file) in `metrics.registry`.
    public init(loop: EventLoop, store: CertificateStore, settings: Settings, metrics: ProxyMetrics, logger: Logger,
                clientTrust: ClientTrustPolicies? = nil,
                publish: @escaping (CertificateSnapshot) -> Void) {
        self.loop = loop
        self.store = store
        self.clientTrust = clientTrust
        self.clientTrustReporters = (clientTrust?.stores ?? []).map { pool in
            ClientTrustReporter(store: pool, caMetrics: ClientCAMetrics(registry: metrics.registry, caFile: pool.options.path),
                                crlMetrics: pool.crl == nil ? nil : ClientCRLMetrics(registry: metrics.registry,
                                                                                     caFile: pool.options.path),
                                logger: logger)
        }
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        self.publish = publish
        self.debouncer = Debouncer(quiet: settings.debounce, cap: settings.debounceCap)
    }

    deinit {
        stop()
    }

    /// Records the start-up load in the metrics (the store already loaded; `duration` is how long it took).
    public func recordStartup(duration: Duration) {
        clientTrustReporters.forEach { $0.recordStartup() }
        warnAboutUnmatchedPolicies(when: "start-up")
        warnAboutExpiry(store.snapshot.certificates, when: "start-up")
        updateCertificateMetrics()
        metrics.reload.recordReload(trigger: ReloadTrigger.startup.rawValue, result: ReloadReport.Result.success.rawValue,
                                    durationSeconds: duration.seconds, failingSources: 0, now: Timestamp.preciseNow)
    }

    /// Starts change detection and the timers. Never blocks; a no-op after the first call or after `stop()`.
    public func start() {
        guard !started, !stopped else { return }
        started = true
        debounceTimer = TimerWatcher(loop: loop) { [unowned self] in self.debounceFired() }
        retryTimer = TimerWatcher(loop: loop) { [unowned self] in self.reload(trigger: .timer, forceRead: false) }
        if settings.inotify {
            do {
                inotify = try InotifyWatcher(loop: loop) { [unowned self] event in self.inotifyEvent(event) }
            } catch {
                logger.warning("inotify unavailable; certificate changes are found by the stat() check only", metadata: [
                    "error": "\(error)",
                    "stat_interval": "\(settings.statInterval.map { "\($0)" } ?? "off")",
                ])
            }
            watchRetryTimer = TimerWatcher(loop: loop) { [unowned self] in self.retryWatches() }
            refreshWatches()
        }
        metrics.reload.setInotifyActive(inotify?.isComplete ?? false)
        if let interval = settings.statInterval {
            let timer = TimerWatcher(loop: loop) { [unowned self] in self.statCheck() }
            timer.start(after: interval, repeating: interval)
            statTimer = timer
        }
        if settings.expiryWarning != nil {
            let timer = TimerWatcher(loop: loop) { [unowned self] in
                self.warnAboutExpiry(self.store.snapshot.certificates, when: "daily check")
            }
            timer.start(after: .seconds(86400), repeating: .seconds(86400))
            expiryTimer = timer
        }
        if let interval = settings.reloadInterval {
            let timer = TimerWatcher(loop: loop) { [unowned self] in self.reload(trigger: .timer, forceRead: true) }
            timer.start(after: interval, repeating: interval)
            intervalTimer = timer
        }
        logger.debug("certificate change detection started", metadata: [
            "inotify": "\(inotify != nil)", "watched_directories": "\(store.watchDirectories.count)",
            "stat_interval": "\(settings.statInterval.map { "\($0)" } ?? "off")",
            "reload_interval": "\(settings.reloadInterval.map { "\($0)" } ?? "off")",
        ])
    }

    /// Stops every watcher and timer. Idempotent; safe before `start()`.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        inotify?.stop()
        inotify = nil
        for timer in [debounceTimer, statTimer, watchRetryTimer, intervalTimer, retryTimer, expiryTimer] {
            timer?.stop()
        }
    }

    /// Reloads now (SIGHUP, `POST /reload`): every source is read again; content decides what changes.
    @discardableResult
    public func reloadNow(trigger: ReloadTrigger) -> ReloadReport {
        reload(trigger: trigger, forceRead: true)
    }

    // MARK: - Change detection

    private func inotifyEvent(_ event: InotifyWatcher.Event) {
        switch event {
        case .changed(let directory):
            logger.trace("inotify event", metadata: ["directory": "\(directory)"])
        case .lost(let directory):
            logger.debug("inotify watch lost; will re-add it", metadata: ["directory": "\(directory)"])
            watchRetryTimer?.start(after: Self.watchRetryInterval, repeating: Self.watchRetryInterval)
        case .overflow:
            logger.warning("inotify queue overflowed; re-checking every certificate source")
        }
        metrics.reload.setInotifyActive(inotify?.isComplete ?? false)
        notify(.inotify)
    }

    private func statCheck() {
        if store.hasChanges() || clientTrust?.hasChanges() == true {
            notify(.stat)
        }
    }

    private func notify(_ trigger: ReloadTrigger) {
        // The stat() check seeing what inotify already reported must not push the pending reload back:
        // only new events extend the quiet period.
        if trigger == .stat && debouncer.isPending { return }
        loop.updateNow()
        let deadline = debouncer.notify(trigger, at: .now)
        debounceTimer?.start(after: deadline - .now)
    }

    private func debounceFired() {
        guard let trigger = debouncer.take(at: .now) else {
            if let deadline = debouncer.deadline {
                debounceTimer?.start(after: max(deadline - .now, .milliseconds(1)))
            }
            return
        }
        reload(trigger: trigger, forceRead: false)
    }

    private func retryWatches() {
        guard let inotify else {
            watchRetryTimer?.stop()
            return
        }
        let before = inotify.missing
        let still = inotify.retryMissing()
        if still.count < before.count {
            // A directory came back: what is in it now may differ from what was served.
            notify(.inotify)
        }
        if still.isEmpty { watchRetryTimer?.stop() }
        reportMissingWatches(still)
        metrics.reload.setInotifyActive(inotify.isComplete)
    }

    private func refreshWatches() {
        guard let inotify else { return }
        var directories = store.watchDirectories
        for directory in clientTrust?.watchDirectories ?? [] { directories.insert(directory) }
        let missing = inotify.update(directories)
        if missing.isEmpty {
            watchRetryTimer?.stop()
        } else if watchRetryTimer?.isActive == false {
            watchRetryTimer?.start(after: Self.watchRetryInterval, repeating: Self.watchRetryInterval)
        }
        reportMissingWatches(missing)
        metrics.reload.setInotifyActive(inotify.isComplete)
    }

    /// One warning per directory that newly cannot be watched (missing for now, or out of watches).
    private func reportMissingWatches(_ missing: Set<String>) {
        for directory in missing.subtracting(reportedMissing) {
            logger.warning("cannot watch certificate directory with inotify; retrying", metadata: [
                "directory": "\(directory)", "error": "\(inotify?.failures[directory] ?? "unknown")",
                "stat_check": "\(settings.statInterval == nil ? "off" : "on")",
            ])
        }
        reportedMissing = missing
    }

    // MARK: - Reloading

    @discardableResult
    private func reload(trigger: ReloadTrigger, forceRead: Bool) -> ReloadReport {
        debouncer.reset()
        debounceTimer?.stop()
        let report = store.reload(trigger: trigger, forceRead: forceRead)
        var published = report.snapshot
        if let clientTrust {
            let result = clientTrust.reload(forceRead: forceRead)
            for (reporter, outcome) in zip(clientTrustReporters, result.stores) {
                reporter.record(outcome, trigger: trigger)
            }
            if let table = result.table { published = store.replaceClientTrusts(table) }
            if let failure = result.failure {
                logger.error("client trust could not be rebuilt; still serving the previous one", metadata: [
                    "error": "\(failure)", "trigger": "\(trigger.rawValue)",
                ])
            }
        }
        if let published {
            publish(published)
        }
        if published != nil || trigger == .signal || trigger == .admin {
            warnAboutUnmatchedPolicies(when: "reload")
        }
        if report.snapshot != nil {
            updateCertificateMetrics()
        }
        loop.updateNow()
        metrics.reload.recordReload(trigger: trigger.rawValue, result: report.result.rawValue,
                                    durationSeconds: report.duration.seconds, failingSources: store.failingCount,
                                    now: Timestamp.preciseNow)
        log(report)
        refreshWatches()
        scheduleRetry()
        return report
    }

    private func scheduleRetry() {
        let due = [store.nextRetry, clientTrust?.nextRetry].compactMap { $0 }.min()
        guard let due else {
            retryTimer?.stop()
            return
        }
        retryTimer?.start(after: max(due - .now, .milliseconds(10)))
    }

    private func updateCertificateMetrics() {
        let snapshot = store.snapshot
        metrics.certificatesLoaded.set(to: Double(snapshot.count))
        var expiries: [String: Int64] = [:]
        for certificate in snapshot.certificates {
            expiries[certificate.name] = certificate.certifiedKey.leaf.notAfter
        }
        metrics.reload.setNotAfter(expiries)
    }

    private func log(_ report: ReloadReport) {
        let trigger = report.trigger.rawValue
        for (name, outcome) in report.outcomes {
            switch outcome {
            case .unchanged:
                continue
            case .added(let serial):
                logger.notice("certificate added", metadata: [
                    "cert": "\(name)", "old_serial": "-", "new_serial": "\(serial)", "trigger": "\(trigger)",
                ])
            case .replaced(let old, let new):
                logger.notice("certificate replaced", metadata: [
                    "cert": "\(name)", "old_serial": "\(old)", "new_serial": "\(new)", "trigger": "\(trigger)",
                ])
            case .removed(let serial):
                logger.notice("certificate removed", metadata: [
                    "cert": "\(name)", "old_serial": "\(serial)", "new_serial": "-", "trigger": "\(trigger)",
                ])
            case .failed(let reason, let serving, let firstReport):
                let metadata: Logger.Metadata = [
                    "cert": "\(name)", "error": "\(reason)", "serving_serial": "\(serving ?? "-")",
                    "trigger": "\(trigger)",
                ]
                let message: Logger.Message = serving == nil
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
                logger.error("certificate reload problem; will retry", metadata: [
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
            let fresh = Set(report.outcomes.compactMap { name, outcome -> String? in
                switch outcome {
                case .added, .replaced: return name
                default: return nil
                }
            })
            warnAboutExpiry(snapshot.certificates.filter { fresh.contains($0.name) }, when: "reload")
        }
        let metadata: Logger.Metadata = [
            "trigger": "\(trigger)", "result": "\(report.result.rawValue)",
            "certificates": "\(store.snapshot.count)", "changed": "\(report.outcomes.filter { $0.outcome.changesSnapshot }.count)",
            "failed": "\(report.outcomes.filter { $0.outcome.status == "failed" }.count + report.problems.count)",
            "duration_ms": "\(Self.milliseconds(report.duration))",
            "read": "\(report.sourcesRead)", "parsed": "\(report.sourcesParsed)",
        ]
        let automatic = report.trigger == .inotify || report.trigger == .stat || report.trigger == .timer
        let nothingNew = !report.outcomes.contains { outcome in
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
            logger.warning("per-certificate entry matches no loaded certificate; its policy applies to nothing", metadata: [
                "cert": "\(name)", "check": "\(when)",
                "certificates": "\(store.snapshot.count)",
            ])
        }
    }

    /// One warning per certificate in `certificates` that expires within `--expiry-warning` (at most
    /// `expiryLinesLimit` lines, then one summary line).
    private func warnAboutExpiry(_ certificates: [LoadedCertificate], when: String) {
        guard let window = settings.expiryWarning else { return }
        let findings = ExpiryCheck.findings(certificates, now: Timestamp.now, window: window.components.seconds)
        for finding in findings.prefix(Self.expiryLinesLimit) {
            logger.warning(finding.daysLeft < 0 ? "certificate has expired" : "certificate expires soon", metadata: [
                "cert": "\(finding.name)", "not_after": "\(Timestamp.rfc3339(finding.notAfter))",
                "days_left": "\(finding.daysLeft)", "file": "\(finding.path)", "check": "\(when)",
            ])
        }
        if findings.count > Self.expiryLinesLimit {
            logger.warning("more certificates expire soon", metadata: [
                "count": "\(findings.count - Self.expiryLinesLimit)", "check": "\(when)",
                "expiry_warning_days": "\(window.components.seconds / 86400)",
            ])
        }
    }

    static func milliseconds(_ duration: Duration) -> String {
        let value = duration.seconds * 1000
        return value < 10 ? String(Double(Int(value * 100)) / 100) : String(Int(value))
    }
}
