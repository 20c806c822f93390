import ArgumentParser
import CertgateCertificates
import CertgateConfig
import CertgatePosix
import CertgateTLS

/// `certgate check`: loads and validates everything `run` would, without serving.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Load and validate the configuration and every certificate, then exit.",
        discussion: """
            Prints one line per certificate (name, SNI names, key type, expiry, source) and exits 0 when \
            everything would load and every certificate is currently valid, 1 otherwise.
            """
    )

    @OptionGroup var options: ProxyOptions

    func run() throws {
        try runReportingFailures {
            let configuration = try options.resolve()
            _ = try TLSServerContext(settings: configuration.tlsSettings)
            _ = try configuration.resolveUpstream()
            let snapshot = try CertificateInventory.load(configuration)
            let now = Timestamp.now
            var problems: [String] = []
            for certificate in snapshot.certificates {
                let isDefault = certificate.name == snapshot.defaultCertificate.name
                print(CertificateInventory.describe(certificate, isDefault: isDefault))
                if let problem = CertificateInventory.validityProblem(certificate, now: now) {
                    problems.append("\(certificate.source.certificatePath): certificate '\(certificate.name)' \(problem)")
                }
            }
            for warning in snapshot.warnings {
                print("warning: \(warning)")
            }
            if let first = problems.first {
                throw StartupFailure(problems.count == 1 ? first : "\(first) (and \(problems.count - 1) more)")
            }
            print("ok: \(snapshot.count) certificate\(snapshot.count == 1 ? "" : "s"), default '\(snapshot.defaultCertificate.name)'")
        }
    }
}
