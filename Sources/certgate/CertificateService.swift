import CertgateCertificates
import CertgateConfig
import CertgateMetrics
import CertgatePosix
import CertgateReload
import LibEV
import Logging

/// The certificates and client CAs of one configuration, with what watches and reloads them: the
/// `CertificateStore`, the client-certificate policies (`ClientTrustPolicies`) and the `ReloadController`
/// that drives both. Control thread only.
///
/// A configuration reload that changes certificate sources, client-certificate settings or how changes
/// are watched builds a new service from the new configuration (reusing the parts that did not change,
/// and carrying each CA file's rotating pool over), and only then stops the old one and starts the new
/// one: a service that cannot be built changes nothing.
final class CertificateService {
    let store: CertificateStore
    let clientTrust: ClientTrustPolicies?
    let controller: ReloadController
    /// The settings this service was built from, to tell which parts a new configuration changes.
    private let configuration: ProxyConfiguration

    /// Loads everything the configuration names: the certificates (or takes `previous`'s store when the
    /// sources did not change), the client CAs and CRLs (each pool continuing `previous`'s for the same CA
    /// file), and a controller not started yet.
    ///
    /// - Throws: `StartupFailure` naming the file, flag or key at fault.
    init(
        configuration: ProxyConfiguration, previous: CertificateService?, loop: EventLoop, metrics: ProxyMetrics,
        logger: Logger, publish: @escaping (CertificateSnapshot) -> Void
    ) throws {
        let options = configuration.certificateStoreOptions
        let store: CertificateStore
        if let previous, previous.store.options == options {
            store = previous.store
        } else {
            do {
                store = try CertificateStore(options: options)
            } catch {
                throw StartupFailure(error)
            }
        }
        let clientTrust: ClientTrustPolicies?
        if let previous, !Self.clientSettingsDiffer(previous.configuration, configuration) {
            clientTrust = previous.clientTrust
        } else {
            do {
                clientTrust = try configuration.clientTrustPolicies(previous: previous?.clientTrust)
            } catch {
                throw StartupFailure("\(error)")
            }
        }
        if let clientTrust { _ = store.replaceClientTrusts(clientTrust.table) }
        self.store = store
        self.clientTrust = clientTrust
        self.configuration = configuration
        self.controller = ReloadController(
            loop: loop, store: store, settings: configuration.reloadSettings,
            metrics: metrics, logger: logger, clientTrust: clientTrust,
            publish: publish)
    }

    /// Whether `configuration` needs a new service (anything about certificates, client CAs or watching
    /// changed) rather than this one.
    func isOutdated(by configuration: ProxyConfiguration) -> Bool {
        self.configuration.certificateStoreOptions != configuration.certificateStoreOptions
            || self.configuration.reloadSettings != configuration.reloadSettings
            || Self.clientSettingsDiffer(self.configuration, configuration)
    }

    private static func clientSettingsDiffer(_ lhs: ProxyConfiguration, _ rhs: ProxyConfiguration) -> Bool {
        lhs.globalClientPolicy != rhs.globalClientPolicy || lhs.rootsLimit != rhs.rootsLimit
            || lhs.rootsMaxAge != rhs.rootsMaxAge
            || !lhs.perCertificateClientPolicies.elementsEqual(rhs.perCertificateClientPolicies) { $0 == $1 }
    }

    /// Warnings about what was just loaded: certificates served although not valid now
    /// (`--allow-expired`) and the snapshot's own warnings.
    func logLoadWarnings(_ logger: Logger) {
        let snapshot = store.snapshot
        let now = Timestamp.now
        for certificate in snapshot.certificates {
            if let problem = CertificateInventory.validityProblem(certificate, now: now) {
                logger.warning(
                    "serving a certificate that is not valid now (--allow-expired)",
                    metadata: [
                        "cert": "\(certificate.name)", "file": "\(certificate.source.certificatePath)",
                        "problem": "\(problem)",
                    ])
            }
        }
        for dual in snapshot.dualCertificates {
            logger.info("\(CertificateInventory.describe(dual, in: snapshot))")
        }
        for warning in snapshot.warnings {
            logger.warning("\(warning)")
        }
    }
}
