import Testing

@testable import CertgateConfig

/// `--idle-timeout`, `--tcp-keepalive` and `--shutdown-delay`: their defaults, the values they take from
/// a flag and from the file, and the one-line errors naming the flag.
@Suite("Idle timeout, TCP keepalive, shutdown delay")
struct IdleAndShutdownSettingsTests {
    let resolver = ConfigurationResolver(currentDirectory: "/srv/work", processorCount: 2)
    let base = ["--listen", "0.0.0.0:8443", "--upstream", "127.0.0.1:8080", "--cert-dir", "certs"]

    func resolve(_ arguments: [String], yaml: String? = nil) throws -> ProxyConfiguration {
        let file = try yaml.map {
            try ConfigurationFile.parse(yaml: $0, path: "/etc/certgate/proxy.yaml", baseDirectory: "/etc/certgate")
        }
        return try resolver.resolve(
            try CommandLineSettings(arguments: base + arguments), environment: EnvironmentSettings(), file: file)
    }

    func error(_ arguments: [String]) -> String? {
        do {
            _ = try resolve(arguments)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func defaults() throws {
        let configuration = try resolve([])
        #expect(configuration.idleTimeout == .seconds(300))
        #expect(configuration.tcpKeepalive)
        #expect(configuration.shutdownDelay == .zero)
    }

    @Test(
        "idle-timeout takes a duration of at least 100ms, or off",
        arguments: [
            ("1s", Duration?.some(.seconds(1))), ("100ms", .milliseconds(100)), ("2h", .seconds(7_200)),
            ("off", nil), ("OFF", nil), ("0", nil),
        ])
    func idleTimeouts(text: String, expected: Duration?) throws {
        #expect(try resolve(["--idle-timeout", text]).idleTimeout == expected)
    }

    @Test func idleTimeoutFromTheFile() throws {
        #expect(try resolve([], yaml: "idle-timeout: 90s\n").idleTimeout == .seconds(90))
        #expect(try resolve([], yaml: "idle-timeout: 30\n").idleTimeout == .seconds(30))
        #expect(try resolve([], yaml: "idle-timeout: off\n").idleTimeout == nil)
        #expect(try resolve(["--idle-timeout", "1m"], yaml: "idle-timeout: off\n").idleTimeout == .seconds(60))
    }

    @Test func badIdleTimeoutsNameTheFlag() throws {
        let short = try #require(error(["--idle-timeout", "50ms"]))
        #expect(short.hasPrefix("--idle-timeout: '50ms' is too short"))
        let word = try #require(error(["--idle-timeout", "never"]))
        #expect(word.hasPrefix("--idle-timeout: 'never' is not a duration or off"))
        #expect(!word.contains("\n"))
    }

    @Test func tcpKeepalive() throws {
        #expect(try resolve(["--tcp-keepalive", "false"]).tcpKeepalive == false)
        #expect(try resolve(["--tcp-keepalive", "true"]).tcpKeepalive)
        #expect(try resolve([], yaml: "tcp-keepalive: false\n").tcpKeepalive == false)
        let bad = try #require(error(["--tcp-keepalive", "maybe"]))
        #expect(bad.hasPrefix("--tcp-keepalive: "))
    }

    @Test func shutdownDelay() throws {
        #expect(try resolve(["--shutdown-delay", "5s"]).shutdownDelay == .seconds(5))
        #expect(try resolve(["--shutdown-delay", "10m"]).shutdownDelay == .seconds(600))
        #expect(try resolve([], yaml: "shutdown-delay: 15s\n").shutdownDelay == .seconds(15))
        #expect(
            error(["--shutdown-delay", "11m"])
                == "--shutdown-delay: '11m' is out of range; the shutdown delay must be between 0 and 10m")
    }

    @Test func allThreeAreLive() {
        for setting in [Settings.idleTimeout.info, Settings.tcpKeepalive.info, Settings.shutdownDelay.info] {
            #expect(setting.reload == .live, "\(setting.key)")
        }
    }
}
