import CertgatePosix
import Testing

@Suite("Duration in seconds")
struct DurationSecondsTests {
    @Test(
        "whole and fractional durations convert exactly where a Double can hold them",
        arguments: [
            (Duration.zero, 0.0),
            (.seconds(5), 5.0),
            (.milliseconds(1_500), 1.5),
            (.milliseconds(50), 0.05),
            (.microseconds(250), 0.000_25),
            (.seconds(14 * 86400), 1_209_600.0),
        ])
    func converts(duration: Duration, seconds: Double) {
        #expect(duration.seconds == seconds)
    }

    @Test func negativeDurationsGiveNegativeSeconds() {
        #expect(Duration.milliseconds(-1_500).seconds == -1.5)
        #expect((Duration.seconds(1) - .seconds(3)).seconds == -2)
    }

    @Test func subMicrosecondPartsAreKept() {
        #expect(Duration.nanoseconds(1).seconds == 1e-9)
        #expect(abs(Duration.nanoseconds(1_000_000_001).seconds - 1.000_000_001) < 1e-15)
    }
}
