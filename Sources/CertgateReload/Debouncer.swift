/// Coalesces bursts of change notifications into one reload: a reload happens `quiet` after the last
/// notification, but never later than `cap` after the first, so a writer that never stops cannot
/// postpone reloading forever. A certificate and its key written one after the other reload once.
///
/// Pure value type; the controller owns the timer.
public struct Debouncer: Sendable {
    public let quiet: Duration
    public let cap: Duration
    private var first: ContinuousClock.Instant?
    private var last: ContinuousClock.Instant?
    /// What caused the first notification of the pending burst.
    public private(set) var trigger: ReloadTrigger?

    public init(quiet: Duration = .milliseconds(150), cap: Duration = .seconds(1)) {
        self.quiet = quiet
        self.cap = cap
    }

    /// Whether a reload is pending.
    public var isPending: Bool { first != nil }

    /// When the pending reload is due, if one is pending.
    public var deadline: ContinuousClock.Instant? {
        guard let first, let last else { return nil }
        return min(last + quiet, first + cap)
    }

    /// Records a notification at `now`; returns the (possibly moved) deadline.
    @discardableResult
    public mutating func notify(_ trigger: ReloadTrigger, at now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        if first == nil {
            first = now
            self.trigger = trigger
        }
        last = now
        return deadline!
    }

    /// At `now`: the trigger to reload with when the deadline has passed (and the burst is over), else `nil`.
    public mutating func take(at now: ContinuousClock.Instant) -> ReloadTrigger? {
        guard let deadline, now >= deadline else { return nil }
        let fired = trigger
        reset()
        return fired
    }

    /// Forgets the pending burst (an explicit reload just covered it).
    public mutating func reset() {
        first = nil
        last = nil
        trigger = nil
    }
}
