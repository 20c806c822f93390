import Foundation

/// Parsers for the scalar settings that are not durations or endpoints.
///
/// Flags and config-file keys go through the same functions so a value is accepted or rejected the
/// same way wherever it is written; only the origin in the error differs.
public enum SettingParser {
    /// The most worker threads certgate will start. Each worker owns an event loop and a share of the
    /// listening sockets, so far more workers than cores only adds contention.
    public static let maximumWorkers = 256

    /// `auto` (the number of active cores, clamped to 1...maximumWorkers) or an integer 1...256.
    public static func workers(_ text: String, processorCount: Int) throws(ConfigurationValueError) -> Int {
        if text.lowercased() == "auto" {
            return min(max(processorCount, 1), maximumWorkers)
        }
        guard !text.isEmpty, text.allSatisfy(\.isASCIIDigit) else {
            throw ConfigurationValueError("'\(text)' is not a number of workers (1-\(maximumWorkers) or auto)")
        }
        guard let count = Int(text), (1...maximumWorkers).contains(count) else {
            throw ConfigurationValueError("\(text) workers out of range (1-\(maximumWorkers) or auto)")
        }
        return count
    }

    public static func logFormat(_ text: String) throws(ConfigurationValueError) -> LogFormat {
        guard let format = LogFormat(rawValue: text.lowercased()) else {
            throw ConfigurationValueError("'\(text)' is not a log format (\(choices(LogFormat.allCases)))")
        }
        return format
    }

    /// Case-insensitive, and accepts `warn` because that is what most other tools call `warning`.
    public static func logLevel(_ text: String) throws(ConfigurationValueError) -> LogLevel {
        let lowered = text.lowercased()
        if lowered == "warn" {
            return .warning
        }
        guard let level = LogLevel(rawValue: lowered) else {
            throw ConfigurationValueError("'\(text)' is not a log level (\(choices(LogLevel.allCases)))")
        }
        return level
    }

    public static func tlsVersion(_ text: String) throws(ConfigurationValueError) -> TLSVersion {
        guard let version = TLSVersion(rawValue: text) else {
            throw ConfigurationValueError(
                "'\(text)' is not a supported TLS version (\(choices(TLSVersion.allCases)))"
            )
        }
        return version
    }

    /// A timeout: a duration greater than zero (a zero timeout would fail every connection).
    public static func timeout(_ text: String) throws(ConfigurationValueError) -> Duration {
        let duration = try DurationSyntax.parse(text)
        guard duration > .zero else {
            throw ConfigurationValueError("'\(text)' is not a usable timeout; it must be greater than 0")
        }
        return duration
    }

    /// The shortest and longest `--stat-interval`, inclusive.
    public static let statIntervalRange = Duration.milliseconds(50)...Duration.seconds(3_600)

    /// The shortest `--reload-interval` other than off: each reload re-reads every certificate source.
    public static let minimumReloadInterval = Duration.seconds(1)

    /// `auto`, `inotify`, `stat` or `off`, case-insensitive.
    public static func watchMode(_ text: String) throws(ConfigurationValueError) -> WatchMode {
        guard let mode = WatchMode(rawValue: text.lowercased()) else {
            throw ConfigurationValueError("'\(text)' is not a watch mode (\(choices(WatchMode.allCases)))")
        }
        return mode
    }

    /// A duration within `statIntervalRange` (inclusive).
    public static func statInterval(_ text: String) throws(ConfigurationValueError) -> Duration {
        let duration = try DurationSyntax.parse(text)
        guard statIntervalRange.contains(duration) else {
            throw ConfigurationValueError(
                "'\(text)' is out of range; the stat interval must be between "
                    + "\(DurationSyntax.format(statIntervalRange.lowerBound)) and "
                    + "\(DurationSyntax.format(statIntervalRange.upperBound))"
            )
        }
        return duration
    }

    /// `off` (case-insensitive) or a zero duration (`0`, `0s`, ...) mean no periodic reload (`nil`);
    /// anything else must be a duration of at least `minimumReloadInterval`.
    public static func reloadInterval(_ text: String) throws(ConfigurationValueError) -> Duration? {
        try offOrDuration(text, atLeast: minimumReloadInterval, what: "the reload interval")
    }

