/// The duration syntax used by flags, the config file, help text and logs: a number with a unit
/// (`150ms`, `2s`, `5m`, `1h`, `1d`), a decimal fraction (`1.5s`), several parts from the largest unit
/// to the smallest (`1m30s`, `1h30m`), or a bare `0`.
///
/// Units are lower-case and nothing else is allowed (no spaces, signs or exponents): timeouts are
/// operator-facing knobs, and a small grammar makes typos fail loudly instead of meaning something
/// surprising. A near miss (`5S`, `5 s`) is refused with the spelling that works. Values are whole
/// milliseconds. `format` is the inverse of `parse` for every value `parse` produces.
public enum DurationSyntax {
    /// A unit suffix and its length in milliseconds, largest first so `format` picks the shortest spelling.
    static let units: [(suffix: String, milliseconds: Int64)] = [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ]

    static let examples = "e.g. 250ms, 1.5s, 1m30s, 5m, 1h, 1d"

    /// Parses `text` into a `Duration`.
    ///
    /// - Throws: `ConfigurationValueError` quoting `text` when it is empty, negative, has no or an unknown
    ///   unit, has units out of order, is finer than a millisecond, or does not fit in 64-bit
    ///   milliseconds (about 292 million years). Upper-case units and spaces get the right spelling.
    public static func parse(_ text: String) throws(ConfigurationValueError) -> Duration {
        if text.isEmpty {
            throw ConfigurationValueError("empty duration (\(examples))")
        }
        if text.hasPrefix("-") {
            throw ConfigurationValueError("'\(text)' is negative; durations must be 0 or more")
        }
        do {
            return .milliseconds(try milliseconds(text))
        } catch {
            // `5S`, `5 s`, `1M 30S`: say what to write instead of only what is wrong.
            let fixed = String(text.lowercased().filter { !$0.isWhitespace })
            if fixed != text, !fixed.isEmpty, (try? milliseconds(fixed)) != nil {
                throw ConfigurationValueError(
                    "'\(text)' is not a duration; write \(fixed) (lower-case units, no spaces; \(examples))")
            }
            throw error
        }
    }

    /// The milliseconds of `text`: parts of digits, an optional fraction and a unit.
    private static func milliseconds(_ text: String) throws(ConfigurationValueError) -> Int64 {
        var rest = Substring(text)
        var total: Int64 = 0
        var lastUnit: Int?
        while !rest.isEmpty {
            let whole = rest.prefix(while: \.isASCIIDigit)
            guard !whole.isEmpty else {
                throw ConfigurationValueError("'\(text)' is not a duration (\(examples))")
            }
            rest = rest[whole.endIndex...]
            var fraction: Substring = ""
            if rest.first == "," {
                throw ConfigurationValueError("'\(text)' has a decimal comma; use a point (e.g. 1.5s)")
            }
            if rest.first == "." {
                fraction = rest.dropFirst().prefix(while: \.isASCIIDigit)
                guard !fraction.isEmpty else {
                    throw ConfigurationValueError("'\(text)' has no digits after the point (e.g. 1.5s)")
                }
                rest = rest[fraction.endIndex...]
            }
            let suffix = rest.prefix(while: { $0.isASCII && $0.isLetter })
            rest = rest[suffix.endIndex...]
            if suffix.isEmpty {
                if lastUnit == nil, rest.isEmpty, fraction.isEmpty, whole.allSatisfy({ $0 == "0" }) { return 0 }
                if let next = rest.first {
                    throw ConfigurationValueError("'\(text)' has an unexpected '\(next)' (\(examples))")
                }
                let number = fraction.isEmpty ? whole : text[whole.startIndex..<fraction.endIndex]
                let which = lastUnit == nil ? "" : " after \(number)"
                throw ConfigurationValueError("'\(text)' has no unit\(which) (did you mean \(text)s? \(examples))")
            }
            guard let index = units.firstIndex(where: { $0.suffix == suffix }) else {
                throw ConfigurationValueError("'\(text)' has an unknown unit '\(suffix)' (use ms, s, m, h or d)")
            }
            if let lastUnit, index <= lastUnit {
                throw ConfigurationValueError(
                    "'\(text)' repeats a unit or has them out of order; go from the largest unit to the "
                        + "smallest (e.g. 1m30s)")
            }
            if !fraction.isEmpty, !rest.isEmpty {
                throw ConfigurationValueError(
                    "'\(text)': only the last part may have a fraction (e.g. 1m30s or 1.5m)")
            }
            lastUnit = index
            let part = try partMilliseconds(whole, fraction, units[index].milliseconds, text)
            let (sum, overflow) = total.addingReportingOverflow(part)
            if overflow { throw ConfigurationValueError("'\(text)' is too large") }
            total = sum
        }
        return total
    }

    /// `whole.fraction` units of `unit` milliseconds each, which must come to whole milliseconds.
    private static func partMilliseconds(_ whole: Substring, _ fraction: Substring, _ unit: Int64, _ text: String)
        throws(ConfigurationValueError) -> Int64
    {
        guard let amount = Int64(whole) else { throw ConfigurationValueError("'\(text)' is too large") }
        let (wholeMilliseconds, overflow) = amount.multipliedReportingOverflow(by: unit)
        if overflow { throw ConfigurationValueError("'\(text)' is too large") }
        var digits = fraction
        while digits.last == "0" { digits = digits.dropLast() }
        if digits.isEmpty { return wholeMilliseconds }
        let finer = ConfigurationValueError("'\(text)' is finer than a millisecond (e.g. 1.5s or 1500ms)")
        // A unit is at most 8.64e7 ms, so 9 fraction digits (< 1e9) keep the product within Int64.
        guard digits.count <= 9, let numerator = Int64(digits) else { throw finer }
        var denominator: Int64 = 1
        for _ in digits { denominator *= 10 }
        let scaled = numerator * unit
        guard scaled % denominator == 0 else { throw finer }
        let (sum, sumOverflow) = wholeMilliseconds.addingReportingOverflow(scaled / denominator)
        if sumOverflow { throw ConfigurationValueError("'\(text)' is too large") }
        return sum
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
