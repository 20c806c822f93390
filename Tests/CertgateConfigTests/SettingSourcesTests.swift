import Foundation
import Testing

@testable import CertgateConfig

/// The command line and the environment as sources, and their precedence over the file.
@Suite("Setting sources: flags, CERTGATE_* variables, file")
struct SettingSourcesTests {
    static let filePath = "/etc/certgate/proxy.yaml"
    let resolver = ConfigurationResolver(currentDirectory: "/srv/work", processorCount: 2)
    let minimal = ["--listen", "0.0.0.0:8443", "--upstream", "127.0.0.1:8080", "--cert-dir", "certs"]

    func file(_ yaml: String) throws -> ConfigurationFile {
        try ConfigurationFile.parse(yaml: yaml, path: Self.filePath, baseDirectory: "/etc/certgate")
    }

    func resolve(_ arguments: [String], _ environment: [String: String] = [:], file: ConfigurationFile? = nil)
        throws(ConfigurationError) -> ProxyConfiguration
    {
        try resolver.resolve(
            try CommandLineSettings(arguments: arguments), environment: EnvironmentSettings(environment),
            file: file)
    }

    func error(_ arguments: [String], _ environment: [String: String] = [:], file: ConfigurationFile? = nil) -> String?
    {
        do {
            _ = try resolve(arguments, environment, file: file)
            return nil
        } catch {
            return error.description
        }
    }

    // MARK: Command line

    @Test("--flag VALUE and --flag=VALUE; the last value of a single-value flag wins; lists keep every one")
    func flagForms() throws {
        let line = try CommandLineSettings(arguments: [
            "--listen=0.0.0.0:1", "--listen", "0.0.0.0:2", "--allow-cn", "a", "--allow-cn=b", "--forward-headers",
        ])
        #expect(line.values["--listen"] == ["0.0.0.0:1", "0.0.0.0:2"])
        #expect(line.values["--allow-cn"] == ["a", "b"])
        #expect(line.values["--forward-headers"] == ["true"])
        let configuration = try resolve(minimal + ["--listen=127.0.0.1:9", "--workers=3"])
        #expect(configuration.listen == SocketEndpoint(host: "127.0.0.1", port: 9))
        #expect(configuration.workers == 3)
    }

    @Test(
        "unknown flags, missing values, values given to a switch and stray words are one-line errors",
        arguments: [
            (["--listn", "x"], "--listn: unknown option (did you mean '--listen'?)"),
            (["--frobnicate"], "--frobnicate: unknown option"),
            (["--listen"], "--listen: missing value"),
            (["--listen", "--upstream", "a:1"], "--listen: missing value"),
            (["--forward-headers=yes"], "--forward-headers: takes no value"),
            (["serve"], "unexpected argument 'serve' (every setting is a --flag; see --help)"),
            (["-l", "x"], "unexpected argument '-l' (every setting is a --flag; see --help)"),
        ]
    )
    func commandLineErrors(arguments: [String], message: String) {
        do {
            _ = try CommandLineSettings(arguments: arguments)
            Issue.record("accepted \(arguments)")
        } catch {
            #expect(error.description == message)
        }
    }

    // MARK: Environment

    @Test("CERTGATE_* variables set settings; flags beat them, they beat the file")
    func precedence() throws {
        let yaml = try file("workers: 2\nconnect-timeout: 1s\nlog-level: debug\nallow-cn: [f]\nclient-ca: ca.pem\n")
        let environment = ["CERTGATE_WORKERS": "3", "CERTGATE_CONNECT_TIMEOUT": "2s", "CERTGATE_ALLOW_CN": "e1, e2"]
        let configuration = try resolve(minimal + ["--workers", "4"], environment, file: yaml)
        #expect(configuration.workers == 4)
        #expect(configuration.connectTimeout == .seconds(2))
        #expect(configuration.logLevel == .debug)
        #expect(configuration.allowCN == ["e1", "e2"])
        #expect(configuration.clientCA == "/etc/certgate/ca.pem")
    }

    @Test("required settings, switches and paths from the environment; paths are relative to the working directory")
    func environmentOnly() throws {
        let configuration = try resolve(
            [],
            [
                "CERTGATE_LISTEN": "0.0.0.0:8443", "CERTGATE_UPSTREAM": "127.0.0.1:8080", "CERTGATE_CERT_DIR": "a,/b",
                "CERTGATE_FORWARD_HEADERS": "true", "CERTGATE_CLIENT_CA": "ca.pem",
            ])
        #expect(configuration.certificateDirectories == ["/srv/work/a", "/b"])
        #expect(configuration.forwardHeaders)
        #expect(configuration.clientCA == "/srv/work/ca.pem")
        #expect(configuration.clientAuth == .require)
    }

    @Test("a bad variable names the variable, even when a flag overrides it")
    func environmentErrors() {
        #expect(
            error(minimal, ["CERTGATE_WORKERS": "many"])
                == "environment variable CERTGATE_WORKERS: 'many' is not a number of workers (1-256 or auto)")
        #expect(
            error(minimal + ["--workers", "2"], ["CERTGATE_WORKERS": "0"])
                == "environment variable CERTGATE_WORKERS: 0 workers out of range (1-256 or auto)")
        #expect(
            error(minimal, ["CERTGATE_FORWARD_HEADERS": "yes"])
                == "environment variable CERTGATE_FORWARD_HEADERS: 'yes' is not true or false")
        #expect(
            error(minimal, ["CERTGATE_CLIENT_CRL": "crl.pem"])
                == "environment variable CERTGATE_CLIENT_CRL: needs CERTGATE_CLIENT_CA (or --client-ca)")
    }

    @Test("CERTGATE_CONFIG names the file; --config beats it")
    func configFromEnvironment() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cg-env-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let one = directory + "/one.yaml"
        let two = directory + "/two.yaml"
        let base = "listen: 0.0.0.0:1\nupstream: 127.0.0.1:2\ncert-dir: certs\n"
        try (base + "workers: 5\n").write(toFile: one, atomically: true, encoding: .utf8)
        try (base + "workers: 6\n").write(toFile: two, atomically: true, encoding: .utf8)
        let environment = EnvironmentSettings(["CERTGATE_CONFIG": one])
        #expect(try resolver.resolve(CommandLineSettings(), environment: environment).workers == 5)
        #expect(
            try resolver.resolve(CommandLineSettings(arguments: ["--config", two]), environment: environment).workers
                == 6)
        #expect(throws: ConfigurationError(.environment("CERTGATE_CONFIG"), "empty path")) {
            try resolver.resolve(CommandLineSettings(), environment: EnvironmentSettings(["CERTGATE_CONFIG": ""]))
        }
    }

    @Test("only CERTGATE_* variables are kept; misspelt ones are found, Kubernetes service variables are not")
    func misspellings() {
        let environment = EnvironmentSettings([
            "PATH": "/bin", "CERTGATE_LISTN": "x", "CERTGATE_PORT": "tcp://10.0.0.1:443",
            "CERTGATE_SERVICE_HOST": "10.0.0.1", "CERTGATE_PORT_443_TCP_ADDR": "10.0.0.1", "CERTGATE_LISTEN": "y",
        ])
        #expect(environment.values["PATH"] == nil)
        #expect(environment.misspellings.map(\.variable) == ["CERTGATE_LISTN"])
        #expect(environment.misspellings.map(\.suggestion) == ["CERTGATE_LISTEN"])
    }
}
