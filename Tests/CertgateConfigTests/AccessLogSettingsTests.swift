import Testing

@testable import CertgateConfig

/// `--access-log off|text|json` and `--access-log-file FILE|-`: off and stdout by default, from every
/// source, live on reload, rendered into a configuration file.
@Suite("--access-log and --access-log-file settings")
struct AccessLogSettingsTests: ResolvesMinimalConfiguration {
    @Test func offAndStdoutByDefault() throws {
        let configuration = try resolve()
        #expect(configuration.accessLog == .off)
        #expect(configuration.accessLogFile == nil)
    }

    @Test func fromFlagsVariablesAndTheFile() throws {
        #expect(try resolve(["--access-log", "json"]).accessLog == .json)
        #expect(try resolve(["--access-log", "TEXT"]).accessLog == .text)
        #expect(try resolve(environment: ["CERTGATE_ACCESS_LOG": "text"]).accessLog == .text)
        #expect(try resolve(yaml: "access-log: json\n").accessLog == .json)
        #expect(try resolve(yaml: "access-log: off\n").accessLog == .off)
        #expect(try resolve(["--access-log-file", "logs/access.log"]).accessLogFile == "/srv/logs/access.log")
        #expect(try resolve(yaml: "access-log-file: access.log\n").accessLogFile == "/etc/access.log")
        #expect(try resolve(["--access-log-file", "-"]).accessLogFile == nil, "- is stdout")
    }

    @Test func badValuesAreRefusedNamingTheFlag() throws {
        let format = #expect(throws: ConfigurationError.self) { try resolve(["--access-log", "yes"]) }
        #expect(format?.description.contains("--access-log") == true)
        #expect(format?.description.contains("off, text or json") == true)
        let path = #expect(throws: ConfigurationError.self) { try resolve(["--access-log-file", ""]) }
        #expect(path?.description.contains("--access-log-file") == true)
    }

    @Test func aReloadAppliesBoth() throws {
        let running = try resolve()
        let loaded = try resolve(yaml: "access-log: json\naccess-log-file: /var/log/a.log\n")
        let change = ConfigurationChange(running: running, loaded: loaded)
        #expect(Set(change.applied) == ["access-log", "access-log-file"])
        #expect(change.needsRestart.isEmpty)
        #expect(change.effective.accessLog == .json)
        #expect(change.effective.accessLogFile == "/var/log/a.log")
    }

    @Test func renderedIntoAConfigurationFileAndReadBack() throws {
        let rendered = try resolve(["--access-log", "json", "--access-log-file", "/var/log/a.log"])
            .renderedAsConfigurationFile()
        #expect(rendered.contains("\naccess-log: json\n"))
        #expect(rendered.contains("\naccess-log-file: \"/var/log/a.log\"\n"))
        let stdout = try resolve().renderedAsConfigurationFile()
        #expect(stdout.contains("\naccess-log-file: \"-\"\n"))
        let file = try ConfigurationFile.parse(yaml: stdout, path: "/etc/c.yaml", baseDirectory: "/etc")
        #expect(
            try ConfigurationResolver(currentDirectory: "/", processorCount: 2).resolve(
                CommandLineSettings(arguments: []), file: file
            ).accessLogFile == nil)
    }
}
