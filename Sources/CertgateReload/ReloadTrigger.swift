/// What started a reload; the `trigger` label of `certgate_cert_reloads_total` and of reload log lines.
public enum ReloadTrigger: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The initial load.
    case startup
    /// An inotify event in a watched directory.
    case inotify
    /// The periodic `stat()` check saw a file or directory change.
    case stat
    /// SIGHUP.
    case signal
    /// `--reload-interval`, and retries of sources that failed to load.
    case timer
    /// `POST /reload` on the admin listener.
    case admin

    public var description: String { rawValue }
}
