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
            Prints one line per certificate (name, SNI names, key type, expiry, source), one line per \
            ECDSA + RSA pair that shares names (each client gets the one it supports), and exits 0 when \
            everything would load, 1 otherwise. A certificate that is expired or not yet valid does not \
            load unless --allow-expired is given (then it is printed with a warning). Takes the options \
            of run.
            """)
    )

    @OptionGroup var options: SettingArguments

    func run() throws {
        try runReportingFailures {
            let configuration = try options.resolve()
            _ = try TLSServerContext(settings: configuration.tlsSettings, ticketKeys: nil)
            _ = try configuration.resolveUpstream()
            if let tokenFile = configuration.adminTokenFile {
                do {
                    _ = try AdminToken(path: tokenFile, logger: Logger(label: "certgate.check"))
                } catch {
                    throw StartupFailure("--admin-token-file \(error)")
                }
            }
            let snapshot = try CertificateStore(options: configuration.certificateStoreOptions).snapshot
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
            let now = Timestamp.now
            for certificate in snapshot.certificates {
                let isDefault = certificate.name == snapshot.defaultCertificate.name
                print(CertificateInventory.describe(certificate, isDefault: isDefault))
                if let problem = CertificateInventory.validityProblem(certificate, now: now) {
                    print(
                        "warning: \(certificate.source.certificatePath): \(problem) (served because of --allow-expired)"
                    )
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
    }
}
