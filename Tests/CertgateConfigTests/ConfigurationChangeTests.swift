import Testing

@testable import CertgateConfig

@Suite("Configuration change on reload")
struct ConfigurationChangeTests {
    let resolver = ConfigurationResolver(currentDirectory: "/srv", processorCount: 2)

    func resolve(_ yaml: String) throws -> ProxyConfiguration {
        let file = try ConfigurationFile.parse(yaml: yaml, path: "/etc/c.yaml", baseDirectory: "/etc")
        return try resolver.resolve(CommandLineSettings(), file: file)
    }

    let base = "listen: 0.0.0.0:8443\nupstream: 127.0.0.1:8080\ncert-dir: certs\n"

    @Test("an identical file changes nothing")
    func unchanged() throws {
        let running = try resolve(base)
        let change = ConfigurationChange(running: running, loaded: try resolve(base))
        #expect(change.isEmpty)
        #expect(change.effective == running)
    }

    @Test("live settings apply; restart-only ones are reported and keep their running values")
    func liveAndRestart() throws {
        let running = try resolve(base + "workers: 2\nconnect-timeout: 5s\n")
        let loaded = try resolve(
            base.replacingOccurrences(of: "8443", with: "9443")
                + "workers: 3\nconnect-timeout: 1s\nlog-level: debug\nclient-ca: ca.pem\nallow-cn: [a]\n")
        let change = ConfigurationChange(running: running, loaded: loaded)
        #expect(change.applied == ["connect-timeout", "log-level", "client-ca", "client-auth", "allow-cn"])
        #expect(change.needsRestart == ["listen", "workers"])
        #expect(change.effective.listen == running.listen)
        #expect(change.effective.workers == 2)
        #expect(change.effective.connectTimeout == .seconds(1))
        #expect(change.effective.clientAuth == .require)
        #expect(change.effective.allowCN == ["a"])
        #expect(change.changed(Settings.allowCN, Settings.upstream))
        #expect(!change.changed(Settings.upstream))
    }

    @Test("a per-certificate policy change is a live change")
    func perCertificate() throws {
        let running = try resolve(base + "client-ca: ca.pem\n")
        let loaded = try resolve(base + "client-ca: ca.pem\nper-certificate:\n  api: {verify-depth: 2}\n")
        let change = ConfigurationChange(running: running, loaded: loaded)
        #expect(change.applied == ["per-certificate"])
        #expect(change.needsRestart.isEmpty)
    }
}
