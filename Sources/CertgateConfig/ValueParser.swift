import Foundation

/// Parsers for setting values, independent of which setting they serve: the table (`Settings`) picks
/// one per setting and gives it its bounds.
///
/// Flags, variables and config-file keys go through the same functions, so a value is accepted or
/// rejected the same way wherever it is written; only the origin in the error differs.
public enum ValueParser {
    /// One of a string enumeration's raw values, case-insensitive; `what` names the kind in errors.
    public static func choice<T: CaseIterable & RawRepresentable<String>>(
        _ text: String, _ type: T.Type, what: String
    ) throws(ConfigurationValueError) -> T {
        guard let value = T(rawValue: text.lowercased()) ?? T(rawValue: text) else {
            throw ConfigurationValueError("'\(text)' is not \(what) (\(choices(Array(T.allCases))))")
        }
        return value
    }

    /// `auto` (the number of active cores, clamped to 1...maximum) or an integer 1...maximum.
    public static func workers(_ text: String, processorCount: Int, maximum: Int) throws(ConfigurationValueError)
        -> Int
    {
        if text.lowercased() == "auto" {
            return min(max(processorCount, 1), maximum)
        }
        guard !text.isEmpty, text.allSatisfy(\.isASCIIDigit) else {
            throw ConfigurationValueError("'\(text)' is not a number of workers (1-\(maximum) or auto)")
        }
        guard let count = Int(text), (1...maximum).contains(count) else {
            throw ConfigurationValueError("\(text) workers out of range (1-\(maximum) or auto)")
        }
        return count
    }

    /// A timeout: a duration greater than zero (a zero timeout would fail every connection) and at most
    /// `maximum`; the error names `what`.
    public static func timeout(_ text: String, atMost maximum: Duration, what: String) throws(ConfigurationValueError)
        -> Duration
    {
        let duration = try DurationSyntax.parse(text)
        guard duration > .zero else {
            throw ConfigurationValueError("'\(text)' is not a usable timeout; it must be greater than 0")
        }
        guard duration <= maximum else {
            throw ConfigurationValueError(
                "'\(text)' is too long; the \(what) must be at most \(DurationSyntax.format(maximum))")
        }
        return duration
    }

    /// A duration within `range` (inclusive); the error names `what` and both bounds.
    public static func duration(_ text: String, within range: ClosedRange<Duration>, what: String)
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

    /// `off` (case-insensitive) or a zero duration: `nil`; else a duration from `minimum` to `maximum`.
    public static func offOrDuration(_ text: String, atLeast minimum: Duration, atMost maximum: Duration, what: String)
        throws(ConfigurationValueError) -> Duration?
    {
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
        guard duration <= maximum else {
            throw ConfigurationValueError(
                "'\(text)' is too long; \(what) must be at most \(DurationSyntax.format(maximum)) (or off)")
        }
        return duration
    }

    /// A decimal integer within `range`; the error names `what` and both bounds.
    public static func integer(_ text: String, within range: ClosedRange<Int>, what: String)
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

    /// `auto` (case-insensitive): `nil`; else a decimal integer within `range`.
    public static func autoOrInteger(_ text: String, within range: ClosedRange<Int>, what: String)
        throws(ConfigurationValueError) -> Int?
    {
        if text.lowercased() == "auto" { return nil }
        guard !text.isEmpty, text.allSatisfy(\.isASCIIDigit) else {
            throw ConfigurationValueError(
                "'\(text)' is not a number or auto (the \(what) must be \(range.lowerBound)-\(range.upperBound))")
        }
        return try integer(text, within: range, what: what)
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

    /// OpenSSL key-exchange group names separated by colons (`X25519:P-256`), none empty, repeated or
    /// containing whitespace. Whether OpenSSL knows each name is checked when the TLS context is built.
    public static func groupList(_ text: String) throws(ConfigurationValueError) -> String {
        let example = "e.g. X25519:P-256:P-384"
        guard !text.isEmpty else {
            throw ConfigurationValueError("empty key-exchange group list (\(example))")
        }
        var names: Set<Substring> = []
        for name in text.split(separator: ":", omittingEmptySubsequences: false) {
            guard !name.isEmpty else {
                throw ConfigurationValueError("'\(text)' has an empty group name (\(example))")
            }
            guard !name.contains(where: \.isWhitespace), !name.contains(",") else {
                throw ConfigurationValueError(
                    "'\(name)' is not a group name; separate groups with colons, no spaces (\(example))")
            }
            guard names.insert(name).inserted else {
                throw ConfigurationValueError("'\(name)' appears twice in the group list")
            }
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

    /// A client-certificate name pattern: stored as written, but never empty and never containing
    /// whitespace (which no certificate name can match, so it is always a typo).
    public static func namePattern(_ text: String) throws(ConfigurationValueError) -> String {
        guard !text.isEmpty else {
            throw ConfigurationValueError("empty value")
        }
        guard !text.contains(where: \.isWhitespace) else {
            throw ConfigurationValueError("'\(text)' contains whitespace")
        }
        return text
    }

    /// ALPN protocol names separated by commas, most preferred first (e.g. `h2,http/1.1`); `off` or
    /// `none` for no ALPN. Each name is 1-255 visible ASCII characters, none repeated.
    public static func protocolList(_ text: String) throws(ConfigurationValueError) -> [String] {
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

    /// "a, b or c".
    static func choices<T: RawRepresentable<String>>(_ cases: [T]) -> String {
        let names = cases.map(\.rawValue)
        return names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1]
    }
}
