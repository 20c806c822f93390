import Testing

@testable import CertgateConfig

/// `--strict-sni` (`strict-sni:`, `CERTGATE_STRICT_SNI`): a switch, off by default, applied by a reload.
@Suite("--strict-sni setting")
struct StrictSNISettingTests {
    let resolver = ConfigurationResolver(currentDirectory: "/srv", processorCount: 2)
    let base = ["--listen", "0.0.0.0:8443", "--upstream", "127.0.0.1:8080", "--cert-dir", "certs"]
    let baseYAML = "listen: 0.0.0.0:8443\nupstream: 127.0.0.1:8080\ncert-dir: certs\n"

    private func resolve(_ arguments: [String] = [], environment: [String: String] = [:], yaml: String? = nil) throws
        -> ProxyConfiguration
    {
        let file = try yaml.map { try ConfigurationFile.parse(yaml: $0, path: "/etc/c.yaml", baseDirectory: "/etc") }
        return try resolver.resolve(
            CommandLineSettings(arguments: (yaml == nil ? base : []) + arguments),
            environment: EnvironmentSettings(environment), file: file)
    }

    @Test func offByDefaultAndOnFromEverySource() throws {
        #expect(try resolve().strictSNI == false)
        #expect(try resolve(["--strict-sni"]).strictSNI == true)
        #expect(try resolve(environment: ["CERTGATE_STRICT_SNI": "true"]).strictSNI == true)
        #expect(try resolve(yaml: baseYAML + "strict-sni: true\n").strictSNI == true)
        #expect(try resolve(yaml: baseYAML + "strict-sni: false\n").strictSNI == false)
        #expect(
            try resolve(["--strict-sni"], yaml: baseYAML + "strict-sni: false\n").strictSNI == true,
            "the switch beats the file")
    }

    @Test func aValueThatIsNotABooleanIsRefusedNamingTheKey() throws {
        let error = #expect(throws: ConfigurationError.self) { try resolve(yaml: baseYAML + "strict-sni: yes\n") }
        #expect(error?.description == "/etc/c.yaml: key 'strict-sni': 'yes' is not true or false")
    }

    @Test func aReloadAppliesIt() throws {
        let running = try resolve(yaml: baseYAML)
        let change = ConfigurationChange(running: running, loaded: try resolve(yaml: baseYAML + "strict-sni: true\n"))
        #expect(change.applied == ["strict-sni"])
        #expect(change.needsRestart.isEmpty)
        #expect(change.effective.strictSNI)
    }

    @Test func itIsRenderedIntoAConfigurationFile() throws {
        #expect(try resolve(["--strict-sni"]).renderedAsConfigurationFile().contains("\nstrict-sni: true\n"))
    }
}