    /// `off` (case-insensitive) or a zero duration: `nil`; else a duration of at least `minimum`.
    private static func offOrDuration(_ text: String, atLeast minimum: Duration,
                                      what: String) throws(ConfigurationValueError) -> Duration? {
        if text.lowercased() == "off" {
            return nil
        }
        if let first = text.first, !first.isASCIIDigit, first != "-" {
            throw ConfigurationValueError("'\(text)' is not a duration or off (\(DurationSyntax.examples))")
        }
        let duration = try DurationSyntax.parse(text)
        if duration == .zero {
            return nil
        }
        guard duration >= minimum else {
            throw ConfigurationValueError(
                "'\(text)' is too short; \(what) must be at least \(DurationSyntax.format(minimum)) (or off)"
            )
        }
        return duration
    }

    /// The longest `--drain-timeout`: a stop that waits longer than this looks like a hang to whatever
    /// supervises certgate (systemd's and Kubernetes' stop timeouts are far shorter).
    public static let drainTimeoutRange = Duration.zero...Duration.seconds(3_600)

    /// A duration within `drainTimeoutRange`; `0` (or `0s`) closes open connections at once on a stop.
    public static func drainTimeout(_ text: String) throws(ConfigurationValueError) -> Duration {
        try bounded(text, within: drainTimeoutRange, what: "drain timeout")
    }

    /// The longest `--expiry-warning`: a year ahead is as far as any certificate lifetime makes sense.
    public static let expiryWarningRange = Duration.zero...Duration.seconds(365 * 86_400)

    /// A duration within `expiryWarningRange`; `0` turns the expiry warnings off.
    public static func expiryWarning(_ text: String) throws(ConfigurationValueError) -> Duration {
        try bounded(text, within: expiryWarningRange, what: "expiry warning")
    }

    /// A duration within `range` (inclusive); the error names `what` and both bounds.
    private static func bounded(_ text: String, within range: ClosedRange<Duration>, what: String)
        throws(ConfigurationValueError) -> Duration
    {
        let duration = try DurationSyntax.parse(text)
        guard range.contains(duration) else {
            throw ConfigurationValueError(
                "'\(text)' is out of range; the \(what) must be between "
                    + "\(DurationSyntax.format(range.lowerBound)) and \(DurationSyntax.format(range.upperBound))"
            )
        }
        return duration
    }

    /// `none`, `optional` or `require`, case-insensitive.
    public static func clientAuth(_ text: String) throws(ConfigurationValueError) -> ClientAuthMode {
        guard let mode = ClientAuthMode(rawValue: text.lowercased()) else {
            throw ConfigurationValueError(
                "'\(text)' is not a client auth mode (\(choices(ClientAuthMode.allCases)))"
            )
        }
        return mode
    }

    /// `off`, `v1` or `v2`, case-insensitive.
    public static func proxyProtocol(_ text: String) throws(ConfigurationValueError) -> ProxyProtocolMode {
        guard let mode = ProxyProtocolMode(rawValue: text.lowercased()) else {
            throw ConfigurationValueError(
                "'\(text)' is not a PROXY protocol version (\(choices(ProxyProtocolMode.allCases)))"
            )
        }
        return mode
    }

    /// `http1` or `h2c`, case-insensitive.
    public static func upstreamProtocol(_ text: String) throws(ConfigurationValueError) -> UpstreamProtocol {
        guard let value = UpstreamProtocol(rawValue: text.lowercased()) else {
            throw ConfigurationValueError(
                "'\(text)' is not an upstream protocol (\(choices(UpstreamProtocol.allCases)))"
            )
        }
        return value
    }

