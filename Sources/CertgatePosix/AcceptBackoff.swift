/// How long a listener pauses after `accept()` fails for lack of a resource (EMFILE, ENFILE, ENOBUFS,
/// ENOMEM): 50 ms, doubling with every failure in a row up to 1 s, back to 50 ms after a successful
/// accept.
///
/// A level-triggered listener whose `accept()` fails keeps firing while the connection stays queued, so
/// the process would spin at 100 % of a core doing nothing. Pausing instead costs a few wake-ups a
/// second, and the kernel's backlog holds the waiting clients meanwhile. A pure value: the listener owns
/// one and turns its answers into a timer.
public struct AcceptBackoff: Sendable, Equatable {
    /// The first pause, and the one after any successful accept.
    public static let initial = Duration.milliseconds(50)
    /// The longest pause, however many failures in a row.
    public static let maximum = Duration.seconds(1)

    /// The pause the next failure gets.
    public private(set) var next = AcceptBackoff.initial

    public init() {}

    /// An accept failed: returns how long to pause now; the next failure pauses twice as long.
    public mutating func failed() -> Duration {
        let pause = next
        next = min(next * 2, Self.maximum)
        return pause
    }

    /// An accept succeeded: the next failure starts again at `initial`.
    public mutating func succeeded() {
        next = Self.initial
    }
}
