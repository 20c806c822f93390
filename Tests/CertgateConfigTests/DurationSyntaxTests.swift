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
            ("5", "'5' has no unit"),
            ("5x", "'5x' has an unknown unit 'x'"),
            ("5S", "'5S' has an unknown unit 'S'"),
            ("5 s", "'5 s' has an unknown unit ' s'"),
            ("1.5s", "'1.5s' is not a whole number"),
            ("s", "'s' is not a duration"),
            (" 5s", "' 5s' is not a duration"),
            ("5s5ms", "'5s5ms' has an unknown unit 's5ms'"),
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

    @Test("format is the inverse of parse", arguments: ["150ms", "2s", "5m", "1h", "1d", "0", "1500ms", "25h"])
    func roundTrips(text: String) throws {
        #expect(DurationSyntax.format(try DurationSyntax.parse(text)) == text)
    }
}
