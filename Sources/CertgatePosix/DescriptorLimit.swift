import Glibc

/// The process's file descriptor limit (`RLIMIT_NOFILE`).
///
/// certgate raises the soft limit to the hard limit at start-up: the soft default of many systems (1024)
/// would cap a proxy at about 500 connections, while the hard limit is what the administrator allows.
public enum DescriptorLimit {
    /// The soft and hard limits now; `nil` when `getrlimit` fails.
    public static func current() -> (soft: Int, hard: Int)? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return (clamp(limit.rlim_cur), clamp(limit.rlim_max))
    }

    /// Raises the soft limit to the hard limit; returns the soft limit before and after (the same when it
    /// already was the hard limit or `setrlimit` refused), `nil` when the limits cannot be read.
    @discardableResult
    public static func raiseToHard() -> (before: Int, after: Int)? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        let before = clamp(limit.rlim_cur)
        guard limit.rlim_cur < limit.rlim_max else { return (before, before) }
        var raised = limit
        raised.rlim_cur = limit.rlim_max
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 else { return (before, before) }
        return (before, clamp(raised.rlim_cur))
    }

    /// `RLIM_INFINITY` and anything beyond `Int` as `Int.max`.
    private static func clamp(_ value: rlim_t) -> Int {
        value >= rlim_t(Int.max) ? Int.max : Int(value)
    }
}
