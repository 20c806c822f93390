import Testing

@testable import CertgateConfig

@Suite("Duration syntax")
struct DurationSyntaxTests {
    @Test(
        "parses one number with one unit",
        arguments: [
            ("150ms", Duration.milliseconds(150)),
            ("2s", .seconds(2)),
            ("5m", .seconds(300)),
            ("1h", .seconds(3_600)),
            ("1d", .seconds(86_400)),
            ("0", .zero),
            ("0s", .zero),
            ("0ms", .zero),
            ("007s", .seconds(7)),
            ("1500ms", .milliseconds(1_500)),
            // Fractions, in any unit, as long as they come to whole milliseconds.
            ("1.5s", .milliseconds(1_500)),
            ("0.25s", .milliseconds(250)),
            ("1.5m", .seconds(90)),
            ("2.5h", .seconds(9_000)),
            ("0.5d", .seconds(43_200)),
            ("1.000s", .seconds(1)),
            ("0.001s", .milliseconds(1)),
            ("0.0s", .zero),
            ("250ms", .milliseconds(250)),
            // Several parts, largest unit first; the last may have a fraction.
            ("1m30s", .seconds(90)),
            ("1h30m", .seconds(5_400)),
            ("1d12h", .seconds(129_600)),
            ("1h0m5s", .seconds(3_605)),
            ("2s500ms", .milliseconds(2_500)),
            ("5s5ms", .milliseconds(5_005)),
            ("1m30.5s", .milliseconds(90_500)),
        ]
    )
    func parsesValidDurations(text: String, expected: Duration) throws {
        #expect(try DurationSyntax.parse(text) == expected)
    }

    @Test(
        "rejects malformed input with a message quoting it",
        arguments: [
            ("", "empty duration"),
            ("-5s", "'-5s' is negative"),
            ("5", "'5' has no unit (did you mean 5s?"),
            ("1.5", "'1.5' has no unit (did you mean 1.5s?"),
            ("1m30", "'1m30' has no unit after 30 (did you mean 1m30s?"),
            ("5x", "'5x' has an unknown unit 'x' (use ms, s, m, h or d)"),
            ("5sec", "'5sec' has an unknown unit 'sec'"),
            // Near misses get the spelling that works.
            ("5S", "'5S' is not a duration; write 5s (lower-case units, no spaces;"),
            ("5MS", "'5MS' is not a duration; write 5ms"),
            ("5 s", "'5 s' is not a duration; write 5s (lower-case units, no spaces;"),
            ("1m 30s", "'1m 30s' is not a duration; write 1m30s"),
            ("1M30S", "'1M30S' is not a duration; write 1m30s"),
            ("s", "'s' is not a duration (e.g. 250ms, 1.5s, 1m30s"),
            (" 5s", "' 5s' is not a duration; write 5s"),
            ("5s!", "'5s!' is not a duration"),
            ("5!", "'5!' has an unexpected '!'"),
            ("1,5s", "'1,5s' has a decimal comma; use a point (e.g. 1.5s)"),
            ("1.s", "'1.s' has no digits after the point"),
            (".5s", "'.5s' is not a duration"),
            ("1.0005s", "'1.0005s' is finer than a millisecond"),
            ("1.5ms", "'1.5ms' is finer than a millisecond"),
            ("0.0000000001d", "'0.0000000001d' is finer than a millisecond"),
            ("30s1m", "'30s1m' repeats a unit or has them out of order; go from the largest unit to the smallest"),
            ("1s1s", "'1s1s' repeats a unit or has them out of order"),
            ("1.5m30s", "'1.5m30s': only the last part may have a fraction"),
            ("1e3s", "'1e3s' has an unknown unit 'e'"),
            ("99999999999999999999s", "'99999999999999999999s' is too large"),
            ("9223372036854775807d", "'9223372036854775807d' is too large"),
        ]
    )
    func rejectsInvalidDurations(text: String, expectedPrefix: String) {
        #expect {
            try DurationSyntax.parse(text)
        } throws: { error in
            guard let error = error as? ConfigurationValueError else { return false }
            return error.message.hasPrefix(expectedPrefix)
        }
    }

    @Test("the largest representable value parses; one more overflows")
    func overflowBoundary() throws {
        let maxMilliseconds = Int64.max
        #expect(try DurationSyntax.parse("\(maxMilliseconds)ms") == .milliseconds(maxMilliseconds))
        #expect(throws: ConfigurationValueError.self) { try DurationSyntax.parse("\(maxMilliseconds / 1_000 + 1)s") }
    }

    @Test(
        "formats in the largest exact unit",
        arguments: [
            (Duration.zero, "0"),
            (.milliseconds(150), "150ms"),
            (.seconds(2), "2s"),
            (.seconds(90), "90s"),
            (.seconds(120), "2m"),
            (.seconds(5_400), "90m"),
            (.seconds(7_200), "2h"),
            (.seconds(86_400), "1d"),
            (.seconds(172_800), "2d"),
            (.milliseconds(1_500), "1500ms"),
            (.milliseconds(-2_000), "-2s"),
            (.microseconds(1_500), "1ms"),
        ]
    )
    func formats(duration: Duration, expected: String) {
        #expect(DurationSyntax.format(duration) == expected)
    }

    @Test("fractions and several parts add up exactly; the largest value fits, one more overflows")
    func compoundOverflow() throws {
        #expect(try DurationSyntax.parse("106751991167d7h12m55s807ms") == .milliseconds(Int64.max))
        #expect(throws: ConfigurationValueError.self) { try DurationSyntax.parse("106751991167d7h12m55s808ms") }
        #expect(throws: ConfigurationValueError.self) { try DurationSyntax.parse("106751991168.5d") }
    }

    @Test("format is the inverse of parse", arguments: ["150ms", "2s", "5m", "1h", "1d", "0", "1500ms", "25h"])
    func roundTrips(text: String) throws {
        #expect(DurationSyntax.format(try DurationSyntax.parse(text)) == text)
    }
}
