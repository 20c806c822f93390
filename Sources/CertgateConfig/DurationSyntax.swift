/// The short duration syntax used by flags, the config file, help text and logs: `150ms`, `2s`, `5m`,
/// `1h`, `1d`, or a bare `0`.
///
/// One whole number and one unit, nothing else: timeouts are operator-facing knobs, and a tiny grammar
/// makes typos (`5 s`, `1.5s`, `-2s`, `5S`) fail loudly instead of meaning something surprising.
/// `format` is the inverse of `parse` for every value `parse` produces.
public enum DurationSyntax {
    /// A unit suffix and its length in milliseconds, largest first so `format` picks the shortest spelling.
    static let units: [(suffix: String, milliseconds: Int64)] = [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ]

    static let examples = "e.g. 150ms, 2s, 5m, 1h, 1d"

    /// Parses `text` into a `Duration`.
    ///
    /// - Throws: `ConfigurationValueError` quoting `text` when it is empty, negative, fractional, has no
    ///   or an unknown unit, or does not fit in 64-bit milliseconds (about 292 million years).
    public static func parse(_ text: String) throws(ConfigurationValueError) -> Duration {
        if text.isEmpty {
            throw ConfigurationValueError("empty duration (\(examples))")
        }
        if text.hasPrefix("-") {
            throw ConfigurationValueError("'\(text)' is negative; durations must be 0 or more")
        }
        let digits = text.prefix(while: { $0.isASCII && $0.isNumber })
        let suffix = text[digits.endIndex...]
        guard !digits.isEmpty else {
            throw ConfigurationValueError("'\(text)' is not a duration (\(examples))")
        }
        guard let amount = Int64(digits) else {
            throw ConfigurationValueError("'\(text)' is too large")
        }
        if suffix.isEmpty {
            if amount == 0 { return .zero }
            throw ConfigurationValueError("'\(text)' has no unit (did you mean \(digits)s? \(examples))")
        }
        if suffix.first == "." || suffix.first == "," {
            throw ConfigurationValueError(
                "'\(text)' is not a whole number; use a smaller unit instead (e.g. 1500ms, not 1.5s)"
            )
        }
        guard let unit = units.first(where: { $0.suffix == suffix }) else {
            throw ConfigurationValueError("'\(text)' has an unknown unit '\(suffix)' (use ms, s, m, h or d)")
        }
        let (milliseconds, overflow) = amount.multipliedReportingOverflow(by: unit.milliseconds)
        if overflow {
            throw ConfigurationValueError("'\(text)' is too large")
        }
        return .milliseconds(milliseconds)
    }

    /// Formats `duration` in the largest unit that represents it exactly: `.seconds(90)` is `90s`,
    /// `.seconds(120)` is `2m`, zero is `0`.
    ///
    /// Sub-millisecond remainders are dropped (certgate never configures them); negative durations get a
    /// leading `-` so log lines stay truthful even though `parse` rejects them.
    public static func format(_ duration: Duration) -> String {
        if duration < .zero {
            return "-" + format(.zero - duration)
        }
        let (seconds, attoseconds) = duration.components
        let (wholeMilliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000)
        guard !overflow else {
            return "\(seconds)s"
        }
        let milliseconds = wholeMilliseconds + attoseconds / 1_000_000_000_000_000
        if milliseconds == 0 {
            return "0"
        }
        for unit in units where milliseconds % unit.milliseconds == 0 {
            return "\(milliseconds / unit.milliseconds)\(unit.suffix)"
        }
        return "\(milliseconds)ms"
    }
}
