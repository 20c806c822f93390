/// A source (or directory) that failed to load, and when to try it again.
struct SourceFailure: Sendable, Equatable {
    /// One line naming the file and what is wrong.
    var reason: String
    /// Consecutive failed attempts.
    var attempts: Int
    var retryAt: ContinuousClock.Instant

    /// First retry after this long, doubling per failed attempt up to `maximumBackoff`.
    static let initialBackoff = Duration.milliseconds(500)
    static let maximumBackoff = Duration.seconds(30)

    /// The backoff after `attempts` failures: 0.5 s, 1 s, 2 s, ... 30 s.
    static func backoff(afterAttempts attempts: Int) -> Duration {
        var delay = initialBackoff
        for _ in 1..<max(1, attempts) {
            delay = delay * 2
            if delay >= maximumBackoff { return maximumBackoff }
        }
        return delay
    }

    /// The failure after one more attempt ending with `reason` at `now`; `nil` previous means first.
    static func next(after previous: SourceFailure?, reason: String, now: ContinuousClock.Instant) -> SourceFailure {
        let attempts = (previous?.attempts ?? 0) + 1
        return SourceFailure(reason: reason, attempts: attempts, retryAt: now + backoff(afterAttempts: attempts))
    }
}