    /// `--alpn`: protocol names separated by commas, most preferred first (e.g. `h2,http/1.1`); `off` or
    /// `none` for no ALPN. Each name is 1-255 visible ASCII characters, none repeated.
    public static func alpn(_ text: String) throws(ConfigurationValueError) -> [String] {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if ["off", "none"].contains(trimmed.lowercased()) { return [] }
        var names: [String] = []
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else {
                throw ConfigurationValueError("'\(text)': empty protocol name in the ALPN list")
            }
            guard name.utf8.count <= 255, name.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else {
                throw ConfigurationValueError("'\(name)' is not an ALPN protocol name (1-255 visible ASCII characters)")
            }
            guard !names.contains(name) else {
                throw ConfigurationValueError("'\(name)' appears twice in the ALPN list")
            }
            names.append(name)
        }
        return names
    }

    /// The accepted `--verify-depth` values, inclusive.
    public static let verifyDepthRange = 1...16

    /// An integer within `verifyDepthRange`.
    public static func verifyDepth(_ text: String) throws(ConfigurationValueError) -> Int {
        try integer(text, within: verifyDepthRange, what: "verify depth")
    }

    /// The accepted `--roots-limit` values, inclusive.
    public static let rootsLimitRange = 1...16

    /// An integer within `rootsLimitRange`.
    public static func rootsLimit(_ text: String) throws(ConfigurationValueError) -> Int {
        try integer(text, within: rootsLimitRange, what: "roots limit")
    }

    /// The shortest `--roots-max-age` other than off.
    public static let minimumRootsMaxAge = Duration.seconds(60)

    /// `off` (case-insensitive) or a zero duration mean no age limit (`nil`); anything else must be a
    /// duration of at least `minimumRootsMaxAge`.
    public static func rootsMaxAge(_ text: String) throws(ConfigurationValueError) -> Duration? {
        try offOrDuration(text, atLeast: minimumRootsMaxAge, what: "the roots max age")
    }

    /// One `--allow-cn`/`--allow-dns`/`--allow-uri` pattern: stored as written, but never empty and
    /// never containing whitespace (which no certificate name can match, so it is always a typo).
    public static func allowPattern(_ text: String) throws(ConfigurationValueError) -> String {
        guard !text.isEmpty else {
            throw ConfigurationValueError("empty value")
        }
        guard !text.contains(where: \.isWhitespace) else {
            throw ConfigurationValueError("'\(text)' contains whitespace")
        }
        return text
    }

    /// A decimal integer within `range`; the error names `what` and both bounds.
    private static func integer(_ text: String, within range: ClosedRange<Int>, what: String)
        throws(ConfigurationValueError) -> Int
    {
        guard !text.isEmpty, text.allSatisfy(\.isASCIIDigit) else {
            throw ConfigurationValueError(
                "'\(text)' is not a number (the \(what) must be \(range.lowerBound)-\(range.upperBound))"
            )
        }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationValueError(
                "'\(text)' is out of range; the \(what) must be between \(range.lowerBound) and \(range.upperBound)"
            )
        }
        return value
    }

    /// `true` or `false`, case-insensitive (YAML's `True` and `FALSE` too). YAML 1.1's other spellings
    /// (`yes`, `on`, ...) are refused, so the file means the same to every YAML reader (YAML 1.2 and
    /// many tools take them as text).
    public static func boolean(_ text: String) throws(ConfigurationValueError) -> Bool {
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw ConfigurationValueError("'\(text)' is not true or false")
        }
    }

    /// Free-form text that must not be empty (cipher lists, the default certificate name).
    public static func nonEmpty(_ text: String, what: String) throws(ConfigurationValueError) -> String {
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ConfigurationValueError("empty \(what)")
        }
        return text
    }

    /// A filesystem path made absolute against `base`. The file itself is not looked at: whether it
    /// exists is the certificate loader's business, and validation must work offline (`certgate check`
    /// on a build machine).
    public static func path(_ text: String, relativeTo base: String) throws(ConfigurationValueError) -> String {
        guard !text.isEmpty else {
            throw ConfigurationValueError("empty path")
        }
        guard !text.contains("\0") else {
            throw ConfigurationValueError("path contains a NUL byte")
        }
        return PathResolution.absolute(text, relativeTo: base)
    }

    private static func choices<T: RawRepresentable<String>>(_ cases: [T]) -> String {
        let names = cases.map(\.rawValue)
        return names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1]
    }
}
