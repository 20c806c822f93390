import Testing

@testable import CertgateConfig

/// `--max-connections N|auto` (key `max-connections`).
@Suite("--max-connections")
struct MaxConnectionsSettingTests {
    let resolver = ConfigurationResolver(currentDirectory: "/srv/work", processorCount: 2)
    let base = ["--listen", "0.0.0.0:8443", "--upstream", "127.0.0.1:8080", "--cert-dir", "certs"]

    func resolve(_ arguments: [String], yaml: String? = nil) throws -> ProxyConfiguration {
        let file = try yaml.map {
            try ConfigurationFile.parse(yaml: $0, path: "/etc/certgate/proxy.yaml", baseDirectory: "/etc/certgate")
        }
        return try resolver.resolve(try CommandLineSettings(arguments: base + arguments), file: file)
    }

    func error(_ arguments: [String], yaml: String? = nil) -> String? {
        do {
            _ = try resolve(arguments, yaml: yaml)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test("absent or auto: nil (derived from the descriptor limit at start-up); a number is taken as is")
    func values() throws {
        #expect(try resolve([]).maxConnections == nil)
        #expect(try resolve(["--max-connections", "auto"]).maxConnections == nil)
        #expect(try resolve(["--max-connections", "AUTO"]).maxConnections == nil)
        #expect(try resolve(["--max-connections", "1"]).maxConnections == 1)
        #expect(try resolve(["--max-connections", "10000000"]).maxConnections == 10_000_000)
        #expect(try resolve([], yaml: "max-connections: 500\n").maxConnections == 500)
        #expect(try resolve(["--max-connections", "7"], yaml: "max-connections: 500\n").maxConnections == 7)
    }

    @Test("a bad value names the flag or key and says what is wrong", arguments: ["0", "lots", "-5", "10000001", ""])
    func badFlag(value: String) throws {
        let message = try #require(error(["--max-connections", value]))
        #expect(message.contains("--max-connections"))
        #expect(message.contains("1-10000000") || message.contains("between 1 and 10000000"))
    }

    @Test("a bad key in the file names the key")
    func badKey() throws {
        let message = try #require(error([], yaml: "max-connections: many\n"))
        #expect(message.contains("max-connections"))
        #expect(message.contains("not a number or auto"))
    }

    @Test("changing it needs a restart")
    func restartOnly() {
        #expect(Settings.maxConnections.info.reload == .restart)
    }
}
