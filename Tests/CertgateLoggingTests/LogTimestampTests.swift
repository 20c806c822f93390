import Foundation
import Testing

@testable import CertgateLogging

@Suite("RFC 3339 timestamps")
struct LogTimestampTests {
    @Test(
        "known instants",
        arguments: [
            (Int64(0), 0, "1970-01-01T00:00:00.000Z"),
            (1_795_426_867, 123, "2026-11-23T09:41:07.123Z"),
            (1_709_251_199, 999, "2024-02-29T23:59:59.999Z"),
            (4_107_542_400, 7, "2100-03-01T00:00:00.007Z"),
            (-1, 0, "1969-12-31T23:59:59.000Z"),
            (-2_208_988_800, 50, "1900-01-01T00:00:00.050Z"),
        ]
    )
    func knownInstants(seconds: Int64, milliseconds: Int, expected: String) {
        #expect(LogTimestamp(secondsSinceEpoch: seconds, milliseconds: milliseconds).rfc3339 == expected)
    }

    @Test("agrees with Foundation's ISO 8601 formatter across four centuries")
    func agreesWithFoundation() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let seconds = Int64.random(in: -2_208_988_800...10_000_000_000, using: &generator)
            let milliseconds = Int.random(in: 0...999, using: &generator)
            let date = Date(timeIntervalSince1970: Double(seconds) + Double(milliseconds) / 1_000 + 0.0001)
            let ours = LogTimestamp(secondsSinceEpoch: seconds, milliseconds: milliseconds).rfc3339
            #expect(ours == formatter.string(from: date))
        }
    }

    @Test("now() is the current wall-clock time")
    func now() {
        let before = Date().timeIntervalSince1970
        let timestamp = LogTimestamp.now()
        let after = Date().timeIntervalSince1970
        let value = Double(timestamp.secondsSinceEpoch) + Double(timestamp.milliseconds) / 1_000
        #expect(value >= before.rounded(.down) - 0.001 && value <= after + 0.001)
        #expect((0...999).contains(timestamp.milliseconds))
    }
}
