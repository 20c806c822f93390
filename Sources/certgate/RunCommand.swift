import ArgumentParser
import CertgateConfig
import CertgateLogging
import Logging

/// `certgate run`: serve until SIGTERM/SIGINT.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Terminate TLS and forward plaintext to the upstream.",
        discussion: """
            Runs in the foreground until SIGTERM or SIGINT, then stops accepting and exits 0. Start-up \
            problems (a missing or broken certificate, an address in use, a bad flag) print one line \
            naming the file or flag and exit 1.
            """
    )

    @OptionGroup var options: ProxyOptions

    func run() throws {
        try runReportingFailures {
            let configuration = try options.resolve()
            try CertgateLogging.bootstrap(
                formatName: configuration.logFormat.rawValue,
                levelName: configuration.logLevel.rawValue
            )
            try ProxyRuntime(configuration: configuration, logger: Logger(label: "certgate")).run()
        }
    }
}
