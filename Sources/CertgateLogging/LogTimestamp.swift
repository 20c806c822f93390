#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A wall-clock instant with millisecond precision, rendered as RFC 3339 UTC (`2026-11-23T09:41:07.123Z`).
///
/// Formatting is done by hand from the Unix time instead of with `DateFormatter`/`ISO8601DateFormatter`:
/// it runs on every log line from every worker thread, and the hand-rolled version is allocation-light,
/// lock-free and independent of locale and time-zone settings.
public struct LogTimestamp: Sendable, Equatable {
    /// Seconds since 1970-01-01T00:00:00Z (negative before it).
    public var secondsSinceEpoch: Int64
    /// 0...999.
    public var milliseconds: Int

    public init(secondsSinceEpoch: Int64, milliseconds: Int) {
        self.secondsSinceEpoch = secondsSinceEpoch
        self.milliseconds = milliseconds
    }

    /// The current time from `CLOCK_REALTIME`.
    public static func now() -> LogTimestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return LogTimestamp(secondsSinceEpoch: Int64(spec.tv_sec), milliseconds: Int(spec.tv_nsec / 1_000_000))
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    public var rfc3339: String {
        let days = Self.floorDivide(secondsSinceEpoch, 86_400)
        let secondOfDay = Int(secondsSinceEpoch - days * 86_400)
        let (year, month, day) = Self.civilDate(daysSinceEpoch: days)
        var text = ""
        text.reserveCapacity(24)
        Self.append(year, width: 4, to: &text)
        text += "-"
        Self.append(Int64(month), width: 2, to: &text)
        text += "-"
        Self.append(Int64(day), width: 2, to: &text)
        text += "T"
        Self.append(Int64(secondOfDay / 3_600), width: 2, to: &text)
        text += ":"
        Self.append(Int64(secondOfDay / 60 % 60), width: 2, to: &text)
        text += ":"
        Self.append(Int64(secondOfDay % 60), width: 2, to: &text)
        text += "."
        Self.append(Int64(min(max(milliseconds, 0), 999)), width: 3, to: &text)
        text += "Z"
        return text
    }

    /// `rfc3339` appended as UTF-8 bytes, without an intermediate string (the access log).
    public func appendRFC3339(to output: inout [UInt8]) {
        let days = Self.floorDivide(secondsSinceEpoch, 86_400)
        let secondOfDay = Int(secondsSinceEpoch - days * 86_400)
        let (year, month, day) = Self.civilDate(daysSinceEpoch: days)
        func digits(_ value: Int, _ width: Int, then separator: UInt8) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            // Years past 9999 keep all their digits.
            while rest / divisor >= 10 { divisor *= 10 }
            while divisor > 0 {
                output.append(UInt8(48 + rest / divisor))
                rest %= divisor
                divisor /= 10
            }
            output.append(separator)
        }
        digits(Int(max(year, 0)), 4, then: 0x2D)
        digits(month, 2, then: 0x2D)
        digits(day, 2, then: 0x54)
        digits(secondOfDay / 3_600, 2, then: 0x3A)
        digits(secondOfDay / 60 % 60, 2, then: 0x3A)
        digits(secondOfDay % 60, 2, then: 0x2E)
        digits(min(max(milliseconds, 0), 999), 3, then: 0x5A)
    }

    /// Proleptic Gregorian date for a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int, day: Int) {
        let shifted = daysSinceEpoch + 719_468
        let era = floorDivide(shifted, 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return value % divisor < 0 ? quotient - 1 : quotient
    }

    private static func append(_ value: Int64, width: Int, to text: inout String) {
        let digits = String(value)
        if digits.count < width {
            text += String(repeating: "0", count: width - digits.count)
        }
        text += digits
    }
}
