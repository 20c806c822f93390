@testable import CertgateConfig

/// For suites about one setting: resolves a configuration from flags added to a minimal valid command
/// line (listen, upstream, cert-dir), optional CERTGATE_* variables and an optional YAML file at
/// /etc/c.yaml, as `certgate run` would from /srv.
protocol ResolvesMinimalConfiguration {}

extension ResolvesMinimalConfiguration {
    static var minimalArguments: [String] {
        ["--listen", "0.0.0.0:8443", "--upstream", "127.0.0.1:8080", "--cert-dir", "certs"]
    }

    func resolve(_ arguments: [String] = [], environment: [String: String] = [:], yaml: String? = nil) throws
        -> ProxyConfiguration
    {
        let file = try yaml.map { try ConfigurationFile.parse(yaml: $0, path: "/etc/c.yaml", baseDirectory: "/etc") }
        return try ConfigurationResolver(currentDirectory: "/srv", processorCount: 2).resolve(
            CommandLineSettings(arguments: Self.minimalArguments + arguments),
            environment: EnvironmentSettings(environment), file: file)
    }
}
