import CertgateCertificates

/// The result of one reload: one outcome per certificate source, the snapshot to publish if the served
/// set changed, and the overall result.
public struct ReloadReport: Sendable {
    /// `success`, `failure` or `unchanged`: the `result` label of `certgate_cert_reloads_total`.
    public enum Result: String, Sendable, CaseIterable {
        /// Every source loaded and something changed.
        case success
        /// At least one source (or the reload as a whole) failed; what loaded is served anyway.
        case failure
        /// Every source loaded and nothing changed.
        case unchanged
    }

    public let trigger: ReloadTrigger
    /// By certificate name, sorted.
    public let outcomes: [(name: String, outcome: SourceOutcome)]
    /// Problems that belong to no single certificate: an unreadable `--cert-dir`, a reload that would
    /// leave nothing to serve, a `--default-cert` that disappeared. `firstReport` as in `SourceOutcome`.
    public let problems: [(reason: String, firstReport: Bool)]
    /// The new snapshot when the served set changed (to be published), else `nil`.
    public let snapshot: CertificateSnapshot?
    /// Wall time the reload took.
    public let duration: Duration
    /// Sources whose files were read (the others' `stat()` signatures showed no change).
    public let sourcesRead: Int
    /// Sources parsed (read, and their content differed from what is served).
    public let sourcesParsed: Int

    public init(
        trigger: ReloadTrigger, outcomes: [(name: String, outcome: SourceOutcome)],
        problems: [(reason: String, firstReport: Bool)], snapshot: CertificateSnapshot?, duration: Duration,
        sourcesRead: Int = 0, sourcesParsed: Int = 0
    ) {
        self.trigger = trigger
        self.outcomes = outcomes
        self.problems = problems
        self.snapshot = snapshot
        self.duration = duration
        self.sourcesRead = sourcesRead
        self.sourcesParsed = sourcesParsed
    }

    public var result: Result {
        if !problems.isEmpty { return .failure }
        if outcomes.contains(where: { if case .failed = $0.outcome { return true } else { return false } }) {
            return .failure
        }
        return snapshot == nil ? .unchanged : .success
    }

    /// Outcomes other than `unchanged`, for logs.
    public var changes: [(name: String, outcome: SourceOutcome)] {
        outcomes.filter { $0.outcome != .unchanged }
    }
}
