import Testing

@testable import CertgateConfig

/// `--no-KEY` for every true-or-false setting: the command line can turn off a `true` from the config file
/// or the environment. Variables and YAML keys keep `true`/`false`.
@Suite("--no- forms of true-or-false settings")
struct NegatedFlagsTests: ResolvesMinimalConfiguration {
    static let booleans = Settings.all.filter { $0.info.form == .toggle || $0.info.type == "boolean" }

    @Test func everyTrueOrFalseSettingHasItsNoForm() throws {
        #expect(
            Set(Self.booleans.map(\.info.key)) == [
                "strict-sni", "allow-expired", "tcp-keepalive", "forward-headers", "admin-insecure", "tickets",
                "check-missing-cert-dir",
                "ocsp-fetch",
            ])
        for setting in Self.booleans {
            let info = setting.info
            #expect(info.negatedFlag == "--no-" + info.key)
            #expect(try CommandLineSettings(arguments: ["--no-" + info.key]).values == [info.flag: ["false"]])
        }
        #expect(Settings.all.filter { $0.info.negatedFlag != nil }.count == Self.booleans.count)
    }

    @Test(arguments: booleans.map(\.info.key))
    func theNoFormWinsOverTrueInTheFileAndTheEnvironment(key: String) throws {
        let setting = try #require(Settings.named(key))
        let info = setting.info
        let fromFile = try resolve([], yaml: "\(key): true\n")
        #expect(setting.rendered(fromFile) == .scalar("true"))
        #expect(setting.rendered(try resolve(["--no-" + key], yaml: "\(key): true\n")) == .scalar("false"))
        let variable = try #require(info.environmentVariable)
        #expect(setting.rendered(try resolve(["--no-" + key], environment: [variable: "true"])) == .scalar("false"))
        #expect(setting.rendered(try resolve(["--no-" + key])) == .scalar("false"))
    }

    @Test func theLastOfTheTwoFormsWins() throws {
        #expect(try resolve(["--strict-sni", "--no-strict-sni"]).strictSNI == false)
        #expect(try resolve(["--no-strict-sni", "--strict-sni"]).strictSNI == true)
        #expect(try resolve(["--tcp-keepalive", "true", "--no-tcp-keepalive"]).tcpKeepalive == false)
        #expect(try resolve(["--no-tcp-keepalive", "--tcp-keepalive", "true"]).tcpKeepalive == true)
    }

    @Test func misuseIsAOneLineErrorNamingTheFlag() {
        #expect(throws: ConfigurationError(.flag("--no-forward-headers"), "takes no value")) {
            try CommandLineSettings(arguments: ["--no-forward-headers=true"])
        }
        #expect(throws: ConfigurationError(.flag("--no-listen"), "unknown option")) {
            try CommandLineSettings(arguments: ["--no-listen"])
        }
        #expect(
            throws: ConfigurationError(
                .flag("--no-forward-header"), "unknown option (did you mean '--no-forward-headers'?)")
        ) {
            try CommandLineSettings(arguments: ["--no-forward-header"])
        }
    }

    @Test func helpAndDocsShowTheNoForms() {
        let help = SettingsHelp.options()
        let table = SettingsHelp.markdownTable()
        for setting in Self.booleans {
            #expect(help.contains("--no-" + setting.info.key))
            #expect(table.contains("`--no-\(setting.info.key)`"))
        }
    }
}
