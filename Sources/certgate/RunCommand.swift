import ArgumentParser
import CertgateConfig
import CertgateLogging
import Logging

/// `certgate run`: serve until SIGTERM/SIGINT.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Terminate TLS and forward plaintext to the upstream.",
        usage: "certgate run [<options>]",
        discussion: SettingArguments.discussion(
            """
            Runs in the foreground until SIGTERM or SIGINT, then stops accepting and exits 0. Start-up \
            problems (a missing or broken certificate, an address in use, a bad flag) print one line \
            naming the file or flag and exit 1. SIGHUP and POST /reload re-read the certificates and the \
            config file.
            """)
    )

    @OptionGroup var options: SettingArguments

    func run() throws {
        try runReportingFailures {
            let commandLine = try options.commandLine()
            let environment = SettingArguments.environment
            let configuration = try ConfigurationResolver().resolve(commandLine, environment: environment)
            try CertgateLogging.bootstrap(
                formatName: configuration.logFormat.rawValue,
                levelName: configuration.logLevel.rawValue
            )
            let logger = Logger(label: "certgate")
            for warning in SettingArguments.environmentWarnings {
                logger.warning("\(warning)")
            }
            try ProxyRuntime(
                configuration: configuration, commandLine: commandLine, environment: environment,
                logger: logger
            ).run()
        }
    }
}
