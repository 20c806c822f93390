/// What one reload did to one certificate source.
public enum SourceOutcome: Sendable, Equatable {
    /// Same content as what is served (or not even re-read because nothing about its files changed).
    case unchanged
    /// A new source went live.
    case added(serial: String)
    /// New content for a served source went live.
    case replaced(oldSerial: String, newSerial: String)
    /// The source is gone from its directory and is no longer served.
    case removed(serial: String)
    /// The source could not be loaded. `serving` is the serial still served from the last good load,
    /// `nil` when there is none (a new source that never loaded). `firstReport` is true when this reason
    /// is new for the source (log it), false for a retry failing the same way (do not log it again).
    case failed(reason: String, serving: String?, firstReport: Bool)

    /// The word `POST /reload` reports: `unchanged`, `reloaded` (added or replaced), `removed` or `failed`.
    public var status: String {
        switch self {
        case .unchanged: return "unchanged"
        case .added, .replaced: return "reloaded"
        case .removed: return "removed"
        case .failed: return "failed"
        }
    }

    /// Whether the served set changes because of this outcome.
    public var changesSnapshot: Bool {
        switch self {
        case .added, .replaced, .removed: return true
        case .unchanged, .failed: return false
        }
    }
}
