import Testing

@testable import CertgateConfig

/// Every duration setting: the forms people write, and an upper bound that is documented and checked.
@Suite("Duration settings")
struct DurationSettingsTests: ResolvesMinimalConfiguration {
    private func error(_ arguments: [String], yaml: String? = nil) -> String? {
        do {
            _ = try resolve(arguments, yaml: yaml)
            return nil
        } catch {
            return String(describing: error)
        }
    }

    static let durationSettings = Settings.all.map(\.info).filter { $0.form == .duration }

    @Test func fractionsAndSeveralPartsWorkInFlagsAndTheFile() throws {
        #expect(try resolve(["--connect-timeout", "1.5s"]).connectTimeout == .milliseconds(1_500))
        #expect(try resolve(["--handshake-timeout", "1m30s"]).handshakeTimeout == .seconds(90))
        #expect(try resolve(["--idle-timeout", "250ms"]).idleTimeout == .milliseconds(250))
        #expect(try resolve(["--drain-timeout", "0.5m"]).drainTimeout == .seconds(30))
        #expect(try resolve([], yaml: "connect-timeout: 1.5\n").connectTimeout == .milliseconds(1_500))
        #expect(try resolve([], yaml: "connect-timeout: 7\n").connectTimeout == .seconds(7))
        #expect(try resolve([], yaml: "idle-timeout: 1m30s\n").idleTimeout == .seconds(90))
    }

    @Test func nearMissesAreOneLineErrorsWithTheRightForm() {
        #expect(
            error(["--connect-timeout", "5S"])
                == "--connect-timeout: '5S' is not a duration; write 5s (lower-case units, no spaces; "
                + "e.g. 250ms, 1.5s, 1m30s, 5m, 1h, 1d)")
        #expect(
            error(["--idle-timeout", "5 s"])?.hasPrefix("--idle-timeout: '5 s' is not a duration; write 5s") == true)
        #expect(
            error([], yaml: "drain-timeout: 5 S\n")?.hasPrefix(
                "/etc/c.yaml: key 'drain-timeout': '5 S' is not a duration; write 5s") == true)
    }

    @Test(
        "each upper bound is checked with a one-line error naming the flag",
        arguments: [
            (
                "--connect-timeout", "5m", "5m1ms",
                "--connect-timeout: '5m1ms' is too long; the connect timeout must be at most 5m"
            ),
            (
                "--handshake-timeout", "5m", "301s",
                "--handshake-timeout: '301s' is too long; the handshake timeout must be at most 5m"
            ),
            (
                "--idle-timeout", "7d", "7d1s",
                "--idle-timeout: '7d1s' is too long; the idle timeout must be at most 7d (or off)"
            ),
            (
                "--reload-interval", "7d", "8d",
                "--reload-interval: '8d' is too long; the reload interval must be at most 7d (or off)"
            ),
            (
                "--roots-max-age", "365d", "366d",
                "--roots-max-age: '366d' is too long; the roots max age must be at most 365d (or off)"
            ),
            (
                "--stat-interval", "1h", "1h1s",
                "--stat-interval: '1h1s' is out of range; the stat interval must be between 50ms and 1h"
            ),
            (
                "--drain-timeout", "1h", "61m",
                "--drain-timeout: '61m' is out of range; the drain timeout must be between 0 and 1h"
            ),
            (
                "--shutdown-delay", "10m", "10.5m",
                "--shutdown-delay: '10.5m' is out of range; the shutdown delay must be between 0 and 10m"
            ),
            (
                "--expiry-warning", "365d", "365d1ms",
                "--expiry-warning: '365d1ms' is out of range; the expiry warning must be between 0 and 365d"
            ),
            (
                "--upstream-resolve-interval", "1h", "1h1s",
                "--upstream-resolve-interval: '1h1s' is too long; the upstream resolve interval must be at most 1h (or off)"
            ),
            (
                "--ticket-lifetime", "7d", "7d1s",
                "--ticket-lifetime: '7d1s' is out of range; the ticket lifetime must be between 1s and 7d"
            ),
        ]
    )
    func upperBounds(flag: String, largest: String, tooLarge: String, message: String) throws {
        let extra = flag == "--roots-max-age" ? ["--client-ca", "ca.pem"] : []
        _ = try resolve(extra + [flag, largest])
        #expect(error(extra + [flag, tooLarge]) == message)
    }

    @Test("every duration setting is in the bounds test, and its type and help show the upper bound")
    func everyDurationSettingHasADocumentedUpperBound() {
        let tested: Set<String> = [
            "connect-timeout", "handshake-timeout", "idle-timeout", "reload-interval", "roots-max-age",
            "stat-interval", "drain-timeout", "shutdown-delay", "expiry-warning", "ticket-lifetime",
            "upstream-resolve-interval",
        ]
        #expect(Set(Self.durationSettings.map(\.key)) == tested)
        for info in Self.durationSettings {
            #expect(info.type.contains(" to "), "\(info.key): type '\(info.type)' shows no upper bound")
            #expect(
                info.help.contains(" to ") || info.help.contains("at most"),
                "\(info.key): help shows no upper bound")
        }
    }

    @Test("a value past every bound is refused by every duration setting, on one line naming it")
    func everyDurationSettingRefusesAHugeValue() {
        for info in Self.durationSettings {
            let extra = info.key == "roots-max-age" ? ["--client-ca", "ca.pem"] : []
            let message = error(extra + [info.flag, "1000d"])
            #expect(message?.hasPrefix("\(info.flag): '1000d' is ") == true, "\(info.key): \(message ?? "accepted")")
            #expect(message?.contains("\n") == false)
        }
    }
}
