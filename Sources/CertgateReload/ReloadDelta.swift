import CertgateCertificates
import CertgatePosix

/// What one `CertificateStore.reload` found, collected as a delta over the store's entries and applied
/// by the store at the end: a reload touching one source of 10,000 copies nothing, and a refused reload
/// leaves the entries as they were. Each reload step adds to it.
struct ReloadDelta {
    /// Entries new or changed by this reload, by certificate name.
    var updated: [String: CertificateStore.Entry] = [:]
    /// Entries that are gone.
    var deleted = Set<String>()
    /// The failures as they will stand after this reload (starts as the store's), by the store's keys: a
    /// certificate name, `directory:PATH` or `snapshot`.
    var failures: [String: SourceFailure]
    /// What happened to each source this reload looked at, by certificate name.
    var outcomes: [String: SourceOutcome] = [:]
    /// Problems that belong to no single certificate (`ReloadReport.problems`).
    var problems: [(reason: String, firstReport: Bool)] = []
    /// The failures as they stood before this reload, to tell a new reason from a repeat.
    private let previousFailures: [String: SourceFailure]
    /// When this reload runs: retry times are counted from it.
    private let now: ContinuousClock.Instant

    init(failures: [String: SourceFailure], now: ContinuousClock.Instant) {
        self.failures = failures
        self.previousFailures = failures
        self.now = now
    }

    /// Records that `key` failed with `reason`, with its next retry time. Returns whether the reason is new
    /// (worth an error line) rather than the same failure again.
    mutating func recordFailure(_ key: String, _ reason: String) -> Bool {
        let earlier = previousFailures[key]
        failures[key] = SourceFailure.next(after: earlier, reason: reason, now: now)
        return earlier?.reason != reason
    }

    /// Ends the failures that are over: of sources that no longer exist or loaded this time, and of
    /// directories that can be listed again. A snapshot failure is settled by the snapshot step.
    mutating func endResolvedFailures(unreadable: Set<String>) {
        for key in failures.keys {
            if key == CertificateStore.snapshotKey { continue }
            if key.hasPrefix(CertificateStore.directoryKeyPrefix) {
                if !unreadable.contains(String(key.dropFirst(CertificateStore.directoryKeyPrefix.count))) {
                    failures[key] = nil
                }
            } else if case .failed? = outcomes[key] {
                continue
            } else {
                failures[key] = nil
            }
        }
    }

    /// The outcomes sorted bytewise by name, as `ReloadReport` lists them.
    var sortedOutcomes: [(name: String, outcome: SourceOutcome)] {
        outcomes.keys.sorted { $0.bytewiseLess($1) }.map { (name: $0, outcome: outcomes[$0]!) }
    }
}
