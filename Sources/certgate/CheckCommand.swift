import ArgumentParser
import CertgateAdmin
import CertgateCertificates
import CertgateConfig
import CertgatePosix
import CertgateReload
import CertgateTLS
import Logging

/// `certgate check`: loads and validates everything `run` would, without serving.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Load and validate the configuration and every certificate, then exit.",
        usage: "certgate check [<options>]",
        discussion: SettingArguments.discussion(
            """
            Prints one line per certificate (name, SNI names, key type, expiry, source) and one line per \
            ECDSA + RSA pair that shares names (each client gets the one it supports). A certificate that \
            is expired or not yet valid does not load unless --allow-expired is given (then it is printed \
            with a warning). An upstream host name that does not resolve is a warning. With \
            check-missing-cert-dir, a --cert-dir that does not exist is a warning. Takes the options of \
            run.

            Exit status: 0 when everything would load; 2 when it would, but a certificate expires within \
            --expiry-warning (or is served only because of --allow-expired), with a warning line naming \
            it; 1 on any error.
            """)
    )

    @OptionGroup var options: SettingArguments

    @Flag(
        name: .customLong("print-config"),
        help: "Print the effective configuration (flags, environment, file and defaults) as YAML first.")
    var printConfig = false

    /// The exit status of a check that passed with a certificate inside --expiry-warning.
    static let expiryExitCode: Int32 = 2

    func run() throws {
        var certificateWarning = false
        try runReportingFailures {
            var configuration = try options.resolve()
            if printConfig {
                print("# effective configuration")
                print(configuration.renderedAsConfigurationFile(), terminator: "")
            }
            _ = try TLSServerContext(settings: configuration.tlsSettings, ticketKeys: nil)
            do {
                _ = try configuration.resolveUpstream()
            } catch {
                print("warning: \(error) (a warning only: the name may resolve where certgate runs)")
            }
            let skipCertificates = Self.dropMissingDirectories(from: &configuration)
            if let tokenFile = configuration.adminTokenFile {
                do {
                    _ = try AdminToken(path: tokenFile, logger: Logger(label: "certgate.check"))
                } catch {
                    throw StartupFailure("--admin-token-file \(error)")
                }
            }
            // The client CA and CRL files of every policy (global and per-certificate) load as in `run`.
            let clientTrust: ClientTrustPolicies?
            do {
                clientTrust = try configuration.clientTrustPolicies()
            } catch {
                throw StartupFailure("\(error)")
            }
            for warning in SettingArguments.environmentWarnings {
                print("warning: \(warning)")
            }
            // Counts only: never a key, nor a key name.
            if configuration.tickets, let path = configuration.ticketKeys {
                let count = try TicketKeyService.read(path).keys.count
                print("ticket key file \(path): \(count) key\(count == 1 ? "" : "s")")
                if TicketKeyService.isReadableByOthers(path) {
                    print("warning: ticket key file \(path) is readable by every user")
                }
            }
            guard !skipCertificates else {
                print("ok: no certificate checked (every --cert-dir is missing; check-missing-cert-dir)")
                return
            }
            let snapshot = try CertificateStore(options: configuration.certificateStoreOptions).snapshot
            let now = Timestamp.now
            for certificate in snapshot.certificates {
                let isDefault = certificate.name == snapshot.defaultCertificate.name
                print(CertificateInventory.describe(certificate, isDefault: isDefault))
                if let problem = CertificateInventory.validityProblem(certificate, now: now) {
                    certificateWarning = true
                    print(
                        "warning: \(certificate.source.certificatePath): \(problem) (served because of --allow-expired)"
                    )
                } else if let warning = Self.expiryWarning(certificate, within: configuration.expiryWarning, now: now) {
                    certificateWarning = true
                    print(warning)
                }
            }
            for dual in snapshot.dualCertificates {
                print(CertificateInventory.describe(dual, in: snapshot))
            }
            for warning in snapshot.warnings {
                print("warning: \(warning)")
            }
            let loaded = Set(snapshot.certificates.map(\.name))
            for entry in configuration.perCertificate where !loaded.contains(entry.name) {
                print(
                    "warning: per-certificate entry '\(entry.name)' matches no loaded certificate; its policy applies to nothing"
                )
            }
            if let clientTrust {
                for pool in clientTrust.stores {
                    print(
                        "client CA file \(pool.options.path): \(pool.pool.trusted.count) CA\(pool.pool.trusted.count == 1 ? "" : "s")"
                            + (pool.crl.map {
                                ", CRL file \($0.path): \($0.set.entries.count) CRL\($0.set.entries.count == 1 ? "" : "s")"
                            } ?? ""))
                }
            }
            print(
                "ok: \(snapshot.count) certificate\(snapshot.count == 1 ? "" : "s"), default '\(snapshot.defaultCertificate.name)'"
            )
        }
        if certificateWarning { throw ExitCode(Self.expiryExitCode) }
    }

    /// With `check-missing-cert-dir`, removes the certificate directories that do not exist from
    /// `configuration`, printing a warning for each. True when nothing is left to load.
    static func dropMissingDirectories(from configuration: inout ProxyConfiguration) -> Bool {
        guard configuration.checkMissingCertDir else { return false }
        let missing = configuration.certificateDirectories.filter { FileSystem.kind(of: $0) == .missing }
        guard !missing.isEmpty else { return false }
        for directory in missing {
            print("warning: --cert-dir \(directory) does not exist (accepted because of check-missing-cert-dir)")
        }
        configuration.certificateDirectories.removeAll { missing.contains($0) }
        return configuration.certificateDirectories.isEmpty && configuration.certificatePairs.isEmpty
    }

    /// The warning line for a certificate that expires within `period`, or `nil`.
    static func expiryWarning(_ certificate: LoadedCertificate, within period: Duration, now: Int64) -> String? {
        let notAfter = certificate.certifiedKey.leaf.notAfter
        let left = notAfter - now
        guard period > .zero, left <= period.components.seconds else { return nil }
        let remaining = left <= 0 ? "now" : "in \(left / 86_400)d \(left % 86_400 / 3_600)h"
        return "warning: certificate '\(certificate.name)' (\(certificate.source.certificatePath)) expires "
            + "\(remaining), at \(Timestamp.rfc3339(notAfter)), "
            + "within --expiry-warning \(DurationSyntax.format(period))"
    }
}
