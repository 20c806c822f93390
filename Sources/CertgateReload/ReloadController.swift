import CertgateCertificates
import CertgateMetrics
import CertgatePosix
import CertgateTLS
import LibEV
import Logging

/// Runs certificate reloads on the control loop: change detection (inotify and the periodic `stat()`
/// check), debouncing, explicit requests (SIGHUP, `POST /reload`, `--reload-interval`), retries of
/// failed sources with backoff, and publishing new snapshots. The metrics and log lines of the outcomes
/// are the reporters': `CertificateReloadReporter`, and one `ClientTrustReporter` per client-CA pool.
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

        public init(
            inotify: Bool, statInterval: Duration?, reloadInterval: Duration? = nil,
            debounce: Duration = .milliseconds(150), debounceCap: Duration = .seconds(1),
            expiryWarning: Duration? = .seconds(14 * 86400)
        ) {
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
    /// While inotify watches every directory, on local file systems only, the `stat()` check is a backstop
    /// for what inotify cannot report (a kernel that drops events without saying so, a change made under a
    /// bind mount's other side) and covers everything once per this many `--stat-interval`s. A lost watch
    /// or a directory on NFS, SMB, FUSE and the like brings it back to every interval at once; a queue
    /// overflow re-checks everything through a reload anyway.
    static let backstopSlowdown = 10
    /// A pass of the `stat()` check is one burst unless it has more than `pathsPerTick` paths: then it is
    /// spread over up to `statSlices` ticks of at least `shortestStatTick`, so that a huge list does not
    /// stall the control loop (a burst of 20,000 `statx()` is about 20 ms). Bursts are cheaper: spreading
    /// 10,000 files over 10 ticks cost 10-20 % more CPU (each tick finds the kernel's dentries and inodes
    /// out of the CPU caches).
    static let statSlices = 10
    static let pathsPerTick = 20_000
    static let shortestStatTick = Duration.milliseconds(100)

    public let settings: Settings
    private let loop: EventLoop
    private let store: CertificateStore
    private let reporter: CertificateReloadReporter
    private let logger: Logger
    private let publish: (CertificateSnapshot) -> Void
    private var debouncer: Debouncer
    private var inotify: InotifyWatcher?
    private var debounceTimer: TimerWatcher?
    private var statTimer: TimerWatcher?
    /// The stat() check's tick and how many ticks make one pass (see `updateStatPace`).
    private var statTick: Duration?
    private var statParts = 1
    private var statPart = 0
    private var watchRetryTimer: TimerWatcher?
    private var intervalTimer: TimerWatcher?
    private var retryTimer: TimerWatcher?
    private var expiryTimer: TimerWatcher?
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
    public init(
        loop: EventLoop, store: CertificateStore, settings: Settings, metrics: ProxyMetrics, logger: Logger,
        clientTrust: ClientTrustPolicies? = nil,
        publish: @escaping (CertificateSnapshot) -> Void
    ) {
        self.loop = loop
        self.store = store
        self.clientTrust = clientTrust
        self.clientTrustReporters = (clientTrust?.stores ?? []).map { pool in
            ClientTrustReporter(
                store: pool, caMetrics: ClientCAMetrics(registry: metrics.registry, caFile: pool.options.path),
                crlMetrics: pool.crl == nil
                    ? nil
                    : ClientCRLMetrics(
                        registry: metrics.registry,
                        caFile: pool.options.path),
                logger: logger)
        }
        self.settings = settings
        self.reporter = CertificateReloadReporter(
            store: store, metrics: metrics, logger: logger,
            expiryWarning: settings.expiryWarning)
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
        reporter.recordStartup(duration: duration)
    }

    /// Takes over from the controller of the previous configuration (a configuration reload): the
    /// certificate and client-CA gauges describe this controller's store and pools from now on.
    public func adopt() {
        clientTrustReporters.forEach { $0.adopted() }
        reporter.adopted()
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
                logger.warning(
                    "inotify unavailable; certificate changes are found by the stat() check only",
                    metadata: [
                        "error": "\(error)",
                        "stat_interval": "\(settings.statInterval.map { "\($0)" } ?? "off")",
                    ])
            }
            watchRetryTimer = TimerWatcher(loop: loop) { [unowned self] in self.retryWatches() }
            refreshWatches()
        }
        reporter.recordWatchState(complete: inotify?.isComplete ?? false)
        if settings.statInterval != nil {
            statTimer = TimerWatcher(loop: loop) { [unowned self] in self.statCheck() }
            updateStatPace()
        }
        if settings.expiryWarning != nil {
            let timer = TimerWatcher(loop: loop) { [unowned self] in self.reporter.checkExpiry() }
            timer.start(after: .seconds(86400), repeating: .seconds(86400))
            expiryTimer = timer
        }
        if let interval = settings.reloadInterval {
            let timer = TimerWatcher(loop: loop) { [unowned self] in self.reload(trigger: .timer, forceRead: true) }
            timer.start(after: interval, repeating: interval)
            intervalTimer = timer
        }
        logger.debug(
            "certificate change detection started",
            metadata: [
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
        reporter.recordWatchState(complete: inotify?.isComplete ?? false)
        updateStatPace()
        notify(.inotify)
    }

    /// One tick: one slice of the certificate files and directories (the client-CA files, a handful, on
    /// the first tick of each pass).
    private func statCheck() {
        let part = statPart
        statPart = (statPart + 1) % statParts
        if store.hasChanges(part: part, of: statParts) || (part == 0 && clientTrust?.hasChanges() == true) {
            notify(.stat)
        }
    }

    /// One pass of the stat() check and the ticks it is spread over; `nil` when the check is off or not
    /// started.
    var statPace: (pass: Duration, ticks: Int)? {
        statTick.map { ($0 * statParts, statParts) }
    }

    /// Whether inotify can be trusted to report every change: every wanted directory is watched and none
    /// lies on a network or FUSE file system.
    private var inotifyCoversEverything: Bool {
        guard let inotify else { return false }
        return inotify.isComplete && inotify.remoteDirectories.isEmpty
    }

    /// Sets the stat() check's pace: one pass per `--stat-interval`, or per `backstopSlowdown` of them
    /// while inotify covers everything, in one tick or, for a long list, up to `statSlices`. Restarts the
    /// timer only on a change.
    private func updateStatPace() {
        guard let interval = settings.statInterval, let statTimer else { return }
        let pass = inotifyCoversEverything ? interval * Self.backstopSlowdown : interval
        let paths = store.statCheckCount
        let parts = max(1, min(Self.statSlices, Int(pass / Self.shortestStatTick), paths / Self.pathsPerTick))
        let tick = pass / parts
        guard tick != statTick else { return }
        statTick = tick
        statParts = parts
        statPart = 0
        statTimer.start(after: tick, repeating: tick)
        logger.debug(
            "stat() check pace",
            metadata: ["pass": "\(pass)", "ticks": "\(parts)", "inotify_covers": "\(pass != interval)"])
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
        reporter.recordWatchState(complete: inotify.isComplete)
        updateStatPace()
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
        reporter.recordWatchState(complete: inotify.isComplete)
        updateStatPace()
    }

    /// One warning per directory that newly cannot be watched (missing for now, or out of watches).
    private func reportMissingWatches(_ missing: Set<String>) {
        for directory in missing.subtracting(reportedMissing) {
            logger.warning(
                "cannot watch certificate directory with inotify; retrying",
                metadata: [
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
                reporter.clientTrustFailed("\(failure)", trigger: trigger)
            }
        }
        if let published {
            publish(published)
        }
        loop.updateNow()
        reporter.record(report, published: published != nil)
        refreshWatches()
        updateStatPace()
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
}
