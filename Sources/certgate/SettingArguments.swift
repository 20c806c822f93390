import ArgumentParser
import CertgateConfig
import Foundation

/// The settings of `certgate run` and `certgate check`, shared through `@OptionGroup`.
///
/// ArgumentParser handles the commands and `--help`; every other argument is collected here unparsed and
/// read against the setting table (`CommandLineSettings`), so the flags, their errors (one line naming
/// the flag) and the help text all come from `Settings`.
struct SettingArguments: ParsableArguments {
    @Argument(parsing: .allUnrecognized, help: .hidden)
    var arguments: [String] = []

    /// The flags as given, read against the table.
    func commandLine() throws(ConfigurationError) -> CommandLineSettings {
        try CommandLineSettings(arguments: arguments)
    }

    /// The `CERTGATE_*` variables of this process.
    static var environment: EnvironmentSettings { EnvironmentSettings(ProcessInfo.processInfo.environment) }

    /// One line per `CERTGATE_*` variable that looks like a misspelt setting.
    static var environmentWarnings: [String] {
        environment.misspellings.map {
            "environment variable \($0.variable) is not a setting and is ignored (did you mean \($0.suggestion)?)"
        }
    }

    /// Loads the config file (if named), merges it with the flags and variables and validates the result.
    ///
    /// - Throws: `ConfigurationError`, whose description is one line naming the flag, variable or file key.
    func resolve() throws(ConfigurationError) -> ProxyConfiguration {
        try ConfigurationResolver().resolve(try commandLine(), environment: Self.environment)
    }

    /// The help of the commands that take the settings: what they do, then every setting by group.
    static func discussion(_ summary: String) -> String {
        summary + "\n\n" + SettingsHelp.options()
            + "Every flag is also a key of the --config file (same name) and a CERTGATE_* variable (in "
            + "brackets); flags win over variables, variables over the file. Reference: docs/configuration.md"
    }
}
